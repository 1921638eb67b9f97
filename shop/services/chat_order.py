"""WhatsApp `!order [produk] [jumlah | durasi bulan 1-12]` (seed 001): the product as
`!harga` finds it, the customer by the sender's phone, the order through the checkout like
every other channel (channel `whatsapp`: no address asked for, paid by transfer to the
store's account; order_channels). The checkout decides: a MONTHLY product's quantity is
its months, 1 to 12, out of stock, a blocked number, a product no longer sold; its refusal
is the reply and nothing is written.

The reply is short on purpose: place_order queues the customer's confirmation (items,
tracking link, payment method) and the admins' alert through the outbox, so the reply only
says the order exists, its total, where to transfer (which the confirmation leaves out) and
how to follow it, instead of sending the confirmation twice.
"""

from __future__ import annotations

import re

from flask import current_app

from ..errors import InvalidInput, ShopError
from ..extensions import db
from ..models import Billing, Channel, Product
from .chat_base import MAX_QUERY, BadArguments, Context, Spec, product_choice
from .chat_format import months_text, plain
from .checkout import CheckoutRequest, PlacedOrder, place_order
from .customers import MAX_NAME
from .money import format_rupiah
from .payments import transfer_instructions

_QUANTITY = re.compile(r"^[0-9]+$")
#: A unit people write after the number: "!order gold 6 bulan", "!order fries 2 pcs".
_UNITS = frozenset({"bulan", "bln", "month", "months", "x", "pcs"})
#: The name of a new customer whose WhatsApp gives none.
DEFAULT_NAME = {"id": "Pelanggan WhatsApp", "en": "WhatsApp customer"}

TEXTS = {
    "id": {
        "placed": "✅ Pesanan *{number}* dibuat: {what}, total *{total}*.",
        "transfer": "Silakan transfer {total} ke {accounts}, berita: {number}.",
        "follow": "Rincian pesanan dikirim terpisah. Cek status: *!order-status {number}*",
        "no_phone": "Nomor pengirim tidak valid, pesanan tidak bisa dibuat.",
        "blocked": None, "stock": None, "months": None,
    },
    "en": {
        "placed": "✅ Order *{number}* placed: {what}, total *{total}*.",
        "transfer": "Please transfer {total} to {accounts}, reference: {number}.",
        "follow": "The order's details follow separately. Status: *!order-status {number}*",
        "no_phone": "The sender's number is not valid; no order can be placed.",
        "blocked": "This number cannot order at this store. Please contact the store.",
        "stock": "Sorry, there is not enough stock of {items}.",
        "months": "The duration of {product} must be 1 to {n} months.",
    },
}


def order_arguments(args: tuple[str, ...]) -> tuple[str, str]:
    """(product query, quantity as typed) of `!order burger cheese 2` or `!order gold 6
    bulan`; the quantity is "1" when none is given. Raises BadArguments."""
    words = list(args)
    if len(words) >= 3 and words[-1].lower() in _UNITS and _QUANTITY.match(words[-2]):
        words.pop()
    quantity = words.pop() if len(words) >= 2 and _QUANTITY.match(words[-1]) else "1"
    if not words:
        raise BadArguments
    return " ".join(words)[:MAX_QUERY], quantity


def cmd_order(ctx: Context) -> list[str]:
    query, quantity = order_arguments(ctx.command.args)
    if ctx.phone is None:
        return [TEXTS[ctx.locale]["no_phone"]]
    choice = product_choice(ctx, query)
    if isinstance(choice, list):
        return choice
    try:
        with db.session.begin_nested():  # a refusal leaves nothing of the order behind
            placed = place_order(ctx.store, order_request(ctx, choice, quantity),
                                 base_url=current_app.config["PUBLIC_BASE_URL"])
    except ShopError as error:
        return [refusal(ctx, error)]
    return [placed_text(ctx, placed, choice)]


def order_request(ctx: Context, product: Product, quantity: str) -> CheckoutRequest:
    """The checkout of one product for the sender: a known customer's name, address and
    email; a new one is named by their WhatsApp profile, else neutrally."""
    customer = ctx.customer
    if customer is not None:
        name, address, email = customer.name, customer.address, customer.email
    else:
        name = plain(ctx.sender_name, limit=MAX_NAME) or DEFAULT_NAME[ctx.locale]
        address = email = None
    return CheckoutRequest(
        name=name, phone=ctx.phone, address=address, email=email,
        items=[(product.code, quantity)], channel=Channel.WHATSAPP, actor=ctx.actor,
        locale=ctx.locale)


def placed_text(ctx: Context, placed: PlacedOrder, product: Product) -> str:
    """The short reply to a new order: number, what, total, where to transfer, what next."""
    texts = TEXTS[ctx.locale]
    line = placed.lines[0]
    amount = months_text(line.qty, ctx.locale) if product.billing == Billing.MONTHLY \
        else f"x{line.qty}"
    total = format_rupiah(placed.totals.total)
    lines = [texts["placed"].format(number=placed.number, total=total,
                                    what=f"{plain(line.name, limit=120)} {amount}")]
    transfer = transfer_instructions(
        ctx.store, number=placed.number, total=placed.totals.total,
        payment_method=placed.payment_method, payment_status=placed.payment_status,
        status=placed.status, unique_code=placed.unique_code)
    if transfer is not None:
        total = format_rupiah(transfer.amount)
        accounts = " / ".join(
            " ".join(plain(acc.get(key, ""), limit=60) for key in ("bank", "number"))
            + (f" a.n. {plain(acc['holder'], limit=60)}" if acc.get("holder") else "")
            for acc in transfer.accounts)
        lines.append(texts["transfer"].format(total=total, accounts=accounts,
                                              number=placed.number))
    lines.append(texts["follow"].format(number=placed.number))
    return "\n".join(lines)


def refusal(ctx: Context, error: ShopError) -> str:
    """The checkout's refusal as the reply (in English where it has a twin), with the
    command's usage when the input was wrong."""
    texts = TEXTS[ctx.locale]
    text = error.message
    if error.code == "customer_blocked" and texts["blocked"]:
        text = texts["blocked"]
    elif error.code == "out_of_stock" and texts["stock"]:
        text = texts["stock"].format(items=", ".join(error.details.get("items") or []))
    elif "max_months" in error.details and texts["months"]:
        text = texts["months"].format(product=", ".join(error.details.get("products") or []),
                                      n=error.details["max_months"])
    if isinstance(error, InvalidInput):
        text += "\n" + ctx.t("usage", usage=ORDER_SPEC.usage[ctx.locale])
    return text


ORDER_SPEC = Spec(
    cmd_order,
    usage={"id": "!order [produk] [jumlah | durasi bulan 1-12]",
           "en": "!order [product] [quantity | months 1-12]"},
    summary={"id": "Pesan satu produk (kode atau nama); paket bulanan: jumlah bulan.",
             "en": "Order one product (code or name); monthly plans: the months."})
