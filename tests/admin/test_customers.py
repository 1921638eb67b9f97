"""Customers in the back office (seed 003's CRM): who sees what, forms through the crm
service, soft delete, detail analytics, CSV import and export, escaping, CSRF."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Customer, CustomerStatus, CustomerType, Order, OrderEvent

from ..conftest import counted
from .customer_helpers import csrf_of, signed_in

LIST = "/admin/customer/"
SCRIPT = "<script>alert(1)</script>"


def form_of(customer: Customer, **changes) -> dict:
    """The edit form as the page posts it, with some fields changed."""
    data = {
        "name": customer.name, "phone": customer.phone, "email": customer.email or "",
        "address": customer.address or "", "city": customer.city or "",
        "province": customer.province or "", "postal_code": customer.postal_code or "",
        "type": customer.type.value, "status": customer.status.value,
        "membership_level": customer.membership_level.value, "discount": str(customer.discount),
        "birth_date": "", "gender": "", "notes": customer.notes or "",
        "partner_id": customer.partner_id or "",
    }
    data.update(changes)
    return data


def new_form(store=None, **fields) -> dict:
    data = {"name": "Jane Smith", "phone": "0812-3456-7891", "email": "jane@toko.co.id",
            "address": "Jl. Sudirman 1", "type": "member", "status": "active",
            "membership_level": "Silver", "discount": "", "gender": "female"}
    if store is not None:
        data["store_id"] = str(store.id)
    data.update(fields)
    return data


def body(answer) -> str:
    return answer.get_data(as_text=True)


def exported(client, query: str = "") -> list[dict]:
    answer = client.get(LIST + "export.csv" + query)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(body(answer).lstrip("\ufeff"))))


def upload(client, store, text: str, name: str = "pelanggan.csv", **extra):
    return client.post(LIST + "import/", data={
        "store_id": str(store.id), "file": (io.BytesIO(text.encode()), name), **extra,
    }, content_type="multipart/form-data")


@pytest.fixture
def shops(two_stores, make):
    """Store A with Ani and Budi, store B with Beni."""
    a, b = two_stores
    ani = make.customer(a, "6281200000001", name="Ani Lestari", email="ani@toko.co.id",
                        type=CustomerType.VIP, total_spent=Decimal("2500000"))
    budi = make.customer(a, "6281234567890", name="Budi Santoso")
    beni = make.customer(b, "6281299990000", name="Beni Toko B")
    return a, b, ani, budi, beni


# --- who may see what ----------------------------------------------------------------------


@pytest.mark.parametrize("path", [LIST, LIST + "new/", LIST + "details/?id=1",
                                  LIST + "edit/?id=1", LIST + "import/", LIST + "export.csv"])
def test_anonymous_people_are_sent_to_the_login_page(client, path):
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/admin/login?next=")


@pytest.mark.parametrize("path", ["delete/", "restore/", "action/", "import/", "new/"])
def test_anonymous_writes_are_sent_to_the_login_page_and_change_nothing(client, shops, path):
    *_, ani, _, _ = shops
    answer = client.post(LIST + path, data={"id": ani.id, "action": "delete", "rowid": ani.id})
    assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]
    assert db.session.get(Customer, ani.id).is_active


def test_an_admin_lists_only_its_stores_customers_and_stores(login_as, shops):
    a, b, *_ = shops
    page = body(signed_in(login_as, "admin", [a]).get(LIST))
    assert "Ani Lestari" in page and "Budi Santoso" in page
    assert "Beni Toko B" not in page
    assert "Toko B" not in page  # not even among the store filter's options
    every = body(signed_in(login_as, "super_admin").get(LIST))
    assert all(name in every for name in ("Ani Lestari", "Budi Santoso", "Beni Toko B"))


def test_another_stores_customer_by_guessed_id_reads_as_missing(login_as, shops):
    a, b, ani, _, beni = shops
    client = signed_in(login_as, "admin", [a])
    for path in (f"details/?id={beni.id}", f"edit/?id={beni.id}", "details/?id=999999",
                 "details/?id=abc", "edit/?id=99999999999999999999", "details/?id=1%00"):
        answer = client.get(LIST + path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith(LIST)
        assert "Beni" not in body(client.get(answer.headers["Location"]))
    every = signed_in(login_as, "super_admin")
    assert every.get(LIST + f"details/?id={beni.id}").status_code == 200


def test_another_stores_customer_cannot_be_edited_deleted_or_restored(login_as, shops):
    a, b, ani, _, beni = shops
    client = signed_in(login_as, "admin", [a])
    client.post(LIST + f"edit/?id={beni.id}", data=form_of(beni, name="Diubah A"))
    client.post(LIST + "delete/", data={"id": beni.id, "url": LIST})
    client.post(LIST + "action/", data={"action": "delete", "rowid": [beni.id, ani.id]})
    db.session.expire_all()
    assert db.session.get(Customer, beni.id).name == "Beni Toko B"
    assert db.session.get(Customer, beni.id).is_active
    assert not db.session.get(Customer, ani.id).is_active  # its own, in the same action


def test_export_holds_only_the_admins_stores(login_as, shops):
    a, *_ = shops
    assert {r["name"] for r in exported(signed_in(login_as, "admin", [a]))} == {"Ani Lestari",
                                                                      "Budi Santoso"}
    assert len(exported(signed_in(login_as, "super_admin"))) == 3


def test_an_admin_cannot_import_into_another_store(login_as, shops):
    a, b, *_ = shops
    answer = upload(signed_in(login_as, "admin", [a]), b, "name,phone\nSusup,081277778888\n")
    assert answer.status_code == 200 and "Hasil impor" not in body(answer)
    assert db.session.execute(select(func.count()).select_from(Customer).where(
        Customer.store_id == b.id)).scalar() == 1


# --- list: search, filters, soft delete ------------------------------------------------------


@pytest.mark.parametrize("text", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890",
                                  "budi"])
def test_search_finds_the_customer_by_name_or_any_written_form_of_the_phone(login_as, shops,
                                                                           text):
    a, *_ = shops
    page = body(signed_in(login_as, "admin", [a]).get(LIST, query_string={"search": text}))
    assert "Budi Santoso" in page and "Ani Lestari" not in page


def test_filters_by_type_and_refuses_an_unknown_value(login_as, shops):
    a, *_ = shops
    client = signed_in(login_as, "admin", [a])
    vip = body(client.get(LIST + "?flt0_tipe_equals=vip"))
    assert "Ani Lestari" in vip and "Budi Santoso" not in vip
    for query in ("?flt0_tipe_equals=boss", "?flt0_toko_equals=x%00", "?search=a%00b"):
        answer = client.get(LIST + query)
        assert answer.status_code == 200, query


def test_delete_is_the_seeds_soft_delete_and_restore_brings_it_back(login_as, shops):
    a, _, _, budi, _ = shops
    client = signed_in(login_as, "admin", [a])
    answer = client.post(LIST + "delete/", data={"id": budi.id, "url": LIST})
    assert answer.status_code == 302
    db.session.expire_all()
    row = db.session.get(Customer, budi.id)
    assert (row.is_active, row.status) == (False, CustomerStatus.INACTIVE)
    assert "Budi Santoso" not in body(client.get(LIST))
    assert "Budi Santoso" in body(client.get(LIST + "?flt0_dihapus_tampilkan=1"))
    client.post(LIST + "restore/", data={"id": budi.id})
    db.session.expire_all()
    assert db.session.get(Customer, budi.id).is_active


# --- forms ---------------------------------------------------------------------------------


def test_create_normalizes_the_phone_and_opens_the_new_customer(login_as, shops):
    a, *_ = shops
    answer = signed_in(login_as, "admin", [a]).post(LIST + "new/", data=new_form())
    customer = db.session.execute(select(Customer).where(Customer.name == "Jane Smith")).scalar()
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"details/?id={customer.id}")
    assert (customer.store_id, customer.phone, customer.type.value) == (a.id, "6281234567891",
                                                                       "member")
    assert customer.discount == Decimal("10.00")  # Silver's tier


def test_a_duplicate_phone_or_email_is_an_error_on_the_field(login_as, shops):
    a, *_ = shops
    client = signed_in(login_as, "admin", [a])
    by_phone = client.post(LIST + "new/", data=new_form(phone="+62 812-3456-7890"))
    assert by_phone.status_code == 200
    assert "Nomor HP sudah dipakai pelanggan lain (Budi Santoso)." in body(by_phone)
    by_email = client.post(LIST + "new/", data=new_form(email="ANI@toko.co.id"))
    assert by_email.status_code == 200
    assert "Email sudah dipakai pelanggan lain (Ani Lestari)." in body(by_email)
    assert db.session.execute(select(func.count()).select_from(Customer)).scalar() == 3


def test_an_admin_of_two_stores_chooses_the_store(login_as, shops, make):
    a, *_ = shops
    c = make.store("toko-c", name="Toko C")
    client = signed_in(login_as, "admin", [a, c])
    assert client.post(LIST + "new/", data=new_form()).status_code == 200  # no store chosen
    assert client.post(LIST + "new/", data=new_form(c)).status_code == 302
    assert db.session.execute(select(Customer.store_id).where(
        Customer.name == "Jane Smith")).scalar() == c.id


def test_edit_goes_through_the_service_and_leaves_the_stats_alone(login_as, shops):
    a, _, ani, _, _ = shops
    client = signed_in(login_as, "admin", [a])
    page = body(client.get(LIST + f"edit/?id={ani.id}"))
    assert "081200000001" in page and 'name="total_spent"' not in page
    answer = client.post(LIST + f"edit/?id={ani.id}", data=form_of(
        ani, name="Ani L.", phone="0812 0000 0001", total_spent="1", points="999"))
    assert answer.status_code == 302
    db.session.expire_all()
    row = db.session.get(Customer, ani.id)
    assert (row.name, row.phone, row.total_spent, row.points) == (
        "Ani L.", "6281200000001", Decimal("2500000.00"), 0)


def test_a_new_address_in_the_form_reaches_the_unshipped_orders(login_as, shops, make):
    a, *_ = shops
    placed = make.order(a, [("A-1", 1)], phone="081234567890")
    customer = db.session.get(Customer, placed.customer.id)
    client = signed_in(login_as, "admin", [a])
    client.post(LIST + f"edit/?id={customer.id}", data=form_of(customer, address="Jl. Baru 9"))
    assert f"pesanan yang belum dikirim: {placed.number}" in body(client.get(LIST))
    db.session.expire_all()
    assert db.session.get(Order, placed.id).shipping_address == "Jl. Baru 9"
    assert db.session.execute(select(OrderEvent.actor).where(
        OrderEvent.order_id == placed.id, OrderEvent.kind == "edited")).scalar() == \
        f"admin:{client.admin.email}"


# --- detail page -----------------------------------------------------------------------------


def test_detail_shows_purchase_stats_chart_recent_orders_and_top_products(login_as, shops,
                                                                          make):
    from shop.services.orders import set_payment_status, transition

    a, *_ = shops
    placed = make.order(a, [("A-1", 2)], phone="081234567890")
    order = db.session.get(Order, placed.id)
    for status in ("PROCESSING", "COMPLETED"):
        transition(order, status, actor="admin:test")
    set_payment_status(order, "PAID", actor="admin:test")
    db.session.commit()
    page = body(signed_in(login_as, "admin", [a]).get(LIST + f"details/?id={placed.customer.id}"))
    stats = page[page.index('id="purchase-stats"'):]
    assert "Rp 130.000" in stats  # 2 x Rp 65.000, one purchase
    assert '<svg id="monthly-spending"' in page and page.count("<rect") == 12
    recent = page[page.index('id="recent-orders"'):]
    assert f'<a href="/admin/order/details/?id={placed.id}">{placed.number}</a>' in recent
    assert "Produk A" in page[page.index('id="top-products"'):]


def test_shopper_text_is_escaped_in_list_detail_chart_and_export(login_as, shops, make):
    a, *_ = shops
    evil = make.customer(a, "6281277776666", name=SCRIPT, notes=SCRIPT, address=SCRIPT,
                         email=None, city="=HYPERLINK(\"http://x\")")
    client = signed_in(login_as, "admin", [a])
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    listing = body(client.get(LIST))
    detail = body(client.get(LIST + f"details/?id={evil.id}"))
    assert SCRIPT not in listing and escaped in listing
    assert SCRIPT not in detail and detail.count(escaped) >= 4  # name, address, notes, chart
    chart = detail[detail.index('<svg id="monthly-spending"'):detail.index("</svg>")]
    assert escaped in chart
    row = next(r for r in exported(client) if r["phone"] == "6281277776666")
    assert row["name"] == SCRIPT  # CSV is not HTML: kept as text
    assert row["city"] == "'=HYPERLINK(\"http://x\")"  # but no formula runs


# --- CSV import and export -------------------------------------------------------------------


def test_import_shows_the_report_created_merged_and_rejected_with_line_numbers(login_as,
                                                                                shops):
    a, *_ = shops
    text = ("name,phone,email,address\n"
            "Citra,0813-1111-2222,citra@toko.co.id,Jl. Satu\n"
            "Budi Lagi,+62 812-3456-7890,budi@toko.co.id,\n"
            ",081399998888,,\n"
            "Dodi,12345,,\n")
    answer = upload(signed_in(login_as, "admin", [a]), a, text)
    page = body(answer)
    report = page[page.index('id="import-report"'):]
    assert re.search(r'class="created">1<', report) and re.search(r'class="merged">1<', report)
    assert re.search(r'class="rejected">2<', report)
    assert "<td>4</td>" in report and "<td>5</td>" in report
    assert "nomor HP tidak valid: &#39;12345&#39;" in report
    db.session.expire_all()
    budi = db.session.execute(select(Customer).where(Customer.phone == "6281234567890")).scalar()
    assert (budi.name, budi.email) == ("Budi Santoso", "budi@toko.co.id")  # blanks filled only


def test_an_unreadable_upload_is_a_form_error(login_as, shops):
    a, *_ = shops
    client = signed_in(login_as, "admin", [a])
    answer = client.post(LIST + "import/", data={
        "store_id": str(a.id), "file": (io.BytesIO("name,phone\nJosé,1\n".encode("latin-1")),
                                        "x.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 200 and "CSV UTF-8" in body(answer)
    wrong_header = upload(client, a, "nama,hp\nA,081234567890\n")
    assert "Header CSV harus" in body(wrong_header)


def test_export_then_import_into_another_store_gives_the_same_customers(login_as, shops,
                                                                        make):
    a, *_ = shops
    c = make.store("toko-c", name="Toko C")
    make.customer(a, "6281355554444", name="Multi Baris", address="Jl. A\nRT 01, \"Gang\"",
                  email="multi@toko.co.id")
    client = signed_in(login_as, "admin", [a, c])
    rows = exported(client, f"?flt0_toko_equals={a.id}")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    answer = upload(client, c, text.getvalue())
    assert re.search(r'class="created">3<', body(answer))

    def people(store):
        return set(db.session.execute(select(
            Customer.name, Customer.phone, Customer.email, Customer.address)
            .where(Customer.store_id == store.id)).all())

    assert people(c) == people(a) and len(people(c)) == 3


# --- CSRF ----------------------------------------------------------------------------------


def test_every_write_needs_the_csrf_token(app, login_as, shops):
    a, _, ani, budi, _ = shops
    client = signed_in(login_as, "admin", [a])
    writes = [
        ("new/", new_form(), 302),
        (f"edit/?id={ani.id}", form_of(ani, name="Ani CSRF"), 302),
        ("delete/", {"id": budi.id, "url": LIST}, 302),
        ("restore/", {"id": budi.id}, 302),
        ("action/", {"action": "delete", "rowid": [ani.id], "url": LIST}, 302),
    ]
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        token = csrf_of(client)
        for path, data, status in writes:
            assert client.post(LIST + path, data=data).status_code == 400, path
            answer = client.post(LIST + path, data={**data, "csrf_token": token})
            assert answer.status_code == status, (path, body(answer)[:500])
        refused = upload(client, a, "name,phone\nZ,081277770000\n")
        assert refused.status_code == 400
        accepted = upload(client, a, "name,phone\nZ,081277770000\n", csrf_token=token)
        assert accepted.status_code == 200 and "Hasil impor" in body(accepted)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- statements per page -----------------------------------------------------------------------


def test_list_and_detail_run_a_fixed_number_of_statements(app, login_as, shops, make,
                                                          count_queries):
    a, _, ani, _, _ = shops
    store_id, customer_id = a.id, ani.id
    client = signed_in(login_as, "admin", [a])

    def statements(path: str) -> list[str]:
        db.session.remove()  # as after a real request: nothing cached in the session
        with count_queries() as seen:
            assert client.get(path).status_code == 200
        return counted(seen)

    few = statements(LIST)
    for n in range(30):
        make.customer(db.session.get(type(a), store_id), f"6281300000{n:03d}", name=f"C{n}")
    assert len(few) == len(statements(LIST)) == LIST_STATEMENTS
    make.order(db.session.get(type(a), store_id), [("A-1", 1)], phone="081200000001")
    detail = statements(LIST + f"details/?id={customer_id}")
    assert len(detail) == DETAIL_STATEMENTS


#: Login (user, its stores), store filter options, count, page with stores joined.
LIST_STATEMENTS = 5
#: Login (user, its stores, which hold the customer's store), customer, purchase stats,
#: recent orders and their items, top products, monthly spending.
DETAIL_STATEMENTS = 8
