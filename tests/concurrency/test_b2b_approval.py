"""Parallel approvals on PostgreSQL (issue 12): one order approved twice at once is approved
once and gives one SO; 20 orders approved at once get 20 distinct, consecutive SO numbers,
which start again at 000001 in the store's new year. Data really commits; every thread
works in an application context (a session, connections) of its own.

Without Redis an approval's submission job runs in its own thread right after the commit, so
the 20 submissions race for the SO counter too; the double approval goes through Redis and a
real worker."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from shop import clock
from shop.errors import TransitionRefused
from shop.extensions import db
from shop.models import LegacySalesOrder, Order, OrderEvent, Serial
from shop.services.b2b_orders import approve_b2b_order
from shop.unit_of_work import commit

from ..jobs.conftest import (  # noqa: F401 - fixtures
    gateway,
    gateway_server,
    queue_lengths,
    queued_app,
    redis_db,
    shop_app,
    work,
)

pytestmark = pytest.mark.backends("postgresql")
ADMIN = "admin:admin@pmo.test"
#: Longest wait for a thread to reach a point the test waits for.
WAIT = 30.0


def dealer_orders(committed, count: int) -> list[str]:
    """`count` PENDING orders of Toko Jaya Motor (committed); their ids."""
    shop = committed.dealer_shop()
    ids = [committed.b2b_order(shop, items=[("OLI-MPX2", 1), ("KAMPAS-REM", 2)]).id
           for _ in range(count)]
    db.session.remove()
    return ids


def approve(application, order_id: str, barrier: threading.Barrier) -> str:
    """Load the order, wait for the others, approve and commit: "approved" or "refused"."""
    with application.app_context():
        try:
            order = db.session.get(Order, order_id)
            barrier.wait(timeout=WAIT)
            approve_b2b_order(order, actor=ADMIN)
            commit()
            return "approved"
        except TransitionRefused:
            db.session.rollback()
            return "refused"
        finally:
            db.session.remove()


def approve_all(application, order_ids: list[str]) -> list[str]:
    barrier = threading.Barrier(len(order_ids))
    with ThreadPoolExecutor(max_workers=len(order_ids), thread_name_prefix="admin") as pool:
        return list(pool.map(lambda i: approve(application, i, barrier), order_ids))


def submitted(application, order_ids: list[str]) -> list:
    """(order id, state, SO number, SO id) of these orders."""
    with application.app_context():
        try:
            return db.session.execute(
                select(Order.id, Order.legacy_state, Order.ref_so_number, Order.ref_so_id)
                .where(Order.id.in_(order_ids))).all()
        finally:
            db.session.remove()


def sales_orders(application) -> dict[int, tuple]:
    with application.app_context():
        try:
            return {so.id: (so.no_so, so.tgl_so, so.fk_toko) for so in db.session.scalars(
                select(LegacySalesOrder))}
        finally:
            db.session.remove()


def test_twenty_parallel_approvals_get_twenty_consecutive_so_numbers(app, committed):
    order_ids = dealer_orders(committed, 20)

    assert approve_all(app, order_ids) == ["approved"] * 20

    year = clock.now().astimezone(ZoneInfo("Asia/Jakarta")).year
    orders = submitted(app, order_ids)
    assert {o.legacy_state for o in orders} == {"submitted"}
    assert sorted(o.ref_so_number for o in orders) == [
        f"{year}/{n:06d}/POD-PD" for n in range(1, 21)]
    sos = sales_orders(app)
    assert len(sos) == 20
    assert {o.ref_so_id: o.ref_so_number for o in orders} == {
        so_id: number for so_id, (number, _day, _toko) in sos.items()}
    assert {toko for _n, _d, toko in sos.values()} == {501}


def test_one_order_approved_twice_at_once_is_approved_once_with_one_so(
        queued_app, committed):  # noqa: F811 - the fixture imported above
    (order_id,) = dealer_orders(committed, 1)
    loaded, updated, may_commit = threading.Barrier(2), threading.Event(), threading.Event()

    def first() -> str:
        with queued_app.app_context():
            try:
                order = db.session.get(Order, order_id)
                loaded.wait(timeout=WAIT)
                approve_b2b_order(order, actor=ADMIN)  # the row is locked from here
                updated.set()
                assert may_commit.wait(timeout=WAIT)
                commit()
                return "approved"
            finally:
                db.session.remove()

    def second() -> str:
        with queued_app.app_context():
            try:
                order = db.session.get(Order, order_id)
                loaded.wait(timeout=WAIT)
                assert updated.wait(timeout=WAIT)
                approve_b2b_order(order, actor="admin:other@pmo.test")  # waits for the lock
                commit()
                return "approved"
            except TransitionRefused as error:
                return f"refused: {error.details['status']}"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(first), pool.submit(second)
        assert updated.wait(timeout=WAIT)
        wait_for_a_lock_wait(queued_app)  # the second approval is blocked on the row
        may_commit.set()
        outcomes = [a.result(timeout=WAIT), b.result(timeout=WAIT)]

    assert outcomes == ["approved", "refused: CONFIRMED"]
    assert queue_lengths(queued_app)["legacy"] == 1
    work(queued_app)
    ((_id, state, number, so_id),) = submitted(queued_app, [order_id])
    assert state == "submitted"
    assert list(sales_orders(queued_app)) == [so_id]
    with queued_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderEvent).where(
            OrderEvent.order_id == order_id, OrderEvent.to_status == "CONFIRMED")) == 1
        db.session.remove()


def wait_for_a_lock_wait(application) -> None:
    """Until some backend of this database waits for a lock (observed, not slept for)."""
    deadline = time.monotonic() + WAIT
    with application.app_context():
        with db.engine.connect() as connection:
            while time.monotonic() < deadline:
                waiting = connection.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")).scalar_one()
                if waiting:
                    return
                connection.rollback()
                time.sleep(0.01)
    pytest.fail("the second approval never waited for the first one's lock")


def test_parallel_approvals_across_the_new_year_start_again_at_one(app, committed, monkeypatch):
    order_ids = dealer_orders(committed, 20)
    old_year, new_year = order_ids[:10], order_ids[10:]

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 31, 16, 50, tzinfo=UTC))
    assert approve_all(app, old_year) == ["approved"] * 10  # 23:50 in Jakarta
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 31, 17, 10, tzinfo=UTC))
    assert approve_all(app, new_year) == ["approved"] * 10  # 00:10 on New Year's Day

    assert sorted(o.ref_so_number for o in submitted(app, old_year)) == [
        f"2026/{n:06d}/POD-PD" for n in range(1, 11)]
    assert sorted(o.ref_so_number for o in submitted(app, new_year)) == [
        f"2027/{n:06d}/POD-PD" for n in range(1, 11)]
    days = sorted((number[:4], day) for number, day, _toko in sales_orders(app).values())
    assert days == [("2026", date(2026, 12, 31))] * 10 + [("2027", date(2027, 1, 1))] * 10
    with app.app_context():
        assert dict(db.session.execute(select(Serial.period, Serial.last_number)
                                       .where(Serial.name == "legacy-so")).all()) == {
            "2026": 10, "2027": 10}
        db.session.remove()
