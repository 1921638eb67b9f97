"""transition and set_payment_status: one status machine for every channel (DESIGN.md)."""

import pytest
from sqlalchemy import delete, func, select, update

from shop.errors import StaleChange, TransitionRefused
from shop.extensions import db
from shop.models import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    Notification,
    Order,
    OrderEvent,
    OrderStatus,
    Product,
)
from shop.services.labels import ORDER_STATUS_LABELS
from shop.services.orders import set_payment_status, transition

from ..messages import text_of

#: DESIGN.md's status machine written out again, so a change to the model is noticed here.
ALLOWED = {
    "PENDING": ["CONFIRMED", "PROCESSING", "CANCELLED", "REJECTED"],
    "CONFIRMED": ["PROCESSING", "CANCELLED"],
    "PROCESSING": ["SHIPPED", "COMPLETED", "CANCELLED"],
    "SHIPPED": ["DELIVERED", "COMPLETED"],
    "DELIVERED": ["COMPLETED"],
    "COMPLETED": ["REFUNDED"],
    "CANCELLED": [],
    "REJECTED": [],
    "REFUNDED": [],
}
#: How an order gets from PENDING to each status.
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
EDGES = [(a, b) for a, targets in ALLOWED.items() for b in targets]
NON_EDGES = [(a, b) for a in ALLOWED for b in ALLOWED if b not in ALLOWED[a]]
FINAL = ["CANCELLED", "REJECTED", "REFUNDED"]

PAYMENT_ALLOWED = {
    "PENDING": ["AWAITING_CONFIRMATION", "PAID", "FAILED"],
    "AWAITING_CONFIRMATION": ["PAID", "PENDING"],
    "PAID": ["REFUNDED"],
    "FAILED": [],
    "REFUNDED": [],
}
PAYMENT_ROUTE = {
    "PENDING": [],
    "AWAITING_CONFIRMATION": ["AWAITING_CONFIRMATION"],
    "PAID": ["PAID"],
    "FAILED": ["FAILED"],
    "REFUNDED": ["PAID", "REFUNDED"],
}
PAYMENT_EDGES = [(a, b) for a, targets in PAYMENT_ALLOWED.items() for b in targets]
PAYMENT_NON_EDGES = [(a, b) for a in PAYMENT_ALLOWED for b in PAYMENT_ALLOWED
                     if b not in PAYMENT_ALLOWED[a]]

ADMIN = "admin:siti@toko.test"


def edge_id(edge):
    return "-to-".join(edge)


@pytest.fixture
def store(make):
    store = make.store("burgerchina", name="Burger China")
    make.product(store, "BRG-CHEESE", "25000", name="Burger Cheese")
    make.product(store, "FRIES", "15000", name="French Fries")
    make.product(store, "COLA", "8000", name="Cola", stock=10)
    return store


def order_at(make, store, status="PENDING", payment="PENDING", items=None) -> Order:
    """A checked-out order walked to `status` and `payment` by the operations themselves."""
    placed = make.order(store, items or [("BRG-CHEESE", 2), ("FRIES", 1)])
    order = db.session.get(Order, placed.id)
    for step in ROUTE[status]:
        transition(order, step, actor="admin:setup@toko.test")
    for step in PAYMENT_ROUTE[payment]:
        set_payment_status(order, step, actor="admin:setup@toko.test")
    db.session.commit()
    return order


def status_in_db(order) -> tuple[str, str]:
    row = db.session.execute(
        select(Order.status, Order.payment_status).where(Order.id == order.id)).one()
    return row.status.value, row.payment_status.value


def events_of(order) -> list[OrderEvent]:
    return list(db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)))


def status_messages(order) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.order_id == order.id, Notification.template.like("order_status_%"),
    ).order_by(Notification.id)))


def stock(code: str) -> int | None:
    """Stock as the database holds it (the session's copy of a product may be older)."""
    return db.session.scalar(select(Product.stock).where(Product.code == code))


def a_copy_of(order) -> Order:
    """The same order as another admin's request loaded it: a second, independent object."""
    db.session.expunge(order)
    other = db.session.get(Order, order.id)
    assert other is not order
    return other


# --- the order status machine -----------------------------------------------------------


def test_the_model_holds_the_status_machine_of_the_design():
    assert {k.value: [v.value for v in vs] for k, vs in ORDER_TRANSITIONS.items()} == ALLOWED
    assert {k.value: [v.value for v in vs] for k, vs in PAYMENT_TRANSITIONS.items()} == \
        PAYMENT_ALLOWED


@pytest.mark.parametrize(("source", "target"), EDGES, ids=[edge_id(e) for e in EDGES])
def test_every_allowed_status_change_is_recorded_and_told_to_the_customer(
        make, store, source, target):
    order = order_at(make, store, source)
    told_before = len(status_messages(order))

    transition(order, target, actor=ADMIN, note="Sudah dicek", base_url="https://shop.test")
    db.session.commit()

    assert order.status == target and status_in_db(order)[0] == target
    last = events_of(order)[-1]
    assert (last.kind, last.from_status, last.to_status, last.actor, last.note) == (
        "status", source, target, ADMIN, "Sudah dicek")
    assert last.created_at is not None
    messages = status_messages(order)
    assert len(messages) == told_before + 1
    message = messages[-1]
    assert (message.recipient, message.status.value) == ("6281234567890", "queued")
    for expected in (f"#{order.number}", ORDER_STATUS_LABELS[OrderStatus(target)],
                     f"https://shop.test/track/{order.id}", "Catatan: \u201cSudah dicek\u201d"):
        assert expected in text_of(message)
    assert message.template == f"order_status_{target.lower()}"


def test_status_change_accepts_the_enum_as_well_as_its_name(make, store):
    order = order_at(make, store)
    transition(order, OrderStatus.CONFIRMED, actor=ADMIN)
    db.session.commit()
    assert status_in_db(order) == ("CONFIRMED", "PENDING")


def test_status_change_without_notify_queues_no_message(make, store):
    order = order_at(make, store)
    transition(order, "CONFIRMED", actor="system", notify=False)
    db.session.commit()
    assert status_messages(order) == [] and events_of(order)[-1].to_status == "CONFIRMED"


def test_b2c_order_walks_the_whole_happy_path(make, store):
    order = order_at(make, store)
    for step in ("CONFIRMED", "PROCESSING", "SHIPPED", "DELIVERED", "COMPLETED"):
        transition(order, step, actor=ADMIN)
        db.session.commit()
    timeline = [(e.kind, e.from_status, e.to_status) for e in events_of(order)]
    assert timeline == [
        ("created", None, "PENDING"), ("status", "PENDING", "CONFIRMED"),
        ("status", "CONFIRMED", "PROCESSING"), ("status", "PROCESSING", "SHIPPED"),
        ("status", "SHIPPED", "DELIVERED"), ("status", "DELIVERED", "COMPLETED")]
    assert len(status_messages(order)) == 5


@pytest.mark.parametrize(("source", "target"), NON_EDGES, ids=[edge_id(e) for e in NON_EDGES])
def test_every_other_status_change_is_refused_naming_the_allowed_ones(
        make, store, source, target):
    order = order_at(make, store, source)
    events_before, told_before = len(events_of(order)), len(status_messages(order))

    with pytest.raises(TransitionRefused) as raised:
        transition(order, target, actor=ADMIN)

    error = raised.value
    assert error.code == "transition_refused" and error.status == 409
    assert error.details["allowed"] == ALLOWED[source]
    assert f"{source} tidak bisa diubah ke {target}" in error.message
    for allowed in ALLOWED[source]:
        assert allowed in error.message
    assert order.status == source and status_in_db(order) == (source, "PENDING")
    assert len(events_of(order)) == events_before
    assert len(status_messages(order)) == told_before


@pytest.mark.parametrize("final", FINAL)
def test_final_statuses_refuse_everything(make, store, final):
    order = order_at(make, store, final)
    assert order.is_final() and not order.can_cancel()
    for target in OrderStatus:
        with pytest.raises(TransitionRefused) as raised:
            transition(order, target, actor=ADMIN)
        assert raised.value.details["allowed"] == []
        assert "status akhir" in raised.value.message
    assert status_in_db(order)[0] == final


@pytest.mark.parametrize("unknown", ["SENT", "pending", "Dikirim", "", "PENDING "])
def test_unknown_status_is_refused_with_the_allowed_ones(make, store, unknown):
    order = order_at(make, store, "PROCESSING")
    with pytest.raises(TransitionRefused) as raised:
        transition(order, unknown, actor=ADMIN)
    assert raised.value.details["allowed"] == ["SHIPPED", "COMPLETED", "CANCELLED"]
    assert "status" in raised.value.fields
    assert status_in_db(order)[0] == "PROCESSING"


# --- stock comes back on cancel and reject -----------------------------------------------


@pytest.mark.parametrize(("source", "target"), [
    ("PENDING", "CANCELLED"), ("PENDING", "REJECTED"), ("CONFIRMED", "CANCELLED"),
    ("PROCESSING", "CANCELLED"),
], ids=edge_id)
def test_cancelled_or_rejected_order_returns_its_stock(make, store, source, target):
    order = order_at(make, store, source, items=[("COLA", 3), ("FRIES", 2)])
    assert stock("COLA") == 7

    transition(order, target, actor=ADMIN, note="Stok habis di gudang")
    db.session.commit()

    assert stock("COLA") == 10
    assert stock("FRIES") is None


def test_cancel_returns_only_this_orders_stock(make, store):
    kept = order_at(make, store, items=[("COLA", 4)])
    cancelled = order_at(make, store, items=[("COLA", 2)])
    assert stock("COLA") == 4
    transition(cancelled, "CANCELLED", actor="customer")
    db.session.commit()
    assert stock("COLA") == 6 and status_in_db(kept)[0] == "PENDING"


@pytest.mark.parametrize("status", ["SHIPPED", "DELIVERED", "COMPLETED", "REFUNDED"])
def test_shipping_completing_or_refunding_keeps_stock_taken(make, store, status):
    order_at(make, store, status, items=[("COLA", 3)])
    assert stock("COLA") == 7


def test_order_of_a_deleted_product_can_still_be_cancelled(make, store):
    order = order_at(make, store, items=[("COLA", 3), ("BRG-CHEESE", 1)])
    db.session.execute(delete(Product).where(Product.code == "BRG-CHEESE"))
    db.session.commit()
    transition(order, "CANCELLED", actor=ADMIN)
    db.session.commit()
    assert status_in_db(order)[0] == "CANCELLED" and stock("COLA") == 10


# --- the payment machine -------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), PAYMENT_EDGES,
                         ids=[edge_id(e) for e in PAYMENT_EDGES])
def test_every_allowed_payment_change_is_recorded(make, store, source, target):
    order = order_at(make, store, payment=source)

    set_payment_status(order, target, actor=ADMIN, note="Bukti transfer BCA")
    db.session.commit()

    assert order.payment_status == target and status_in_db(order) == ("PENDING", target)
    last = events_of(order)[-1]
    assert (last.kind, last.from_status, last.to_status, last.actor, last.note) == (
        "payment", source, target, ADMIN, "Bukti transfer BCA")


@pytest.mark.parametrize(("source", "target"), PAYMENT_NON_EDGES,
                         ids=[edge_id(e) for e in PAYMENT_NON_EDGES])
def test_every_other_payment_change_is_refused_naming_the_allowed_ones(
        make, store, source, target):
    order = order_at(make, store, payment=source)
    events_before = len(events_of(order))

    with pytest.raises(TransitionRefused) as raised:
        set_payment_status(order, target, actor=ADMIN)

    assert raised.value.details["allowed"] == PAYMENT_ALLOWED[source]
    for allowed in PAYMENT_ALLOWED[source]:
        assert allowed in raised.value.message
    assert status_in_db(order) == ("PENDING", source)
    assert len(events_of(order)) == events_before


def test_rejected_transfer_proof_sends_payment_back_to_pending_and_can_be_retried(make, store):
    order = order_at(make, store, payment="AWAITING_CONFIRMATION")
    set_payment_status(order, "PENDING", actor=ADMIN, note="Bukti transfer tidak terbaca")
    set_payment_status(order, "AWAITING_CONFIRMATION", actor="customer")
    set_payment_status(order, "PAID", actor=ADMIN)
    db.session.commit()
    assert status_in_db(order) == ("PENDING", "PAID")
    assert [e.to_status for e in events_of(order) if e.kind == "payment"] == [
        "AWAITING_CONFIRMATION", "PENDING", "AWAITING_CONFIRMATION", "PAID"]


@pytest.mark.parametrize("unknown", ["LUNAS", "paid", ""])
def test_unknown_payment_status_is_refused(make, store, unknown):
    order = order_at(make, store)
    with pytest.raises(TransitionRefused) as raised:
        set_payment_status(order, unknown, actor=ADMIN)
    assert raised.value.details["allowed"] == PAYMENT_ALLOWED["PENDING"]
    assert "payment_status" in raised.value.fields
    assert status_in_db(order) == ("PENDING", "PENDING")


# --- someone else changed the order meanwhile ------------------------------------------------


@pytest.mark.parametrize(("seen", "meanwhile", "wanted"), [
    ("PENDING", "CONFIRMED", "REJECTED"),
    ("PENDING", "CANCELLED", "PROCESSING"),
    ("PROCESSING", "SHIPPED", "CANCELLED"),
    ("PROCESSING", "COMPLETED", "SHIPPED"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_stale_order_gets_conflict_and_changes_nothing(make, store, seen, meanwhile, wanted):
    mine = order_at(make, store, seen, items=[("COLA", 3)])
    theirs = a_copy_of(mine)
    transition(theirs, meanwhile, actor="admin:budi@toko.test")
    db.session.commit()
    stock_before, events_before = stock("COLA"), len(events_of(mine))
    told_before = len(status_messages(mine))

    with pytest.raises(StaleChange) as raised:
        transition(mine, wanted, actor=ADMIN)

    assert type(raised.value) is StaleChange and raised.value.code == "stale_change"
    assert "diubah oleh orang lain" in raised.value.message
    assert status_in_db(mine)[0] == meanwhile
    assert (stock("COLA"), len(events_of(mine)), len(status_messages(mine))) == (
        stock_before, events_before, told_before)


def test_two_admins_cancelling_the_same_order_return_the_stock_once(make, store):
    mine = order_at(make, store, items=[("COLA", 3)])
    theirs = a_copy_of(mine)
    transition(theirs, "CANCELLED", actor="admin:budi@toko.test")
    db.session.commit()

    with pytest.raises(StaleChange):
        transition(mine, "CANCELLED", actor=ADMIN)
    db.session.rollback()

    assert stock("COLA") == 10
    assert [e.to_status for e in events_of(mine)].count("CANCELLED") == 1


def test_stale_payment_gets_conflict_and_changes_nothing(make, store):
    mine = order_at(make, store)
    theirs = a_copy_of(mine)
    set_payment_status(theirs, "AWAITING_CONFIRMATION", actor="customer")
    db.session.commit()

    with pytest.raises(StaleChange) as raised:
        set_payment_status(mine, "FAILED", actor=ADMIN)

    assert type(raised.value) is StaleChange and raised.value.code == "stale_change"
    assert status_in_db(mine) == ("PENDING", "AWAITING_CONFIRMATION")
    assert db.session.scalar(select(func.count()).select_from(OrderEvent).where(
        OrderEvent.order_id == mine.id, OrderEvent.kind == "payment")) == 1


def test_cancel_returns_only_what_the_lines_hold_even_if_the_product_starts_tracking_stock(
    make,
):
    store = make.store()
    make.product(store, "KUE", "10000", name="Kue")  # made to order when sold
    placed = make.order(store, [("KUE", 3)])
    db.session.execute(update(Product).where(Product.code == "KUE").values(stock=10))
    db.session.commit()
    order = db.session.get(Order, placed.id)

    transition(order, "CANCELLED", actor="admin")
    db.session.commit()

    assert db.session.scalar(select(Product.stock).where(Product.code == "KUE")) == 10


def test_confirmed_payment_tells_the_customer(make):
    store = make.store()
    placed = make.order(store)
    order = db.session.get(Order, placed.id)

    set_payment_status(order, "PAID", actor="admin", note="Transfer BCA diterima")
    db.session.commit()

    message = db.session.scalars(select(Notification).where(
        Notification.template == "payment_received")).one()
    assert message.recipient == "6281234567890" and "Lunas" in text_of(message)
    assert "Transfer BCA diterima" in text_of(message)
