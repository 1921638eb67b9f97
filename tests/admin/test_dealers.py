"""Dealer shops and sales staff (seed 004) in the back office, scoped by store: store A's
admin never sees or changes store B's shops and staff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import SalesStaff, Shop
from shop.services.dealers import save_sales_staff, save_shop

from .backoffice import csrf_enabled, follow, text, to_login

SHOPS = "/admin/dealer_shops/"
STAFF = "/admin/sales_staff/"


@pytest.fixture
def dealers(two_stores):
    """Each store with an spv, a salesman under them and one dealer shop."""
    a, b = two_stores
    people = {}
    for store, prefix, phone in ((a, "A", "081211110001"), (b, "B", "081211110002")):
        spv = save_sales_staff(store, None, {"name": f"Spv {prefix}", "position": "spv"})
        sales = save_sales_staff(store, None, {"name": f"Sales {prefix}", "position": "sales",
                                               "supervisor_id": spv.id})
        shop = save_shop(store, None, {"code": f"TK00{len(people) + 1}",
                                       "name": f"Toko Dealer {prefix}", "phone": phone,
                                       "salesman_id": sales.id})
        people[prefix] = (spv, sales, shop)
    db.session.commit()
    return a, b, people


def shop_form(**values) -> dict:
    return {"code": "TK010", "name": "Toko Jaya Motor", "phone": "0812 3456 7890",
            "address": "Jl. Asia Afrika 1", "city": "Bandung", "province": "Jawa Barat",
            "ref_toko_id": "77", "salesman_id": "", "is_active": "y", **values}


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


@pytest.mark.parametrize("method, url", [
    *(("get", base + page) for base in (SHOPS, STAFF)
      for page in ("", "new/", "details/?id=1", "edit/?id=1")),
    *(("post", base + page) for base in (SHOPS, STAFF)
      for page in ("new/", "edit/?id=1", "delete/", "action/")),
])
def test_anonymous_visitors_are_sent_to_the_login(client, dealers, method, url):
    assert to_login(getattr(client, method)(url, data={"id": "1", "name": "x"}))
    assert db.session.scalar(select(SalesStaff).where(SalesStaff.name == "x")) is None


def test_an_admin_sees_only_its_stores_shops_and_staff(login_as, dealers):
    a, b, people = dealers
    admin = login_as("admin", [a])

    shops, staff = text(admin.get(SHOPS)), text(admin.get(STAFF))
    form = text(admin.get(f"{SHOPS}new/"))

    assert "Toko Dealer A" in shops and "Toko Dealer B" not in shops
    assert "Sales A" in staff and "Sales B" not in staff and "Spv B" not in staff
    assert "Sales A" in form and "Sales B" not in form and "Toko B" not in form


def test_a_guessed_id_of_another_store_changes_nothing(login_as, dealers):
    a, b, people = dealers
    spv_b, sales_b, shop_b = people["B"]
    admin = login_as("admin", [a])

    for url in (f"{SHOPS}details/?id={shop_b.id}", f"{SHOPS}edit/?id={shop_b.id}",
                f"{STAFF}details/?id={sales_b.id}", f"{STAFF}edit/?id={sales_b.id}"):
        page = follow(admin, admin.get(url))
        assert "Toko Dealer B" not in page and "Sales B" not in page, url
    admin.post(f"{SHOPS}edit/?id={shop_b.id}", data=shop_form(code="TK002", name="Diambil"))
    admin.post(f"{STAFF}edit/?id={sales_b.id}", data={"name": "Diambil", "position": "sales"})
    admin.post(f"{SHOPS}delete/", data={"id": shop_b.id})
    admin.post(f"{SHOPS}action/", data={"action": "delete", "rowid": [shop_b.id]})
    admin.post(f"{STAFF}action/", data={"action": "delete", "rowid": [spv_b.id]})

    assert fresh(Shop, shop_b.id).name == "Toko Dealer B"
    assert fresh(SalesStaff, sales_b.id).name == "Sales B"
    assert fresh(SalesStaff, spv_b.id) is not None


def test_a_shop_is_created_with_a_salesman_of_the_store(login_as, dealers):
    a, b, people = dealers
    sales_a = people["A"][1]
    admin = login_as("admin", [a])

    page = follow(admin, admin.post(f"{SHOPS}new/", data=shop_form(
        store_id=a.id, code="tk010", salesman_id=str(sales_a.id))))

    shop = db.session.scalar(select(Shop).where(Shop.code == "TK010"))
    assert (shop.store_id, shop.phone, shop.salesman_id, shop.ref_toko_id) == (
        a.id, "6281234567890", sales_a.id, 77)
    assert "Sales A" in page and "081234567890" in page


def test_another_stores_salesman_or_a_taken_phone_is_a_form_error(login_as, dealers):
    a, b, people = dealers
    admin = login_as("admin", [a])

    other_salesman = admin.post(f"{SHOPS}new/", data=shop_form(
        store_id=a.id, salesman_id=str(people["B"][1].id)))
    taken_phone = admin.post(f"{SHOPS}new/", data=shop_form(store_id=a.id,
                                                             phone="+62 812-1111-0002"))
    bad_code = admin.post(f"{SHOPS}new/", data=shop_form(store_id=a.id, code="TOKO1"))

    assert other_salesman.status_code == 200
    assert "Pilih salesman toko ini." in text(other_salesman)
    assert "Nomor ini sudah dipakai toko lain." in text(taken_phone)
    assert "TK diikuti 3-10 angka, mis. TK001." in text(bad_code)
    assert db.session.scalar(select(Shop).where(Shop.code == "TK010")) is None


def test_staff_get_a_supervisor_and_are_kept_while_they_serve_shops(login_as, dealers):
    a, b, people = dealers
    spv_a, sales_a, _ = people["A"]
    admin = login_as("admin", [a])

    follow(admin, admin.post(f"{STAFF}new/", data={
        "store_id": a.id, "name": "Rudi", "phone": "0813 5555 6666", "position": "sales",
        "supervisor_id": str(spv_a.id), "is_active": "y"}))
    wrong = admin.post(f"{STAFF}new/", data={"store_id": a.id, "name": "Tono",
                                             "position": "sales",
                                             "supervisor_id": str(people["B"][0].id)})
    kept = follow(admin, admin.post(f"{STAFF}delete/", data={"id": sales_a.id}))

    rudi = db.session.scalar(select(SalesStaff).where(SalesStaff.name == "Rudi"))
    assert (rudi.supervisor_id, rudi.phone) == (spv_a.id, "6281355556666")
    assert "Supervisor tidak ditemukan di toko ini." in text(wrong)
    assert "masih memegang 1 toko" in kept and fresh(SalesStaff, sales_a.id) is not None


def test_a_shop_is_found_by_its_phone_written_any_way(login_as, dealers):
    a, b, people = dealers
    admin = login_as("admin", [a])

    for query in ("0812-1111-0001", "+6281211110001", "TK001", "Dealer"):
        page = text(admin.get(f"{SHOPS}?search={query}"))
        assert "Toko Dealer A" in page, query
    assert "Toko Dealer B" not in text(admin.get(f"{SHOPS}?search=081211110002"))
    assert admin.get(f"{SHOPS}?search=a%00b").status_code == 200


def test_script_in_a_shop_or_staff_name_is_shown_escaped(login_as, dealers):
    a, b, people = dealers
    shop = people["A"][2]
    shop.name = "<script>alert('toko')</script>"
    people["A"][1].name = "<script>alert('sales')</script>"
    db.session.commit()
    admin = login_as("admin", [a])

    for url in (SHOPS, f"{SHOPS}details/?id={shop.id}", STAFF, f"{SHOPS}new/"):
        page = text(admin.get(url))
        assert "<script>alert(" not in page, url
        assert "&lt;script&gt;alert(" in page, url


def test_posts_without_a_csrf_token_are_refused(app, login_as, dealers):
    a, b, people = dealers
    spv_a, sales_a, shop_a = people["A"]
    admin = login_as("admin", [a])

    with csrf_enabled(app):
        answers = [
            admin.post(f"{SHOPS}new/", data=shop_form(store_id=a.id)),
            admin.post(f"{SHOPS}edit/?id={shop_a.id}", data=shop_form(code="TK001")),
            admin.post(f"{SHOPS}delete/", data={"id": shop_a.id}),
            admin.post(f"{SHOPS}action/", data={"action": "delete", "rowid": [shop_a.id]}),
            admin.post(f"{STAFF}new/", data={"store_id": a.id, "name": "X", "position": "spv"}),
            admin.post(f"{STAFF}delete/", data={"id": spv_a.id}),
        ]

    assert [answer.status_code for answer in answers] == [400] * 6
    assert fresh(Shop, shop_a.id).name == "Toko Dealer A"
    assert db.session.scalar(select(SalesStaff).where(SalesStaff.name == "X")) is None
