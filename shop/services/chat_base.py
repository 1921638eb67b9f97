"""What every WhatsApp `!command` module builds on (seed 001): the parsed command, the
handler's context (store, sender, language, the sender's customer), the command table's row,
the shared texts, and the lookups several commands share (a product as a customer names it,
an order number as typed, whether the sender is one of the store's admins).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from ..errors import InvalidInput
from ..extensions import db
from ..models import Customer, Product, Store
from .chat_format import format_product_line, plain
from .customers import find_customer_by_phone
from .phones import normalize_phone

#: `!Order-Status ORD-1`, `! katalog`: the command word after the "!".
_COMMAND = re.compile(r"^\s*[!！]\s*(\S+)(.*)$", re.DOTALL)
COMMAND_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
#: An order number as a customer types it: letters, digits and dashes (ORD-20240127-001).
_ORDER_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
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
        "admin_only": "Perintah !{name} hanya untuk admin toko.",
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
        "admin_only": "The command !{name} is for the store's admins only.",
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



def sender_phone(phone: str | None) -> str | None:
    try:
        return normalize_phone(phone, mobile=False)  # the number the message came from
    except InvalidInput:
        return None


def is_admin(store: Store, phone: str | None) -> bool:
    """Whether the number is one of the store's admin numbers."""
    if not phone:
        return False
    return phone in {sender_phone(number) for number in (store.admin_whatsapp or [])}


def find_products(store: Store, query: str) -> list[Product]:
    """The store's active products a customer means by `query`: the one whose code it is (in
    any case), else up to PRICE_MATCHES + 1 whose name or code contains it."""
    active = select(Product).where(Product.store_id == store.id, Product.is_active.is_(True))
    exact = db.session.scalars(
        active.where(func.upper(Product.code) == query.upper())).first()
    if exact is not None:
        return [exact]
    pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
        "_", "\\_") + "%"
    return list(db.session.scalars(active.where(or_(
        func.lower(Product.name).like(pattern, escape="\\"),
        func.lower(Product.code).like(pattern, escape="\\"),
    )).order_by(Product.name, Product.id).limit(PRICE_MATCHES + 1)))


def product_choice(ctx: Context, query: str) -> Product | list[str]:
    """The one product `query` means, or the replies saying there is none or several."""
    found = find_products(ctx.store, query)
    if len(found) == 1:
        return found[0]
    shown_query = _quoted(query)
    if not found:
        return [ctx.t("no_product", query=shown_query)]
    lines = [ctx.t("many_products", query=shown_query)]
    lines += [format_product_line(p, locale=ctx.locale) for p in found[:PRICE_MATCHES]]
    lines += ["", ctx.t("many_hint")]
    return ["\n".join(lines)]


def order_number_argument(ctx: Context, *, more_allowed: bool = False) -> str:
    args = ctx.command.args
    if not args or (len(args) > 1 and not more_allowed):
        raise BadArguments
    number = args[0].lstrip("#").upper()
    if not _ORDER_NUMBER.match(number):
        raise InvalidInput(ctx.t("bad_number"), fields={"number": ctx.t("bad_number")})
    return number


def store_name(store: Store) -> str:
    return plain(store.name, limit=120)


def _quoted(query: str) -> str:
    return plain(query, limit=MAX_QUERY).replace('"', "'")
