"""Phone numbers: one normalized form (digits, country code, no '+') for every input style."""

from __future__ import annotations

import functools

import phonenumbers
from flask_babel import lazy_gettext as _l

from ..errors import InvalidInput
from ..template_i18n import gettext as _
from .validation import check_characters

DEFAULT_REGION = "ID"
INVALID_PHONE = _l("Nomor WhatsApp tidak valid. Contoh: 081234567890")
NOT_DIGITS = _l("Nomor WhatsApp hanya boleh berisi angka (spasi, +, - dan tanda kurung boleh). "
                "Contoh: 081234567890")
NOT_MOBILE = _l("Nomor WhatsApp harus nomor HP, bukan telepon rumah atau kantor. "
                "Contoh: 081234567890")
#: What a written number may hold besides digits (phonenumbers would read letters as the
#: keypad's digits: 0812ABCD7890 is no one's WhatsApp).
_SEPARATORS = frozenset(" +-().")
#: Types a WhatsApp account can be on; some regions (the US) cannot tell mobile from fixed.
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE,
                 phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _refused(message, field: str) -> InvalidInput:
    """The refusal with its message in the request's language (str, never a lazy string: it
    goes into JSON and chat replies)."""
    text = str(message)
    return InvalidInput(text, fields={field: text})


def normalize_phone(raw: str | None, *, field: str = "phone", region: str = DEFAULT_REGION,
                    mobile: bool = True) -> str:
    """Return the number as E.164 digits without '+' (6281234567890). Raises InvalidInput:
    empty, letters, not a number, or (unless `mobile` is False) a landline: a shopper's
    WhatsApp is on a phone. A store's own WhatsApp Business may be on a landline."""
    if raw is not None and not isinstance(raw, str):
        raise _refused(INVALID_PHONE, field)
    text = check_characters(raw or "", field=field, label=_("Nomor WhatsApp")).strip()
    if not text:
        raise InvalidInput(_("Nomor WhatsApp wajib diisi."), fields={field: _("Wajib diisi.")})
    if len(text) > 32:
        raise _refused(INVALID_PHONE, field)
    if any(not (ch.isdigit() or ch in _SEPARATORS) for ch in text):
        raise _refused(NOT_DIGITS, field)
    found = _e164(text, region, mobile)
    if found is _LANDLINE:
        raise _refused(NOT_MOBILE, field)
    if found is None:
        raise _refused(INVALID_PHONE, field)
    return found


_LANDLINE = object()


@functools.lru_cache(maxsize=4096)
def _e164(text: str, region: str, mobile: bool):
    """The number's E.164 digits, _LANDLINE, or None (not a number). Kept per text: a form's
    validator and the checkout both read the same phone, and phonenumbers takes ~35 us."""
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
                return _LANDLINE
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    return None


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
