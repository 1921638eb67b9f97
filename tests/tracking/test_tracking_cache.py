"""The tracking page is rendered once per everything its row holds and kept per process
(tracking/routes.py): every visitor gets the same page and no cookie, every change of the order
(status, payment, an answered request) is on the very next page, and the browser that placed
the order still gets its own thank-you."""

from __future__ import annotations

import re

import pytest

from shop.extensions import db
from shop.models import Order, OrderRequest, OrderStatus, PaymentStatus
from shop.services.order_requests import answer_request, request_change
from shop.services.orders import set_payment_status, transition


@pytest.fixture
def order(make, burger):
    placed = make.order(burger, items=[("COLA", 2)], payment_method="bank_transfer")
    return db.session.get(Order, placed.id)


def page(client, order) -> str:
    answer = client.get(f"/track/{order.id}")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.get_data(as_text=True)


def visitor(app):
    return app.test_client()


def test_two_visitors_get_the_same_page_and_no_cookie(app, client, order):
    other = visitor(app)
    first, second = client.get(f"/track/{order.id}"), other.get(f"/track/{order.id}")

    assert first.get_data() == second.get_data()
    assert b"\x00" not in first.get_data() and b"csrf_token" not in first.get_data()
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers


@pytest.mark.parametrize("change, shown", [
    (lambda o: transition(o, OrderStatus.CONFIRMED, actor="admin:a@toko.test", notify=False),
     "Dikonfirmasi"),
    (lambda o: set_payment_status(o, PaymentStatus.PAID, actor="admin:a@toko.test",
                                  notify=False), "Lunas"),
])
def test_a_change_of_the_order_is_on_the_very_next_page(client, order, change, shown):
    before = page(client, order)
    assert shown not in before

    change(order)
    db.session.commit()

    assert shown in page(client, order)


def test_an_answered_request_is_on_the_very_next_page(client, order):
    made = request_change(order, topic="address", message="Pindah ke Jl. Baru 2",
                          last_four="7890")
    db.session.commit()
    assert "Pindah ke Jl. Baru 2" in page(client, order)

    answer_request(db.session.get(OrderRequest, made.id), answer="Siap, sudah diganti.",
                   actor="admin:a@toko.test")
    db.session.commit()

    assert "Siap, sudah diganti." in page(client, order)


def test_each_language_has_its_own_page(client, order):
    assert "Lacak Pesanan" in page(client, order) or "Riwayat Pesanan" in page(client, order)
    english = client.get(f"/track/{order.id}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    indonesian = client.get(f"/track/{order.id}?lang=id").get_data(as_text=True)
    assert '<html lang="id">' in indonesian


def test_the_browser_that_placed_the_order_gets_its_thanks_others_do_not(app, burger):
    shopper, path = place_in_browser(app, payment_method="cod")
    other = visitor(app)

    assert 'id="thanks"' not in other.get(path).get_data(as_text=True)
    assert 'id="thanks"' in shopper.get(path).get_data(as_text=True)
    assert 'id="thanks"' not in other.get(path).get_data(as_text=True)


def place_in_browser(app, payment_method: str = "bank_transfer") -> tuple:
    """A browser that placed an order through the form: (browser, its page's path)."""
    shopper = visitor(app)
    assert shopper.post("/store/burgerchina/cart", data={"code": "COLA", "qty": 2}
                        ).status_code == 303
    form = shopper.get("/store/burgerchina/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', form).group(1)
    placed = shopper.post("/store/burgerchina/checkout", data={
        "idempotency_key": key, "name": "Budi", "phone": "081234567890",
        "address": "Jl. Merdeka 1", "district": "Menteng", "city": "Jakarta",
        "province": "DKI Jakarta", "courier": "JNE Regular",
        "payment_method": payment_method})
    assert placed.status_code == 303
    return shopper, placed.headers["Location"]


def whole_page_with_thanks(app, path: str) -> str:
    """The page rendered whole, thank-you and all, as before anything was kept."""
    from shop.services.tracking import load_tracking
    from shop.tracking import routes

    with app.test_request_context(path):
        view = load_tracking(path.rsplit("/", 1)[1])
        return routes._render(view, routes._thanks(view))


@pytest.mark.parametrize("first", ["the shopper", "a stranger"])
def test_the_kept_thank_you_page_is_the_page_rendered_whole(app, burger, first):
    # Given a browser that placed an order, and its page seen first by it or by a stranger
    shopper, path = place_in_browser(app)
    if first == "a stranger":
        assert 'id="thanks"' not in visitor(app).get(path).get_data(as_text=True)

    # When the shopper comes back to it, twice
    pages = [shopper.get(path).get_data(as_text=True) for _ in range(2)]

    # Then each time it is byte for byte the page rendered whole with the thank-you
    whole = whole_page_with_thanks(app, path)
    assert 'id="thanks"' in whole and "wa.me" in whole and "\x00" not in whole
    assert pages == [whole, whole]


def test_a_change_of_the_order_is_on_the_thank_you_page_too(app, burger):
    shopper, path = place_in_browser(app)
    assert "Dikonfirmasi" not in shopper.get(path).get_data(as_text=True)

    transition(db.session.get(Order, path.rsplit("/", 1)[1]), OrderStatus.CONFIRMED,
               actor="admin:a@toko.test", notify=False)
    db.session.commit()

    again = shopper.get(path).get_data(as_text=True)
    assert "Dikonfirmasi" in again and 'id="thanks"' in again
    assert again == whole_page_with_thanks(app, path)
