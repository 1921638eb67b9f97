"""Dashboard figures (seeds 001, 004): checked against sums worked out by hand, on the stores'
local days, scoped to the admin's stores, in a fixed number of statements."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from shop.errors import NotFound
from shop.extensions import db
from shop.models import Channel, Order, OrderStatus, Payment, PaymentStatus
from shop.services.access import Scope
from shop.services.dashboard import (
    STATEMENTS,
    Figures,
    dashboard_figures,
    dashboard_stores,
    day_starts,
    narrow_scope,
    reference_zone,
)
from shop.services.orders import set_payment_status, transition
from shop.services.transfer_proofs import confirm_transfer_proof, submit_transfer_proof

from ..conftest import counted

ADMIN = "admin:siti@toko.test"
EVERY_STORE = Scope(None, True, ADMIN)
#: 31 Jan 2027, 23:45 in Jakarta (WIB, UTC+7).
NOW = datetime(2027, 1, 31, 16, 45, tzinfo=UTC)


def wib(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment on the Jakarta clock, as the UTC time stored on the row."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def scope_of(*stores) -> Scope:
    return Scope(frozenset(s.id for s in stores), False, ADMIN)


def order_at(make, store, items, at: datetime, *, name="Budi Santoso") -> Order:
    """An order placed through checkout, then dated `at` on the row itself."""
    placed = make.order(store, items, name=name)
    order = db.session.get(Order, placed.id)
    order.created_at = at
    db.session.commit()
    return order


def complete(order: Order, *, paid: bool = True) -> Order:
    transition(order, "PROCESSING", actor=ADMIN)
    transition(order, "COMPLETED", actor=ADMIN)
    if paid:
        set_payment_status(order, "PAID", actor=ADMIN)
    db.session.commit()
    return order


def figures_of(scope: Scope, now: datetime = NOW):
    return dashboard_figures(scope, dashboard_stores(scope), now=now)


@pytest.fixture
def store(make):
    store = make.store("warung", name="Warung Jakarta", timezone="Asia/Jakarta")
    make.product(store, "A", "25000", name="Nasi Goreng")
    make.product(store, "B", "15000", name="Es Teh")
    return store


@pytest.fixture
def two_stores(make):
    """Store A and store B with a product each."""
    a = make.store("toko-a", name="Toko A")
    b = make.store("toko-b", name="Toko B")
    make.product(a, "A-1", "65000", name="Produk A")
    make.product(b, "B-1", "40000", name="Produk B")
    return a, b


@pytest.fixture
def month_of_orders(make, store):
    """Six orders around 31 Jan 2027 (WIB), worked out by hand:

    today 10:00  2xA + B = 65.000  COMPLETED, PAID      revenue
    today 11:00  B       = 15.000  PENDING
    today 12:00  A       = 25.000  CANCELLED
    yesterday    A       = 25.000  COMPLETED, unpaid    no revenue
    3 days ago   A       = 25.000  COMPLETED, PAID      revenue
    40 days ago  B       = 15.000  COMPLETED, PAID      last year: all-time only
    """
    today = date(2027, 1, 31)
    complete(order_at(make, store, [("A", 2), ("B", 1)], wib(today, 10)))
    order_at(make, store, [("B", 1)], wib(today, 11), name="Sari Pending")
    cancelled = order_at(make, store, [("A", 1)], wib(today, 12))
    transition(cancelled, "CANCELLED", actor=ADMIN, note="Salah pesan")
    db.session.commit()
    complete(order_at(make, store, [("A", 1)], wib(today - timedelta(days=1), 9)), paid=False)
    complete(order_at(make, store, [("A", 1)], wib(today - timedelta(days=3), 9)))
    complete(order_at(make, store, [("B", 1)], wib(today - timedelta(days=40), 9)))
    return store


def test_today_month_and_30_day_figures_match_the_hand_sums(month_of_orders):
    board = figures_of(EVERY_STORE)
    assert board.today == date(2027, 1, 31) and board.timezone == "Asia/Jakarta"
    assert board.today_figures == Figures(3, 1, Decimal("65000.00"))
    assert board.month == Figures(5, 2, Decimal("90000.00"))
    assert board.month.average == Decimal("45000.00")
    assert board.last_30_days == board.month  # 2 Jan - 31 Jan; the old order is in December


def test_thirty_days_end_today_with_each_days_orders_and_revenue(month_of_orders):
    board = figures_of(EVERY_STORE)
    assert len(board.days) == 30
    assert board.days[0].day == date(2027, 1, 2) and board.days[-1].day == date(2027, 1, 31)
    by_day = {d.day: d.figures for d in board.days}
    assert by_day[date(2027, 1, 31)] == Figures(3, 1, Decimal("65000.00"))
    assert by_day[date(2027, 1, 30)] == Figures(1, 0, Decimal("0.00"))
    assert by_day[date(2027, 1, 28)] == Figures(1, 1, Decimal("25000.00"))
    assert sum(f.orders for f in by_day.values()) == 5  # the 40-day-old order is not drawn


def test_orders_by_status_and_channel_count_the_last_30_days_orders(make, month_of_orders):
    by_admin = order_at(make, month_of_orders, [("B", 1)], wib(date(2027, 1, 2), 0, 5))
    by_admin.channel = Channel.ADMIN  # 2 Jan 00:05 WIB: the first of the 30 days
    db.session.commit()
    board = figures_of(EVERY_STORE)
    # The 40-day-old COMPLETED order is outside the 30 days.
    assert board.by_status == {**dict.fromkeys(OrderStatus, 0), OrderStatus.COMPLETED: 3,
                               OrderStatus.PENDING: 2, OrderStatus.CANCELLED: 1}
    assert board.by_channel == {**dict.fromkeys(Channel, 0), Channel.STOREFRONT: 5,
                                Channel.ADMIN: 1}


def test_top_products_count_the_last_30_days_orders_not_cancelled(month_of_orders):
    board = figures_of(EVERY_STORE)
    # A: 2 (today) + 1 (yesterday, unpaid) + 1 (3 days ago); the cancelled A is left out.
    # B: 1 (today, paid) + 1 (today, pending); the 40-day-old B is left out.
    assert [(p.code, p.qty, p.value) for p in board.top_by_qty] == [
        ("A", 4, Decimal("100000.00")), ("B", 2, Decimal("30000.00"))]
    assert [p.name for p in board.top_by_value] == ["Nasi Goreng", "Es Teh"]


def test_top_products_rank_by_quantity_and_by_value_separately(make, store):
    make.product(store, "MAHAL", "500000", name="Tumpeng")
    order_at(make, store, [("B", 5), ("MAHAL", 1)], wib(date(2027, 1, 30), 9))
    board = figures_of(EVERY_STORE)
    assert [p.code for p in board.top_by_qty] == ["B", "MAHAL"]
    assert [p.code for p in board.top_by_value] == ["MAHAL", "B"]


def test_pending_orders_are_listed_newest_first(make, store):
    older = order_at(make, store, [("A", 1)], wib(date(2027, 1, 30), 9), name="Lama")
    newer = order_at(make, store, [("A", 1)], wib(date(2027, 1, 31), 9), name="Baru")
    confirmed = order_at(make, store, [("B", 1)], wib(date(2027, 1, 31), 10))
    transition(confirmed, "CONFIRMED", actor=ADMIN)
    db.session.commit()
    board = figures_of(EVERY_STORE)
    assert [o.id for o in board.pending] == [newer.id, older.id] and board.pending_count == 2


def send_proof(order: Order, at: datetime) -> Payment:
    """The shopper's "Saya sudah bayar" with a transfer proof, sent at `at`."""
    payment = submit_transfer_proof(order, "bukti.jpg", base_url="https://shop.test")
    payment.created_at = at
    db.session.commit()
    return payment


def test_transfer_proofs_waiting_for_an_admin_are_listed_newest_proof_first(make, store):
    first = order_at(make, store, [("B", 1)], wib(date(2027, 1, 31), 9), name="Bayar Dulu")
    second = order_at(make, store, [("B", 1)], wib(date(2027, 1, 20), 9), name="Bayar Kemudian")
    decided = order_at(make, store, [("B", 1)], wib(date(2027, 1, 29), 9), name="Sudah Dicek")
    send_proof(first, wib(date(2027, 1, 31), 10))
    send_proof(second, wib(date(2027, 1, 31), 11))
    confirm_transfer_proof(send_proof(decided, wib(date(2027, 1, 31), 12)), actor=ADMIN)
    db.session.commit()
    board = figures_of(EVERY_STORE)
    assert [o.recipient_name for o in board.awaiting] == ["Bayar Kemudian", "Bayar Dulu"]
    assert board.awaiting_count == 2
    assert all(o.payment_status == PaymentStatus.AWAITING_CONFIRMATION for o in board.awaiting)


def test_lists_show_ten_rows_but_count_them_all(make, store):
    for n in range(12):
        order = order_at(make, store, [("B", 1)], wib(date(2027, 1, 1), 8) + timedelta(hours=n))
        send_proof(order, wib(date(2027, 1, 2), 8) + timedelta(hours=n))
        make.product(store, f"LOW{n:02}", stock=n % 3, low_stock_threshold=5)
    board = figures_of(EVERY_STORE)
    assert len(board.pending) == 10 and board.pending_count == 12
    assert len(board.awaiting) == 10 and board.awaiting_count == 12
    assert len(board.low_stock) == 10 and board.low_stock_count == 12
    assert [p.stock for p in board.low_stock] == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]


def test_low_stock_lists_active_tracked_products_at_or_below_their_threshold(make, store):
    make.product(store, "AT", stock=5, low_stock_threshold=5, name="Tepat di batas")
    make.product(store, "OUT", stock=0, name="Habis")
    make.product(store, "OK", stock=6, low_stock_threshold=5)
    make.product(store, "FREE", stock=None)  # made to order: never low
    make.product(store, "GONE", stock=1, is_active=False)
    board = figures_of(EVERY_STORE)
    assert [(p.code, p.stock, p.threshold) for p in board.low_stock] == [
        ("OUT", 0, 5), ("AT", 5, 5)]
    assert board.low_stock_count == 2


def test_order_at_2330_on_the_last_day_of_the_month_counts_in_that_month(make, store):
    last_evening = order_at(make, store, [("A", 1)], wib(date(2027, 1, 31), 23, 30))
    complete(last_evening)
    before_midnight = figures_of(EVERY_STORE, now=wib(date(2027, 1, 31), 23, 45))
    assert before_midnight.today_figures == Figures(1, 1, Decimal("25000.00"))
    assert before_midnight.month == Figures(1, 1, Decimal("25000.00"))
    # Six hours later it is 1 Feb in Jakarta (still 31 Jan in UTC): the order stays in January.
    next_morning = figures_of(EVERY_STORE, now=wib(date(2027, 2, 1), 6))
    assert next_morning.today == date(2027, 2, 1)
    assert next_morning.today_figures == Figures() and next_morning.month == Figures()
    assert next_morning.days[-2].day == date(2027, 1, 31)
    assert next_morning.days[-2].figures.orders == 1


def test_order_just_after_midnight_in_jakarta_is_today_though_utc_says_yesterday(make, store):
    order_at(make, store, [("A", 1)], wib(date(2027, 2, 1), 0, 30))  # 31 Jan 17:30 UTC
    board = figures_of(EVERY_STORE, now=wib(date(2027, 2, 1), 6))
    assert board.today_figures.orders == 1 and board.month.orders == 1


def test_a_store_in_another_zone_counts_days_on_its_own_clock(make):
    makassar = make.store("makassar", name="Toko Makassar", timezone="Asia/Makassar")
    jakarta = make.store("jakarta", name="Toko Jakarta", timezone="Asia/Jakarta")
    make.product(makassar, "M", "10000")
    # 1 Feb 00:10 in Makassar (UTC+8) is 31 Jan 23:10 in Jakarta.
    order_at(make, makassar, [("M", 1)], datetime(2027, 1, 31, 16, 10, tzinfo=UTC))
    now = datetime(2027, 1, 31, 16, 20, tzinfo=UTC)
    alone = figures_of(scope_of(makassar), now)
    assert alone.timezone == "Asia/Makassar" and alone.today == date(2027, 2, 1)
    assert alone.today_figures.orders == 1 and alone.month.orders == 1
    # Stores of different zones together are counted on Jakarta's clock (WIB).
    together = figures_of(scope_of(makassar, jakarta), now)
    assert together.timezone == "Asia/Jakarta" and together.today == date(2027, 1, 31)
    assert together.today_figures.orders == 1 and together.month.orders == 1


def test_reference_zone_is_the_shared_zone_or_jakarta(make):
    bali = make.store(timezone="Asia/Makassar")
    lombok = make.store(timezone="Asia/Makassar")
    papua = make.store(timezone="Asia/Jayapura")
    stores = dashboard_stores(EVERY_STORE)
    assert reference_zone(scope_of(bali, lombok), stores) == "Asia/Makassar"
    assert reference_zone(scope_of(bali, papua), stores) == "Asia/Jakarta"
    assert reference_zone(scope_of(), stores) == "Asia/Jakarta"


def test_day_starts_cover_the_month_when_it_began_before_the_thirty_days():
    starts = day_starts("Asia/Jakarta", NOW)  # 31 Jan: the month began 30 days ago
    assert starts[0] == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 1 Jan 00:00 WIB
    assert starts[-1] == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)  # 1 Feb 00:00 WIB
    assert len(starts) == 32
    mid_month = day_starts("Asia/Jakarta", datetime(2027, 1, 10, 5, 0, tzinfo=UTC))
    assert len(mid_month) == 31 and mid_month[0] == datetime(2026, 12, 11, 17, 0, tzinfo=UTC)


def test_admin_of_store_a_never_sees_store_b(make, two_stores):
    a, b = two_stores
    order_at(make, a, [("A-1", 1)], wib(date(2027, 1, 31), 9), name="Pembeli A")
    complete(order_at(make, b, [("B-1", 2)], wib(date(2027, 1, 31), 9), name="Pembeli B"))
    paying = order_at(make, b, [("B-1", 1)], wib(date(2027, 1, 31), 10), name="Pembeli B2")
    send_proof(paying, wib(date(2027, 1, 31), 11))
    make.product(b, "B-LOW", stock=1, name="Stok B")
    board = figures_of(scope_of(a))
    assert board.today_figures == Figures(1, 0, Decimal("0.00"))
    assert board.last_30_days.orders == 1 and sum(board.by_status.values()) == 1
    assert [p.code for p in board.top_by_qty] == ["A-1"]
    assert [o.recipient_name for o in board.pending] == ["Pembeli A"]
    assert board.awaiting == [] and board.awaiting_count == 0
    assert board.low_stock == [] and board.low_stock_count == 0
    assert [s.name for s in dashboard_stores(scope_of(a))] == ["Toko A"]
    everyone = figures_of(EVERY_STORE)
    assert everyone.today_figures == Figures(3, 1, Decimal("80000"))


def test_an_admin_without_stores_sees_nothing(month_of_orders):
    board = figures_of(scope_of())
    assert board.month == Figures() and board.pending == [] and board.top_by_qty == []
    assert board.low_stock == [] and not any(board.by_status.values())


def test_narrowing_to_one_store_keeps_to_the_admins_stores(two_stores):
    a, b = two_stores
    stores = dashboard_stores(EVERY_STORE)
    assert narrow_scope(EVERY_STORE, stores, str(b.id)).store_ids == {b.id}
    assert narrow_scope(EVERY_STORE, stores, "") is EVERY_STORE
    assert narrow_scope(EVERY_STORE, stores, None) is EVERY_STORE
    mine = scope_of(a)
    for guess in (str(b.id), "abc", "²", "-1", str(10**30)):
        with pytest.raises(NotFound):
            narrow_scope(mine, dashboard_stores(mine), guess)


def test_super_admin_picking_one_store_gets_only_its_figures(make, two_stores):
    a, b = two_stores
    order_at(make, a, [("A-1", 1)], wib(date(2027, 1, 31), 9))
    order_at(make, b, [("B-1", 1)], wib(date(2027, 1, 31), 9))
    stores = dashboard_stores(EVERY_STORE)
    only_b = dashboard_figures(narrow_scope(EVERY_STORE, stores, str(b.id)), stores, now=NOW)
    assert only_b.today_figures.orders == 1 and [p.code for p in only_b.top_by_qty] == ["B-1"]


def test_figures_take_the_same_six_statements_for_one_order_or_many(
        make, month_of_orders, count_queries):
    stores = dashboard_stores(EVERY_STORE)
    with count_queries() as few:
        dashboard_figures(EVERY_STORE, stores, now=NOW)
    for n in range(15):
        order_at(make, month_of_orders, [("A", 1), ("B", 2)], wib(date(2027, 1, 5 + n), 9))
    with count_queries() as many:
        dashboard_figures(EVERY_STORE, stores, now=NOW)
    assert STATEMENTS == 6
    assert len(counted(few)) == len(counted(many)) == 6
    with count_queries() as listing:
        dashboard_stores(EVERY_STORE)
    assert len(counted(listing)) == 1
