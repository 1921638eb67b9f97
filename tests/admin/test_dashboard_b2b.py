"""The dashboard's dealer (B2B) panel: what waits for approval and where approved orders
stand with the ERP, for the admin's stores only; absent for stores without dealers."""

from __future__ import annotations

import re

from sqlalchemy import update

from shop.extensions import db
from shop.models import LegacyState, Order


def panel(client) -> str:
    page = client.get("/admin/").get_data(as_text=True)
    found = re.search(r'<section[^>]*id="b2b-panel".*?</section>', page, re.S)
    return found.group(0) if found else ""


def figure(html: str, key: str) -> int:
    return int(re.search(rf'id="b2b-{key}">\s*<span[^>]*>(\d+)</span>', html).group(1))


def test_panel_counts_the_admins_dealer_orders_and_links_to_them(make, login_as):
    shop = make.dealer_shop()
    first = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    make.b2b_order(shop, items=[("BUSI-NGK", 2)])
    db.session.execute(update(Order).where(Order.id == first.id).values(
        status="CONFIRMED", legacy_state=LegacyState.FAILED.value))
    db.session.commit()
    other = make.dealer_shop(make.distributor_store("lain"), code="TK002",
                             phone="628123456780")
    make.b2b_order(other, items=[("OLI-MPX2", 1)])

    client = login_as("admin", [shop.store])
    html = panel(client)

    assert (figure(html, "pending_b2b"), figure(html, "failed")) == (1, 1)
    link = re.search(r'href="([^"]+)" id="b2b-failed"', html).group(1).replace("&amp;", "&")
    listed = client.get(link).get_data(as_text=True)
    assert first.number in listed and "ORD-" in listed


def test_no_panel_for_a_store_without_dealers(make, login_as):
    store = make.store("warung")
    assert panel(login_as("admin", [store])) == ""
