"""A dealer shop's order goes through the same checkout as a shopper's (seed 004): the shop
is the buyer, its prices apply, the admins are alerted, and no store customer is made."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.errors import IdempotencyKeyReused, InvalidInput, NotAllowed, OutOfStock
from shop.extensions import db
from shop.models import (
    Channel,
    Customer,
    Notification,
    Order,
    OrderItem,
    OrderStatus,
    Product,
)
from shop.services.checkout import CheckoutRequest, place_order
from shop.services.dealer_prices import dealer_unit_price, set_dealer_price, set_shop_discount

from ..messages import text_of


def dealer_checkout(shop, items, **fields):
    placed = place_order(shop.store, CheckoutRequest(
        name=None, phone=None, address=None, items=items, channel=Channel.B2B, shop=shop,
        actor=f"shop:{shop.code}", **fields), base_url="https://s.test")
    db.session.commit()
    return placed


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def product(store, code):
    return db.session.scalar(select(Product).where(Product.store_id == store.id,
                                                   Product.code == code))


def test_dealer_order_is_the_shops_pending_b2b_order_with_a_yearly_number(make):
    shop = make.dealer_shop()
    placed = dealer_checkout(shop, [("OLI-MPX2", 2), ("KAMPAS-REM", 1)], notes="Kirim Senin")
    order = db.session.get(Order, placed.id)
    assert (order.channel, order.status, order.shop_id, order.customer_id) == (
        Channel.B2B, OrderStatus.PENDING, shop.id, None)
    assert re.fullmatch(r"ORD-\d{4}-000001", order.number)
    assert (order.recipient_name, order.recipient_phone) == ("Toko Jaya Motor", "628123456789")
    assert order.shipping_address == "Jl. Raya Bogor 12, Depok, Jawa Barat"
    assert (order.total, order.notes, order.payment_method) == (
        Decimal("128000.00"), "Kirim Senin", None)
    assert placed.customer is None and placed.shop_id == shop.id
    assert order.legacy_state is None  # not sent to the ERP (None reads as not_sent)
    assert count(Customer) == 0


def test_admins_get_the_seed_alert_and_the_shop_no_confirmation(make):
    shop = make.dealer_shop()
    placed = dealer_checkout(shop, [("OLI-MPX2", 2)])
    rows = db.session.scalars(select(Notification).where(Notification.order_id == placed.id)
                              .order_by(Notification.id)).all()
    assert [(r.template, r.recipient) for r in rows] == [
        ("b2b_order_created", "6281300000001"), ("b2b_order_created", "6281300000000")]
    text = text_of(rows[0])
    assert "Order baru dari Toko Jaya Motor." in text and f"Order: {placed.number}" in text
    assert "Total: Rp 90.000" in text
    assert f"/admin/order/details/?id={placed.id}" in text


def test_shop_price_and_discount_are_what_the_order_charges(make):
    shop = make.dealer_shop()
    set_shop_discount(shop, "10")
    set_dealer_price(shop, product(shop.store, "BUSI-NGK"), "15.500")
    db.session.commit()
    placed = dealer_checkout(shop, [("OLI-MPX2", 1), ("BUSI-NGK", 2)])
    items = db.session.scalars(select(OrderItem).where(OrderItem.order_id == placed.id)
                               .order_by(OrderItem.id)).all()
    # 45.000 less 10 %; the shop's own busi price wins over its discount.
    assert [(i.code, i.unit_price, i.subtotal) for i in items] == [
        ("OLI-MPX2", Decimal("40500.00"), Decimal("40500.00")),
        ("BUSI-NGK", Decimal("15500.00"), Decimal("31000.00"))]
    assert placed.totals.total == Decimal("71500.00")


def test_another_shops_prices_do_not_leak(make):
    shop = make.dealer_shop()
    other = make.dealer_shop(shop.store, code="TK002", phone="628123456780", name="Toko Maju")
    set_dealer_price(other, product(shop.store, "OLI-MPX2"), "1000")
    set_shop_discount(other, "50")
    db.session.commit()
    placed = dealer_checkout(shop, [("OLI-MPX2", 1)])
    assert placed.lines[0].unit_price == Decimal("45000.00")


@pytest.mark.parametrize(("price", "percent", "own", "expected"), [
    ("45000", "0", None, "45000.00"),
    ("45000", "12.5", None, "39375.00"),
    ("33333", "10", None, "30000.00"),  # 29.999,7 rounds to the rupiah
    ("45000", "10", "1.00", "1.00"),
])
def test_dealer_unit_price(price, percent, own, expected):
    assert dealer_unit_price(Decimal(price), Decimal(percent),
                             Decimal(own) if own else None) == Decimal(expected)


@pytest.mark.parametrize("bad", ["100", "-1", "abc", "10.001", "NaN", "1e3"])
def test_bad_discount_is_refused_and_changes_nothing(make, bad):
    shop = make.dealer_shop()
    with pytest.raises(InvalidInput):
        set_shop_discount(shop, bad)
    db.session.rollback()
    assert db.session.get(type(shop), shop.id).discount_percent == Decimal("0")


def test_quantity_above_the_synced_legacy_stock_is_refused(make):
    shop = make.dealer_shop()
    product(shop.store, "OLI-MPX2").legacy_stock = 3
    db.session.commit()
    with pytest.raises(OutOfStock) as refused:
        dealer_checkout(shop, [("OLI-MPX2", 4), ("BUSI-NGK", 1)])
    db.session.rollback()
    assert "Oli AHM MPX2 0.8L" in refused.value.message
    assert count(Order) == 0 and count(Notification) == 0
    assert dealer_checkout(shop, [("OLI-MPX2", 3)]).totals.total == Decimal("135000.00")


def test_shop_of_another_distributor_or_disabled_cannot_order(make):
    shop = make.dealer_shop()
    elsewhere = make.distributor_store("lain")
    with pytest.raises(NotAllowed):
        place_order(elsewhere, CheckoutRequest(
            name=None, phone=None, address=None, items=[("OLI-MPX2", 1)],
            channel=Channel.B2B, shop=shop), base_url="https://s.test")
    shop.is_active = False
    db.session.commit()
    with pytest.raises(NotAllowed):
        dealer_checkout(shop, [("OLI-MPX2", 1)])
    db.session.rollback()
    assert count(Order) == 0


def test_b2b_takes_no_payment_method(make):
    shop = make.dealer_shop()
    with pytest.raises(InvalidInput) as refused:
        dealer_checkout(shop, [("OLI-MPX2", 1)], payment_method="cod")
    assert "payment_method" in refused.value.fields


def test_repeated_key_returns_the_first_order_for_the_same_shop_only(make):
    shop = make.dealer_shop()
    other = make.dealer_shop(shop.store, code="TK002", phone="628123456780")
    first = dealer_checkout(shop, [("OLI-MPX2", 1)], idempotency_key="cart-1-abcdef")
    again = dealer_checkout(shop, [], idempotency_key="cart-1-abcdef")
    assert (again.id, again.created, again.shop_id, again.customer) == (
        first.id, False, shop.id, None)
    with pytest.raises(IdempotencyKeyReused):
        dealer_checkout(other, [("OLI-MPX2", 1)], idempotency_key="cart-1-abcdef")
    db.session.rollback()
    assert count(Order) == 1


def test_a_shopper_cannot_claim_a_dealers_order_by_key(make):
    shop = make.dealer_shop()
    dealer_checkout(shop, [("OLI-MPX2", 1)], idempotency_key="same-key-123")
    with pytest.raises(IdempotencyKeyReused):
        place_order(shop.store, CheckoutRequest(
            name="Budi", phone=shop.phone, address="Jl. A", items=[("OLI-MPX2", 1)],
            idempotency_key="same-key-123"), base_url="https://s.test")


def test_storefront_order_has_no_shop(burger, make):
    placed = make.order(burger, [("FRIES", 1)])
    assert db.session.get(Order, placed.id).shop_id is None and placed.customer is not None


def test_channel_and_buyer_must_agree(make):
    shop = make.dealer_shop()
    with pytest.raises(ValueError, match="customers"):
        place_order(shop.store, CheckoutRequest(
            name="A", phone="0812", address="x", items=[("OLI-MPX2", 1)], shop=shop),
            base_url="https://s.test")
    with pytest.raises(ValueError, match="dealer shop"):
        place_order(shop.store, CheckoutRequest(
            name="A", phone="0812", address="x", items=[("OLI-MPX2", 1)],
            channel=Channel.B2B), base_url="https://s.test")
