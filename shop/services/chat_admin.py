"""WhatsApp commands of the store's admin numbers (seed 001): list, read, search and move
the store's orders, and its figures. Only `is_admin` numbers reach them (handle_message);
they see every order of their store and no other store's, and read customers' phone numbers
masked. Status changes go through the admin's status change (order_status) with the actor
"whatsapp:<phone>", so the order machine decides and the customer is told as from the back
office; a refusal or a bad argument is a short reply and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, or_, select

from .. import clock
from ..errors import InvalidInput, StaleChange, TransitionRefused
from ..extensions import db
from ..models import Money, Order, OrderItem, OrderStatus, PaymentStatus
from .access import Scope
from .chat_base import (
    MAX_QUERY,
    BadArguments,
    Context,
    Spec,
    order_number_argument,
    store_name,
)
from .chat_format import format_history, format_order, format_order_line, plain, status_label
from .dashboard import NOT_SOLD, StoreChoice, dashboard_figures
from .money import format_rupiah
from .order_search import search_condition
from .order_status import change_status, complete_order

LIST_LIMIT = 10
MAX_LIST = 50
MIN_QUERY = 2
TOP_PRODUCTS = 10
#: Words an admin may write for a status besides its name (PENDING, pending).
STATUS_WORDS = {
    "menunggu": OrderStatus.PENDING, "dikonfirmasi": OrderStatus.CONFIRMED,
    "diproses": OrderStatus.PROCESSING, "dikirim": OrderStatus.SHIPPED,
    "diterima": OrderStatus.DELIVERED, "selesai": OrderStatus.COMPLETED,
    "batal": OrderStatus.CANCELLED, "dibatalkan": OrderStatus.CANCELLED,
    "ditolak": OrderStatus.REJECTED, "refund": OrderStatus.REFUNDED,
}
EVERY_STATUS = ("semua", "all")
#: The reference of `!order-complete` left empty.
NO_REFERENCE = "-"

TEXTS = {
    "id": {
        "list": "*Pesanan{what} ({shown} dari {total}, terbaru dulu)*",
        "pending": "*Pesanan menunggu konfirmasi ({shown} dari {total})*",
        "none": "Tidak ada pesanan{what}.",
        "found": "*Hasil cari \"{query}\" ({shown} terbaru)*",
        "not_found": "Tidak ada pesanan yang cocok dengan \"{query}\".",
        "short_query": "Kata pencarian minimal {n} huruf.",
        "bad_status": "Status \"{word}\" tidak dikenal. Pilih: {names}.",
        "bad_limit": "Jumlah harus 1 sampai {n}.",
        "detail_hint": "Ketik *!order-detail [nomor]* untuk detail.",
        "moved": "✅ Pesanan {number} sekarang *{status}*.",
        "refused": "Pesanan {number} berstatus {status}: tidak bisa menjadi {target}. "
                   "Yang bisa: {allowed}.",
        "final": "tidak ada (status akhir)",
        "stale": "Pesanan {number} baru saja diubah. Cek *!order-detail {number}* lalu "
                 "coba lagi.",
        "stats": "*Statistik pesanan {store}*",
        "total": "Total pesanan: {n}",
        "revenue": "Pendapatan (selesai & lunas): {amount}",
        "average": "Rata-rata per pesanan: {amount}",
        "today": "Hari ini: {n} pesanan, pendapatan {amount}",
        "month": "Bulan ini: {n} pesanan, pendapatan {amount}",
        "by_status": "*Per status:*", "by_product": "*Per produk:*",
        "product": "• {name}: {n} pesanan, {amount}",
        "dash": "-",
    },
    "en": {
        "list": "*Orders{what} ({shown} of {total}, newest first)*",
        "pending": "*Orders awaiting confirmation ({shown} of {total})*",
        "none": "No orders{what}.",
        "found": "*Search \"{query}\" ({shown} newest)*",
        "not_found": "No order matches \"{query}\".",
        "short_query": "Search with at least {n} characters.",
        "bad_status": "Unknown status \"{word}\". Choose: {names}.",
        "bad_limit": "The number must be 1 to {n}.",
        "detail_hint": "Send *!order-detail [number]* for the details.",
        "moved": "✅ Order {number} is now *{status}*.",
        "refused": "Order {number} is {status}: it cannot become {target}. "
                   "Possible: {allowed}.",
        "final": "none (final status)",
        "stale": "Order {number} was changed just now. Check *!order-detail {number}* and "
                 "try again.",
        "stats": "*Order statistics of {store}*",
        "total": "Orders: {n}",
        "revenue": "Revenue (completed and paid): {amount}",
        "average": "Average order value: {amount}",
        "today": "Today: {n} orders, revenue {amount}",
        "month": "This month: {n} orders, revenue {amount}",
        "by_status": "*By status:*", "by_product": "*By product:*",
        "product": "• {name}: {n} orders, {amount}",
        "dash": "-",
    },
}


def _t(ctx: Context, key: str, **values) -> str:
    return TEXTS[ctx.locale][key].format(**values)


def parse_status(ctx: Context, word: str) -> OrderStatus | None:
    """The status an admin names (PENDING, pending, menunggu); None for every status.
    Raises InvalidInput."""
    lowered = word.lower()
    if lowered in EVERY_STATUS:
        return None
    if lowered.upper() in OrderStatus.__members__:
        return OrderStatus(lowered.upper())
    if lowered in STATUS_WORDS:
        return STATUS_WORDS[lowered]
    names = ", ".join(s.value.lower() for s in OrderStatus)
    message = _t(ctx, "bad_status", word=plain(word, limit=30), names=names)
    raise InvalidInput(message, fields={"status": message})


def store_order(ctx: Context, number: str) -> Order | None:
    """The store's order of this number (any customer's; never another store's)."""
    return db.session.scalars(select(Order).where(
        Order.store_id == ctx.store.id, Order.number == number)).first()


def _orders(ctx: Context, *conditions, limit: int) -> tuple[list[Order], int]:
    """The store's newest orders meeting the conditions, and how many there are."""
    where = (Order.store_id == ctx.store.id, *conditions)
    rows = list(db.session.scalars(select(Order).where(*where).order_by(
        Order.created_at.desc(), Order.number.desc()).limit(limit)))
    total = db.session.scalar(select(func.count()).select_from(Order).where(*where))
    return rows, total


def _listing(ctx: Context, title: str, orders: list[Order]) -> list[str]:
    lines = [title, ""]
    lines += [format_order_line(order, locale=ctx.locale, admin=True) for order in orders]
    lines += ["", _t(ctx, "detail_hint")]
    return ["\n".join(lines)]


# --- reading ------------------------------------------------------------------------------

def cmd_orders(ctx: Context) -> list[str]:
    args = list(ctx.command.args)
    if len(args) > 2 or (len(args) == 2 and not args[1].isdigit()):
        raise BadArguments
    limit = _limit(ctx, args.pop()) if args and args[-1].isdigit() else LIST_LIMIT
    status = parse_status(ctx, args[0]) if args else None
    conditions = [Order.status == status] if status else []
    orders, total = _orders(ctx, *conditions, limit=limit)
    what = f" {status_label(status, ctx.locale)}" if status else ""
    if not orders:
        return [_t(ctx, "none", what=what.lower())]
    return _listing(ctx, _t(ctx, "list", what=what, shown=len(orders), total=total), orders)


def _limit(ctx: Context, text: str) -> int:
    """How many orders to list: 1 to MAX_LIST. Raises InvalidInput."""
    value = int(text) if text.isascii() and len(text) <= 4 else 0
    if not 1 <= value <= MAX_LIST:
        message = _t(ctx, "bad_limit", n=MAX_LIST)
        raise InvalidInput(message, fields={"limit": message})
    return value


def cmd_pending(ctx: Context) -> list[str]:
    if ctx.command.args:
        raise BadArguments
    orders, total = _orders(ctx, Order.status == OrderStatus.PENDING, limit=LIST_LIMIT)
    if not orders:
        return [_t(ctx, "none", what=" " + status_label(OrderStatus.PENDING, ctx.locale).lower())]
    return _listing(ctx, _t(ctx, "pending", shown=len(orders), total=total), orders)


def cmd_detail(ctx: Context) -> list[str]:
    number = order_number_argument(ctx)
    order = store_order(ctx, number)
    if order is None:
        return [ctx.t("not_found", number=number)]
    return [format_order(order, locale=ctx.locale, admin=True) + "\n\n"
            + format_history(order, locale=ctx.locale)]


def cmd_search(ctx: Context) -> list[str]:
    query = ctx.command.rest[:MAX_QUERY]
    if not query:
        raise BadArguments
    if len(query) < MIN_QUERY:
        return [_t(ctx, "short_query", n=MIN_QUERY)]
    orders, _total = _orders(ctx, search_conditions(ctx, query), limit=LIST_LIMIT)
    shown = plain(query, limit=MAX_QUERY).replace('"', "'")
    if not orders:
        return [_t(ctx, "not_found", query=shown)]
    return _listing(ctx, _t(ctx, "found", query=shown, shown=len(orders)), orders)


def search_conditions(ctx: Context, query: str):
    """Orders a search text means: a status by its name, else the order number, the
    customer's name or phone (order_search) or a product's code or name on its lines."""
    try:
        status = parse_status(ctx, query)
    except InvalidInput:  # no status word: search the text
        status = None
    if status is not None:
        return Order.status == status
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    products = select(OrderItem.order_id).where(or_(
        OrderItem.code.ilike(pattern, escape="\\"), OrderItem.name.ilike(pattern, escape="\\")))
    scope = Scope(frozenset({ctx.store.id}), False, ctx.actor)
    return or_(search_condition(query, scope), Order.id.in_(products))


# --- changing -----------------------------------------------------------------------------

def _move(ctx: Context, target: OrderStatus, change) -> list[str]:
    """Find the order named first, make the change, answer with its new status; a refusal
    or a stale order is the reply and nothing changes."""
    number = order_number_argument(ctx, more_allowed=True)
    order = store_order(ctx, number)
    if order is None:
        return [ctx.t("not_found", number=number)]
    before = order.status
    try:
        with db.session.begin_nested():
            change(order)
    except TransitionRefused as error:
        allowed = ", ".join(status_label(s, ctx.locale) for s in error.details.get(
            "allowed", [])) or _t(ctx, "final")
        return [_t(ctx, "refused", number=number, status=status_label(before, ctx.locale),
                   target=status_label(target, ctx.locale), allowed=allowed)]
    except StaleChange:
        return [_t(ctx, "stale", number=number)]
    return [_t(ctx, "moved", number=number, status=status_label(order.status, ctx.locale))
            + "\n" + format_order_line(order, locale=ctx.locale, admin=True)]


def _note(ctx: Context, skip: int) -> str | None:
    """The words after the first `skip` arguments (a note, a reason), flattened."""
    return plain(" ".join(ctx.command.args[skip:]), limit=500) or None


def _status_command(target: OrderStatus):
    def command(ctx: Context) -> list[str]:
        return _move(ctx, target, lambda order: change_status(
            order, target, actor=ctx.actor, note=_note(ctx, 1)))
    return command


def cmd_complete(ctx: Context) -> list[str]:
    if len(ctx.command.args) < 2:
        raise BadArguments
    reference = ctx.command.args[1]
    return _move(ctx, OrderStatus.COMPLETED, lambda order: complete_order(
        order, reference=None if reference == NO_REFERENCE else reference,
        actor=ctx.actor, note=_note(ctx, 2)))


# --- figures ------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderStats:
    """A store's orders ever placed, by status, and the revenue of COMPLETED and PAID ones."""

    total: int
    by_status: dict[OrderStatus, int]
    revenue: Decimal
    paid_orders: int

    @property
    def average(self) -> Decimal | None:
        return (self.revenue / self.paid_orders).quantize(Decimal("0.01")) \
            if self.paid_orders else None


def order_stats(store_id: int) -> OrderStats:
    """Every order of the store, by status, with the revenue as the dashboard counts it
    (COMPLETED and PAID): one statement on the (store_id, status) index."""
    paid = (Order.status == OrderStatus.COMPLETED) & (Order.payment_status == PaymentStatus.PAID)
    rows = db.session.execute(
        select(Order.status, func.count().label("n"),
               func.coalesce(func.sum(case((paid, 1), else_=0)), 0).label("paid"),
               func.coalesce(func.sum(case((paid, Order.total), else_=0)), 0)
               .cast(Money).label("revenue"))
        .where(Order.store_id == store_id).group_by(Order.status)).all()
    return OrderStats(total=sum(row.n for row in rows),
                      by_status={row.status: row.n for row in rows},
                      revenue=sum((Decimal(row.revenue) for row in rows), Decimal("0")),
                      paid_orders=sum(int(row.paid) for row in rows))


def product_stats(store_id: int) -> list[tuple[str, int, Decimal]]:
    """Per product (the lines' snapshot): orders not cancelled, rejected or refunded, and
    their line value, most ordered first."""
    rows = db.session.execute(
        select(func.max(OrderItem.name).label("name"),
               func.count(func.distinct(OrderItem.order_id)).label("orders"),
               func.sum(OrderItem.subtotal).cast(Money).label("value"))
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.store_id == store_id, Order.status.not_in([s.value for s in NOT_SOLD]))
        .group_by(OrderItem.code)
        .order_by(func.count(func.distinct(OrderItem.order_id)).desc(), OrderItem.code)
        .limit(TOP_PRODUCTS)).all()
    return [(row.name, row.orders, Decimal(row.value or 0)) for row in rows]


def cmd_stats(ctx: Context) -> list[str]:
    if ctx.command.args:
        raise BadArguments
    store = ctx.store
    stats = order_stats(store.id)
    figures = dashboard_figures(Scope(frozenset({store.id}), False, ctx.actor),
                                [StoreChoice(store.id, store.name, store.timezone)],
                                now=clock.now())
    average = format_rupiah(stats.average) if stats.average is not None else _t(ctx, "dash")
    lines = [_t(ctx, "stats", store=store_name(store)), "",
             _t(ctx, "total", n=stats.total),
             _t(ctx, "revenue", amount=format_rupiah(stats.revenue)),
             _t(ctx, "average", amount=average),
             _t(ctx, "today", n=figures.today_figures.orders,
                amount=format_rupiah(figures.today_figures.revenue)),
             _t(ctx, "month", n=figures.month.orders, amount=format_rupiah(figures.month.revenue)),
             "", _t(ctx, "by_status")]
    lines += [f"• {status_label(s, ctx.locale)}: {stats.by_status[s]}"
              for s in OrderStatus if stats.by_status.get(s)]
    lines += ["", _t(ctx, "by_product")]
    lines += [_t(ctx, "product", name=plain(name, limit=60), n=n, amount=format_rupiah(value))
              for name, n, value in product_stats(store.id)]
    return ["\n".join(lines)]


def _spec(handler, usage_id: str, usage_en: str, summary_id: str, summary_en: str) -> Spec:
    return Spec(handler, usage={"id": usage_id, "en": usage_en},
                summary={"id": summary_id, "en": summary_en}, admin=True)


ADMIN_COMMANDS: dict[str, Spec] = {
    "orders": _spec(cmd_orders, "!orders [status] [jumlah]", "!orders [status] [count]",
                    f"Pesanan toko, terbaru dulu ({LIST_LIMIT}, maks. {MAX_LIST}).",
                    f"The store's orders, newest first ({LIST_LIMIT}, at most {MAX_LIST})."),
    "order-detail": _spec(cmd_detail, "!order-detail [nomor]", "!order-detail [number]",
                          "Detail pesanan dengan riwayat statusnya.",
                          "An order in full with its status history."),
    "order-confirm": _spec(_status_command(OrderStatus.CONFIRMED),
                           "!order-confirm [nomor] [catatan]", "!order-confirm [number] [note]",
                           "Konfirmasi pesanan (pelanggan diberi tahu).",
                           "Confirm an order (the customer is told)."),
    "order-process": _spec(_status_command(OrderStatus.PROCESSING),
                           "!order-process [nomor] [catatan]", "!order-process [number] [note]",
                           "Tandai pesanan sedang diproses.", "Mark an order as being processed."),
    "order-complete": _spec(cmd_complete, "!order-complete [nomor] [referensi] [catatan]",
                            "!order-complete [number] [reference] [note]",
                            "Selesaikan pesanan dengan referensi (mis. ID server; - bila tidak "
                            "ada).", "Complete an order with its reference (e.g. the server "
                            "id; - for none)."),
    "order-cancel": _spec(_status_command(OrderStatus.CANCELLED),
                          "!order-cancel [nomor] [alasan]", "!order-cancel [number] [reason]",
                          "Batalkan pesanan dengan alasan.", "Cancel an order, with a reason."),
    "order-stats": _spec(cmd_stats, "!order-stats", "!order-stats",
                         "Statistik pesanan: total, pendapatan, per status dan produk.",
                         "Order figures: totals, revenue, by status and product."),
    "order-search": _spec(cmd_search, "!order-search [kata]", "!order-search [text]",
                          "Cari pesanan: nomor, nomor HP, nama, produk atau status.",
                          "Find orders by number, phone, name, product or status."),
    "pending-orders": _spec(cmd_pending, "!pending-orders", "!pending-orders",
                            "Pesanan yang menunggu konfirmasi.", "Orders awaiting confirmation."),
}

ADMIN_ALIASES = {
    "orderdetail": "order-detail", "detail": "order-detail", "confirm": "order-confirm",
    "process": "order-process", "complete": "order-complete", "stats": "order-stats",
    "search": "order-search", "pending": "pending-orders", "pendingorders": "pending-orders",
}
