"""The CRM operations of seed 003: create, edit, soft delete, lists; seed 000's address copy."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from shop.errors import DuplicateValue, InvalidInput, NotFound
from shop.extensions import db
from shop.models import (
    Customer,
    CustomerStatus,
    CustomerType,
    MembershipLevel,
    Order,
    OrderEvent,
)
from shop.services import crm
from shop.services.access import Scope
from shop.services.orders import transition

NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
ADMIN = "admin:siti@toko.test"
EVERYWHERE = Scope(None, True, ADMIN)


def scope_of(*stores) -> Scope:
    return Scope(frozenset(s.id for s in stores), False, ADMIN)


@pytest.fixture
def store(make):
    store = make.store("toko-crm", name="Toko CRM")
    make.product(store, "NASI", "25000", name="Nasi Goreng")
    return store


def test_new_customer_gets_normalized_phone_level_discount_and_zero_stats(store):
    customer = crm.create_customer(store, {
        "name": "  Jane   Smith ", "phone": "0812-3456-7891", "email": "Jane@Example.com",
        "type": "member", "membership_level": "Gold", "birth_date": "1990-05-15",
        "gender": "female", "city": "Jakarta", "postal_code": "12190",
    }, now=NOW)
    db.session.commit()
    assert customer.name == "Jane Smith"
    assert customer.phone == "6281234567891"
    assert customer.email == "jane@example.com"
    assert customer.type == CustomerType.MEMBER
    assert customer.membership_level == MembershipLevel.GOLD
    assert customer.discount == Decimal("15.00")  # Gold's tier, none given
    assert customer.birth_date == date(1990, 5, 15)
    assert (customer.total_spent, customer.total_purchases, customer.points) == (0, 0, 0)
    assert customer.created_at == NOW


def test_every_refused_field_is_reported_at_once_and_nothing_is_written(store):
    with pytest.raises(InvalidInput) as refused:
        crm.create_customer(store, {
            "name": "", "phone": "12", "email": "not-an-email", "type": "gold",
            "discount": "120", "birth_date": "2099-01-01", "city": "a\x00b",
        }, now=NOW)
    assert set(refused.value.fields) == {"name", "phone", "email", "type", "discount",
                                         "birth_date", "city"}
    db.session.rollback()
    assert db.session.execute(select(Customer).where(Customer.store_id == store.id)).first() \
        is None


@pytest.mark.parametrize("field", ["total_spent", "total_purchases", "total_orders", "points",
                                   "last_visit", "store_id", "is_active"])
def test_stats_and_store_cannot_be_written(store, make, field):
    customer = make.customer(store, "6281200000001")
    with pytest.raises(InvalidInput) as refused:
        crm.update_customer(customer, {field: "1"}, actor=ADMIN, now=NOW)
    assert refused.value.fields == {field: "Tidak bisa diubah."}


def test_a_phone_in_another_form_or_an_email_taken_in_the_store_is_a_duplicate(store, make):
    make.customer(store, "6281234567890", name="Budi", email="budi@toko.co.id")
    with pytest.raises(DuplicateValue) as by_phone:
        crm.create_customer(store, {"name": "Budi 2", "phone": "+62 812-3456-7890"}, now=NOW)
    assert "phone" in by_phone.value.fields and "Budi" in by_phone.value.fields["phone"]
    with pytest.raises(DuplicateValue) as by_email:
        crm.create_customer(store, {"name": "Budi 3", "phone": "081299990000",
                                    "email": "BUDI@toko.co.id"}, now=NOW)
    assert set(by_email.value.fields) == {"email"}


def test_the_same_phone_in_another_store_is_another_customer(store, make):
    other = make.store("toko-lain")
    make.customer(other, "6281234567890")
    customer = crm.create_customer(store, {"name": "Budi", "phone": "081234567890"}, now=NOW)
    assert customer.store_id == store.id


def test_an_edit_refuses_a_phone_of_another_customer_but_keeps_its_own(store, make):
    make.customer(store, "6281200000001", name="Ani")
    budi = make.customer(store, "6281200000002", name="Budi")
    with pytest.raises(DuplicateValue):
        crm.update_customer(budi, {"phone": "081200000001"}, actor=ADMIN, now=NOW)
    db.session.rollback()
    result = crm.update_customer(budi, {"phone": "081200000002", "name": "Budi S"},
                                 actor=ADMIN, now=NOW)
    assert result.changed == {"name": ["Budi", "Budi S"]}


def test_an_edit_of_a_customer_whose_email_checkout_shared_still_goes_through(store, make):
    make.customer(store, "6281200000001", email="rumah@toko.co.id")
    twin = make.customer(store, "6281200000002", email="rumah@toko.co.id")
    result = crm.update_customer(twin, {"email": "rumah@toko.co.id", "notes": "Langganan"},
                                 actor=ADMIN, now=NOW)
    assert result.changed == {"notes": [None, "Langganan"]}


def test_a_new_level_brings_its_discount_unless_one_is_given(store, make):
    customer = make.customer(store, "6281200000001")
    crm.update_customer(customer, {"membership_level": "Platinum"}, actor=ADMIN, now=NOW)
    assert customer.discount == Decimal("20.00")
    crm.update_customer(customer, {"membership_level": "Silver", "discount": "12,5"},
                        actor=ADMIN, now=NOW)
    assert customer.discount == Decimal("12.50")


def test_a_new_address_reaches_the_unshipped_orders_only_each_with_an_edit_event(store, make):
    """Seed 000: PATCH /api/customers/:id updates related orders (address change)."""
    pending = make.order(store, [("NASI", 1)], phone="081234567890")
    processing = make.order(store, [("NASI", 1)], phone="081234567890")
    shipped = make.order(store, [("NASI", 1)], phone="081234567890")
    transition(db.session.get(Order, processing.id), "PROCESSING", actor=ADMIN)
    shipped_order = db.session.get(Order, shipped.id)
    transition(shipped_order, "PROCESSING", actor=ADMIN)
    transition(shipped_order, "SHIPPED", actor=ADMIN)
    db.session.commit()
    customer = db.session.get(Customer, pending.customer.id)

    result = crm.update_customer(customer, {"address": "Jl. Baru 5, Bandung"}, actor=ADMIN,
                                 now=NOW)
    db.session.commit()

    assert {o.id for o in result.orders} == {pending.id, processing.id}
    addresses = dict(db.session.execute(select(Order.id, Order.shipping_address)).all())
    assert addresses[pending.id] == addresses[processing.id] == "Jl. Baru 5, Bandung"
    assert addresses[shipped.id] == "Jl. Sudirman 123"
    events = db.session.execute(select(OrderEvent).where(OrderEvent.kind == "edited")).scalars()
    assert {(e.order_id, e.actor, e.data["shipping_address"][1]) for e in events} == {
        (pending.id, ADMIN, "Jl. Baru 5, Bandung"), (processing.id, ADMIN, "Jl. Baru 5, Bandung")}


def test_soft_delete_keeps_the_row_inactive_and_a_blocked_number_stays_blocked(store, make):
    customer = make.customer(store, "6281200000001")
    blocked = make.customer(store, "6281200000002", status=CustomerStatus.BLOCKED)
    crm.delete_customer(customer, now=NOW)
    crm.delete_customer(blocked, now=NOW)
    db.session.commit()
    assert (customer.is_active, customer.status) == (False, CustomerStatus.INACTIVE)
    assert (blocked.is_active, blocked.status) == (False, CustomerStatus.BLOCKED)
    crm.restore_customer(customer, now=NOW)
    assert (customer.is_active, customer.status) == (True, CustomerStatus.ACTIVE)


def test_search_finds_a_phone_however_it_is_written(store, make):
    budi = make.customer(store, "6281234567890", name="Budi")
    make.customer(store, "6285700001111", name="Ani", email="ani@mail.co.id")
    for text in ("0812-3456-7890", "+62 812 3456 7890", "6281234567890", "81234567890",
                 "0812 3456", "4567", "bud", "BUDI"):
        page = crm.list_customers(scope_of(store), crm.parse_filters(search=text))
        assert [c.id for c in page.customers] == [budi.id], text
    by_mail = crm.list_customers(scope_of(store), crm.parse_filters(search="ANI@mail"))
    assert [c.name for c in by_mail.customers] == ["Ani"]
    nothing = crm.list_customers(scope_of(store), crm.parse_filters(search="100%_"))
    assert nothing.total == 0


def test_lists_filter_by_type_status_level_and_hide_the_deleted(store, make):
    vip = make.customer(store, "6281200000001", name="Vip", type=CustomerType.VIP,
                        membership_level=MembershipLevel.GOLD)
    make.customer(store, "6281200000002", name="Walk", status=CustomerStatus.BLOCKED)
    gone = make.customer(store, "6281200000003", name="Gone", is_active=False)
    scope = scope_of(store)

    def names(**filters):
        return [c.name for c in crm.list_customers(scope, crm.parse_filters(**filters)).customers]

    assert names(type="vip") == ["Vip"]
    assert names(status="blocked") == ["Walk"]
    assert names(membership_level="gold") == ["Vip"]
    assert names() == ["Walk", "Vip"]
    assert names(include_deleted=True) == [gone.name, "Walk", vip.name]
    with pytest.raises(InvalidInput) as refused:
        crm.parse_filters(type="boss")
    assert set(refused.value.fields) == {"type"}


def test_pages_count_every_match_and_stay_in_the_admins_stores(store, make):
    other = make.store("toko-lain")
    for n in range(5):
        make.customer(store, f"62812000000{n:02d}", name=f"C{n}")
    make.customer(other, "6281200000099", name="Lain")
    page = crm.list_customers(scope_of(store), crm.parse_filters(), page=2, limit=2)
    assert (page.total, page.total_pages, [c.name for c in page.customers]) == (5, 3,
                                                                                ["C2", "C1"])
    everything = crm.list_customers(EVERYWHERE, crm.parse_filters(), limit=100)
    assert everything.total == 6
    with pytest.raises(InvalidInput):
        crm.list_customers(scope_of(store), crm.parse_filters(), limit=101)


def test_a_customer_of_another_store_reads_as_missing(store, make):
    other = make.store("toko-lain")
    theirs = make.customer(other, "6281200000099")
    with pytest.raises(NotFound):
        crm.get_customer(scope_of(store), theirs.id)
    with pytest.raises(NotFound):
        crm.get_customer(scope_of(store), 10**12)
    assert crm.get_customer(EVERYWHERE, theirs.id) is theirs


def test_the_store_is_chosen_by_slug_or_id_among_the_admins_own(store, make):
    other = make.store("toko-lain")
    assert crm.choose_store(scope_of(store), None) == store
    assert crm.choose_store(scope_of(store, other), "toko-lain") == other
    assert crm.choose_store(scope_of(store, other), str(other.id)) == other
    with pytest.raises(InvalidInput):
        crm.choose_store(scope_of(store, other), None)
    with pytest.raises(NotFound):
        crm.choose_store(scope_of(store), "toko-lain")
    with pytest.raises(InvalidInput):
        crm.choose_store(scope_of(store), "toko\x00")


def test_an_uploaded_file_must_be_utf8_csv(store):
    with pytest.raises(InvalidInput):
        crm.import_customer_file(store, "name,phone\nJosé,0812\n".encode("latin-1"))
    with pytest.raises(InvalidInput):
        crm.import_customer_file(store, b"name,phone\nA\x00,081234567890\n")
    report = crm.import_customer_file(store, "\ufeffname,phone\nAni,081234567890\n".encode())
    assert (report.created, report.merged, report.rejected) == (1, 0, [])
