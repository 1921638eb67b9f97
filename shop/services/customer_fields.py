"""The CRM fields of a customer (seed 003) as admins may write them: one cleaner per field,
every refusal collected so a form or an API answer can show them all at once."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..errors import InvalidInput
from ..models import CustomerStatus, CustomerType, Gender, MembershipLevel
from .customers import clean_email, clean_name
from .money import CENT
from .phones import normalize_phone
from .validation import clean_text

#: Kept by checkout and shop/services/stats.py, or fixed at creation: never written by admins.
READ_ONLY = frozenset({
    "id", "public_id", "store_id", "store", "total_spent", "total_purchases", "total_orders",
    "points", "last_visit", "is_active", "created_at", "updated_at",
})
#: One-line and multi-line texts: label, length limit, multi-line.
TEXTS = {
    "address": ("Alamat", 1000, True),
    "district": ("Kecamatan", 100, False),
    "city": ("Kota", 100, False),
    "province": ("Provinsi", 100, False),
    "postal_code": ("Kode pos", 20, False),
    "notes": ("Catatan", 2000, True),
    "partner_id": ("Partner", 36, False),
}
CHOICES: dict[str, tuple[type[enum.StrEnum], str]] = {
    "type": (CustomerType, "Tipe"),
    "status": (CustomerStatus, "Status"),
    "membership_level": (MembershipLevel, "Level"),
    "gender": (Gender, "Jenis kelamin"),
}
#: Choices a customer cannot be without (gender may be unknown).
REQUIRED_CHOICES = ("type", "status", "membership_level")
EDITABLE = frozenset({"name", "phone", "email", "discount", "birth_date", *TEXTS, *CHOICES})
OLDEST_BIRTH_YEAR = 1900


def clean_customer_values(values: dict, *, required: Iterable[str] = (),
                          today: date) -> dict:
    """The given fields, cleaned; `required` ones must be present. Raises InvalidInput with
    every refused field."""
    cleaners = _cleaners(today)
    clean, errors = {}, {}
    for name in required:
        if values.get(name) in (None, ""):
            errors[name] = "Wajib diisi."
    for name, value in values.items():
        if name in errors or name not in cleaners:
            continue
        try:
            clean[name] = cleaners[name](value)
        except InvalidInput as error:
            errors.update(error.fields or {name: error.message})
    if errors:
        raise InvalidInput("Periksa kembali data pelanggan.", fields=errors)
    return clean


def _cleaners(today: date) -> dict[str, Callable]:
    cleaners: dict[str, Callable] = {
        "name": clean_name,
        "phone": normalize_phone,
        "email": clean_email,
        "discount": clean_discount,
        "birth_date": lambda v: clean_birth_date(v, today=today),
    }
    for name, (label, limit, multiline) in TEXTS.items():
        cleaners[name] = _text_cleaner(name, label, limit, multiline)
    for name, (choices, label) in CHOICES.items():
        cleaners[name] = _choice_cleaner(choices, name, label)
    return cleaners


def _text_cleaner(name: str, label: str, limit: int, multiline: bool) -> Callable:
    return lambda v: clean_text(v, field=name, label=label, limit=limit, multiline=multiline)


def _choice_cleaner(choices: type[enum.StrEnum], name: str, label: str) -> Callable:
    def clean(value):
        choice = parse_choice(choices, value, name, label)
        if choice is None and name in REQUIRED_CHOICES:
            raise InvalidInput(f"{label} wajib diisi.", fields={name: "Wajib diisi."})
        return choice
    return clean


def parse_choice(choices: type[enum.StrEnum], value, field: str, label: str):
    """One of the choices (by value, case-insensitive), or None when empty.
    Raises InvalidInput."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        for choice in choices:
            if value.strip().lower() == choice.value.lower():
                return choice
    allowed = ", ".join(c.value for c in choices)
    raise InvalidInput(f"{label} tidak valid.", fields={field: f"Pilih salah satu: {allowed}."})


def clean_discount(value) -> Decimal:
    """A discount percentage from 0 to 100 (number or text, "12,5" too). Raises InvalidInput."""
    if value is None or value == "":
        return Decimal("0.00")
    wrong = InvalidInput("Diskon tidak valid.", fields={"discount": "Angka 0 sampai 100."})
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise wrong
    text = str(value).strip().removesuffix("%").strip().replace(",", ".")
    if len(text) > 12:
        raise wrong
    try:
        percent = Decimal(text)
    except InvalidOperation:
        raise wrong from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise wrong
    return percent.quantize(CENT, rounding=ROUND_HALF_UP)


def clean_birth_date(value, *, today: date) -> date | None:
    """A date of birth (date or YYYY-MM-DD), not in the future. Raises InvalidInput."""
    if value is None or value == "":
        return None
    wrong = InvalidInput("Tanggal lahir tidak valid.",
                         fields={"birth_date": "Format: YYYY-MM-DD, tidak di masa depan."})
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip()) if len(value) <= 10 else None
        except ValueError:
            value = None
    if not isinstance(value, date) or value > today or value.year < OLDEST_BIRTH_YEAR:
        raise wrong
    return value
