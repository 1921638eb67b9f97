"""Field cleaners shared by every operation that takes text from outside (checkout, the cart,
order edits, imports): bounded, typed, and free of characters no column can hold."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from ..errors import InvalidInput
from ..template_i18n import gettext as _
from .labels import STOREFRONT_PAYMENT_METHODS

MAX_QTY = 1000
MAX_QTY_DIGITS = 4  # "1000"; longer digit strings are refused before int() sees them
MAX_LINES = 50
MAX_TEXT = 1000
MAX_CODE = 50

# Control characters (C0, DEL, C1) and lone surrogates: PostgreSQL refuses NUL and psycopg
# cannot encode a surrogate, SQLite would store them silently; no shopper types them.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Multi-line fields (address, notes) keep their line breaks and tabs.
_FORBIDDEN_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
ASCII_DIGITS = re.compile(r"[0-9]+")


class HasCouriers(Protocol):
    """A store as far as courier checks go (the Store model or a StoreInfo)."""

    couriers: list


def run_checks(checks: dict[str, Callable[[], object]],
               summary: Callable[[], str] | None = None) -> dict:
    """Every check's value by name. Raises one InvalidInput with every refused field's
    message, so a form shows them all at once: the first refusal's message, or `summary()`
    when more than one field is wrong."""
    values: dict = {}
    errors: dict[str, str] = {}
    first: InvalidInput | None = None
    for name, check in checks.items():
        try:
            values[name] = check()
        except InvalidInput as error:
            first = first or error
            errors.update(error.fields or {name: error.message})
    if first is not None:
        several = summary is not None and len(errors) > 1
        raise InvalidInput(summary() if several else first.message, fields=errors)
    return values


def is_clean_text(text: str, *, multiline: bool = False) -> bool:
    """Whether the text has no control character (bar line breaks and tabs when multi-line)
    and no lone surrogate."""
    pattern = _FORBIDDEN_MULTILINE if multiline else _FORBIDDEN
    return pattern.search(text) is None


def check_characters(text: str, *, field: str, label: str, multiline: bool = False) -> str:
    """The text itself, if is_clean_text. Raises InvalidInput."""
    if not is_clean_text(text, multiline=multiline):
        raise InvalidInput(
            _("%(label)s berisi karakter yang tidak diizinkan.", label=label),
            fields={field: _("Berisi karakter yang tidak diizinkan.")},
        )
    return text


def clean_text(value, *, field: str, label: str, required: bool = False, limit: int = MAX_TEXT,
               multiline: bool = True) -> str | None:
    """A trimmed optional (or required) text of bounded length; pass multiline=False for a
    one-line field. Raises InvalidInput."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput(_("%(label)s tidak valid.", label=label),
                           fields={field: _("Harus berupa teks.")})
    text = check_characters(value or "", field=field, label=label, multiline=multiline).strip()
    if required and not text:
        raise InvalidInput(_("%(label)s wajib diisi.", label=label),
                           fields={field: _("Wajib diisi.")})
    if len(text) > limit:
        raise InvalidInput(
            _("%(label)s terlalu panjang.", label=label),
            fields={field: _("Maksimal %(limit)s huruf.", limit=limit)},
        )
    return text or None


def clean_page_number(raw, default: int, limit: int) -> int:
    """A page number or page size from a query string, 1 to `limit`; anything unreadable is
    the default (a list page never refuses a bad link)."""
    text = str(raw or "").strip()
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else default
    return min(max(value, 1), limit)


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill, at least one."""
    return max(1, -(-total // per_page))


def is_product_code(code) -> bool:
    """Whether this is a product code as carts hold it: short one-line text, trimmed."""
    return (isinstance(code, str) and 0 < len(code) <= MAX_CODE and code == code.strip()
            and is_clean_text(code))


def clean_code(raw, *, field: str = "items") -> str:
    """A product code, trimmed. Raises InvalidInput."""
    code = raw.strip() if isinstance(raw, str) else None
    if not is_product_code(code):
        raise InvalidInput(_("Kode produk tidak valid."), fields={field: _("Kode tidak valid.")})
    return code


def is_quantity(qty) -> bool:
    """Whether this is a cart quantity: an int (not a bool) from 1 to MAX_QTY."""
    return isinstance(qty, int) and not isinstance(qty, bool) and 0 < qty <= MAX_QTY


def clean_quantity(raw) -> int:
    """A whole quantity from 1 to 1,000, as an int or as ASCII digits. Raises InvalidInput."""
    qty = raw
    if isinstance(raw, str):
        # str.isdigit() accepts "²" and other digits int() refuses; int() refuses 4,300+ digits.
        text = raw.strip()
        fits = len(text) <= MAX_QTY_DIGITS and ASCII_DIGITS.fullmatch(text)
        qty = int(text) if fits else None
    if not is_quantity(qty):
        raise InvalidInput(
            _("Jumlah harus antara 1 dan 1.000."),
            fields={"items": _("Jumlah harus 1 sampai %(max)s.", max=MAX_QTY)},
        )
    return qty


def clean_cart(items) -> dict[str, int]:
    """Codes with quantities, merged by code, in the shopper's order. Raises InvalidInput."""
    if not items:
        raise InvalidInput(_("Keranjang masih kosong."), fields={"items": _("Keranjang kosong.")})
    if len(items) > MAX_LINES:
        raise InvalidInput(
            _("Maksimal %(max)s produk per pesanan.", max=MAX_LINES),
            fields={"items": _("Terlalu banyak produk.")},
        )
    cart: dict[str, int] = {}
    for raw_code, raw_qty in items:
        code = clean_code(raw_code)
        cart[code] = clean_quantity(cart.get(code, 0) + clean_quantity(raw_qty))
    return cart


def clean_courier(store: HasCouriers, raw) -> str | None:
    """One of the store's couriers (free text when the store lists none). Raises InvalidInput."""
    courier = clean_text(raw, field="courier", label=_("Kurir"), limit=50, multiline=False)
    if courier and store.couriers and courier not in store.couriers:
        raise InvalidInput(_("Kurir tidak tersedia."),
                           fields={"courier": _("Pilih kurir dari daftar.")})
    return courier


def clean_payment_method(raw, offered=STOREFRONT_PAYMENT_METHODS) -> str | None:
    """A payment method the channel offers (the storefront's: bank_transfer, e_wallet, cod;
    card payments need a gateway, which comes later). Raises InvalidInput."""
    method = clean_text(raw, field="payment_method", label=_("Metode bayar"), limit=50,
                        multiline=False)
    if method and method not in offered:
        raise InvalidInput(
            _("Metode bayar tidak tersedia."),
            fields={"payment_method": _("Pilih metode dari daftar.")},
        )
    return method
