"""edit_order: what an admin may change after checkout (seed 000, "Fitur Edit & Update")."""

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from shop.errors import InvalidInput, NotFound, OutOfStock, StaleChange
from shop.extensions import db
from shop.models import Customer, Notification, Order, OrderEvent, OrderItem, Product
from shop.services.money import format_rupiah
from shop.services.order_edits import edit_order
from shop.services.orders import set_payment_status, transition
from shop.services.tracking import load_tracking
from tests.messages import text_of

ADMIN = "admin:siti@toko.test"
ROUTE = {
    "PENDING": [],
    "CONFIRMED": ["CONFIRMED"],
    "PROCESSING": ["PROCESSING"],
    "SHIPPED": ["PROCESSING", "SHIPPED"],
    "DELIVERED": ["PROCESSING", "SHIPPED", "DELIVERED"],
    "COMPLETED": ["PROCESSING", "COMPLETED"],
    "CANCELLED": ["CANCELLED"],
    "REJECTED": ["REJECTED"],
    "REFUNDED": ["PROCESSING", "COMPLETED", "REFUNDED"],
}
SEED_ITEMS = [("BRG-CHEESE", 2), ("FRIES", 1)]


@pytest.fixture
def store(make):
    store = make.store("burgerchina", name="Burger China")
    make.product(store, "BRG-CHEESE", "25000", name="Burger Cheese")
    make.product(store, "FRIES", "15000", name="French Fries")
    make.product(store, "COLA", "8000", name="Cola", stock=50)
    make.product(store, "NUGGET", "18000", name="Nugget", stock=5)
    return store


def order_at(make, store, status="PENDING", items=None, **fields) -> Order:
    """The seed's order (2 Burger Cheese + 1 French Fries = Rp 65.000), walked to `status`."""
    values = {"courier": "JNE Regular", "payment_method": "bank_transfer"}
    values.update(fields)
    placed = make.order(store, items or SEED_ITEMS, **values)
    order = db.session.get(Order, placed.id)
    for step in ROUTE[status]:
        transition(order, step, actor="admin:setup@toko.test")
    db.session.commit()
    return order


def edit(order, changes, actor=ADMIN) -> Order:
    """Edit like the admin's request does: the operation, then the commit."""
    edited = edit_order(order, changes, actor=actor)
    db.session.commit()
    return edited


def rows_of(model) -> int:
    return len(db.session.scalars(select(model)).all())


def items(*pairs) -> list[dict]:
    return [{"code": code, "qty": qty} for code, qty in pairs]


def money(order) -> tuple:
    row = db.session.execute(select(Order.subtotal, Order.discount, Order.shipping_fee,
                                    Order.total).where(Order.id == order.id)).one()
    return tuple(row)


def lines(order) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(OrderItem.code, OrderItem.qty, OrderItem.unit_price, OrderItem.subtotal)
        .where(OrderItem.order_id == order.id).order_by(OrderItem.id))]


def stock(code: str) -> int | None:
    """Stock as the database holds it (the session's copy of a product may be older)."""
    return db.session.scalar(select(Product.stock).where(Product.code == code))


def edits(order) -> list[OrderEvent]:
    return list(db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.kind == "edited").order_by(OrderEvent.id)))


def total_orders(customer_id: int) -> int:
    return db.session.scalar(select(Customer.total_orders).where(Customer.id == customer_id))


def snapshot(order) -> tuple:
    """Everything an edit may touch, as the database holds it."""
    row = db.session.execute(select(
        Order.customer_id, Order.status, Order.shipping_address, Order.courier,
        Order.payment_method, Order.notes, Order.admin_notes, Order.recipient_name,
    ).where(Order.id == order.id)).one()
    return (tuple(row), money(order), lines(order), stock("COLA"), stock("NUGGET"),
            len(edits(order)), total_orders(row.customer_id))


D = Decimal


# --- the seed's story and money --------------------------------------------------------------


def test_negotiated_discount_lowers_the_total_the_customer_sees(make, store):
    order = order_at(make, store)
    assert money(order) == (D("65000.00"), D("0.00"), D("0.00"), D("65000.00"))

    edit(order, {"discount": "10000"})  # "Mas, diskon dong 10k"

    assert money(order) == (D("65000.00"), D("10000.00"), D("0.00"), D("55000.00"))
    event = edits(order)[-1]
    assert (event.actor, event.from_status, event.to_status) == (ADMIN, None, None)
    assert event.data == {"discount": ["0.00", "10000.00"], "total": ["65000.00", "55000.00"]}
    assert format_rupiah(load_tracking(order.id).order.total) == "Rp 55.000"


def test_shipping_fee_is_added_to_the_total(make, store):
    order = order_at(make, store)
    edit(order, {"shipping_fee": "12000", "discount": "10000"})
    assert money(order) == (D("65000.00"), D("10000.00"), D("12000.00"), D("67000.00"))
    assert edits(order)[-1].data == {
        "discount": ["0.00", "10000.00"], "shipping_fee": ["0.00", "12000.00"],
        "total": ["65000.00", "67000.00"], "shipping_fee_pending": [True, False]}


def test_setting_the_fee_to_confirm_tells_the_customer_once(make, store):
    order = order_at(make, store)  # its courier has no rate: "ongkir dikonfirmasi admin"
    assert order.shipping_fee_pending is True
    before = rows_of(Notification)

    edit(order, {"shipping_fee": "15000"})
    edit(order, {"shipping_fee": "16000"})

    assert order.shipping_fee_pending is False
    told = db.session.scalars(select(Notification).where(
        Notification.template == "shipping_fee_set")).all()
    assert len(told) == 1 and rows_of(Notification) == before + 1
    assert told[0].recipient == order.recipient_phone
    assert "Ongkos kirim: Rp 15.000" in text_of(told[0])
    assert "Total yang harus dibayar: Rp 80.000" in text_of(told[0])


def test_a_free_fee_is_confirmed_with_the_confirm_box(make, store):
    order = order_at(make, store)

    edit(order, {"shipping_fee": "0"})
    assert order.shipping_fee_pending is True
    edit(order, {"shipping_fee": "0", "confirm_shipping_fee": "y"})

    assert order.shipping_fee_pending is False
    assert db.session.scalar(select(Notification.template).where(
        Notification.template == "shipping_fee_set")) == "shipping_fee_set"


def test_discount_of_the_whole_subtotal_leaves_only_the_shipping_fee(make, store):
    order = order_at(make, store)
    edit(order, {"discount": "65000", "shipping_fee": "9000"})
    assert money(order)[3] == D("9000.00")


@pytest.mark.parametrize("discount", ["65000.01", "100000"])
def test_discount_above_the_subtotal_is_refused(make, store, discount):
    order = order_at(make, store)
    before = snapshot(order)
    with pytest.raises(InvalidInput) as raised:
        edit_order(order, {"discount": discount, "notes": "Diskon besar"}, actor=ADMIN)
    db.session.rollback()
    assert "discount" in raised.value.fields
    assert snapshot(order) == before


def test_removing_items_below_the_agreed_discount_is_refused(make, store):
    order = order_at(make, store)
    edit(order, {"discount": "20000"})
    before = snapshot(order)
    with pytest.raises(InvalidInput) as raised:
        edit_order(order, {"items": items(("FRIES", 1))}, actor=ADMIN)
    db.session.rollback()
    assert "discount" in raised.value.fields
    assert snapshot(order) == before


@pytest.mark.parametrize(("field", "value"), [
    ("discount", "-1000"), ("discount", "sepuluh ribu"), ("discount", 10000.0),
    ("shipping_fee", "-5000"), ("shipping_fee", "ongkir"),
])
def test_bad_amounts_are_refused(make, store, field, value):
    order = order_at(make, store)
    before = snapshot(order)
    with pytest.raises(InvalidInput) as raised:
        edit_order(order, {field: value}, actor=ADMIN)
    db.session.rollback()
    assert field in raised.value.fields
    assert snapshot(order) == before


# --- items and stock ------------------------------------------------------------------------


def test_adding_a_product_adds_a_line_and_takes_its_stock(make, store):
    order = order_at(make, store)

    edit(order, {"items": items(("BRG-CHEESE", 2), ("FRIES", 1), ("NUGGET", 2))})

    assert lines(order) == [
        ("BRG-CHEESE", 2, D("25000.00"), D("50000.00")),
        ("FRIES", 1, D("15000.00"), D("15000.00")),
        ("NUGGET", 2, D("18000.00"), D("36000.00"))]
    assert money(order) == (D("101000.00"), D("0.00"), D("0.00"), D("101000.00"))
    assert stock("NUGGET") == 3
    assert edits(order)[-1].data == {
        "items": [{"BRG-CHEESE": 2, "FRIES": 1}, {"BRG-CHEESE": 2, "FRIES": 1, "NUGGET": 2}],
        "subtotal": ["65000.00", "101000.00"], "total": ["65000.00", "101000.00"]}


def test_changing_a_quantity_moves_stock_both_ways(make, store):
    order = order_at(make, store, items=[("COLA", 2)])
    assert stock("COLA") == 48
    edit(order, {"items": items(("COLA", 5))})
    assert stock("COLA") == 45 and lines(order) == [("COLA", 5, D("8000.00"), D("40000.00"))]
    edit(order, {"items": items(("COLA", 1))})
    assert stock("COLA") == 49 and money(order)[3] == D("8000.00")
    assert [e.data["items"] for e in edits(order)] == [[{"COLA": 2}, {"COLA": 5}],
                                                       [{"COLA": 5}, {"COLA": 1}]]


def test_removing_a_line_returns_its_stock(make, store):
    order = order_at(make, store, items=[("COLA", 3), ("FRIES", 1)])
    assert stock("COLA") == 47

    edit(order, {"items": items(("FRIES", 1))})

    assert lines(order) == [("FRIES", 1, D("15000.00"), D("15000.00"))]
    assert stock("COLA") == 50
    assert money(order)[3] == D("15000.00")


def test_replacing_every_line_moves_the_stock_of_each(make, store):
    order = order_at(make, store, items=[("COLA", 3), ("BRG-CHEESE", 1)])
    edit(order, {"items": items(("NUGGET", 5))})
    assert [line[:2] for line in lines(order)] == [("NUGGET", 5)]
    assert (stock("COLA"), stock("NUGGET")) == (50, 0)


def test_line_of_a_product_renamed_since_checkout_still_moves_its_stock(make, store):
    order = order_at(make, store, items=[("COLA", 3), ("FRIES", 1)])
    db.session.execute(update(Product.__table__).where(Product.code == "COLA")
                       .values(code="COLA-330"))
    db.session.commit()

    edit(order, {"items": items(("FRIES", 1))})

    assert stock("COLA-330") == 50


def test_made_to_order_products_keep_no_stock(make, store):
    order = order_at(make, store)
    edit(order, {"items": items(("BRG-CHEESE", 40), ("FRIES", 1))})
    assert (stock("BRG-CHEESE"), stock("FRIES")) == (None, None)
    assert money(order)[0] == D("1015000.00")


def test_existing_line_keeps_its_price_and_new_line_takes_todays(make, store):
    order = order_at(make, store)
    db.session.execute(update(Product.__table__).values(price=Product.price + 1000))
    db.session.commit()

    edit(order, {"items": items(("BRG-CHEESE", 3), ("FRIES", 1), ("COLA", 1))})

    assert lines(order) == [
        ("BRG-CHEESE", 3, D("25000.00"), D("75000.00")),
        ("FRIES", 1, D("15000.00"), D("15000.00")),
        ("COLA", 1, D("9000.00"), D("9000.00"))]


def test_line_discount_lowers_the_line_subtotal(make, store):
    order = order_at(make, store)
    edit(order, {"items": [{"code": "BRG-CHEESE", "qty": 2, "discount": "5000"},
                           {"code": "FRIES", "qty": 1}]})
    assert lines(order)[0] == ("BRG-CHEESE", 2, D("25000.00"), D("45000.00"))
    assert money(order) == (D("60000.00"), D("0.00"), D("0.00"), D("60000.00"))


def test_edited_order_shows_its_new_lines_right_away(make, store):
    order = order_at(make, store)
    assert [i.code for i in order.items] == ["BRG-CHEESE", "FRIES"]
    edit_order(order, {"items": items(("FRIES", 2), ("NUGGET", 1))}, actor=ADMIN)
    assert [(i.code, i.qty) for i in order.items] == [("FRIES", 2), ("NUGGET", 1)]


@pytest.mark.parametrize(("wanted", "more_than"), [
    (items(("BRG-CHEESE", 2), ("FRIES", 1), ("NUGGET", 6)), "Nugget"),
    (items(("COLA", 60)), "Cola"),
    (items(("COLA", 51), ("NUGGET", 9)), "Cola, Nugget"),
], ids=["new line", "more of a line", "two lines"])
def test_not_enough_stock_is_refused_and_changes_nothing(make, store, wanted, more_than):
    order = order_at(make, store, items=[("COLA", 2), ("FRIES", 1)])
    before = snapshot(order)

    with pytest.raises(OutOfStock) as raised:
        edit_order(order, {"items": wanted, "discount": "1000", "notes": "Tambah"}, actor=ADMIN)
    db.session.rollback()

    assert more_than in raised.value.message
    assert snapshot(order) == before


def test_the_last_units_can_be_added(make, store):
    order = order_at(make, store)
    edit(order, {"items": items(("BRG-CHEESE", 2), ("FRIES", 1), ("NUGGET", 5))})
    assert stock("NUGGET") == 0


@pytest.mark.parametrize("wanted", [
    items(("NOPE", 1)), items(("OLD", 1)), [], items(("FRIES", 0)), items(("FRIES", 1001)),
    "FRIES x2", [{"code": "FRIES"}], ["FRIES"],
], ids=["unknown product", "inactive product", "no lines", "zero", "too many", "text",
        "no quantity", "not a dict"])
def test_bad_items_are_refused_and_change_nothing(make, store, wanted):
    make.product(store, "OLD", "1000", name="Menu Lama", is_active=False)
    order = order_at(make, store)
    before = snapshot(order)
    with pytest.raises(InvalidInput) as raised:
        edit_order(order, {"items": wanted}, actor=ADMIN)
    db.session.rollback()
    assert "items" in raised.value.fields
    assert snapshot(order) == before


def test_product_of_another_store_cannot_be_added(make, store):
    other = make.store()
    make.product(other, "SECRET", "1000")
    order = order_at(make, store)
    with pytest.raises(InvalidInput, match="SECRET"):
        edit_order(order, {"items": items(("FRIES", 1), ("SECRET", 1))}, actor=ADMIN)


# --- shipping, payment and notes ---------------------------------------------------------------


@pytest.mark.parametrize(("field", "old", "new"), [
    ("shipping_address", "Jl. Sudirman 123", "Jl. Thamrin 5, Jakarta Pusat"),
    ("courier", "JNE Regular", "SiCepat REG"),
    ("payment_method", "bank_transfer", "cod"),
    ("notes", None, "Tanpa bawang ya"),
    ("admin_notes", None, "Pelanggan minta dikirim sore"),
    ("recipient_name", "Budi Santoso", "Ani Santoso"),
])
def test_text_fields_are_updated_and_recorded(make, store, field, old, new):
    order = order_at(make, store)
    edit(order, {field: f"  {new} "})
    assert getattr(order, field) == new
    assert db.session.scalar(select(getattr(Order, field)).where(Order.id == order.id)) == new
    assert edits(order)[-1].data == {field: [old, new]}
    assert money(order)[3] == D("65000.00")


def test_notes_can_be_cleared(make, store):
    order = order_at(make, store, notes="Pedas")
    edit(order, {"notes": ""})
    assert order.notes is None and edits(order)[-1].data == {"notes": ["Pedas", None]}


@pytest.mark.parametrize(("field", "value"), [
    ("shipping_address", ""), ("shipping_address", "   "), ("courier", "Kuda Express"),
    ("payment_method", "bitcoin"), ("recipient_name", ""), ("notes", 123),
    ("notes", "x" * 1001),
])
def test_bad_text_fields_are_refused(make, store, field, value):
    order = order_at(make, store)
    before = snapshot(order)
    with pytest.raises(InvalidInput) as raised:
        edit_order(order, {field: value}, actor=ADMIN)
    db.session.rollback()
    assert field in raised.value.fields
    assert snapshot(order) == before


def test_store_without_courier_list_takes_any_courier(make):
    store = make.store(couriers=[])
    make.product(store, "KAOS", "50000")
    order = order_at(make, store, items=[("KAOS", 1)], courier=None)
    edit(order, {"courier": "Ojek Pak Darto"})
    assert order.courier == "Ojek Pak Darto"


def test_edit_that_changes_nothing_records_nothing(make, store):
    order = order_at(make, store)
    edit(order, {"discount": "0", "shipping_address": "Jl. Sudirman 123",
                 "items": items(("BRG-CHEESE", 2), ("FRIES", 1))})
    assert edits(order) == []


# --- moving the order to another customer --------------------------------------------------------


def test_order_moves_to_another_customer_of_the_store(make, store):
    order = order_at(make, store)
    budi = order.customer_id
    ani = make.customer(store, phone="6282987654321", name="Ani").id

    edit(order, {"customer_id": ani})

    assert order.customer_id == ani
    assert (total_orders(budi), total_orders(ani)) == (0, 1)
    # Messages now go to the new customer.
    assert (order.recipient_name, order.recipient_phone) == ("Ani", "6282987654321")
    assert edits(order)[-1].data == {
        "customer_id": [budi, ani], "recipient_name": ["Budi Santoso", "Ani"],
        "recipient_phone": ["6281234567890", "6282987654321"]}


def test_moving_to_another_customer_keeps_a_recipient_given_in_the_same_edit(make, store):
    order = order_at(make, store)
    ani = make.customer(store, phone="6282987654321", name="Ani").id

    edit(order, {"customer_id": ani, "recipient_name": "Ibu Ani",
                 "recipient_phone": "0811-2222-3333"})

    assert (order.recipient_name, order.recipient_phone) == ("Ibu Ani", "6281122223333")


def test_unchanged_money_fields_resent_after_shipping_are_accepted(make, store):
    order = order_at(make, store, "SHIPPED")

    edit(order, {"items": items(*SEED_ITEMS), "discount": "0", "shipping_fee": "0",
                 "notes": "Titip satpam"})

    assert order.notes == "Titip satpam"
    with pytest.raises(InvalidInput):
        edit(order, {"discount": "1000"})


def test_moving_to_a_customer_who_ordered_meanwhile_counts_both_orders(make, store):
    ani = make.customer(store, phone="6282987654321", name="Ani")
    assert ani.total_orders == 0
    make.order(store, [("FRIES", 1)], phone="082987654321", name="Ani")  # counted by checkout
    order = order_at(make, store)

    edit(order, {"customer_id": ani.id})

    assert total_orders(ani.id) == 2


def test_choosing_the_same_customer_again_changes_nothing(make, store):
    order = order_at(make, store)
    edit(order, {"customer_id": str(order.customer_id)})
    assert total_orders(order.customer_id) == 1 and edits(order) == []


def test_customer_of_another_store_is_refused(make, store):
    other = make.store()
    stranger = make.customer(other, phone="6282987654321", name="Orang Lain")
    order = order_at(make, store)
    before = snapshot(order)
    with pytest.raises(NotFound):
        edit_order(order, {"customer_id": stranger.id}, actor=ADMIN)
    db.session.rollback()
    assert snapshot(order) == before and total_orders(stranger.id) == 0


@pytest.mark.parametrize("value", [None, "budi", 999999])
def test_unknown_customer_is_refused(make, store, value):
    order = order_at(make, store)
    with pytest.raises((InvalidInput, NotFound)):
        edit_order(order, {"customer_id": value}, actor=ADMIN)
    db.session.rollback()
    assert total_orders(order.customer_id) == 1


def test_order_already_counted_in_the_customers_spending_keeps_its_customer(make, store):
    order = order_at(make, store, "COMPLETED")
    set_payment_status(order, "PAID", actor=ADMIN)
    db.session.commit()
    ani = make.customer(store, phone="6282987654321", name="Ani")
    with pytest.raises(InvalidInput):
        edit_order(order, {"customer_id": ani.id}, actor=ADMIN)


# --- what can never be edited -------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [
    ("id", "cxxxxxxxxxxxxxxxxxxxxxxxxx"), ("number", "ORD-20990101-001"), ("store_id", 999),
    ("created_at", "2020-01-01T00:00:00+00:00"),
])
def test_immutable_fields_are_refused_by_name(make, store, field, value):
    order = order_at(make, store)
    before = snapshot(order), order.number, order.created_at
    with pytest.raises(InvalidInput) as raised:
        edit_order(order, {field: value, "notes": "coba"}, actor=ADMIN)
    db.session.rollback()
    assert field in raised.value.message and field in raised.value.fields
    assert (snapshot(order), order.number, order.created_at) == before


@pytest.mark.parametrize("field", ["status", "payment_status", "total", "subtotal",
                                   "stats_applied", "warna"])
def test_unknown_fields_are_refused_by_name(make, store, field):
    order = order_at(make, store)
    before = snapshot(order)
    with pytest.raises(InvalidInput) as raised:
        edit_order(order, {field: "1"}, actor=ADMIN)
    assert field in raised.value.message
    assert snapshot(order) == before


# --- how far along the order is -----------------------------------------------------------

MONEY_EDITS = [
    ("items", items(("BRG-CHEESE", 1), ("FRIES", 1))), ("discount", "5000"),
    ("shipping_fee", "10000"),
]


@pytest.mark.parametrize("status", ["PENDING", "CONFIRMED", "PROCESSING"])
@pytest.mark.parametrize(("field", "value"), MONEY_EDITS, ids=[m[0] for m in MONEY_EDITS])
def test_money_can_change_until_the_order_ships(make, store, status, field, value):
    order = order_at(make, store, status)
    edit(order, {field: value})
    assert money(order)[3] != D("65000.00") and field in edits(order)[-1].data


@pytest.mark.parametrize("status", ["SHIPPED", "DELIVERED", "COMPLETED", "CANCELLED",
                                    "REJECTED", "REFUNDED"])
@pytest.mark.parametrize(("field", "value"), MONEY_EDITS, ids=[m[0] for m in MONEY_EDITS])
def test_money_is_frozen_once_the_order_ships_or_ends(make, store, status, field, value):
    order = order_at(make, store, status)
    before = snapshot(order)
    with pytest.raises(InvalidInput) as raised:
        edit_order(order, {field: value}, actor=ADMIN)
    assert status in raised.value.message
    assert snapshot(order) == before


def test_shipped_order_still_takes_notes_and_address(make, store):
    order = order_at(make, store, "SHIPPED")
    edit(order, {"notes": "Titip di satpam", "shipping_address": "Jl. Thamrin 5"})
    assert (order.notes, order.shipping_address) == ("Titip di satpam", "Jl. Thamrin 5")


@pytest.mark.parametrize("status", ["CANCELLED", "REJECTED", "REFUNDED"])
def test_final_order_takes_only_admin_notes(make, store, status):
    order = order_at(make, store, status)
    with pytest.raises(InvalidInput):
        edit_order(order, {"notes": "Telat"}, actor=ADMIN)
    edit(order, {"admin_notes": "Pelanggan membatalkan lewat WA"})
    assert order.admin_notes == "Pelanggan membatalkan lewat WA"


def test_order_shipped_by_someone_else_meanwhile_keeps_its_money(make, store):
    order = order_at(make, store, "PROCESSING")
    # Another admin shipped it after this admin opened the edit form.
    db.session.execute(update(Order.__table__).where(Order.id == order.id)
                       .values(status="SHIPPED"))
    db.session.commit()
    assert order.status == "PROCESSING"
    before = snapshot(order)

    with pytest.raises(StaleChange):
        edit_order(order, {"discount": "10000"}, actor=ADMIN)
    db.session.rollback()

    assert snapshot(order) == before
