"""Admin edits of an order (seed 000, "Fitur Edit & Update"): totals always recomputed."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import InvalidInput, StaleChange
from ..extensions import db
from ..models import (
    Customer,
    EventKind,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    Product,
    Store,
    utcnow,
)
from .addresses import clean_postal_code, clean_province
from .customers import get_store_customer
from .inventory import lock_products, out_of_stock, release_stock, reserve_stock
from .money import Line, compute_totals, money_json, to_money
from .orders import tell_customer
from .phones import normalize_phone
from .validation import clean_cart, clean_courier, clean_payment_method, clean_text

IMMUTABLE = {"id", "number", "store", "store_id", "created_at", "channel"}
EDITABLE = {
    "items", "discount", "shipping_fee", "shipping_address", "courier", "payment_method",
    "notes", "admin_notes", "customer_id", "recipient_name", "recipient_phone",
    "confirm_shipping_fee", "shipping_district", "shipping_city", "shipping_province",
    "shipping_postal_code",
}
#: Statuses in which items and money may still change.
OPEN_STATUSES = (OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PROCESSING)


def edit_order(order: Order, changes: dict, *, actor: str) -> Order:
    """Apply an admin's edit, recompute totals and record what changed.
    Raises InvalidInput, NotFound, OutOfStock or StaleChange."""
    refused = sorted(set(changes) & IMMUTABLE)
    if refused:
        raise InvalidInput(
            "Tidak bisa diubah: " + ", ".join(refused) + ".",
            fields={name: "Tidak bisa diubah." for name in refused},
        )
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise InvalidInput("Kolom tidak dikenal: " + ", ".join(unknown) + ".")
    _check_status_unchanged(order)
    items = db.session.execute(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
    ).scalars().all()
    discount = to_money(changes.get("discount", order.discount), field="discount", label="Diskon")
    fee = to_money(changes.get("shipping_fee", order.shipping_fee), field="shipping_fee",
                   label="Ongkos kirim")
    # A form that posts every field may resend unchanged money after shipping: only a change
    # of items, discount or fee is refused there.
    money_changes = (discount != order.discount or fee != order.shipping_fee
                     or ("items" in changes and _items_differ(items, changes["items"])))
    if money_changes and order.status not in OPEN_STATUSES:
        raise InvalidInput(
            f"Item dan harga tidak bisa diubah lagi pada status {order.status.value}."
        )
    if order.is_final() and set(changes) - {"admin_notes"}:
        raise InvalidInput(f"Pesanan berstatus {order.status.value} tidak bisa diubah lagi.")
    diff: dict[str, list] = {}
    _edit_fields(order, changes, diff)
    if "items" in changes and money_changes:
        items = _edit_items(order, items, changes["items"], diff)
    totals = compute_totals(
        [Line(i.code, i.name, i.unit_price, i.qty, i.discount) for i in items], discount, fee
    )
    fee_set = order.shipping_fee_pending and (
        fee != order.shipping_fee or changes.get("confirm_shipping_fee") in (True, "y", "on", "1"))
    for name in ("subtotal", "discount", "shipping_fee", "total"):
        new = getattr(totals, name)
        if getattr(order, name) != new:
            diff[name] = [money_json(getattr(order, name)), money_json(new)]
            setattr(order, name, new)
    if fee_set:
        _confirm_shipping_fee(order, diff)
    if diff:
        order.updated_at = utcnow()
        db.session.add(OrderEvent(order_id=order.id, kind=EventKind.EDITED, actor=actor, data=diff,
                                  note="Pesanan diubah", created_at=utcnow()))
        db.session.flush()
    if "items" in changes:
        db.session.expire(order, ["items"])  # lines were added and deleted beside the collection
    return order


def _confirm_shipping_fee(order: Order, diff: dict) -> None:
    """The fee an admin was to confirm is set ("ongkir dikonfirmasi admin"): the customer is
    told the fee and the total to pay."""
    order.shipping_fee_pending = False
    diff["shipping_fee_pending"] = [True, False]
    if order.recipient_phone:
        tell_customer(order, "shipping_fee_set", {
            "order_number": order.number, "courier": order.courier or "",
            "shipping_fee": order.shipping_fee, "total": order.total})


def _items_differ(items: list[OrderItem], wanted) -> bool:
    """Whether the wanted lines ask for other codes, quantities or line discounts."""
    if not isinstance(wanted, list) or not all(isinstance(w, dict) for w in wanted):
        return True
    try:
        cart = clean_cart([(w.get("code"), w.get("qty")) for w in wanted])
    except InvalidInput:
        return True
    current = {i.code: (i.qty, i.discount) for i in items}
    for w in wanted:
        code = w.get("code", "").strip()
        discount = w.get("discount")
        if discount is not None and code in current and \
                to_money(discount, field="items", label="Diskon item") != current[code][1]:
            return True
    return cart != {code: qty for code, (qty, _) in current.items()}


def _check_status_unchanged(order: Order) -> None:
    """Lock the row and refuse when another request moved the order on meanwhile: what may be
    edited depends on the status. Raises StaleChange."""
    current = db.session.execute(
        select(Order.status).where(Order.id == order.id).with_for_update()
    ).scalar_one()
    if current != order.status:
        raise StaleChange("Pesanan baru saja diubah oleh orang lain. Muat ulang lalu coba lagi.")


def _edit_fields(order: Order, changes: dict, diff: dict) -> None:
    cleaners = {
        "shipping_address": lambda v: clean_text(v, field="shipping_address", label="Alamat",
                                                 required=True),
        "shipping_district": lambda v: clean_text(v, field="shipping_district",
                                                  label="Kecamatan", limit=100, multiline=False),
        "shipping_city": lambda v: clean_text(v, field="shipping_city", label="Kota/Kabupaten",
                                              limit=100, multiline=False),
        "shipping_province": clean_province,
        "shipping_postal_code": clean_postal_code,
        "courier": lambda v: clean_courier(db.session.get(Store, order.store_id), v),
        "payment_method": clean_payment_method,
        "notes": lambda v: clean_text(v, field="notes", label="Catatan"),
        "admin_notes": lambda v: clean_text(v, field="admin_notes", label="Catatan admin"),
        "recipient_name": lambda v: clean_text(v, field="recipient_name", label="Nama",
                                               required=True, limit=255, multiline=False),
        "recipient_phone": lambda v: normalize_phone(v, field="recipient_phone"),
    }
    for name, clean in cleaners.items():
        if name in changes:
            value = clean(changes[name])
            if value != getattr(order, name):
                diff[name] = [getattr(order, name), value]
                setattr(order, name, value)
    if "customer_id" not in changes:
        return
    try:
        customer_id = int(changes["customer_id"])
    except (TypeError, ValueError):
        raise InvalidInput("Pelanggan tidak valid.", fields={"customer_id": "Tidak valid."}) \
            from None
    if customer_id == order.customer_id:
        return
    new = get_store_customer(order.store_id, customer_id)
    if order.stats_applied:
        raise InvalidInput("Pesanan yang sudah dihitung ke pelanggan tidak bisa dipindah.")
    old = db.session.get(Customer, order.customer_id) if order.customer_id else None
    # Both customer rows locked in id order, so two edits swapping customers cannot deadlock.
    db.session.execute(select(Customer.id).where(
        Customer.id.in_(sorted({new.id, *([old.id] if old else [])})))
        .order_by(Customer.id).with_for_update(key_share=True)).all()
    if old is not None:
        _count_order(old, -1)
    _count_order(new, +1)
    diff["customer_id"] = [order.customer_id, new.id]
    order.customer_id = new.id
    # The order now belongs to someone else: messages go to them unless told otherwise.
    for field, value in (("recipient_name", new.name), ("recipient_phone", new.phone)):
        if field not in changes and getattr(order, field) != value:
            diff[field] = [getattr(order, field), value]
            setattr(order, field, value)


def _count_order(customer: Customer, step: int) -> None:
    """Move total_orders in the database, where checkouts count concurrently (never below 0)."""
    table = Customer.__table__
    stmt = update(table).where(table.c.id == customer.id)
    if step < 0:
        stmt = stmt.where(table.c.total_orders >= -step)
    count = db.session.execute(
        stmt.values(total_orders=table.c.total_orders + step).returning(table.c.total_orders)
    ).scalar_one_or_none()
    if count is not None:
        set_committed_value(customer, "total_orders", count)


def _edit_items(order: Order, items: list[OrderItem], wanted, diff: dict) -> list[OrderItem]:
    """Set the order's lines to `wanted` ([{code, qty, discount?}]), moving stock to match."""
    if not isinstance(wanted, list):
        raise InvalidInput("Item tidak valid.", fields={"items": "Harus berupa daftar."})
    pairs = [(w.get("code"), w.get("qty")) if isinstance(w, dict) else (None, None) for w in wanted]
    cart = clean_cart(pairs)
    discounts = {
        w["code"].strip(): to_money(w.get("discount", 0), field="items", label="Diskon item")
        for w in wanted if w.get("discount") is not None
    }
    current = {i.code: i for i in items}
    new_codes = [c for c in cart if c not in current]
    # Existing lines by their product id (the product's code may have changed since checkout);
    # fresh rows, since the stock check below must not read an older copy.
    found = db.session.execute(select(Product).where(
        Product.store_id == order.store_id,
        or_(Product.code.in_(new_codes),
            Product.id.in_([i.product_id for i in items if i.product_id is not None])),
    ).execution_options(populate_existing=True)).scalars().all()
    by_id = {p.id: p for p in found}
    products = {p.code: p for p in found if p.code in new_codes}
    missing = [c for c in new_codes if c not in products or not products[c].is_active]
    if missing:
        raise InvalidInput("Produk tidak tersedia: " + ", ".join(missing) + ".",
                           fields={"items": "Tidak tersedia: " + ", ".join(missing)})
    reserved = _reservations(current, cart, products, by_id)
    take, give = _stock_moves(current, reserved, products, by_id)
    short = [n for pid, qty, n in take if by_id[pid].stock < qty]
    if short:
        raise out_of_stock(short)
    # Lock every product this edit moves in one id-ordered statement first: taking and
    # giving back separately would lock out of order against a concurrent checkout.
    lock_products(sorted({pid for pid, _, _ in take} | {pid for pid, _ in give}))
    reserve_stock(take)
    release_stock(give)
    before = {c: i.qty for c, i in current.items()}
    result: list[OrderItem] = []
    for code, qty in cart.items():
        item = current.get(code) or OrderItem(
            order_id=order.id, product_id=products[code].id, code=code, name=products[code].name,
            unit_price=products[code].price, discount=Decimal("0"), qty=qty, subtotal=0)
        item.qty = qty
        item.reserved_qty = reserved[code]
        item.discount = discounts.get(code, item.discount or Decimal("0"))
        item.subtotal = Line(code, item.name, item.unit_price, qty, item.discount).subtotal
        db.session.add(item)
        result.append(item)
    for code, item in current.items():
        if code not in cart:
            db.session.delete(item)
    if before != cart:
        diff["items"] = [before, dict(cart)]
    return result


def _reservations(current, cart, products, by_id) -> dict[str, int]:
    """Units each wanted line should hold: a line keeps how it was sold (reserved or made to
    order); a new line reserves when its product tracks stock."""
    reserved = {}
    for code, qty in cart.items():
        line = current.get(code)
        if line is not None:
            product = by_id.get(line.product_id)
            tracked = product is not None and product.stock is not None
            reserved[code] = qty if tracked and line.reserved_qty > 0 else 0
        else:
            reserved[code] = qty if products[code].stock is not None else 0
    return reserved


def _stock_moves(current, reserved, products, by_id):
    """What stock to take and give back so the lines hold what they should."""
    take, give = [], []
    for code in [*reserved, *(c for c in current if c not in reserved)]:  # stable order
        line = current.get(code)
        product_id = line.product_id if line is not None else products[code].id
        delta = reserved.get(code, 0) - (line.reserved_qty if line is not None else 0)
        if delta > 0:
            take.append((product_id, delta, by_id[product_id].name))
        elif delta < 0 and product_id is not None:
            give.append((product_id, -delta))
    return take, give
