"""Checkout with a review step, then the shop's orders on the pages: history with the SO
number, detail, cancel while pending, reorder (seed 004 section 4B, steps 5 and 6)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Channel, LegacyState, Order, OrderEvent, OrderStatus
from shop.services import dealer_cart
from shop.services.orders import transition
from shop.unit_of_work import commit

from .conftest import fill_cart, part


def orders_of(shop) -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(select(Order).where(Order.shop_id == shop.id)))


def review_key(page: str) -> str:
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)


def test_the_review_step_shows_the_lines_and_total_before_anything_is_ordered(dealer, shop):
    fill_cart(shop, ("OLI-MPX2", 2), ("BUSI-NGK", 1))
    page = dealer.get("/portal/checkout").get_data(as_text=True)
    assert "2 × Rp 45.000" in page and 'id="checkout-total">Rp 108.000' in page
    assert len(review_key(page)) >= 16 and 'name="notes"' in page
    assert orders_of(shop) == []


def test_confirming_places_one_pending_b2b_order_even_when_sent_twice(dealer, shop):
    fill_cart(shop, ("OLI-MPX2", 2), ("BUSI-NGK", 1))
    key = review_key(dealer.get("/portal/checkout").get_data(as_text=True))
    form = {"notes": "Kirim sebelum Sabtu", "idempotency_key": key}

    first = dealer.post("/portal/checkout", data=form)
    second = dealer.post("/portal/checkout", data=form)

    (order,) = orders_of(shop)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == f"/portal/orders/{order.id}"
    assert re.fullmatch(r"ORD-\d{4}-\d{6}", order.number)
    assert (order.channel, order.status, order.total, order.notes) == (
        Channel.B2B, OrderStatus.PENDING, 108000, "Kirim sebelum Sabtu")
    assert dealer_cart.view_cart(shop).lines == []
    page = dealer.get(first.headers["Location"]).get_data(as_text=True)
    assert order.number in page and "Menunggu Konfirmasi" in page and "Kirim sebelum Sabtu" in page


def test_a_checkout_above_the_synced_stock_is_refused_on_the_review_page(dealer, shop):
    fill_cart(shop, ("OLI-MPX2", 5))
    part(shop.store, "OLI-MPX2").legacy_stock = 3
    commit()
    answer = dealer.post("/portal/checkout", data={"idempotency_key": "k" * 20})
    assert answer.status_code == 409
    assert "Oli AHM MPX2 0.8L" in answer.get_data(as_text=True)
    assert orders_of(shop) == [] and dealer_cart.view_cart(shop).qty == 5


def test_the_history_shows_status_and_the_so_number_once_submitted(dealer, shop, make):
    waiting = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    sent = make.b2b_order(shop, items=[("BUSI-NGK", 2)])
    order = db.session.get(Order, sent.id)
    transition(order, OrderStatus.CONFIRMED, actor="admin:test")
    order.legacy_state, order.ref_so_number = LegacyState.SUBMITTED, "2026/000123/POD-PD"
    commit()

    page = dealer.get("/portal/orders").get_data(as_text=True)

    assert waiting.number in page and sent.number in page
    assert "2026/000123/POD-PD" in page and "Dikonfirmasi" in page
    assert "Belum dikirim ke ERP" in page
    detail = dealer.get(f"/portal/orders/{sent.id}").get_data(as_text=True)
    assert "2026/000123/POD-PD" in detail and "2 × Rp 18.000" in detail
    assert 'id="cancel-form"' not in detail


def test_a_pending_order_can_be_cancelled_with_a_reason(dealer, shop, make):
    placed = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    assert 'id="cancel-form"' in dealer.get(f"/portal/orders/{placed.id}").get_data(
        as_text=True)

    answer = dealer.post(f"/portal/orders/{placed.id}/cancel", data={"reason": "Salah pesan"})

    assert answer.status_code == 303
    (order,) = orders_of(shop)
    assert order.status == OrderStatus.CANCELLED
    event = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.to_status == "CANCELLED")).one()
    assert (event.actor, event.note) == ("shop:TK001", "Salah pesan")
    assert "Dibatalkan" in dealer.get(f"/portal/orders/{placed.id}").get_data(as_text=True)


def test_an_approved_order_can_no_longer_be_cancelled(dealer, shop, make):
    placed = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    transition(db.session.get(Order, placed.id), OrderStatus.CONFIRMED, actor="admin:test")
    commit()

    answer = dealer.post(f"/portal/orders/{placed.id}/cancel", data={})

    assert answer.status_code == 303
    assert orders_of(shop)[0].status == OrderStatus.CONFIRMED
    page = dealer.get(f"/portal/orders/{placed.id}").get_data(as_text=True)
    assert "hanya pesanan yang menunggu konfirmasi yang bisa dibatalkan" in page


def test_reorder_puts_the_orders_parts_back_in_the_cart(dealer, shop, make):
    placed = make.b2b_order(shop, items=[("OLI-MPX2", 2), ("BUSI-NGK", 3)])
    fill_cart(shop, ("OLI-MPX2", 1))

    answer = dealer.post(f"/portal/orders/{placed.id}/reorder")

    assert answer.status_code == 303 and answer.headers["Location"].endswith("/portal/cart")
    assert [(ln.code, ln.qty) for ln in dealer_cart.view_cart(shop).lines] == [
        ("OLI-MPX2", 3), ("BUSI-NGK", 3)]


def test_reorder_names_the_parts_no_longer_sold(dealer, shop, make):
    placed = make.b2b_order(shop, items=[("OLI-MPX2", 2), ("BUSI-NGK", 3)])
    part(shop.store, "BUSI-NGK").is_active = False
    commit()
    dealer.post(f"/portal/orders/{placed.id}/reorder")
    page = dealer.get("/portal/cart").get_data(as_text=True)
    assert "Tidak bisa dipesan lagi: Busi NGK CPR7EA." in page
    assert [ln.code for ln in dealer_cart.view_cart(shop).lines] == ["OLI-MPX2"]


def test_history_pages_hold_twenty_orders_newest_first(dealer, shop, make):
    numbers = [make.b2b_order(shop, items=[("OLI-MPX2", 1)]).number for _ in range(22)]
    first = dealer.get("/portal/orders").get_data(as_text=True)
    shown = re.findall(r'data-number="([^"]+)"', first)
    assert shown == sorted(numbers, reverse=True)[:20]
    second = dealer.get("/portal/orders?page=2").get_data(as_text=True)
    assert re.findall(r'data-number="([^"]+)"', second) == sorted(numbers, reverse=True)[20:]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 22
