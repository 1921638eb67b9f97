"""WhatsApp `!commands` (seed 001): parsing, and the replies of the commands everyone may
send, on top of the operations of shop/services (issue 13). No rules of its own: the order
machine decides what may be cancelled, chat_format writes the replies.

`handle_message` is an operation: it flushes (a cancel), the caller (the webhook, a job)
commits and sends the replies. A customer is the store's customer of the sender's phone;
they only ever see their own orders: someone else's order number gets the very answer an
unknown number gets.

Commands are rows of COMMANDS (name -> Spec); `!order` and the admin commands are added the
same way, with `admin=True` for the ones only the store's admin numbers may use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from ..errors import InvalidInput, StaleChange
from ..extensions import db
from ..models import Customer, Order, OrderStatus, Product, Store
from .chat_format import (
    chat_locale,
    format_catalog,
    format_order,
    format_order_line,
    format_product,
    format_product_line,
    plain,
    split_message,
    status_label,
)
from .customers import find_customer_by_phone
from .orders import transition
from .phones import normalize_phone

#: `!Order-Status ORD-1`, `! katalog`: the command word after the "!".
_COMMAND = re.compile(r"^\s*[!！]\s*(\S+)(.*)$", re.DOTALL)
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
#: An order number as a customer types it: letters, digits and dashes (ORD-20240127-001).
_ORDER_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
MY_ORDERS_LIMIT = 10
CATALOG_LIMIT = 100
PRICE_MATCHES = 5
MAX_REASON = 300
MAX_QUERY = 60


@dataclass(frozen=True)
class Command:
    """A parsed message: the command's name in lower case ("" for text that is no command)
    and its words; `rest` is the text after the name as typed (notes, reasons)."""

    name: str
    args: tuple[str, ...] = ()
    rest: str = ""


def parse_command(text: str | None) -> Command:
    """`!Order-Status  ord-1 ` -> Command("order-status", ("ord-1",)); `!order_status` is the
    same command; text not starting with "!" is Command("")."""
    match = _COMMAND.match(text or "")
    if not match:
        return Command("")
    name = match.group(1).lower().replace("_", "-")
    rest = " ".join(match.group(2).split())
    return Command(name, tuple(rest.split()) if rest else (), rest)


@dataclass
class Context:
    """What a handler knows: the store, the sender's normalized phone (None when it is no
    valid number), the reply language and the command."""

    store: Store
    phone: str | None
    locale: str
    command: Command
    #: The sender's WhatsApp profile name, when the provider gives one.
    sender_name: str | None = None
    _customer: Customer | None = field(default=None, repr=False)
    _looked_up: bool = field(default=False, repr=False)

    @property
    def customer(self) -> Customer | None:
        """The store's customer with the sender's phone, looked up once."""
        if not self._looked_up:
            self._customer = find_customer_by_phone(self.store, self.phone) if self.phone else None
            self._looked_up = True
        return self._customer

    @property
    def actor(self) -> str:
        return f"whatsapp:{self.phone or 'unknown'}"

    def t(self, key: str, **values) -> str:
        return TEXTS[self.locale][key].format(**values)


class BadArguments(Exception):
    """The command was used wrongly: the reply is the command's usage."""


Handler = Callable[[Context], list[str]]


@dataclass(frozen=True)
class Spec:
    handler: Handler
    #: locale -> "!harga [produk]"-style usage and one line of what it does.
    usage: dict[str, str]
    summary: dict[str, str]
    #: Only the store's admin numbers may use it.
    admin: bool = False


TEXTS = {
    "id": {
        "unknown": "Perintah{name} tidak dikenal.",
        "usage": "Cara pakai: {usage}",
        "help_hint": "Ketik *!bantuan* untuk daftar perintah.",
        "help_title": "*Daftar perintah {store}*",
        "not_found": "Pesanan {number} tidak ditemukan.",
        "bad_number": "Nomor pesanan tidak valid. Contoh: ORD-20240127-001",
        "no_orders": "Anda belum punya pesanan di {store}.",
        "my_orders": "*Pesanan Anda ({count} terbaru)*",
        "status_hint": "Ketik *!order-status [nomor]* untuk detail.",
        "no_product": "Produk \"{query}\" tidak ditemukan. Ketik *!katalog* untuk melihat "
                      "semua produk.",
        "many_products": "Ada beberapa produk yang cocok dengan \"{query}\":",
        "many_hint": "Ketik *!harga [kode]* untuk detail.",
        "catalog_more": "Hanya {limit} produk pertama yang ditampilkan; cari dengan "
                        "*!harga [nama]*.",
        "cannot_cancel": "Pesanan {number} tidak bisa dibatalkan lagi: statusnya {status}. "
                         "Silakan hubungi toko.",
        "cancelled": "Pesanan {number} sudah dibatalkan.",
        "stale": "Pesanan {number} baru saja diubah. Coba lagi sebentar lagi.",
        "cancel_note": "Dibatalkan pelanggan lewat WhatsApp",
    },
    "en": {
        "unknown": "Unknown command{name}.",
        "usage": "Usage: {usage}",
        "help_hint": "Send *!bantuan* for the list of commands.",
        "help_title": "*Commands of {store}*",
        "not_found": "Order {number} was not found.",
        "bad_number": "That is no valid order number. Example: ORD-20240127-001",
        "no_orders": "You have no orders at {store} yet.",
        "my_orders": "*Your orders ({count} most recent)*",
        "status_hint": "Send *!order-status [number]* for the details.",
        "no_product": "No product \"{query}\" was found. Send *!katalog* to see all products.",
        "many_products": "Several products match \"{query}\":",
        "many_hint": "Send *!harga [code]* for the details.",
        "catalog_more": "Only the first {limit} products are shown; search with "
                        "*!harga [name]*.",
        "cannot_cancel": "Order {number} can no longer be cancelled: it is {status}. "
                         "Please contact the store.",
        "cancelled": "Order {number} has been cancelled.",
        "stale": "Order {number} was changed just now. Please try again in a moment.",
        "cancel_note": "Cancelled by the customer on WhatsApp",
    },
}


def handle_message(store: Store, phone: str | None, text: str | None, *,
                   locale: str = "id", sender_name: str | None = None) -> list[str]:
    """The replies to one incoming message of `phone` to the store: none for text that is no
    command, a short help for an unknown command or bad arguments. Flushes, never commits."""
    command = parse_command(text)
    if not command.name:
        return []
    ctx = Context(store=store, phone=_sender(phone), locale=chat_locale(locale),
                  command=command, sender_name=sender_name)
    spec = COMMANDS.get(ALIASES.get(command.name, command.name))
    if spec is None or (spec.admin and not is_admin(store, ctx.phone)):
        return [short_help(ctx, unknown=command.name)]
    try:
        replies = spec.handler(ctx)
    except BadArguments:
        replies = [ctx.t("usage", usage=spec.usage[ctx.locale]) + "\n" + ctx.t("help_hint")]
    except InvalidInput as error:
        replies = [error.message + "\n" + ctx.t("usage", usage=spec.usage[ctx.locale])]
    return [part for reply in replies for part in split_message(reply)]


def _sender(phone: str | None) -> str | None:
    try:
        return normalize_phone(phone)
    except InvalidInput:
        return None


def is_admin(store: Store, phone: str | None) -> bool:
    """Whether the number is one of the store's admin numbers."""
    if not phone:
        return False
    return phone in {_sender(number) for number in (store.admin_whatsapp or [])}


def short_help(ctx: Context, *, unknown: str | None = None) -> str:
    lines = []
    if unknown is not None:
        shown = f" !{unknown}" if _NAME.match(unknown) else ""
        lines.append(ctx.t("unknown", name=shown))
    lines.append(", ".join(f"!{name}" for name, spec in COMMANDS.items() if not spec.admin))
    lines.append(ctx.t("help_hint"))
    return "\n".join(lines)


# --- the commands -------------------------------------------------------------------------

def cmd_help(ctx: Context) -> list[str]:
    lines = [ctx.t("help_title", store=_store_name(ctx.store)), ""]
    admin = is_admin(ctx.store, ctx.phone)
    for spec in COMMANDS.values():
        if spec.admin and not admin:
            continue
        lines.append(f"*{spec.usage[ctx.locale]}*\n{spec.summary[ctx.locale]}")
    return ["\n".join(lines)]


def cmd_catalog(ctx: Context) -> list[str]:
    products = list(db.session.scalars(
        select(Product).where(Product.store_id == ctx.store.id, Product.is_active.is_(True))
        .order_by(Product.category, Product.name, Product.id).limit(CATALOG_LIMIT + 1)))
    text = format_catalog(ctx.store, products[:CATALOG_LIMIT], locale=ctx.locale)
    if len(products) > CATALOG_LIMIT:
        text += "\n\n" + ctx.t("catalog_more", limit=CATALOG_LIMIT)
    return [text + "\n\n" + ctx.t("many_hint")]


def cmd_price(ctx: Context) -> list[str]:
    if not ctx.command.rest:
        raise BadArguments
    query = " ".join(ctx.command.rest.split())[:MAX_QUERY]
    active = select(Product).where(Product.store_id == ctx.store.id,
                                   Product.is_active.is_(True))
    exact = db.session.scalars(
        active.where(func.upper(Product.code) == query.upper())).first()
    if exact is not None:
        return [format_product(exact, locale=ctx.locale)]
    pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
        "_", "\\_") + "%"
    found = list(db.session.scalars(active.where(or_(
        func.lower(Product.name).like(pattern, escape="\\"),
        func.lower(Product.code).like(pattern, escape="\\"),
    )).order_by(Product.name, Product.id).limit(PRICE_MATCHES + 1)))
    shown_query = _quoted(query)
    if not found:
        return [ctx.t("no_product", query=shown_query)]
    if len(found) == 1:
        return [format_product(found[0], locale=ctx.locale)]
    lines = [ctx.t("many_products", query=shown_query)]
    lines += [format_product_line(p, locale=ctx.locale) for p in found[:PRICE_MATCHES]]
    lines += ["", ctx.t("many_hint")]
    return ["\n".join(lines)]


def cmd_order_status(ctx: Context) -> list[str]:
    number = _order_number_argument(ctx)
    order = own_order(ctx, number)
    if order is None:
        return [ctx.t("not_found", number=number)]
    return [format_order(order, locale=ctx.locale)]


def cmd_my_orders(ctx: Context) -> list[str]:
    if ctx.command.args:
        raise BadArguments
    orders = []
    if ctx.customer is not None:
        orders = list(db.session.scalars(
            select(Order).where(Order.store_id == ctx.store.id,
                                Order.customer_id == ctx.customer.id)
            .order_by(Order.created_at.desc(), Order.number.desc()).limit(MY_ORDERS_LIMIT)))
    if not orders:
        return [ctx.t("no_orders", store=_store_name(ctx.store))]
    lines = [ctx.t("my_orders", count=len(orders)), ""]
    lines += [format_order_line(order, locale=ctx.locale) for order in orders]
    lines += ["", ctx.t("status_hint")]
    return ["\n".join(lines)]


def cmd_cancel(ctx: Context) -> list[str]:
    number = _order_number_argument(ctx, more_allowed=True)
    reason = plain(ctx.command.rest.split(" ", 1)[1], limit=MAX_REASON) \
        if len(ctx.command.args) > 1 else ""
    order = own_order(ctx, number)
    if order is None:
        return [ctx.t("not_found", number=number)]
    if not order.can_cancel():
        return [ctx.t("cannot_cancel", number=order.number,
                      status=status_label(order.status, ctx.locale))]
    note = ctx.t("cancel_note") + (f": {reason}" if reason else "")
    try:
        transition(order, OrderStatus.CANCELLED, actor=ctx.actor, note=note)
    except StaleChange:
        return [ctx.t("stale", number=order.number)]
    return [ctx.t("cancelled", number=order.number)
            + "\n\n" + format_order(order, locale=ctx.locale)]


def own_order(ctx: Context, number: str) -> Order | None:
    """The sender's own order of this number in the store; None for an unknown number and
    for anyone else's order alike."""
    if ctx.customer is None:
        return None
    return db.session.scalars(select(Order).where(
        Order.store_id == ctx.store.id, Order.number == number,
        Order.customer_id == ctx.customer.id)).first()


def _order_number_argument(ctx: Context, *, more_allowed: bool = False) -> str:
    args = ctx.command.args
    if not args or (len(args) > 1 and not more_allowed):
        raise BadArguments
    number = args[0].lstrip("#").upper()
    if not _ORDER_NUMBER.match(number):
        raise InvalidInput(ctx.t("bad_number"), fields={"number": ctx.t("bad_number")})
    return number


def _store_name(store: Store) -> str:
    return plain(store.name, limit=120)


def _quoted(query: str) -> str:
    return plain(query, limit=MAX_QUERY).replace('"', "'")


COMMANDS: dict[str, Spec] = {
    "katalog": Spec(cmd_catalog,
                    usage={"id": "!katalog", "en": "!katalog"},
                    summary={"id": "Lihat semua produk dan harganya.",
                             "en": "See every product and its price."}),
    "harga": Spec(cmd_price,
                  usage={"id": "!harga [produk]", "en": "!harga [product]"},
                  summary={"id": "Harga dan detail satu produk (kode atau nama).",
                           "en": "Price and details of one product (code or name)."}),
    "order-status": Spec(cmd_order_status,
                         usage={"id": "!order-status [nomor]", "en": "!order-status [number]"},
                         summary={"id": "Status dan detail pesanan Anda.",
                                  "en": "Status and details of your order."}),
    "my-orders": Spec(cmd_my_orders,
                      usage={"id": "!my-orders", "en": "!my-orders"},
                      summary={"id": f"{MY_ORDERS_LIMIT} pesanan terakhir Anda.",
                               "en": f"Your last {MY_ORDERS_LIMIT} orders."}),
    "batal": Spec(cmd_cancel,
                  usage={"id": "!batal [nomor] [alasan]", "en": "!batal [number] [reason]"},
                  summary={"id": "Batalkan pesanan Anda selama statusnya masih boleh.",
                           "en": "Cancel your order while its status allows it."}),
    "bantuan": Spec(cmd_help,
                    usage={"id": "!bantuan", "en": "!bantuan"},
                    summary={"id": "Daftar perintah ini.", "en": "This list of commands."}),
}

#: Other words people send for the same commands.
ALIASES = {
    "help": "bantuan", "catalog": "katalog", "price": "harga", "cancel": "batal",
    "orderstatus": "order-status", "myorders": "my-orders", "status": "order-status",
}
