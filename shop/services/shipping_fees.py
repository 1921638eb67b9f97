"""Shipping fees: a store's flat fee per courier, free from an optional order amount, or
"ongkir dikonfirmasi admin" (the fee follows: an admin sets it in the order edit and the
customer is told)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from ..errors import InvalidInput
from .money import MAX_AMOUNT, ZERO, format_rupiah


class HasShipping(Protocol):
    """A store as far as shipping goes (the Store model or a cached view of it)."""

    couriers: list
    shipping_rates: list


@dataclass(frozen=True)
class ShippingRate:
    """One courier's flat fee, and the order amount from which it is free (None: never)."""

    courier: str
    fee: Decimal
    free_from: Decimal | None = None


@dataclass(frozen=True)
class ShippingQuote:
    """What a courier costs for one order: the fee, whether it is free by the threshold, and
    whether it is still to be confirmed by an admin (the fee is then 0 until they set it)."""

    fee: Decimal = ZERO
    pending: bool = False
    free: bool = False


def store_rates(store: HasShipping) -> dict[str, ShippingRate]:
    """The store's rates by courier, for couriers it still offers (a rate of a courier that
    was removed is ignored)."""
    offered = set(store.couriers or ())
    rates = {}
    for raw in store.shipping_rates or ():
        try:
            rate = ShippingRate(
                courier=str(raw["courier"]), fee=Decimal(str(raw["fee"])),
                free_from=None if raw.get("free_from") in (None, "") else Decimal(
                    str(raw["free_from"])))
        except (KeyError, TypeError, InvalidOperation):
            continue
        if rate.courier in offered:
            rates[rate.courier] = rate
    return rates


def quote_shipping(store: HasShipping, courier: str | None, amount: Decimal) -> ShippingQuote:
    """The fee of `courier` for an order of `amount` (subtotal after discount). No courier, or
    a store that lists none (free text), costs nothing here; an offered courier without a rate
    is confirmed by an admin."""
    if not courier or not store.couriers:
        return ShippingQuote()
    rate = store_rates(store).get(courier)
    if rate is None:
        return ShippingQuote(pending=True)
    if rate.free_from is not None and amount >= rate.free_from:
        return ShippingQuote(free=True)
    return ShippingQuote(fee=rate.fee)


@dataclass(frozen=True)
class ShippingOption:
    """A courier as the checkout offers it: its fee for this cart and the grand total."""

    courier: str
    quote: ShippingQuote
    total: Decimal


def shipping_options(store: HasShipping, cart) -> list[ShippingOption]:
    """Each offered courier with its fee and the cart's grand total with it (the cart: its
    `total` before shipping)."""
    return [ShippingOption(c, q, cart.total + q.fee)
            for c in store.couriers or ()
            for q in (quote_shipping(store, c, cart.total),)]


def courier_choices(store: HasShipping) -> list[tuple[str, str]]:
    """(courier, label with its fee) for the checkout's courier list: "JNE · Rp 15.000
    (gratis mulai Rp 200.000)", or "Gojek · ongkir dikonfirmasi admin"."""
    from flask_babel import gettext as _

    rates = store_rates(store)
    choices = []
    for courier in store.couriers or ():
        rate = rates.get(courier)
        if rate is None:
            label = _("%(courier)s · ongkir dikonfirmasi admin", courier=courier)
        elif rate.fee == 0:
            label = _("%(courier)s · gratis ongkir", courier=courier)
        elif rate.free_from is not None:
            label = _("%(courier)s · %(fee)s (gratis mulai %(free_from)s)", courier=courier,
                      fee=format_rupiah(rate.fee), free_from=format_rupiah(rate.free_from))
        else:
            label = f"{courier} · {format_rupiah(rate.fee)}"
        choices.append((courier, label))
    return choices


def clean_shipping_rates(couriers: list[str], rows: list[dict]) -> list[dict]:
    """The rates a back office form sends, one per offered courier with a fee (an empty fee
    means "confirmed by an admin"), as Store.shipping_rates keeps them. Raises
    InvalidInput."""
    rates = []
    for row in rows:
        courier = str(row.get("courier") or "").strip()
        if courier not in couriers:
            raise InvalidInput(f"Kurir {courier} tidak ada di daftar kurir toko.",
                               fields={"shipping_rates": "Kurir tidak dikenal."})
        fee = _amount(row.get("fee"), courier)
        if fee is None:
            continue
        free_from = _amount(row.get("free_from"), courier)
        rates.append({"courier": courier, "fee": str(fee),
                      "free_from": None if free_from is None else str(free_from)})
    return rates


def _amount(raw, courier: str) -> Decimal | None:
    text = str(raw if raw is not None else "").strip().replace(".", "").replace(",", "")
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise InvalidInput(f"Ongkos kirim {courier} tidak valid.",
                           fields={"shipping_rates": "Isi angka rupiah, misalnya 15000."})
    amount = Decimal(text)
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"Ongkos kirim {courier} terlalu besar.",
                           fields={"shipping_rates": "Terlalu besar."})
    return amount.quantize(Decimal("0.01"))
