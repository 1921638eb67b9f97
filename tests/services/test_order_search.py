"""Finding orders in the back office: search by number, name, phone in any form and id;
filters; pages; export; always inside the admin's stores."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from shop.extensions import db
from shop.models import Channel, Order, OrderStatus, PaymentStatus
from shop.services.access import Scope
from shop.services.order_edits import edit_order
from shop.services.order_search import (
    OrderFilters,
    clean_filters,
    customer_choices,
    export_orders,
    find_orders,
    list_orders,
    list_timezone,
    phone_in,
    scope_stores,
)
from shop.services.orders import transition

from ..conftest import counted


def admin_of(*stores) -> Scope:
    return Scope(frozenset(s.id for s in stores), False, "admin:a@toko.test")


SUPER = Scope(None, True, "admin:super@toko.test")


def numbers(scope, **filters) -> set[str]:
    return {row.number for row in list_orders(scope, OrderFilters(**filters), page_size=100).rows}


@pytest.fixture
def two_stores(make):
    """Store A and store B with a product each."""
    a, b = make.store("toko-a", name="Toko A"), make.store("toko-b", name="Toko B")
    make.product(a, "A-1", "65000", name="Produk A")
    make.product(b, "B-1", "40000", name="Produk B")
    return a, b


@pytest.fixture
def shops(make, two_stores):
    """Store A with Budi's and Sari's orders, store B with Budi's (same phone) order."""
    a, b = two_stores
    budi = make.order(a, items=[("A-1", 1)], name="Budi Santoso", phone="081234567890")
    sari = make.order(a, items=[("A-1", 2)], name="Sari Dewi", phone="0813-9999-8888")
    other = make.order(b, items=[("B-1", 1)], name="Budi Santoso", phone="081234567890")
    return a, b, budi, sari, other


@pytest.mark.parametrize("written", [
    "081234567890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890", "812 3456 7890",
    "(0812) 3456.7890",
])
def test_a_phone_written_any_way_finds_the_order(shops, written):
    a, _b, budi, _sari, _other = shops
    assert numbers(admin_of(a), search=written) == {budi.number}


def test_the_customers_phone_finds_an_order_sent_to_another_recipient(shops):
    a, _b, budi, _sari, _other = shops
    order = db.session.get(Order, budi.id)
    edit_order(order, {"recipient_phone": "0857-1111-2222"}, actor="test")
    db.session.commit()

    assert numbers(admin_of(a), search="0857 1111 2222") == {budi.number}
    assert numbers(admin_of(a), search="081234567890") == {budi.number}  # the customer's phone


def test_number_part_recipient_name_customer_name_and_id_find_orders(shops, make):
    a, _b, budi, sari, _other = shops
    scope = admin_of(a)
    assert numbers(scope, search=budi.number) == {budi.number}
    assert numbers(scope, search=budi.number.lower()) == {budi.number}
    assert numbers(scope, search=budi.number[-3:].lower()) >= {budi.number}
    assert numbers(scope, search="sari") == {sari.number}
    assert numbers(scope, search=sari.id) == {sari.number}
    # Sari orders again under a new name: her customer row is renamed, the old order found by it
    make.order(a, items=[("A-1", 1)], name="Sari Kusuma", phone="081399998888")
    assert sari.number in numbers(scope, search="Kusuma")


def test_like_wildcards_in_the_text_are_plain_characters(shops):
    a, *_ = shops
    assert numbers(admin_of(a), search="%") == set()
    assert numbers(admin_of(a), search="_") == set()


def test_another_stores_orders_never_match_whatever_is_asked(shops):
    a, b, budi, sari, other = shops
    scope = admin_of(a)
    assert numbers(scope) == {budi.number, sari.number}
    assert other.number not in numbers(scope, search=other.id)
    assert numbers(scope, store_id=b.id) == set()
    assert numbers(admin_of(), search="Budi") == set()  # an admin without stores sees nothing
    assert numbers(SUPER, search="081234567890") == {budi.number, other.number}


def test_filters_by_status_payment_channel_and_store(shops):
    a, b, budi, sari, other = shops
    transition(db.session.get(Order, sari.id), OrderStatus.CONFIRMED, actor="test")
    db.session.execute(update(Order).where(Order.id == budi.id).values(
        payment_status=PaymentStatus.PAID.value, channel=Channel.ADMIN.value))
    db.session.commit()
    scope = admin_of(a, b)

    assert numbers(scope, status=OrderStatus.CONFIRMED) == {sari.number}
    assert numbers(scope, payment_status=PaymentStatus.PAID) == {budi.number}
    assert numbers(scope, channel=Channel.ADMIN) == {budi.number}
    assert numbers(scope, store_id=b.id) == {other.number}
    assert numbers(scope, status=OrderStatus.PENDING, store_id=a.id) == {budi.number}


def test_dates_are_days_in_the_stores_time_zone(shops):
    a, _b, budi, sari, _other = shops
    # 23:30 in Jakarta on 27 January is 16:30 UTC; 00:30 on the 28th is 17:30 UTC
    at = {budi.id: datetime(2024, 1, 27, 16, 30, tzinfo=UTC),
          sari.id: datetime(2024, 1, 27, 17, 30, tzinfo=UTC)}
    for order_id, moment in at.items():
        db.session.execute(update(Order).where(Order.id == order_id).values(created_at=moment))
    db.session.commit()
    scope, day = admin_of(a), date(2024, 1, 27)

    assert numbers(scope, date_from=day, date_to=day) == {budi.number}
    assert numbers(scope, date_from=date(2024, 1, 28)) >= {sari.number}
    assert budi.number not in numbers(scope, date_from=date(2024, 1, 28))
    assert numbers(scope, date_to=day) == {budi.number}


def test_query_strings_with_junk_are_ignored_not_refused():
    filters = clean_filters({"search": "  budi   santoso ", "status": "NOPE",
                             "payment_status": "PAID", "channel": "fax", "store_id": "1; drop",
                             "date_from": "2024-13-01", "date_to": "2024-01-31"})
    assert filters == OrderFilters(search="budi santoso", payment_status=PaymentStatus.PAID,
                                   date_to=date(2024, 1, 31))
    assert filters.as_args() == {"search": "budi santoso", "payment_status": "PAID",
                                 "date_to": "2024-01-31"}
    assert clean_filters({"search": "x" * 500}).search == "x" * 100


def test_only_phone_like_text_is_read_as_a_phone():
    assert phone_in("0812-3456-7890") == "6281234567890"
    assert phone_in("ORD-20240127-001") is None
    assert phone_in("20240127") is None
    assert phone_in("Budi") is None


def test_a_page_is_two_statements_whatever_its_size(make, two_stores, count_queries):
    a, _b = two_stores
    for _ in range(30):
        make.order(a, items=[("A-1", 1)])
    scope = admin_of(a)
    with count_queries() as small:
        list_orders(scope, OrderFilters(), page_size=25)
    with count_queries() as large:
        page = list_orders(scope, OrderFilters(search="Budi"), page=2, page_size=25)
    assert len(counted(small)) == len(counted(large)) == 2
    assert (page.total, page.page, page.pages, len(page.rows)) == (30, 2, 2, 5)


def test_pages_are_clamped_and_unknown_sizes_fall_back(shops):
    a, *_ = shops
    page = list_orders(admin_of(a), OrderFilters(), page=99, page_size=7)
    assert (page.page, page.page_size, page.total) == (1, 25, 2)


def test_export_streams_every_matching_order_of_the_scope(shops):
    a, b, budi, sari, other = shops
    rows = list(export_orders(admin_of(a), OrderFilters(search="Budi")))
    assert [r.number for r in rows] == [budi.number]
    assert rows[0].store_name == a.name and rows[0].store_timezone == "Asia/Jakarta"
    assert {r.number for r in export_orders(SUPER, OrderFilters())} >= {
        budi.number, sari.number, other.number}


def test_find_orders_keeps_only_the_scopes_orders(shops):
    a, _b, budi, _sari, other = shops
    found = find_orders(admin_of(a), [budi.id, other.id, "junk", budi.id, None])
    assert [o.id for o in found] == [budi.id]


def test_customer_choices_stay_in_one_store(shops, make):
    a, b, *_ = shops
    assert [c.name for c in customer_choices(a.id, "0812 3456 7890")] == ["Budi Santoso"]
    assert [c.name for c in customer_choices(a.id, "dewi")] == ["Sari Dewi"]
    assert [c.name for c in customer_choices(b.id, "dewi")] == []
    assert customer_choices(a.id, "") == []


def test_store_options_and_time_zone_follow_the_scope(two_stores, make):
    a, b = two_stores
    bali = make.store("toko-bali", name="Toko Bali", timezone="Asia/Makassar")
    assert [s.id for s in scope_stores(admin_of(a))] == [a.id]
    assert list_timezone(scope_stores(admin_of(a, bali)), None) == "Asia/Jakarta"
    assert list_timezone(scope_stores(admin_of(a, bali)), bali.id) == "Asia/Makassar"
    assert list_timezone(scope_stores(admin_of(bali)), None) == "Asia/Makassar"
    assert b.id in {s.id for s in scope_stores(SUPER)}
