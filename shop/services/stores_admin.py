"""Store settings as the super admin edits them: slug, contact numbers, payment accounts,
couriers, time zone, the admins' alert numbers and the logo."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import DuplicateValue, InvalidInput
from ..extensions import db
from ..models import Store
from .phones import normalize_phone
from .qris import read_static
from .shipping_fees import clean_shipping_rates
from .uploads import is_stored_name
from .validation import clean_text

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ACCOUNT_NUMBER = re.compile(r"[0-9]{4,30}")
MAX_ROWS = 10
MAX_COURIERS = 20
#: The list fields: their row keys, label and the key naming the row in messages.
ACCOUNT_LISTS = {
    "bank_accounts": (("bank", "number", "holder"), "Rekening bank"),
    "e_wallets": (("provider", "number", "holder"), "E-wallet"),
}
FIELD_LABELS = {"bank": "Bank", "provider": "Penyedia", "number": "Nomor",
                "holder": "Atas nama"}


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zone names this system knows."""
    return frozenset(zoneinfo.available_timezones())


def clean_slug(raw) -> str:
    """Lower-case letters, digits and single dashes, 2 to 64 long. Raises InvalidInput."""
    slug = (clean_text(raw, field="slug", label="Slug", required=True, limit=64,
                       multiline=False) or "").lower()
    if len(slug) < 2 or not SLUG.fullmatch(slug):
        raise InvalidInput("Slug hanya huruf kecil, angka dan tanda minus (mis. burger-china).",
                           fields={"slug": "Huruf kecil, angka dan '-', 2-64 karakter."})
    return slug


def clean_timezone(raw) -> str:
    """An IANA time zone name such as Asia/Jakarta. Raises InvalidInput."""
    name = clean_text(raw, field="timezone", label="Zona waktu", required=True, limit=64,
                      multiline=False)
    if name not in time_zones():
        raise InvalidInput("Zona waktu tidak dikenal (mis. Asia/Jakarta, Asia/Makassar).",
                           fields={"timezone": "Nama zona IANA, mis. Asia/Jakarta."})
    return name


def clean_accounts(raw, name: str) -> list[dict]:
    """Rows of {bank|provider, number, holder}; blank rows dropped, every field required
    in the others, numbers kept as digits. Raises InvalidInput."""
    keys, label = ACCOUNT_LISTS[name]
    rows = []
    for index, row in enumerate(raw or [], start=1):
        if not isinstance(row, dict):
            raise _list_error(name, f"{label} baris {index} tidak valid.")
        texts = {key: clean_text(row.get(key), field=name, label=FIELD_LABELS[key], limit=100,
                                 multiline=False) for key in keys}
        if not any(texts.values()):
            continue
        empty = [FIELD_LABELS[key] for key in keys if not texts[key]]
        if empty:
            raise _list_error(name, f"{label} baris {index}: {', '.join(empty)} wajib diisi.")
        texts["number"] = re.sub(r"[\s.\-]", "", texts["number"])
        if not ACCOUNT_NUMBER.fullmatch(texts["number"]):
            raise _list_error(name, f"{label} baris {index}: nomor hanya angka (4-30 digit).")
        rows.append(texts)
    if len(rows) > MAX_ROWS:
        raise _list_error(name, f"{label}: maksimal {MAX_ROWS} baris.")
    return rows


def clean_couriers(raw) -> list[str]:
    """Courier names, one line each, without repeats, at most 20."""
    couriers: list[str] = []
    for item in raw or []:
        courier = clean_text(item, field="couriers", label="Kurir", limit=50, multiline=False)
        if courier and courier not in couriers:
            couriers.append(courier)
    if len(couriers) > MAX_COURIERS:
        raise _list_error("couriers", f"Maksimal {MAX_COURIERS} kurir.")
    return couriers


def clean_admin_numbers(raw) -> list[str]:
    """The admins' WhatsApp numbers for new-order alerts, normalized, without repeats."""
    numbers: list[str] = []
    for item in raw or []:
        if isinstance(item, str) and not item.strip():
            continue
        try:
            number = normalize_phone(item, field="admin_whatsapp")
        except InvalidInput:
            raise _list_error("admin_whatsapp", f"Nomor WhatsApp admin tidak valid: {item!r}."
                              ) from None
        if number not in numbers:
            numbers.append(number)
    if len(numbers) > MAX_ROWS:
        raise _list_error("admin_whatsapp", f"Maksimal {MAX_ROWS} nomor.")
    return numbers


def _list_error(name: str, message: str) -> InvalidInput:
    return InvalidInput(message, fields={name: message})


def clean_store(values: dict) -> dict:
    """The store fields present in `values`, cleaned. Raises InvalidInput."""
    cleaners = {
        "slug": clean_slug,
        "name": lambda v: clean_text(v, field="name", label="Nama toko", required=True,
                                     limit=120, multiline=False),
        # WhatsApp Business runs on landlines too; the admins' own numbers are phones.
        "whatsapp": lambda v: normalize_phone(v, field="whatsapp", mobile=False),
        "address": lambda v: clean_text(v, field="address", label="Alamat"),
        "timezone": clean_timezone,
        "bank_accounts": lambda v: clean_accounts(v, "bank_accounts"),
        "e_wallets": lambda v: clean_accounts(v, "e_wallets"),
        "couriers": clean_couriers,
        "admin_whatsapp": clean_admin_numbers,
        "is_active": bool,
        "logo": _clean_logo,
    }
    return {name: clean(values[name]) for name, clean in cleaners.items() if name in values}


def _clean_logo(raw) -> str | None:
    if raw is None or is_stored_name(raw):
        return raw
    raise InvalidInput("Logo tidak valid.", fields={"logo_file": "Logo tidak valid."})


def save_store(store: Store | None, values: dict) -> Store:
    """Create a store or change its settings (values may hold any field of clean_store; a
    new store needs slug, name and whatsapp; "logo" is an already stored image's name, or
    None to remove it). Raises InvalidInput or DuplicateValue."""
    if store is None:
        for name in ("slug", "name", "whatsapp"):
            values.setdefault(name, None)
    cleaned = clean_store(values)
    if "shipping_rates" in values:
        couriers = cleaned.get("couriers", store.couriers if store is not None else [])
        cleaned["shipping_rates"] = clean_shipping_rates(couriers or [],
                                                         values["shipping_rates"] or [])
    if "qris_payload" in values:  # pasted from the printed QRIS; empty: no QRIS
        raw = values["qris_payload"]
        cleaned["qris_payload"] = read_static(raw).payload if raw and raw.strip() else None
    if "unique_code_enabled" in values:
        cleaned["unique_code_enabled"] = bool(values["unique_code_enabled"])
    if "slug" in cleaned:
        taken = select(Store.id).where(Store.slug == cleaned["slug"])
        if store is not None and store.id is not None:
            taken = taken.where(Store.id != store.id)
        if db.session.scalar(taken) is not None:
            raise _slug_taken()
    if store is None:
        store = Store(bank_accounts=[], e_wallets=[], couriers=[], admin_whatsapp=[],
                      shipping_rates=[])
        db.session.add(store)
    for name, value in cleaned.items():
        setattr(store, name, value)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise _slug_taken() from None
    return store


def _slug_taken() -> DuplicateValue:
    return DuplicateValue("Slug sudah dipakai toko lain.",
                          fields={"slug": "Sudah dipakai toko lain."})
