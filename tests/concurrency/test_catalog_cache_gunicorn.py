"""No web process serves a stale price or stock state (issue 16): each keeps the store page
rendered per catalog version, and the database raises the version with the change's commit.
Under gunicorn with two worker processes on PostgreSQL, each worker first caches the page;
then a price change, a product turned off, and a product sold out are seen by the very next
page of both workers, and the very next checkout on each is charged the new price or
refused. Which worker answered is read from gunicorn's access log (the X-Probe header)."""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from shop.extensions import db
from shop.models import Order, OrderItem, Product

from .gunicorn import Held, at_once, gunicorn, served_by

pytestmark = pytest.mark.backends("postgresql")
WORKERS = 2
STORE = "/store/burgerchina"


def card(html: str, code: str) -> str | None:
    found = re.search(rf'<article class="card product" data-code="{code}">(.*?)</article>',
                      html, re.S)
    return found.group(1) if found else None


def on_every_worker(url: str, log, requests: list[Held]) -> list:
    """The requests at once, one per worker; asserts each worker answered one."""
    tag = uuid.uuid4().hex[:8]
    for n, request in enumerate(requests):
        request.probe = f"{tag}-{n}"
    replies = at_once(url, requests)
    pids = served_by(log)
    assert len({pids.get(reply.probe) for reply in replies}) == WORKERS, pids
    return replies


def store_pages(url: str, log) -> list[str]:
    replies = on_every_worker(url, log, [Held("GET", STORE) for _ in range(WORKERS)])
    assert [reply.status for reply in replies] == [200] * WORKERS
    return [reply.text for reply in replies]


def checkouts(url: str, log, items, phones) -> list:
    bodies = [json.dumps({
        "store": "burgerchina", "name": "Pembeli Cache", "phone": phone,
        "address": "Jl. Merdeka 1, Bandung", "courier": "JNE Regular",
        "payment_method": "bank_transfer",
        "items": [{"code": code, "qty": qty} for code, qty in items]}).encode()
        for phone in phones]
    return on_every_worker(url, log, [
        Held("POST", "/api/orders/create-from-checkout", body,
             (("Content-Type", "application/json"),)) for body in bodies])


def change(code: str, **values) -> None:
    """What the back office does: one product changed and committed."""
    db.session.execute(update(Product).where(Product.code == code).values(**values))
    db.session.commit()


def orders_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


@pytest.fixture
def served(app, committed, tmp_path):
    committed.burger_store()
    db.session.remove()
    with gunicorn(app, tmp_path, WORKERS) as (url, log):
        for page in store_pages(url, log):  # each worker has the page in its cache
            assert "Rp 8.000" in card(page, "COLA")
        yield url, log


def test_a_new_price_is_on_every_workers_next_page_and_charged_by_the_next_checkout(served):
    url, log = served
    change("COLA", price=Decimal("9500"))

    for page in store_pages(url, log):
        assert "Rp 9.500" in card(page, "COLA") and "Rp 8.000" not in card(page, "COLA")
    replies = checkouts(url, log, [("COLA", 2)], ["081300000001", "081300000002"])

    assert [reply.status for reply in replies] == [201, 201]
    ids = [json.loads(reply.body)["order"]["id"] for reply in replies]
    prices = db.session.scalars(select(OrderItem.unit_price).where(OrderItem.order_id.in_(ids)))
    assert list(prices) == [Decimal("9500"), Decimal("9500")]


def test_a_product_turned_off_leaves_every_workers_next_page_and_is_refused(served):
    url, log = served
    before = orders_count()
    change("COLA", is_active=False)

    for page in store_pages(url, log):
        assert card(page, "COLA") is None and card(page, "FRIES") is not None
    replies = checkouts(url, log, [("COLA", 1)], ["081300000003", "081300000004"])

    assert [reply.status for reply in replies] == [422, 422]
    assert {json.loads(reply.body)["error"] for reply in replies} == {
        "Produk tidak lagi dijual: Cola."}
    assert orders_count() == before


def test_a_product_sold_out_shows_on_every_workers_next_page_and_is_refused(served):
    url, log = served
    before = orders_count()
    change("COLA", stock=0)

    for page in store_pages(url, log):
        assert "Stok habis" in card(page, "COLA") and "disabled" in card(page, "COLA")
    replies = checkouts(url, log, [("COLA", 1)], ["081300000005", "081300000006"])

    assert [reply.status for reply in replies] == [409, 409]
    assert {json.loads(reply.body)["code"] for reply in replies} == {"out_of_stock"}
    assert orders_count() == before


def test_a_store_detail_is_on_every_workers_next_page_and_checkout(served):
    """Each worker also keeps the store's row (and its checkout page) per version: a courier
    the store stops offering is gone from the next page and refused by the next checkout."""
    from shop.models import Store

    url, log = served
    db.session.execute(update(Store).where(Store.slug == "burgerchina")
                       .values(name="Burger Nusantara", couriers=["SiCepat REG"]))
    db.session.commit()

    for page in store_pages(url, log):
        assert "Burger Nusantara" in page and "Burger China" not in page
    replies = checkouts(url, log, [("COLA", 1)], ["081300000011", "081300000012"])

    assert [reply.status for reply in replies] == [422, 422]
    assert [json.loads(reply.body)["fields"] for reply in replies] == [
        {"courier": "Pilih kurir dari daftar."}] * WORKERS
