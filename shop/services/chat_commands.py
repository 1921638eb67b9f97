"""WhatsApp `!commands` (seed 001): the dispatch of a message to its command, and the
replies of the commands everyone may send, on top of the operations of shop/services (issue
13); parsing and the handler's context are in chat_base. No rules of its own: the order
machine decides what may be cancelled, chat_format writes the replies.

`handle_message` is an operation: it flushes (a cancel), the caller (the webhook, a job)
commits and sends the replies. A customer is the store's customer of the sender's phone;
they only ever see their own orders: someone else's order number gets the very answer an
unknown number gets.

Commands are rows of COMMANDS (name -> Spec): the ones here, `!order` (chat_order) and the
admin commands (chat_admin, `admin=True`: only the store's admin numbers may use them; anyone
else is told so and nothing runs).
"""

from __future__ import annotations

from sqlalchemy import select

from ..errors import InvalidInput, StaleChange
from ..extensions import db
from ..models import Order, OrderStatus, Product, Store
from .chat_admin import ADMIN_ALIASES, ADMIN_COMMANDS
from .chat_base import (
    COMMAND_NAME,
    MAX_QUERY,
    MAX_REASON,
    BadArguments,
    Command,  # noqa: F401 - callers parse with chat_commands' names
    Context,
    Spec,
    is_admin,
    order_number_argument,
    parse_command,
    product_choice,
    sender_phone,
    store_name,
)
from .chat_format import (
    chat_locale,
    format_catalog,
    format_order,
    format_order_line,
    format_product,
    plain,
    split_message,
    status_label,
)
from .chat_order import ORDER_SPEC
from .orders import transition

MY_ORDERS_LIMIT = 10
CATALOG_LIMIT = 100


def handle_message(store: Store, phone: str | None, text: str | None, *,
                   locale: str = "id", sender_name: str | None = None) -> list[str]:
    """The replies to one incoming message of `phone` to the store: none for text that is no
    command, a short help for an unknown command or bad arguments. Flushes, never commits."""
    command = parse_command(text)
    if not command.name:
        return []
    ctx = Context(store=store, phone=sender_phone(phone), locale=chat_locale(locale),
                  command=command, sender_name=sender_name)
    name = ALIASES.get(command.name, command.name)
    spec = COMMANDS.get(name)
    if spec is None:
        return [short_help(ctx, unknown=command.name)]
    if spec.admin and not is_admin(store, ctx.phone):
        return [ctx.t("admin_only", name=name) + "\n" + short_help(ctx)]
    try:
        replies = spec.handler(ctx)
    except BadArguments:
        replies = [ctx.t("usage", usage=spec.usage[ctx.locale]) + "\n" + ctx.t("help_hint")]
    except InvalidInput as error:
        replies = [error.message + "\n" + ctx.t("usage", usage=spec.usage[ctx.locale])]
    return [part for reply in replies for part in split_message(reply)]


def short_help(ctx: Context, *, unknown: str | None = None) -> str:
    lines = []
    if unknown is not None:
        shown = f" !{unknown}" if COMMAND_NAME.match(unknown) else ""
        lines.append(ctx.t("unknown", name=shown))
    lines.append(", ".join(f"!{name}" for name, spec in COMMANDS.items() if not spec.admin))
    lines.append(ctx.t("help_hint"))
    return "\n".join(lines)


# --- the commands -------------------------------------------------------------------------

def cmd_help(ctx: Context) -> list[str]:
    lines = [ctx.t("help_title", store=store_name(ctx.store)), ""]
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
    choice = product_choice(ctx, " ".join(ctx.command.rest.split())[:MAX_QUERY])
    return choice if isinstance(choice, list) else [format_product(choice, locale=ctx.locale)]


def cmd_order_status(ctx: Context) -> list[str]:
    number = order_number_argument(ctx)
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
        return [ctx.t("no_orders", store=store_name(ctx.store))]
    lines = [ctx.t("my_orders", count=len(orders)), ""]
    lines += [format_order_line(order, locale=ctx.locale) for order in orders]
    lines += ["", ctx.t("status_hint")]
    return ["\n".join(lines)]


def cmd_cancel(ctx: Context) -> list[str]:
    number = order_number_argument(ctx, more_allowed=True)
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


COMMANDS: dict[str, Spec] = {
    "katalog": Spec(cmd_catalog,
                    usage={"id": "!katalog", "en": "!katalog"},
                    summary={"id": "Lihat semua produk dan harganya.",
                             "en": "See every product and its price."}),
    "harga": Spec(cmd_price,
                  usage={"id": "!harga [produk]", "en": "!harga [product]"},
                  summary={"id": "Harga dan detail satu produk (kode atau nama).",
                           "en": "Price and details of one product (code or name)."}),
    "order": ORDER_SPEC,
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
    **ADMIN_COMMANDS,
}

#: Other words people send for the same commands.
ALIASES = {
    "help": "bantuan", "catalog": "katalog", "price": "harga", "cancel": "batal",
    "orderstatus": "order-status", "myorders": "my-orders", "status": "order-status",
    "pesan": "order", **ADMIN_ALIASES,
}
