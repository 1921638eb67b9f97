"""Refusals a shopper can meet on the pages: each gets a readable answer, never a 500."""

import re

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Customer, Order
from shop.services.customer_import import import_customers
from tests.conftest import make_test_app
from tests.factories import Factories

FORM = {"name": "Budi", "phone": "081234567890", "address": "Jl. A", "district": "Gambir",
        "city": "Jakarta Pusat", "province": "DKI Jakarta", "idempotency_key": "page-key-123456"}


def orders() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


def test_page_key_reused_with_other_details_says_so_and_offers_a_fresh_key(client, make):
    store = make.store("warung")
    make.product(store, "TEH", "5000")
    client.post("/store/warung/cart", data={"code": "TEH", "qty": "1", "action": "add"})
    assert client.post("/store/warung/checkout", data=FORM).status_code == 303
    client.post("/store/warung/cart", data={"code": "TEH", "qty": "2", "action": "add"})

    # Back, change the phone, send the same page again: not the same checkout any more.
    again = client.post("/store/warung/checkout", data={**FORM, "phone": "082987654321"})

    page = again.get_data(as_text=True)
    assert again.status_code == 422 and "idempotency_key sudah dipakai" in page
    new_key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page)
    assert new_key and new_key.group(1) != FORM["idempotency_key"]
    assert orders() == 1
    fresh = client.post("/store/warung/checkout", data={
        **FORM, "phone": "082987654321", "idempotency_key": new_key.group(1)})
    assert fresh.status_code == 303 and orders() == 2


def test_redirect_target_with_a_line_break_goes_back_to_the_store(client, make):
    store = make.store("warung")
    make.product(store, "TEH", "5000")
    answer = client.post("/store/warung/cart", data={
        "code": "TEH", "qty": "1", "action": "add", "next": "/store/warung\r\nX-Evil: 1"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/store/warung"


def test_missing_csrf_token_gets_an_indonesian_answer_and_writes_nothing(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'csrf.db'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        store = Factories().store("warung")
        Factories().product(store, "TEH", "5000")
        client = app.test_client()
        page = client.post("/store/warung/checkout", data=FORM)
        as_json = client.post("/store/warung/cart", data={"code": "TEH", "action": "add"},
                              headers={"Accept": "application/json"})
        assert page.status_code == 400 and "Sesi halaman habis" in page.get_data(as_text=True)
        assert as_json.status_code == 400 and as_json.json["code"] == "csrf"
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 0
        db.session.remove()
        db.engine.dispose()


def test_import_tells_a_too_long_name_from_an_empty_one(make):
    report = import_customers(make.store(), "name,phone\n" + "B" * 300 + ",081234567890\n,0812\n")
    reasons = dict(report.rejected)
    assert "terlalu panjang" in reasons[2] and "wajib diisi" in reasons[3]
