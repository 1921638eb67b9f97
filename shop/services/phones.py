"""Phone numbers: one normalized form (digits, country code, no '+') for every input style."""

from __future__ import annotations

import phonenumbers

from ..errors import InvalidInput
from .validation import check_characters

DEFAULT_REGION = "ID"
INVALID_PHONE = "Nomor WhatsApp tidak valid. Contoh: 081234567890"
NOT_DIGITS = "Nomor WhatsApp hanya boleh berisi angka (spasi, +, - dan tanda kurung boleh). " \
             "Contoh: 081234567890"
NOT_MOBILE = "Nomor WhatsApp harus nomor HP, bukan telepon rumah atau kantor. " \
             "Contoh: 081234567890"
#: What a written number may hold besides digits (phonenumbers would read letters as the
#: keypad's digits: 0812ABCD7890 is no one's WhatsApp).
_SEPARATORS = frozenset(" +-().")
#: Types a WhatsApp account can be on; some regions (the US) cannot tell mobile from fixed.
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE,
                 phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalize_phone(raw: str | None, *, field: str = "phone", region: str = DEFAULT_REGION,
                    mobile: bool = True) -> str:
    """Return the number as E.164 digits without '+' (6281234567890). Raises InvalidInput:
    empty, letters, not a number, or (unless `mobile` is False) a landline: a shopper's
    WhatsApp is on a phone. A store's own WhatsApp Business may be on a landline."""
    if raw is not None and not isinstance(raw, str):
        raise InvalidInput(INVALID_PHONE, fields={field: INVALID_PHONE})
    text = check_characters(raw or "", field=field, label="Nomor WhatsApp").strip()
    if not text:
        raise InvalidInput("Nomor WhatsApp wajib diisi.", fields={field: "Wajib diisi."})
    if len(text) > 32:
        raise InvalidInput(INVALID_PHONE, fields={field: INVALID_PHONE})
    if any(not (ch.isdigit() or ch in _SEPARATORS) for ch in text):
        raise InvalidInput(NOT_DIGITS, fields={field: NOT_DIGITS})
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
            if mobile and phonenumbers.number_type(number) not in _MOBILE_TYPES:
                raise InvalidInput(NOT_MOBILE, fields={field: NOT_MOBILE})
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
