"""Checkout: the buyer and the order are written in one transaction (seeds 000, 004).

One operation places every order, whoever buys and through whichever channel: the buyer is a
customer of the store found (or created) by phone, or a dealer shop signed in to the B2B
portal; what differs per channel (payment methods, messages) is in order_channels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from flask_babel import force_locale
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from ..errors import IdempotencyKeyReused, InvalidInput, NotAllowed, ShopError
from ..extensions import db
from ..models import (
    Billing,
    Channel,
    Customer,
    DealerPrice,
    EventKind,
    Order,
    OrderItem,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Product,
    Shop,
    Store,
    new_order_id,
    utcnow,
)
from ..template_i18n import gettext as _
from .addresses import AddressParts, clean_address_parts
from .customers import CustomerSummary, clean_email, clean_name, upsert_checkout_customer
from .dealer_prices import dealer_unit_price
from .inventory import out_of_stock, reserve_stock
from .labels import payment_method_label
from .money import Line, Totals, compute_totals
from .notifications import Message, deliver_order_after_commit, outbox_rows, render_confirmation
from .numbering import assign_order_number, early_order_number
from .order_channels import CHANNEL_RULES, BuyerKind, ChannelRules
from .order_rows import insert_order_rows
from .payments import PaymentInstructions, order_payment_instructions, payment_instructions
from .phones import normalize_phone
from .shipping_fees import ShippingQuote, quote_shipping
from .sql import AnyOf
from .transfer_codes import (
    assign_unique_code,
    code_of,
    unique_code_statements,
    uses_unique_code,
)
from .validation import (
    clean_cart,
    clean_courier,
    clean_payment_method,
    clean_text,
    run_checks,
)

KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{8,64}")
#: A line of a MONTHLY product counts months: 1 to 12 (seed 001's server packages).
MAX_MONTHS = 12

PRICE_QUERY = AnyOf(select(
    Product.id, Product.code, Product.name, Product.price, Product.stock, Product.is_active,
    Product.billing,
).where(Product.store_id == bindparam("store_id")), Product.code, "codes", typed=True)
#: A dealer's prices: the shop's own price where it has one, and the stock the legacy ERP
#: can sell (as last synced), which a dealer may not order beyond.
DEALER_PRICE_QUERY = AnyOf(select(
    Product.id, Product.code, Product.name, Product.price, Product.stock, Product.is_active,
    Product.billing, Product.legacy_stock, DealerPrice.price.label("own_price"),
).outerjoin(DealerPrice, (DealerPrice.product_id == Product.id)
            & (DealerPrice.shop_id == bindparam("shop_id"))
).where(Product.store_id == bindparam("store_id")), Product.code, "codes", typed=True)


@dataclass
class CheckoutRequest:
    """What a shopper submits, from a form, JSON, a chat command or an admin."""

    name: str | None
    phone: str | None
    address: str | None
    items: list[tuple[str, object]]
    email: str | None = None
    courier: str | None = None
    payment_method: str | None = None
    notes: str | None = None
    idempotency_key: str | None = None
    channel: Channel = Channel.STOREFRONT
    actor: str = "customer"
    #: The language the shopper ordered in ("id" or "en"): their messages use it.
    locale: str = "id"
    #: When the order was placed, for imports and demo data only; None means now.
    placed_at: datetime | None = None
    #: The dealer shop that buys (channel b2b): name, phone and address are the shop's.
    shop: Shop | None = None
    #: The address's parts after the street line (`address`); optional on every channel,
    #: the storefront's form asks for them.
    district: str | None = None
    city: str | None = None
    province: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class CleanCheckout:
    """A checkout request after validation, before any database work."""

    name: str
    phone: str
    address: str
    email: str | None
    courier: str | None
    payment_method: str | None
    notes: str | None
    cart: dict[str, int]
    idempotency_key: str | None
    parts: AddressParts = AddressParts()
    #: The courier's fee for this cart, set once the cart is priced.
    shipping: ShippingQuote = ShippingQuote()

    @property
    def address_line(self) -> str | None:
        """The whole address on one line, as messages show it."""
        from .addresses import address_line

        p = self.parts
        return address_line(self.address, p.district, p.city, p.province,
                            p.postal_code) or None


@dataclass
class PlacedOrder:
    """The order a checkout created (or found again, for a repeated idempotency key)."""

    id: str
    number: str
    status: OrderStatus
    payment_status: PaymentStatus
    totals: Totals
    lines: list[Line]
    customer: CustomerSummary | None
    tracking_url: str
    #: The confirmation's values (what its outbox row keeps), for confirmation_text.
    message_data: dict = field(default_factory=dict)
    locale: str = "id"
    payment_method: str | None = None
    created: bool = True
    #: The dealer shop that bought (channel b2b; `customer` is then None).
    shop_id: int | None = None
    #: The courier's fee is still to be set by an admin ("ongkir dikonfirmasi admin").
    shipping_pending: bool = False
    #: The store's unique transfer code added to the total (services/transfer_codes.py).
    unique_code: int | None = None
    #: How to pay it (None: nothing to pay now, or no method the store can take).
    payment: PaymentInstructions | None = None

    @property
    def amount_due(self) -> Decimal:
        """What the customer pays: the total plus the unique code."""
        return self.totals.total + (self.unique_code or 0)

    @cached_property
    def confirmation_text(self) -> str:
        """The customer's confirmation as it is sent (rendered only when asked for)."""
        with force_locale(self.locale):
            payment = self.payment.text() if self.payment is not None else None
        return render_confirmation(self.message_data, number=self.number, order_id=self.id,
                                   locale=self.locale, payment_instructions=payment)


def clean_checkout(store: Store, req: CheckoutRequest) -> CleanCheckout:
    """Validate every field of a checkout without touching the database. Raises InvalidInput
    (or NotAllowed for a dealer shop that may not buy from this store)."""
    rules = CHANNEL_RULES[req.channel]
    checks = {
        **_buyer_checks(store, req, rules),
        "payment_method": lambda: clean_payment_method(
            req.payment_method or rules.default_payment_method(store),
            [m for m in rules.payment_methods if m != PaymentMethod.QRIS
             or getattr(store, "qris_payload", None)]),
        "notes": lambda: clean_text(req.notes, field="notes", label=_("Catatan")),
        "cart": lambda: clean_cart(req.items),
        "idempotency_key": lambda: clean_idempotency_key(req.idempotency_key),
    }
    return CleanCheckout(**run_checks(
        checks, summary=lambda: _("Periksa kembali isian yang ditandai.")))


def _buyer_checks(store: Store, req: CheckoutRequest, rules: ChannelRules) -> dict:
    """The checks of who buys: a customer's name, phone, address (where the channel needs
    one), email and courier, or a dealer shop's own details (what the request says of them
    is not used)."""
    if rules.buyer == BuyerKind.CUSTOMER:
        if req.shop is not None:
            raise ValueError(f"channel {req.channel} sells to customers, not dealer shops")
        return {
            "name": lambda: clean_name(req.name),
            "phone": lambda: normalize_phone(req.phone),
            "address": lambda: clean_text(req.address, field="address", label=_("Alamat"),
                                          required=rules.address_required),
            "email": lambda: clean_email(req.email),
            "courier": lambda: clean_courier(store, req.courier),
            "parts": lambda: clean_address_parts(req.district, req.city, req.province,
                                                 req.postal_code),
        }
    shop = req.shop
    if shop is None:
        raise ValueError(f"channel {req.channel} needs the dealer shop that buys")
    if shop.store_id != store.id or not shop.is_active:
        raise NotAllowed(_("Toko ini tidak dapat memesan dari distributor ini."))
    address = ", ".join(part for part in (shop.address, shop.city, shop.province) if part)
    return {"name": lambda: shop.name, "phone": lambda: shop.phone,
            "address": lambda: address, "email": lambda: None, "courier": lambda: None,
            "parts": AddressParts}


def clean_idempotency_key(raw) -> str | None:
    """8-64 characters of [A-Za-z0-9_.:-], or None. Raises InvalidInput."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or not KEY_PATTERN.fullmatch(raw):
        raise InvalidInput(
            _("idempotency_key tidak valid."),
            fields={"idempotency_key": _("8-64 huruf, angka atau _ . : -")},
        )
    return raw


def price_cart(store: Store, cart: dict[str, int], shop: Shop | None = None) -> list[Line]:
    """Lines priced from the database in one query, at the dealer shop's prices when a shop
    buys. Raises InvalidInput or OutOfStock."""
    params = {"store_id": store.id, "codes": list(cart)}
    if shop is not None:
        params["shop_id"] = shop.id
    rows = (PRICE_QUERY if shop is None else DEALER_PRICE_QUERY).all(params)
    found = {row.code: row for row in rows}
    unknown = [code for code in cart if code not in found]
    if unknown:
        raise InvalidInput(
            _("Produk tidak ditemukan di toko ini: %(codes)s.", codes=", ".join(unknown)),
            fields={"items": _("Produk tidak ditemukan: %(codes)s", codes=", ".join(unknown))},
        )
    inactive = [found[c].name for c in cart if not found[c].is_active]
    if inactive:
        raise InvalidInput(
            _("Produk tidak lagi dijual: %(names)s.", names=", ".join(inactive)),
            fields={"items": _("Tidak lagi dijual: %(names)s", names=", ".join(inactive))},
        )
    check_months([(found[c].name, found[c].billing, q) for c, q in cart.items()])
    short = [found[c].name for c, q in cart.items() if found[c].stock is not None
             and found[c].stock < q]
    if shop is not None:  # what the legacy ERP can sell, as last synced
        short += [found[c].name for c, q in cart.items() if found[c].legacy_stock is not None
                  and found[c].legacy_stock < q and found[c].name not in short]
    if short:
        raise out_of_stock(short)
    return [
        Line(code=c, name=found[c].name, qty=q, product_id=found[c].id,
             unit_price=found[c].price if shop is None else dealer_unit_price(
                 found[c].price, shop.discount_percent, found[c].own_price),
             tracks_stock=found[c].stock is not None)
        for c, q in cart.items()
    ]


def check_months(lines: list[tuple[str, Billing, int]]) -> None:
    """A MONTHLY product's quantity is its months, 1 to MAX_MONTHS, whichever channel sells
    it. Raises InvalidInput (`max_months` and the `products` in its details)."""
    wrong = [name for name, billing, qty in lines
             if billing == Billing.MONTHLY and not 1 <= qty <= MAX_MONTHS]
    if wrong:
        raise InvalidInput(
            _("Durasi %(names)s harus 1 sampai %(max)s bulan.", names=", ".join(wrong),
              max=MAX_MONTHS),
            fields={"items": _("Durasi 1 sampai %(max)s bulan: %(names)s", max=MAX_MONTHS,
                               names=", ".join(wrong))},
            max_months=MAX_MONTHS, products=wrong,
        )


def place_order(store: Store, req: CheckoutRequest, *, base_url: str) -> PlacedOrder:
    """Create (or find) the customer and create the PENDING order with its items, event and
    outbox rows, all in the caller's transaction. Raises InvalidInput, OutOfStock,
    CustomerBlocked or IdempotencyKeyReused.

    A repeated idempotency key returns the first order instead of creating a second one,
    also when the cart was emptied by the first success (Back, then submit again). On any
    error the caller rolls back (the request boundary does), so nothing of it stays.
    """
    key = clean_idempotency_key(req.idempotency_key)
    try:
        data = clean_checkout(store, req)
        lines = price_cart(store, data.cart, req.shop)
        data, totals = _with_shipping(store, data, lines)
        if not key:
            return _write_order(store, req, data, lines, totals, base_url=base_url)
        with db.session.begin_nested():
            return _write_order(store, req, data, lines, totals, base_url=base_url)
    except (ShopError, IntegrityError):
        # The key's order is looked up only when this checkout cannot be a new one: the
        # order's row is refused by the key's unique index (the first request, or a
        # parallel one, committed it), or the checkout is refused (its cart was emptied by
        # the first success, or sold out since). The first order is then the answer.
        existing = find_order_by_key(store, key) if key else None
        if existing is None:
            raise
        return replay_order(store, existing, req, base_url=base_url)


def _with_shipping(store: Store, data: CleanCheckout,
                   lines: list[Line]) -> tuple[CleanCheckout, Totals]:
    """The courier's fee for the priced cart (free from the store's threshold, or to be
    confirmed by an admin) and the totals with it."""
    totals = compute_totals(lines)
    quote = quote_shipping(store, data.courier, totals.subtotal - totals.discount)
    if quote.fee:
        totals = compute_totals(lines, shipping_fee=quote.fee)
    return replace(data, shipping=quote), totals


def _write_order(
    store: Store, req: CheckoutRequest, data: CleanCheckout, lines: list[Line], totals: Totals,
    *, base_url: str,
) -> PlacedOrder:
    """The writes of a checkout. Rows nobody else touches come first; the rows every
    checkout wants (stock of popular products, the day's counter) are taken last, right
    before the commit, so their locks are held for the fewest round trips."""
    now = req.placed_at or utcnow()
    order_id = new_order_id()
    number = early_order_number(store, req.channel, now)
    locale = req.locale if req.locale in ("id", "en") else "id"
    messages = CHANNEL_RULES[req.channel].messages(
        store, data, lines, totals, order_id=order_id, base_url=base_url, locale=locale)
    customer = None if req.shop is not None else upsert_checkout_customer(
        store, name=data.name, phone=data.phone, address=data.address, parts=data.parts,
        email=data.email, now=now)
    # Until the counter is taken at the very end, the order carries its own id as number:
    # unique, and never shown (the transaction commits with the real one or not at all).
    rows = _order_rows(store, req, data, lines, totals, order_id=order_id,
                       number=number or order_id, customer_id=customer and customer.id,
                       now=now, outbox=messages.outbox, locale=locale)
    insert_order_rows(*rows)
    deliver_order_after_commit(order_id)
    # The rows every checkout contends for (stock of popular products, then the day's
    # counter) come last, so their locks are held for the fewest round trips.
    wanted = [(ln.product_id, ln.qty, ln.name) for ln in lines if ln.tracks_stock]
    # Last of all: the store's lock of unique codes is held until the commit that follows.
    coded = uses_unique_code(store, data.payment_method)
    if number is None:  # PostgreSQL: the stock, the number and the code in one round trip
        number, after = assign_order_number(
            store, req.channel, now, order_id=order_id, reserve=wanted,
            then=unique_code_statements(store, order_id, now=now, total=totals.total)
            if coded else None)
        unique_code = code_of(after) if coded else None
    else:
        reserve_stock(wanted, order_id=order_id)
        unique_code = assign_unique_code(store, order_id, now=now, total=totals.total) \
            if coded else None
    payment = payment_instructions(
        store, number=number, total=totals.total, unique_code=unique_code,
        payment_method=data.payment_method, payment_status=PaymentStatus.PENDING,
        status=OrderStatus.PENDING, shipping_pending=data.shipping.pending)
    return PlacedOrder(
        id=order_id, number=number, status=OrderStatus.PENDING,
        payment_status=PaymentStatus.PENDING, totals=totals, lines=lines, customer=customer,
        tracking_url=f"{base_url}/track/{order_id}", message_data=messages.confirmation,
        locale=locale, payment_method=data.payment_method, shop_id=req.shop and req.shop.id,
        shipping_pending=data.shipping.pending, unique_code=unique_code, payment=payment,
    )


def _order_rows(store: Store, req: CheckoutRequest, data: CleanCheckout, lines: list[Line],
                totals: Totals, *, order_id: str, number: str, customer_id: int | None, now,
                outbox: list[Message], locale: str) -> tuple[dict, list[dict], dict, list[dict]]:
    """The new order's rows: the order, its items, its created event, its outbox messages."""
    order = {
        "id": order_id, "store_id": store.id, "number": number, "channel": req.channel.value,
        "customer_id": customer_id, "shop_id": req.shop and req.shop.id,
        "subtotal": totals.subtotal, "discount": totals.discount,
        "shipping_fee": totals.shipping_fee, "total": totals.total,
        "status": OrderStatus.PENDING.value, "payment_status": PaymentStatus.PENDING.value,
        "payment_method": data.payment_method, "courier": data.courier,
        "recipient_name": data.name, "recipient_phone": data.phone,
        "shipping_address": data.address, "shipping_district": data.parts.district,
        "shipping_city": data.parts.city, "shipping_province": data.parts.province,
        "shipping_postal_code": data.parts.postal_code,
        "shipping_fee_pending": data.shipping.pending, "notes": data.notes, "admin_notes": None,
        "idempotency_key": data.idempotency_key, "locale": locale, "stats_applied": False,
        "created_at": now, "updated_at": now,
    }
    items = [
        {"order_id": order_id, "product_id": ln.product_id, "code": ln.code, "name": ln.name,
         "unit_price": ln.unit_price, "qty": ln.qty, "discount": ln.discount,
         "subtotal": ln.subtotal, "reserved_qty": ln.qty if ln.tracks_stock else 0}
        for ln in lines
    ]
    event = {
        "order_id": order_id, "kind": EventKind.CREATED.value, "from_status": None,
        "to_status": OrderStatus.PENDING.value, "actor": req.actor, "data": None,
        "note": f"Pesanan dibuat dari {req.channel.value}", "created_at": now,
    }
    return order, items, event, outbox_rows(outbox, store_id=store.id, order_id=order_id, now=now)


def find_order_by_key(store: Store, key: str) -> Order | None:
    """The store's order created with this idempotency key, if any."""
    return db.session.execute(
        select(Order).where(Order.store_id == store.id, Order.idempotency_key == key)
    ).scalar_one_or_none()


def _same_checkout(order: Order, items: list[OrderItem], req: CheckoutRequest) -> bool:
    """Whether a repeated key comes from the same buyer with the same cart (or none)."""
    try:
        cart = clean_cart(req.items) if req.items else None
        if req.shop is not None:
            same_buyer = req.shop.id == order.shop_id
        else:
            same_buyer = (order.shop_id is None
                          and normalize_phone(req.phone) == order.recipient_phone)
    except InvalidInput:
        return False
    return same_buyer and cart in (None, {i.code: i.qty for i in items})


def replay_order(store: Store, order: Order, req: CheckoutRequest, *, base_url: str) -> PlacedOrder:
    """The first order of a repeated checkout. Raises IdempotencyKeyReused if the key was reused for
    another phone or another cart (an empty cart is a resubmit after the first success)."""
    items = db.session.execute(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
    ).scalars().all()
    if not _same_checkout(order, items, req):
        raise IdempotencyKeyReused(
            _("idempotency_key sudah dipakai untuk pesanan lain."),
            fields={"idempotency_key": _("Sudah dipakai untuk pesanan lain.")},
        )
    customer = db.session.get(Customer, order.customer_id) if order.customer_id else None
    lines = [
        Line(code=i.code, name=i.name, unit_price=i.unit_price, qty=i.qty, discount=i.discount,
             product_id=i.product_id)
        for i in items
    ]
    tracking_url = f"{base_url}/track/{order.id}"
    totals = Totals(order.subtotal, order.discount, order.shipping_fee, order.total)
    store_name = store.name
    confirmation = {} if order.shop_id else {
        "store_name": store_name,
        "items": [{"qty": ln.qty, "name": ln.name, "subtotal": ln.subtotal} for ln in lines],
        "subtotal": order.subtotal, "discount": order.discount,
        "shipping_fee": order.shipping_fee, "total": order.total,
        "customer_name": order.recipient_name, "customer_phone": order.recipient_phone,
        "address": order.address_line or None, "courier": order.courier,
        "shipping_pending": order.shipping_fee_pending,
        "payment_method": payment_method_label(order.payment_method, store)
        if order.payment_method else None,
        "notes": order.notes, "base_url": base_url,
    }
    return PlacedOrder(
        id=order.id, number=order.number, status=order.status,
        payment_status=order.payment_status, totals=totals, lines=lines,
        customer=CustomerSummary(customer.id, customer.name, customer.phone,
                                 customer.total_orders, customer.public_id) if customer else None,
        tracking_url=tracking_url, message_data=confirmation, locale=order.locale,
        payment_method=order.payment_method, created=False, shop_id=order.shop_id,
        shipping_pending=order.shipping_fee_pending, unique_code=order.unique_code,
        payment=order_payment_instructions(store, order),
    )
