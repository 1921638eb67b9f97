"""The dashboard page (/admin/): its figures, store select, scope, escaping, statement count."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import render_template_string

from shop import clock
from shop.extensions import db
from shop.models import Order
from shop.services.access import Scope
from shop.services.orders import set_payment_status, transition

from ..conftest import counted

ADMIN = "admin:siti@toko.test"
HOSTILE = "<script>alert(1)</script>"
#: 31 Jan 2027, 10:00 in Jakarta.
NOW = datetime(2027, 1, 31, 3, 0, tzinfo=UTC)
#: Statements of the page besides the customer overview's: the signed-in admin, its stores
#: (the scope), the store list, dashboard_figures' six, the dealer (B2B) figures' one and
#: the open change requests' count.
PAGE_STATEMENTS = 11


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def order_today(make, store, items, *, name="Budi Santoso", paid=False) -> Order:
    placed = make.order(store, items, name=name)
    order = db.session.get(Order, placed.id)
    order.created_at = datetime(2027, 1, 31, 2, 0, tzinfo=UTC)  # 09:00 WIB
    if paid:
        transition(order, "PROCESSING", actor=ADMIN)
        transition(order, "COMPLETED", actor=ADMIN)
        set_payment_status(order, "PAID", actor=ADMIN)
    db.session.commit()
    return order


def page_of(client, query: str = "") -> str:
    answer = client.get(f"/admin/{query}")
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    answer = client.get("/admin/")
    assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]


def test_dashboard_shows_todays_orders_revenue_chart_and_what_needs_action(
        make, login_as, two_stores):
    a, _b = two_stores
    low = make.product(a, "A-LOW", stock=2, name="Sambal Botol")
    order_today(make, a, [("A-1", 1)], paid=True)
    waiting = order_today(make, a, [("A-1", 2)], name="Sari Menunggu")
    page = page_of(login_as("admin", [a]))
    assert "Pendapatan hari ini" in page and "Rp 65.000" in page
    assert "<svg" in page and "30 hari terakhir" in page
    assert f'href="/admin/order/details/?id={waiting.id}"' in page and "Sari Menunggu" in page
    assert f'href="/admin/products/edit/?id={low.id}"' in page and "Sambal Botol" in page
    assert "Produk A" in page  # a top product


def test_every_link_of_the_dashboard_opens_its_page(make, login_as, two_stores):
    a, _b = two_stores
    make.product(a, "A-LOW", stock=1, name="Sambal Botol")
    order_today(make, a, [("A-1", 1)])
    make.customer(a, "6281200000009", name="Pelanggan Baru")
    client = login_as("admin", [a])
    links = set(re.findall(r'href="(/admin/(?:order|products|customer)/[^"]+)"', page_of(client)))
    assert {link.split("/")[2] for link in links} == {"order", "products", "customer"}
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_admin_of_store_a_never_sees_store_b(make, login_as, two_stores):
    a, b = two_stores
    order_today(make, a, [("A-1", 1)], name="Pembeli Toko A")
    order_today(make, b, [("B-1", 3)], name="Pembeli Toko B", paid=True)
    make.product(b, "B-LOW", stock=0, name="Stok Habis B")
    page = page_of(login_as("admin", [a]))
    for secret in ("Pembeli Toko B", "Produk B", "Stok Habis B", "Rp 120.000", "Toko B"):
        assert secret not in page
    assert "Pembeli Toko A" in page and 'name="store"' not in page  # one store: no select


def test_admin_cannot_pick_another_store_by_a_guessed_id(login_as, two_stores):
    a, b = two_stores
    client = login_as("admin", [a])
    assert client.get(f"/admin/?store={b.id}").status_code == 404
    assert client.get("/admin/?store=x").status_code == 404
    assert client.get(f"/admin/?store={a.id}").status_code == 200


def test_store_select_offers_only_the_admins_stores(make, login_as, two_stores):
    a, b = two_stores
    c = make.store("toko-c", name="Toko C")
    page = page_of(login_as("admin", [a, c]))
    assert f'<option value="{a.id}">Toko A</option>' in page
    assert f'<option value="{c.id}">Toko C</option>' in page
    assert f'value="{b.id}"' not in page


def test_super_admin_picks_one_store_or_all(make, login_as, two_stores):
    a, b = two_stores
    order_today(make, a, [("A-1", 1)], name="Pembeli Toko A")
    order_today(make, b, [("B-1", 1)], name="Pembeli Toko B")
    client = login_as("super_admin")
    everything = page_of(client)
    assert "Pembeli Toko A" in everything and "Pembeli Toko B" in everything
    only_b = page_of(client, f"?store={b.id}")
    assert "Pembeli Toko B" in only_b and "Pembeli Toko A" not in only_b
    assert f'<option value="{b.id}" selected>Toko B</option>' in only_b


def test_script_in_product_and_customer_names_is_shown_escaped(make, login_as, two_stores):
    a, _b = two_stores
    make.product(a, "XSS", "10000", name=f"Kue {HOSTILE}", stock=3)
    order_today(make, a, [("XSS", 2)], name=f"Budi {HOSTILE}")
    page = page_of(login_as("admin", [a]))
    assert HOSTILE not in page
    assert "Kue &lt;script&gt;alert(1)&lt;/script&gt;" in page  # top products chart, low stock
    assert "Budi &lt;script&gt;alert(1)&lt;/script&gt;" in page  # pending orders


def as_a_new_request() -> None:
    """Forget the rows the test's session (shared by its requests) has loaded, the signed-in
    admin and its stores among them, so the page loads them as a request does in production."""
    db.session.expunge_all()


def test_page_runs_a_fixed_number_of_statements(make, login_as, two_stores, count_queries):
    a, b = two_stores
    client = login_as("admin", [a, b])
    overview = customer_overview_statements(count_queries)
    as_a_new_request()
    with count_queries() as few:
        page_of(client)
    for store, code in ((a, "A-1"), (b, "B-1")):
        for n in range(4):
            order_today(make, store, [(code, 1)], paid=n % 2 == 0)
        make.product(store, stock=1)
        make.customer(store, f"62812000000{store.id}")
    as_a_new_request()
    with count_queries() as many:
        page_of(client)
    assert len(counted(few)) == len(counted(many)) == PAGE_STATEMENTS + overview


def customer_overview_statements(count_queries) -> int:
    """What seed 003's customer overview costs on its own (0 until its service exists)."""
    from shop.admin.views.dashboard import customer_overview_of

    with count_queries() as statements:
        customer_overview_of(Scope(None, True, ADMIN), NOW)
    return len(counted(statements))


SEED_003_STATS = {
    "overview": {
        "totalCustomers": 1234, "activeCustomers": 892, "vipCustomers": 156,
        "memberCustomers": 678, "newCustomersThisMonth": 45, "avgLifetimeValue": 4520000,
        "avgPurchases": 12.5, "totalRevenue": 558480000,
    },
    "customersByLevel": [
        {"level": "Bronze", "count": 300}, {"level": "Silver", "count": 500},
        {"level": "Gold", "count": 250}, {"level": "Platinum", "count": 184},
    ],
    "topCustomers": [
        {"id": 7, "name": f"Top {HOSTILE}", "totalSpent": 15000000, "totalPurchases": 50},
    ],
    "recentCustomers": [
        {"id": 9, "name": f"Baru {HOSTILE}", "membershipLevel": "Bronze",
         "createdAt": datetime(2027, 1, 30, 3, 0, tzinfo=UTC)},
    ],
}


def render_customer_block(app, *args) -> str:
    with app.test_request_context("/admin/"):
        return render_template_string(
            '{% import "admin/_charts.html" as blocks %}'
            "{{ blocks.customer_overview(*args) }}", args=args)


def test_customer_overview_block_renders_seed_003s_stats_escaped(app):
    from shop.admin.views.dashboard import level_chart

    html = render_customer_block(app, SEED_003_STATS, level_chart(SEED_003_STATS))
    assert HOSTILE not in html
    assert ('<a href="/admin/customer/details/?id=7">Top &lt;script&gt;alert(1)&lt;/script&gt;'
            '</a>') in html
    assert "Baru &lt;script&gt;" in html and "30 Jan 2027, 10:00" in html
    for shown in ("1234", "892", "156", "Member: 678", "45", "Rp 4.520.000",
                  "Rata-rata 12.5 pembelian", "Rp 558.480.000", "Rp 15.000.000"):
        assert shown in html, shown
    assert html.count("<svg") == 1 and ">Platinum<" in html and ">184<" in html  # the chart


def test_customer_levels_are_a_table_when_no_chart_is_given(app):
    html = render_customer_block(app, SEED_003_STATS)
    assert "<svg" not in html
    assert '<td>Platinum</td><td class="text-right">184</td>' in html


def test_dashboard_shows_the_customer_overview_of_its_stores(make, login_as, two_stores):
    a, b = two_stores
    make.customer(a, "6281200000001", name="Pelanggan Toko A")
    make.customer(b, "6281200000002", name="Pelanggan Toko B")
    page = page_of(login_as("admin", [a]))
    assert "Pelanggan Toko A" in page and "Pelanggan Toko B" not in page
