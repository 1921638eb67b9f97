"""Seed 003's customer figures, checked against values worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import update

from shop.extensions import db
from shop.models import Customer, CustomerStatus, CustomerType, MembershipLevel, Order
from shop.services.access import Scope
from shop.services.customer_stats import customer_detail_stats, customer_overview, month_start
from shop.services.orders import set_payment_status, transition

ADMIN = "admin:siti@toko.test"
#: 10:00 on 1 March in Jakarta (UTC+7): the month began at 17:00 UTC on 28 February.
FIRST_OF_MARCH = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)


def scope_of(*stores) -> Scope:
    return Scope(frozenset(s.id for s in stores), False, ADMIN)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def store(make):
    store = make.store("warung", name="Warung", timezone="Asia/Jakarta")
    make.product(store, "NASI", "25000", name="Nasi Goreng")
    make.product(store, "TEH", "5000", name="Es Teh")
    return store


@pytest.fixture
def three(make, store):
    """Three customers with known spending, plus one soft-deleted that counts nowhere."""
    make.customer(store, "6281200000001", name="Ani", total_spent=Decimal("1000000"),
                  total_purchases=2, membership_level=MembershipLevel.BRONZE,
                  created_at=at("2026-02-28T16:00:00"))  # 23:00 on 28 Feb in Jakarta
    make.customer(store, "6281200000002", name="Budi", total_spent=Decimal("2500000"),
                  total_purchases=5, type=CustomerType.MEMBER,
                  membership_level=MembershipLevel.SILVER,
                  created_at=at("2026-02-28T18:00:00"))  # 01:00 on 1 March in Jakarta
    make.customer(store, "6281200000003", name="Citra", total_spent=Decimal("12000000.50"),
                  total_purchases=20, type=CustomerType.VIP, status=CustomerStatus.BLOCKED,
                  membership_level=MembershipLevel.PLATINUM,
                  created_at=at("2026-01-05T10:00:00"))
    make.customer(store, "6281200000004", name="Dihapus", total_spent=Decimal("99000000"),
                  is_active=False, created_at=at("2026-03-01T00:00:00"))


def test_overview_of_three_customers_matches_the_hand_computed_figures(store, three):
    stats = customer_overview(scope_of(store), now=FIRST_OF_MARCH)
    assert stats["overview"] == {
        "totalCustomers": 3, "activeCustomers": 2, "vipCustomers": 1, "memberCustomers": 1,
        "newCustomersThisMonth": 1,  # Budi only: Ani came at 23:00 on 28 Feb, Jakarta time
        # (1.000.000 + 2.500.000 + 12.000.000,50) / 3 = 5.166.666,8333...
        "avgLifetimeValue": Decimal("5166666.83"),
        "avgPurchases": 9.0,  # (2 + 5 + 20) / 3
        "totalRevenue": Decimal("15500000.50"),
    }
    assert stats["customersByLevel"] == [
        {"level": "Bronze", "count": 1}, {"level": "Silver", "count": 1},
        {"level": "Gold", "count": 0}, {"level": "Platinum", "count": 1}]
    assert [c["name"] for c in stats["topCustomers"]] == ["Citra", "Budi", "Ani"]
    assert stats["topCustomers"][0]["totalSpent"] == Decimal("12000000.50")
    assert [c["name"] for c in stats["recentCustomers"]] == ["Budi", "Ani", "Citra"]


def test_new_this_month_follows_each_stores_own_time_zone(make, store, three):
    papua = make.store("papua", timezone="Asia/Jayapura")  # UTC+9
    make.customer(papua, "6281200000009", name="Papua",
                  created_at=at("2026-02-28T16:00:00"))  # 01:00 on 1 March in Jayapura
    everywhere = customer_overview(Scope(None, True, ADMIN), now=FIRST_OF_MARCH)
    assert everywhere["overview"]["newCustomersThisMonth"] == 2  # Budi and Papua
    assert everywhere["overview"]["totalCustomers"] == 4
    assert customer_overview(scope_of(papua), now=FIRST_OF_MARCH)["overview"][
        "newCustomersThisMonth"] == 1


def test_an_admin_without_customers_sees_zeros(make):
    empty = make.store("kosong")
    stats = customer_overview(scope_of(empty), now=NOW)
    assert stats["overview"]["totalCustomers"] == 0
    assert stats["overview"]["avgLifetimeValue"] == Decimal("0.00")
    assert stats["topCustomers"] == stats["recentCustomers"] == []


def test_month_start_is_midnight_of_the_first_in_the_zone():
    assert month_start(FIRST_OF_MARCH, "Asia/Jakarta") == at("2026-02-28T17:00:00")
    assert month_start(FIRST_OF_MARCH, "Asia/Jakarta", months_back=3) == \
        at("2025-11-30T17:00:00")


def _bought(make, store, items, created_at, *, done=True) -> Order:
    placed = make.order(store, items, phone="081234567890")
    order = db.session.get(Order, placed.id)
    if done:
        transition(order, "PROCESSING", actor=ADMIN)
        transition(order, "COMPLETED", actor=ADMIN)
        set_payment_status(order, "PAID", actor=ADMIN)
    db.session.execute(update(Order).where(Order.id == order.id).values(created_at=created_at))
    db.session.commit()
    return order


def test_detail_stats_of_one_customer_match_the_hand_computed_figures(make, store):
    january = _bought(make, store, [("NASI", 2), ("TEH", 1)], at("2026-01-15T03:00:00"))
    # 00:30 on 1 March in Jakarta: March's, though still February in UTC.
    march = _bought(make, store, [("NASI", 1)], at("2026-02-28T17:30:00"))
    _bought(make, store, [("TEH", 3)], at("2025-03-20T03:00:00"))  # before the 12 months
    pending = _bought(make, store, [("NASI", 1)], at("2026-03-09T03:00:00"), done=False)
    customer = db.session.get(Customer, january.customer_id)

    stats = customer_detail_stats(customer, now=NOW)

    assert stats["purchaseStats"] == {
        "totalTransactions": 3, "totalSpent": Decimal("95000.00"),  # 55.000 + 25.000 + 15.000
        "averageOrderValue": Decimal("31666.67"), "lastPurchaseDate": march.created_at}
    assert [(p["productCode"], p["totalQuantity"], p["purchaseCount"], p["totalSpent"])
            for p in stats["topProducts"]] == [("TEH", 4, 2, Decimal("20000.00")),
                                               ("NASI", 3, 2, Decimal("75000.00"))]
    months = stats["monthlySpending"]
    assert [m["month"] for m in months][0::11] == ["2025-04", "2026-03"] and len(months) == 12
    spent = {m["month"]: (m["totalSpent"], m["transactionCount"]) for m in months
             if m["transactionCount"]}
    assert spent == {"2026-01": (Decimal("55000.00"), 1), "2026-03": (Decimal("25000.00"), 1)}
    recent = stats["recentTransactions"]
    assert [o["id"] for o in recent][:2] == [pending.id, march.id]
    assert recent[0]["status"] == "PENDING" and len(recent) == 4
    assert [(i["code"], i["qty"]) for i in recent[-1]["items"]] == [("TEH", 3)]


def test_a_customer_without_purchases_has_twelve_empty_months(make, store):
    customer = make.customer(store, "6281200000001")
    stats = customer_detail_stats(customer, now=NOW)
    assert stats["purchaseStats"]["totalTransactions"] == 0
    assert stats["purchaseStats"]["averageOrderValue"] == Decimal("0.00")
    assert stats["purchaseStats"]["lastPurchaseDate"] is None
    assert [m["transactionCount"] for m in stats["monthlySpending"]] == [0] * 12
    assert stats["topProducts"] == stats["recentTransactions"] == []
