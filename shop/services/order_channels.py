"""What each channel's orders take and send: who buys (a Customer of the store, found by
phone, or a dealer Shop), which payment methods are offered, whether a shipping address is
needed, and which messages a new order queues. The checkout writes every order the same way;
only these rules differ."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..models import Channel, NotificationChannel, PaymentMethod, Store
from .labels import STOREFRONT_PAYMENT_METHODS, payment_method_label
from .money import Line, Totals
from .notifications import Message, email_enabled

if TYPE_CHECKING:
    from .checkout import CleanCheckout


class BuyerKind(enum.StrEnum):
    #: A customer of the store, found (or created) by phone number: the B2C channels.
    CUSTOMER = "customer"
    #: A dealer shop, signed in to the B2B portal.
    SHOP = "shop"


@dataclass(frozen=True)
class NewOrderMessages:
    """The outbox messages of a new order, and the customer's confirmation values (what
    PlacedOrder.confirmation_text renders; empty when the channel sends none)."""

    outbox: list[Message]
    confirmation: dict


@dataclass(frozen=True)
class ChannelRules:
    buyer: BuyerKind
    #: The methods a shopper may choose; empty: the channel asks for none (B2B is invoiced
    #: through the legacy ERP).
    payment_methods: tuple[PaymentMethod, ...]
    messages: Callable[..., NewOrderMessages]
    #: False: an order may come without a shipping address (a WhatsApp `!order`: the chat
    #: has none to give, the store asks in the chat when it ships something).
    address_required: bool = True
    #: The method of an order that names none, from the store (None: the order has none).
    default_payment_method: Callable[[Store], PaymentMethod | None] = lambda _store: None


def store_admins(store: Store) -> list[str]:
    """The numbers that get the store's new-order alerts, each once."""
    return [phone for phone in dict.fromkeys([*(store.admin_whatsapp or []), store.whatsapp])
            if phone]


def chat_payment_method(store: Store) -> PaymentMethod | None:
    """A chat order asks for no method: transfer to the store's bank account, else its
    e-wallet, else none (the store tells the customer in the chat)."""
    if store.bank_accounts:
        return PaymentMethod.BANK_TRANSFER
    if store.e_wallets:
        return PaymentMethod.E_WALLET
    return None


def customer_order_messages(store: Store, data: CleanCheckout, lines: list[Line],
                            totals: Totals, *, order_id: str, base_url: str,
                            locale: str) -> NewOrderMessages:
    """B2C: the customer's confirmation (seed 000; by email too when given) and the
    store's new-order alert to its admins."""
    confirmation, alert = order_messages(store, data, lines, totals, base_url=base_url)
    outbox = [Message(data.phone, "order_confirmation", confirmation, locale=locale),
              *(Message(phone, "new_order_admin", alert) for phone in store_admins(store))]
    if data.email and email_enabled():
        outbox.append(Message(data.email, "order_confirmation", confirmation, locale=locale,
                              channel=NotificationChannel.EMAIL))
    return NewOrderMessages(outbox, confirmation)


def dealer_order_messages(store: Store, data: CleanCheckout, lines: list[Line],
                          totals: Totals, *, order_id: str, base_url: str,
                          locale: str) -> NewOrderMessages:
    """B2B: the admins are told a dealer ordered (seed 004, "Order Created"); the shop
    hears back when the order is approved or rejected."""
    alert = {"store_name": store.name, "shop_name": data.name, "total": totals.total,
             "item_count": sum(ln.qty for ln in lines), "base_url": base_url,
             "admin_path": f"/admin/order/details/?id={order_id}"}
    return NewOrderMessages(
        [Message(phone, "b2b_order_created", alert) for phone in store_admins(store)], {})


def order_messages(store: Store, data: CleanCheckout, lines: list[Line], totals: Totals, *,
                   base_url: str) -> tuple[dict, dict]:
    """The values of the customer's confirmation (seed 000) and of the store's new-order
    alert; the number, the id and the links are added when they are sent."""
    confirmation = {
        "store_name": store.name,
        "items": [{"qty": ln.qty, "name": ln.name, "subtotal": ln.subtotal} for ln in lines],
        "subtotal": totals.subtotal, "discount": totals.discount,
        "shipping_fee": totals.shipping_fee, "total": totals.total,
        "customer_name": data.name, "customer_phone": data.phone, "address": data.address_line,
        "courier": data.courier, "shipping_pending": data.shipping.pending,
        "payment_method": payment_method_label(data.payment_method, store)
        if data.payment_method else None,
        "notes": data.notes, "base_url": base_url,
    }
    alert = {
        "store_name": store.name, "customer_name": data.name, "customer_phone": data.phone,
        "total": totals.total, "item_count": sum(ln.qty for ln in lines), "base_url": base_url,
    }
    return confirmation, alert


B2C = ChannelRules(BuyerKind.CUSTOMER, STOREFRONT_PAYMENT_METHODS, customer_order_messages)
#: A WhatsApp `!order` (seed 001): the customer by the sender's phone, no address asked for
#: (server packages ship nothing), paid as chat_payment_method says.
CHAT = ChannelRules(BuyerKind.CUSTOMER, STOREFRONT_PAYMENT_METHODS, customer_order_messages,
                    address_required=False, default_payment_method=chat_payment_method)
B2B = ChannelRules(BuyerKind.SHOP, (), dealer_order_messages)
CHANNEL_RULES: dict[Channel, ChannelRules] = {
    Channel.STOREFRONT: B2C, Channel.ADMIN: B2C, Channel.WHATSAPP: CHAT, Channel.BOT: B2C,
    Channel.B2B: B2B,
}
