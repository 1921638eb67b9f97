"""place_order: the customer and the order are created together, or nothing is (seed 000)."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.errors import CustomerBlocked, IdempotencyKeyReused, InvalidInput, OutOfStock
from shop.extensions import db
from shop.models import (
    Customer,
    Notification,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    PaymentStatus,
    Product,
)
from shop.services.checkout import CheckoutRequest, place_order

from ..conftest import counted
from ..messages import text_of


def checkout(store, items, **fields):
    values = {"name": "Budi Santoso", "phone": "081234567890", "address": "Jl. Sudirman 123"}
    values.update(fields)
    placed = place_order(store, CheckoutRequest(items=items, **values), base_url="https://s.test")
    db.session.commit()
    return placed


def rows(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_first_checkout_creates_customer_and_pending_order(burger):
    placed = checkout(burger, [("BRG-CHEESE", 2), ("FRIES", 1)], courier="JNE Regular",
                      payment_method="bank_transfer", notes="Tanpa bawang ya")
    order = db.session.get(Order, placed.id)
    assert order.status == OrderStatus.PENDING and order.payment_status == PaymentStatus.PENDING
    assert order.total == Decimal("65000.00") and order.subtotal == Decimal("65000.00")
    assert order.number.startswith("ORD-") and len(order.number) == len("ORD-20240127-001")
    customer = db.session.get(Customer, order.customer_id)
    assert (customer.phone, customer.total_orders) == ("6281234567890", 1)
    assert customer.last_visit is not None
    items = db.session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    assert [(i.code, i.name, i.unit_price, i.qty) for i in items] == [
        ("BRG-CHEESE", "Burger Cheese", Decimal("25000.00"), 2),
        ("FRIES", "French Fries", Decimal("15000.00"), 1)]


def test_order_id_is_random_cuid_of_at_least_128_bits(burger):
    ids = {checkout(burger, [("FRIES", 1)]).id for _ in range(5)}
    assert len(ids) == 5
    for order_id in ids:
        assert order_id[0] == "c" and len(order_id) == 26 and order_id.isalnum()
        assert 36 ** 25 > 2 ** 128


def test_repeat_customer_with_other_phone_format_is_reused_and_updated(burger):
    first = checkout(burger, [("FRIES", 1)], phone="081234567890")
    second = checkout(burger, [("FRIES", 1)], phone="+62 812-3456-7890", name="Budi S.",
                      address="Jl. Baru 1", email="budi@email.com")
    assert first.customer.id == second.customer.id
    customer = db.session.get(Customer, first.customer.id)
    assert (customer.name, customer.address, customer.email) == ("Budi S.", "Jl. Baru 1",
                                                                 "budi@email.com")
    assert customer.total_orders == 2 and rows(Customer) == 1


def test_checkout_without_email_keeps_the_known_email(burger):
    checkout(burger, [("FRIES", 1)], email="budi@email.com")
    placed = checkout(burger, [("FRIES", 1)], email="")
    assert db.session.get(Customer, placed.customer.id).email == "budi@email.com"


def test_customer_who_changes_number_becomes_a_separate_customer(burger):
    a = checkout(burger, [("FRIES", 1)], phone="081234567890")
    b = checkout(burger, [("FRIES", 1)], phone="082987654321")
    assert a.customer.id != b.customer.id and rows(Customer) == 2


def test_same_phone_in_two_stores_is_two_customers(burger, make):
    other = make.store()
    make.product(other, "FRIES", "10000")
    a = checkout(burger, [("FRIES", 1)])
    b = checkout(other, [("FRIES", 1)])
    assert a.customer.id != b.customer.id


def test_prices_come_from_the_database(burger):
    placed = checkout(burger, [("COLA", 3)])
    assert placed.totals.total == Decimal("24000.00")
    assert placed.lines[0].unit_price == Decimal("8000.00")


def test_stock_is_reserved_and_made_to_order_is_unlimited(burger):
    checkout(burger, [("COLA", 5), ("FRIES", 999)])
    cola = db.session.scalar(select(Product).where(Product.code == "COLA"))
    fries = db.session.scalar(select(Product).where(Product.code == "FRIES"))
    assert cola.stock == 45 and fries.stock is None


def test_same_code_twice_is_merged_into_one_line(burger):
    placed = checkout(burger, [("COLA", 2), ("COLA", 3)])
    assert [(ln.code, ln.qty) for ln in placed.lines] == [("COLA", 5)]


def test_created_event_and_outbox_rows_are_written(burger):
    placed = checkout(burger, [("BRG-CHEESE", 2), ("FRIES", 1)], courier="JNE Regular",
                      payment_method="bank_transfer", notes="Tanpa bawang ya")
    events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == placed.id)).all()
    assert [(e.kind, e.to_status) for e in events] == [("created", "PENDING")]
    notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.template, n.recipient, n.status.value) for n in notes] == [
        ("order_confirmation", "6281234567890", "queued"),
        ("new_order_admin", burger.whatsapp, "queued")]
    body = text_of(notes[0])
    for expected in ("*Pesanan Berhasil Dibuat!*", f"Nomor Pesanan: #{placed.number}",
                     f"https://shop.test/track/{placed.id}", "2x Burger Cheese - Rp 50.000",
                     "1x French Fries - Rp 15.000", "*Total:* Rp 65.000",
                     "Nama: \u201cBudi Santoso\u201d", "No. WhatsApp: 081234567890",
                     "Kurir: JNE Regular",
                     "*Pembayaran:* Transfer Bank BCA", "Catatan: \u201cTanpa bawang ya\u201d"):
        assert expected in body
    assert body == placed.confirmation_text


NOTHING_WRITTEN_CASES = [
    ("invalid phone", {"phone": "12345"}, [("FRIES", 1)], InvalidInput, "phone"),
    ("empty name", {"name": "  "}, [("FRIES", 1)], InvalidInput, "name"),
    ("empty address", {"address": ""}, [("FRIES", 1)], InvalidInput, "address"),
    ("bad email", {"email": "budi@"}, [("FRIES", 1)], InvalidInput, "email"),
    ("empty cart", {}, [], InvalidInput, "items"),
    ("zero quantity", {}, [("FRIES", 0)], InvalidInput, "items"),
    ("negative quantity", {}, [("FRIES", -2)], InvalidInput, "items"),
    ("quantity above 1000", {}, [("FRIES", 1001)], InvalidInput, "items"),
    ("quantity as text", {}, [("FRIES", "dua")], InvalidInput, "items"),
    ("unknown product", {}, [("NOPE", 1)], InvalidInput, "items"),
    ("unknown courier", {"courier": "Kuda"}, [("FRIES", 1)], InvalidInput, "courier"),
    ("unknown payment", {"payment_method": "bitcoin"}, [("FRIES", 1)], InvalidInput,
     "payment_method"),
    ("more stock than there is", {}, [("FRIES", 1), ("COLA", 51)], OutOfStock, "items"),
]


@pytest.mark.parametrize(("case", "fields", "items", "error", "field"), NOTHING_WRITTEN_CASES,
                         ids=[c[0] for c in NOTHING_WRITTEN_CASES])
def test_bad_checkout_is_refused_and_writes_nothing(burger, case, fields, items, error, field):
    with pytest.raises(error) as raised:
        checkout(burger, items, **fields)
    db.session.rollback()
    assert field in raised.value.fields and raised.value.message
    assert (rows(Order), rows(Customer), rows(Notification), rows(OrderItem)) == (0, 0, 0, 0)
    assert db.session.scalar(select(Product.stock).where(Product.code == "COLA")) == 50


def test_inactive_product_is_refused(burger):
    with pytest.raises(InvalidInput, match="Menu Lama"):
        checkout(burger, [("OLD", 1)])


def test_product_of_another_store_is_refused(burger, make):
    other = make.store()
    make.product(other, "SECRET", "1000")
    with pytest.raises(InvalidInput, match="SECRET"):
        checkout(burger, [("SECRET", 1)])


def test_out_of_stock_lists_every_short_item_and_reserves_nothing(burger):
    with pytest.raises(OutOfStock) as raised:
        checkout(burger, [("COLA", 51), ("NUGGET", 4)])  # 50 and 3 in stock
    assert raised.value.details["items"] == ["Cola", "Nugget"]


def test_blocked_customer_cannot_order(burger, make):
    make.customer(burger, status="blocked")
    with pytest.raises(CustomerBlocked) as raised:
        checkout(burger, [("FRIES", 1)])
    assert raised.value.code == "customer_blocked"
    db.session.rollback()
    assert rows(Order) == 0


def test_idempotency_key_returns_the_first_order(burger):
    first = checkout(burger, [("COLA", 2)], idempotency_key="checkout-123456")
    again = checkout(burger, [("COLA", 2)], idempotency_key="checkout-123456")
    assert (again.id, again.number, again.created) == (first.id, first.number, False)
    assert rows(Order) == 1
    assert db.session.scalar(select(Product.stock).where(Product.code == "COLA")) == 48
    assert db.session.scalar(select(Customer.total_orders)) == 1


def test_idempotency_key_reused_for_another_cart_is_a_conflict(burger):
    checkout(burger, [("COLA", 2)], idempotency_key="checkout-123456")
    with pytest.raises(IdempotencyKeyReused) as raised:
        checkout(burger, [("COLA", 3)], idempotency_key="checkout-123456")
    assert raised.value.code == "idempotency_key_reused"


def test_malformed_idempotency_key_is_refused(burger):
    with pytest.raises(InvalidInput):
        checkout(burger, [("COLA", 2)], idempotency_key="short")


#: What a new customer's checkout of three lines (burger and fries made to order, Cola from
#: stock) runs, transaction control left out. On both: the products read, the customer upsert,
#: the order, its items (one executemany), its event and its two outbox rows (one
#: executemany). SQLite adds the counter upsert (the number is formatted in Python) and the
#: stock update; PostgreSQL adds one statement that reserves the stock, takes the counter,
#: numbers the order and writes the number into the messages.
CHECKOUT_STATEMENTS = {"sqlite": 8, "postgresql": 7}


def test_checkout_of_three_lines_takes_a_fixed_number_of_statements(app, burger, count_queries):
    with count_queries() as statements:
        checkout(burger, [("BRG-CHEESE", 2), ("FRIES", 1), ("COLA", 1)])

    work = counted(statements)
    assert len(work) == CHECKOUT_STATEMENTS[app.config["TEST_BACKEND"]], "\n".join(work)
