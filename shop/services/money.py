"""Rupiah amounts: parsing, formatting and order totals. Decimal only, never float."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..errors import InvalidInput
from ..template_i18n import gettext as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999999.99")  # Numeric(15, 2)
THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")


def to_money(value, *, field: str = "amount", label: str | None = None) -> Decimal:
    """Parse an amount given as Decimal, int or text, written the Indonesian way ("Rp 10.000",
    "1.500,50") or plainly ("10000.50"). Floats are refused. Raises InvalidInput."""
    if isinstance(value, float | bool):
        raise _not_an_amount(label, field, _("Tulis sebagai angka."))
    text = _plain_number(str(value if value is not None else ""))
    try:
        amount = Decimal(text) if text else ZERO
    except InvalidOperation:
        raise _not_an_amount(label, field, _("Tulis sebagai angka.")) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise _not_an_amount(label, field, _("Harus 0 atau lebih."))
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _not_an_amount(label: str | None, field: str, hint: str) -> InvalidInput:
    """The refusal of an amount; the label defaults to "Jumlah" in the request's language."""
    return InvalidInput(_("%(label)s tidak valid.", label=label or _("Jumlah")),
                        fields={field: hint})


def _plain_number(text: str) -> str:
    """'Rp 1.500,50' -> '1500.50'; '10.000' -> '10000'; '10000.5' stays."""
    text = text.strip().removeprefix("Rp").removeprefix("rp").strip().replace(" ", "")
    if "," in text:  # Indonesian: dots group thousands, the comma marks decimals
        return text.replace(".", "").replace(",", ".", 1)
    if THOUSANDS.match(text):
        return text.replace(".", "")
    return text


def format_rupiah(amount: Decimal | int | None) -> str:
    """Rp 65.000 (Indonesian grouping); cents only when there are any: Rp 1.500,50."""
    value = Decimal(amount or 0).quantize(CENT)
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 1)
    text = f"{int(whole):,}".replace(",", ".")
    if cents:
        text += "," + f"{cents:.2f}"[2:]
    return f"{sign}Rp {text}"


def money_json(amount: Decimal) -> str:
    """Money in JSON: a string with two decimals ("65000.00")."""
    return f"{Decimal(amount).quantize(CENT):f}"


@dataclass(frozen=True)
class Line:
    """A priced order line before it is written."""

    code: str
    name: str
    unit_price: Decimal
    qty: int
    discount: Decimal = ZERO
    product_id: int | None = None
    #: Whether the product keeps stock that checkout must reserve.
    tracks_stock: bool = False

    @property
    def subtotal(self) -> Decimal:
        return (self.unit_price * self.qty - self.discount).quantize(CENT)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    shipping_fee: Decimal
    total: Decimal


def line_subtotal(unit_price: Decimal, qty: int, discount: Decimal = ZERO) -> Decimal:
    """qty x unit price - line discount. Raises InvalidInput when the discount is too big."""
    gross = (unit_price * qty).quantize(CENT)
    if discount < 0 or discount > gross:
        raise InvalidInput(
            _("Diskon item melebihi harga item."), fields={"items": _("Diskon item terlalu besar.")}
        )
    return gross - discount


def compute_totals(
    lines: Iterable[Line], discount: Decimal = ZERO, shipping_fee: Decimal = ZERO
) -> Totals:
    """subtotal = sum of lines; total = subtotal - discount + shipping. Raises InvalidInput."""
    subtotal = sum((line_subtotal(ln.unit_price, ln.qty, ln.discount) for ln in lines), ZERO)
    if discount < 0 or discount > subtotal:
        raise InvalidInput(
            _("Diskon tidak boleh melebihi subtotal."),
            fields={"discount": _("Maksimal %(amount)s.", amount=format_rupiah(subtotal))},
        )
    if shipping_fee < 0:
        raise InvalidInput(
            _("Ongkos kirim tidak valid."), fields={"shipping_fee": _("Harus 0 atau lebih.")}
        )
    total = subtotal - discount + shipping_fee
    if total > MAX_AMOUNT:
        raise InvalidInput(_("Total pesanan terlalu besar."))
    return Totals(subtotal=subtotal, discount=discount, shipping_fee=shipping_fee, total=total)
