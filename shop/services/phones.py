"""Phone numbers: one normalized form (digits, country code, no '+') for every input style."""

from __future__ import annotations

import phonenumbers

from ..errors import InvalidInput
from .validation import check_characters

DEFAULT_REGION = "ID"
INVALID_PHONE = "Nomor WhatsApp tidak valid. Contoh: 081234567890"


def normalize_phone(raw: str | None, *, field: str = "phone", region: str = DEFAULT_REGION) -> str:
    """Return the phone as E.164 digits without '+' (6281234567890). Raises InvalidInput."""
    if raw is not None and not isinstance(raw, str):
        raise InvalidInput(INVALID_PHONE, fields={field: INVALID_PHONE})
    text = check_characters(raw or "", field=field, label="Nomor WhatsApp").strip()
    if not text:
        raise InvalidInput("Nomor WhatsApp wajib diisi.", fields={field: "Wajib diisi."})
    if len(text) > 32:
        raise InvalidInput(INVALID_PHONE, fields={field: INVALID_PHONE})
    candidates = [text]
    digits = "".join(ch for ch in text if ch.isdigit())
    # Local shoppers write 62812..., 812... or 0812...; only the first lacks the '+'.
    if not text.startswith("+") and digits.startswith("62"):
        candidates.insert(0, "+" + digits)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    raise InvalidInput(INVALID_PHONE, fields={field: INVALID_PHONE})


def local_phone(phone: str) -> str:
    """Show an Indonesian number the way people write it (081234567890); others with '+'."""
    if phone.startswith("62"):
        return "0" + phone[2:]
    return "+" + phone


def mask_phone(phone: str) -> str:
    """Hide the middle of a number for public pages: 0812****7890."""
    shown = local_phone(phone)
    if len(shown) <= 8:
        return shown[:2] + "*" * (len(shown) - 2)
    return shown[:4] + "*" * (len(shown) - 8) + shown[-4:]
