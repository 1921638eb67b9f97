"""A store's shipping rates in the back office: a fee per courier, free from an amount, or
none (the fee is confirmed by an admin on each order)."""

from __future__ import annotations

import pytest

from shop.extensions import db
from shop.models import Store
from tests.storefront.test_shipping_fees import RATES


@pytest.fixture
def priced(burger):
    store = db.session.get(Store, burger.id)
    store.couriers = ["JNE Regular", "SiCepat REG", "GoSend"]
    store.shipping_rates = RATES
    db.session.commit()
    return store


def test_a_super_admin_sets_the_rates_and_a_wrong_one_changes_nothing(login_as, priced):
    boss = login_as("super_admin")
    form = {"slug": "burgerchina", "name": "Burger China", "whatsapp": "081111111111",
            "timezone": "Asia/Jakarta", "is_active": "y",
            "couriers": "JNE Regular\nGoSend", "shipping_rates-present": "1",
            "shipping_rates-courier": ["JNE Regular", "GoSend"],
            "shipping_rates-fee": ["12.000", ""], "shipping_rates-free_from": ["", ""]}

    wrong = boss.post(f"/admin/stores/edit/?id={priced.id}",
                      data={**form, "shipping_rates-fee": ["dua belas", ""]})
    db.session.expire_all()
    unchanged = db.session.get(Store, priced.id).shipping_rates
    boss.post(f"/admin/stores/edit/?id={priced.id}", data=form)
    db.session.expire_all()

    assert "Isi angka rupiah, misalnya 15000." in wrong.get_data(as_text=True)
    assert unchanged == RATES
    assert db.session.get(Store, priced.id).shipping_rates == [
        {"courier": "JNE Regular", "fee": "12000.00", "free_from": None}]
