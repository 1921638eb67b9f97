"""Customer stats (seeds 000, 003): counted once when an order is COMPLETED and PAID,
whichever comes last, and taken back on refund."""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from shop.errors import TransitionRefused
from shop.extensions import db
from shop.models import Customer, MembershipLevel, Order
from shop.services.orders import set_payment_status, transition
from shop.services.stats import (
    LEVEL_DISCOUNTS,
    membership_level_for,
    points_for,
    sync_purchase_stats,
)

ADMIN = "admin:siti@toko.test"
NOTHING = (Decimal("0.00"), 0, 0, "Bronze", Decimal("5.00"))


@pytest.fixture
def store(make):
    store = make.store("burgerchina", name="Burger China")
    make.product(store, "BRG-CHEESE", "25000", name="Burger Cheese")
    make.product(store, "FRIES", "15000", name="French Fries")
    return store


def order_of(make, store, amount=None, phone="081234567890") -> Order:
    """A checked-out order: the seed's Rp 65.000 one, or one line of `amount`."""
    if amount is None:
        items = [("BRG-CHEESE", 2), ("FRIES", 1)]
    else:
        items = [(make.product(store, price=amount, name=f"Paket {amount}").code, 1)]
    placed = make.order(store, items, phone=phone)
    return db.session.get(Order, placed.id)


def complete(order) -> None:
    transition(order, "PROCESSING", actor=ADMIN)
    transition(order, "COMPLETED", actor=ADMIN)
    db.session.commit()


def pay(order) -> None:
    set_payment_status(order, "PAID", actor=ADMIN, note="Transfer BCA diterima")
    db.session.commit()


def stats_of(order) -> tuple:
    """(total_spent, total_purchases, points, level, discount) as the database holds them."""
    row = db.session.execute(select(
        Customer.total_spent, Customer.total_purchases, Customer.points,
        Customer.membership_level, Customer.discount,
    ).join(Order, Order.customer_id == Customer.id).where(Order.id == order.id)).one()
    return (row.total_spent, row.total_purchases, row.points, row.membership_level.value,
            row.discount)


def applied_in_db(order) -> bool:
    return db.session.scalar(select(Order.stats_applied).where(Order.id == order.id))


def a_copy_of(order) -> Order:
    """The same order as another admin's request loaded it: a second, independent object."""
    db.session.expunge(order)
    return db.session.get(Order, order.id)


# --- counted once, whichever comes last ------------------------------------------------------


@pytest.mark.parametrize("steps", [(complete, pay), (pay, complete)],
                         ids=["complete-then-pay", "pay-then-complete"])
def test_order_counts_once_when_both_completed_and_paid(make, store, steps):
    order = order_of(make, store)
    first, last = steps

    first(order)
    assert stats_of(order) == NOTHING and not applied_in_db(order)
    last(order)

    assert stats_of(order) == (Decimal("65000.00"), 1, 6, "Bronze", Decimal("5.00"))
    assert applied_in_db(order) and order.stats_applied


def test_completed_order_not_yet_paid_does_not_count(make, store):
    order = order_of(make, store)
    complete(order)
    set_payment_status(order, "AWAITING_CONFIRMATION", actor="customer")
    db.session.commit()
    assert stats_of(order) == NOTHING


def test_paid_order_that_is_cancelled_does_not_count(make, store):
    order = order_of(make, store)
    pay(order)
    transition(order, "CANCELLED", actor=ADMIN)
    db.session.commit()
    assert stats_of(order) == NOTHING


def test_paid_order_shipped_and_delivered_counts_only_at_completion(make, store):
    order = order_of(make, store)
    pay(order)
    for step in ("CONFIRMED", "PROCESSING", "SHIPPED", "DELIVERED"):
        transition(order, step, actor=ADMIN)
        db.session.commit()
        assert stats_of(order) == NOTHING
    transition(order, "COMPLETED", actor=ADMIN)
    db.session.commit()
    assert stats_of(order)[:3] == (Decimal("65000.00"), 1, 6)


@pytest.mark.parametrize(("amount", "level", "discount"), [
    ("1999999.99", "Bronze", "5.00"),
    ("2000000", "Silver", "10.00"),
    ("4999999.99", "Silver", "10.00"),
    ("5000000", "Gold", "15.00"),
    ("9999999.99", "Gold", "15.00"),
    ("10000000", "Platinum", "20.00"),
])
def test_membership_level_and_discount_follow_total_spent(make, store, amount, level, discount):
    order = order_of(make, store, amount)
    complete(order)
    pay(order)
    spent, purchases, points, got_level, got_discount = stats_of(order)
    assert (spent, purchases, got_level, got_discount) == (
        Decimal(amount).quantize(Decimal("0.01")), 1, level, Decimal(discount))
    assert points == int(Decimal(amount) // 10000)


def test_spending_adds_up_over_orders_and_upgrades_the_customer(make, store):
    orders = [order_of(make, store, "1000000") for _ in range(3)]
    complete(orders[0])
    pay(orders[0])
    assert stats_of(orders[0]) == (Decimal("1000000.00"), 1, 100, "Bronze", Decimal("5.00"))
    for order in orders[1:]:
        pay(order)
        complete(order)
    assert stats_of(orders[0]) == (Decimal("3000000.00"), 3, 300, "Silver", Decimal("10.00"))


def test_points_are_counted_per_order_and_rounded_down(make, store):
    orders = [order_of(make, store, "19999") for _ in range(2)]
    for order in orders:
        complete(order)
        pay(order)
    spent, purchases, points, _, _ = stats_of(orders[0])
    assert (spent, purchases, points) == (Decimal("39998.00"), 2, 2)


def test_other_customers_are_not_touched(make, store):
    mine = order_of(make, store, phone="081234567890")
    theirs = order_of(make, store, phone="082987654321")
    complete(mine)
    pay(mine)
    assert stats_of(mine)[:2] == (Decimal("65000.00"), 1)
    assert stats_of(theirs) == NOTHING


# --- taken back on refund --------------------------------------------------------------------


def refund_order(order) -> None:
    transition(order, "REFUNDED", actor=ADMIN, note="Barang dikembalikan")
    db.session.commit()


def refund_payment(order) -> None:
    set_payment_status(order, "REFUNDED", actor=ADMIN, note="Dana dikembalikan")
    db.session.commit()


@pytest.mark.parametrize("refunds", [
    (refund_order,), (refund_payment,), (refund_order, refund_payment),
    (refund_payment, refund_order),
], ids=["order", "payment", "order-then-payment", "payment-then-order"])
def test_refund_takes_the_purchase_back_once(make, store, refunds):
    order = order_of(make, store, "2500000")
    complete(order)
    pay(order)
    assert stats_of(order) == (Decimal("2500000.00"), 1, 250, "Silver", Decimal("10.00"))

    for refund in refunds:
        refund(order)
        assert stats_of(order) == (Decimal("0.00"), 0, 0, "Bronze", Decimal("5.00"))
    assert not applied_in_db(order)


def test_refund_of_one_order_keeps_the_others(make, store):
    kept = order_of(make, store, "3000000")
    refunded = order_of(make, store, "2500000")
    for order in (kept, refunded):
        complete(order)
        pay(order)
    assert stats_of(kept) == (Decimal("5500000.00"), 2, 550, "Gold", Decimal("15.00"))

    refund_payment(refunded)

    assert stats_of(kept) == (Decimal("3000000.00"), 1, 300, "Silver", Decimal("10.00"))


def test_refund_of_an_order_that_never_counted_changes_nothing(make, store):
    order = order_of(make, store)
    pay(order)
    refund_payment(order)
    complete(order)
    assert stats_of(order) == NOTHING


# --- never twice ---------------------------------------------------------------------------


def test_settling_again_does_not_count_twice(make, store):
    order = order_of(make, store)
    complete(order)
    pay(order)

    sync_purchase_stats(order)
    sync_purchase_stats(db.session.get(Order, order.id))
    with pytest.raises(TransitionRefused):
        set_payment_status(order, "PAID", actor=ADMIN)
    with pytest.raises(TransitionRefused):
        transition(order, "COMPLETED", actor=ADMIN)
    db.session.commit()

    assert stats_of(order) == (Decimal("65000.00"), 1, 6, "Bronze", Decimal("5.00"))


def test_payment_confirmed_by_another_admin_while_completing_counts_once(make, store):
    order = order_of(make, store)
    transition(order, "PROCESSING", actor=ADMIN)
    db.session.commit()
    mine = order
    theirs = a_copy_of(mine)

    set_payment_status(theirs, "PAID", actor="admin:budi@toko.test")
    db.session.commit()
    transition(mine, "COMPLETED", actor=ADMIN)  # this admin still sees the payment PENDING
    db.session.commit()

    assert stats_of(mine)[:3] == (Decimal("65000.00"), 1, 6)
    assert applied_in_db(mine)


def test_order_completed_by_another_admin_while_confirming_payment_counts_once(make, store):
    order = order_of(make, store)
    transition(order, "PROCESSING", actor=ADMIN)
    db.session.commit()
    mine = order
    theirs = a_copy_of(mine)

    transition(theirs, "COMPLETED", actor="admin:budi@toko.test")
    db.session.commit()
    set_payment_status(mine, "PAID", actor=ADMIN)  # this admin still sees PROCESSING
    db.session.commit()

    assert stats_of(mine)[:3] == (Decimal("65000.00"), 1, 6)


def test_payment_refunded_from_a_copy_older_than_the_completion_is_taken_back(make, store):
    order = order_of(make, store)
    transition(order, "PROCESSING", actor=ADMIN)
    pay(order)
    mine = order
    theirs = a_copy_of(mine)
    transition(theirs, "COMPLETED", actor="admin:budi@toko.test")
    db.session.commit()
    assert stats_of(mine)[:2] == (Decimal("65000.00"), 1)

    set_payment_status(mine, "REFUNDED", actor=ADMIN)  # this admin still sees PROCESSING
    db.session.commit()

    assert stats_of(mine) == NOTHING
    assert not applied_in_db(mine)


def test_stats_add_to_what_the_database_holds_not_to_an_old_copy(make, store):
    order = order_of(make, store)
    customer = db.session.get(Customer, order.customer_id)
    assert customer.total_spent == Decimal("0.00")
    # Meanwhile another request counted a purchase of Rp 500.000 for this customer.
    db.session.execute(update(Customer.__table__).where(Customer.id == customer.id).values(
        total_spent=Decimal("500000"), total_purchases=1, points=50))
    db.session.commit()

    complete(order)
    pay(order)

    assert stats_of(order)[:3] == (Decimal("565000.00"), 2, 56)


@pytest.mark.backends("postgresql")
def test_paying_and_completing_at_the_same_moment_counts_once(app, committed):
    store = committed.store()
    code = committed.product(store, price="65000").code
    placed = committed.order(store, [(code, 1)])
    transition(db.session.get(Order, placed.id), "PROCESSING", actor=ADMIN)
    db.session.commit()
    both_loaded = threading.Barrier(2)
    errors: list[Exception] = []

    def admin(change):
        with app.app_context():
            try:
                order = db.session.get(Order, placed.id)
                both_loaded.wait(timeout=10)  # each sees the order as the other left it
                change(order)
                db.session.commit()
            except Exception as error:  # reported by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    def confirm_payment(order):
        set_payment_status(order, "PAID", actor="admin:budi@toko.test")

    def complete_order(order):
        transition(order, "COMPLETED", actor=ADMIN)

    admins = [threading.Thread(target=admin, args=(change,))
              for change in (confirm_payment, complete_order)]
    for thread in admins:
        thread.start()
    for thread in admins:
        thread.join(timeout=30)

    assert errors == []
    db.session.remove()
    order = db.session.get(Order, placed.id)
    assert (order.status.value, order.payment_status.value, order.stats_applied) == (
        "COMPLETED", "PAID", True)
    assert stats_of(order)[:3] == (Decimal("65000.00"), 1, 6)


# --- the rules themselves ---------------------------------------------------------------------


@pytest.mark.parametrize(("spent", "level"), [
    ("0", "Bronze"), ("1999999.99", "Bronze"), ("2000000", "Silver"), ("4999999.99", "Silver"),
    ("5000000", "Gold"), ("9999999.99", "Gold"), ("10000000", "Platinum"),
    ("250000000", "Platinum"),
])
def test_membership_level_thresholds(spent, level):
    assert membership_level_for(Decimal(spent)) == MembershipLevel(level)


def test_discount_tiers_are_20_15_10_5_percent():
    assert {level.value: percent for level, percent in LEVEL_DISCOUNTS.items()} == {
        "Platinum": Decimal("20"), "Gold": Decimal("15"), "Silver": Decimal("10"),
        "Bronze": Decimal("5")}


@pytest.mark.parametrize(("total", "points"), [
    ("0", 0), ("9999.99", 0), ("10000", 1), ("19999.99", 1), ("20000", 2), ("65000", 6),
    ("10000000", 1000), ("-10000", 0),
])
def test_one_point_per_rp_10000_rounded_down(total, points):
    assert points_for(Decimal(total)) == points
