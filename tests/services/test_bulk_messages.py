"""Bulk messages (issue 11, item 8; seed 001's messages to many customers): who receives,
one outbox row per recipient staggered at the rate, delivery in the embedded default (no
Redis: jobs due at the commit run right after it), and the progress of a campaign."""

from __future__ import annotations

import signal
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop import clock
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.models import (
    Campaign,
    CustomerStatus,
    CustomerType,
    MembershipLevel,
    Notification,
    NotificationStatus,
)
from shop.services import bulk_messages, notifications
from shop.services.access import Scope
from shop.services.bulk_messages import JOB_SECONDS, AudienceFilters
from shop.unit_of_work import commit

from ..conftest import app_on_redis
from ..messages import text_of

T = datetime(2026, 3, 2, 3, 0, 0, tzinfo=UTC)  # 10:00 in Jakarta


def scope_of(*stores) -> Scope:
    return Scope(frozenset(s.id for s in stores), False, "admin:tester@toko.test")


def rows(**where) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).filter_by(**where)
                                   .order_by(Notification.id)))


def written() -> tuple[int, int]:
    """(campaigns, outbox rows) in the database."""
    return (db.session.scalar(select(func.count()).select_from(Campaign)),
            db.session.scalar(select(func.count()).select_from(Notification)))


@pytest.fixture
def frozen(monkeypatch):
    """The shop's clock stopped at T (moved with frozen.move(seconds))."""
    class Frozen:
        now = T

        def move(self, seconds: float) -> None:
            self.now = self.now + timedelta(seconds=seconds)

    state = Frozen()
    monkeypatch.setattr(clock, "now", lambda: state.now)
    return state


@pytest.fixture
def crowd(make):
    """Store A's customers of every kind, and one of store B."""
    a, b = make.store("toko-a", name="Toko A"), make.store("toko-b", name="Toko B")
    people = {
        "ani": make.customer(a, "6281200000001", name="Ani"),
        "budi": make.customer(a, "6281200000002", name="Budi",
                              status=CustomerStatus.BLOCKED),
        "cici": make.customer(a, "6281200000003", name="Cici", is_active=False,
                              status=CustomerStatus.INACTIVE),
        "dodi": make.customer(a, "6281200000004", name="Dodi",
                              status=CustomerStatus.INACTIVE),
        "eka": make.customer(a, "6281200000005", name="Eka", city="Bandung",
                             membership_level=MembershipLevel.GOLD, type=CustomerType.VIP,
                             total_spent=Decimal("750000"), total_orders=6,
                             last_visit=T - timedelta(days=3)),
        "fajar": make.customer(a, "6281200000006", name="Fajar", city="Jakarta",
                               total_spent=Decimal("20000"), total_orders=1,
                               last_visit=T - timedelta(days=90)),
        "rahasia": make.customer(b, "6281200000001", name="Rahasia Toko B"),
    }
    return a, b, people


def names(customers) -> list[str]:
    return [c.name for c in customers]


def test_only_active_unblocked_customers_of_the_stores_own_receive(crowd):
    a, b, people = crowd
    everyone = AudienceFilters()

    chosen = bulk_messages.audience(scope_of(a), a, everyone)

    assert names(chosen) == ["Ani", "Eka", "Fajar"]  # not blocked, deleted nor inactive
    assert bulk_messages.count(scope_of(a), a, everyone) == 3
    # Store B's customer shares Ani's number, but is B's: never in A's audience, and an
    # admin of A cannot reach B's customers at all.
    assert bulk_messages.audience(scope_of(a), b, everyone) == []
    assert bulk_messages.count(scope_of(a), b, everyone) == 0
    assert names(bulk_messages.audience(scope_of(b), b, everyone)) == ["Rahasia Toko B"]


def test_a_selection_keeps_only_who_may_receive(crowd):
    a, _b, people = crowd
    picked = bulk_messages.parse_audience({}, customer_ids=[
        str(people[n].id) for n in ("ani", "budi", "cici", "rahasia")] + ["x", "99999999999"])

    chosen = bulk_messages.audience(scope_of(a), a, picked)

    assert names(chosen) == ["Ani"]
    assert bulk_messages.count(scope_of(a), a, picked) == 1


@pytest.mark.parametrize(("values", "expected"), [
    ({"membership_level": "Gold"}, ["Eka"]),
    ({"type": "vip"}, ["Eka"]),
    ({"city": "jakarta"}, ["Fajar"]),
    ({"search": "0812-0000-0001"}, ["Ani"]),
    ({"min_spent": "100.000"}, ["Eka"]),
    ({"min_orders": "1"}, ["Eka", "Fajar"]),
    ({"last_order_from": (T - timedelta(days=7)).date().isoformat()}, ["Eka"]),
    ({"last_order_to": (T - timedelta(days=30)).date().isoformat()}, ["Fajar"]),
])
def test_the_customer_lists_filters_pick_the_audience(crowd, values, expected):
    a, _b, _people = crowd
    filters = bulk_messages.parse_audience(values)
    assert names(bulk_messages.audience(scope_of(a), a, filters)) == expected
    assert bulk_messages.count(scope_of(a), a, filters) == len(expected)


def test_the_last_order_dates_are_the_stores_local_days(make):
    store = make.store(timezone="Asia/Jakarta")
    # 2026-03-01 23:30 in Jakarta is still 16:30 UTC on the 1st; 00:30 on the 2nd is the
    # 1st in UTC too, but the 2nd for the store.
    make.customer(store, "6281200000011", name="Malam",
                  last_visit=datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    make.customer(store, "6281200000012", name="Pagi",
                  last_visit=datetime(2026, 3, 1, 17, 30, tzinfo=UTC))
    on_the_2nd = AudienceFilters(last_order_from=date(2026, 3, 2),
                                 last_order_to=date(2026, 3, 2))
    assert names(bulk_messages.audience(scope_of(store), store, on_the_2nd)) == ["Pagi"]


def test_bad_filter_values_are_refused_by_name():
    for values, name in (({"min_spent": "banyak"}, "min_spent"),
                         ({"min_orders": "-1"}, "min_orders"),
                         ({"last_order_from": "kemarin"}, "last_order_from"),
                         ({"membership_level": "Diamond"}, "membership_level")):
        with pytest.raises(InvalidInput) as refused:
            bulk_messages.parse_audience(values)
        assert name in refused.value.fields


def test_the_count_shown_is_the_number_of_rows_written(crowd, frozen):
    a, _b, _people = crowd
    filters = AudienceFilters()
    shown = bulk_messages.count(scope_of(a), a, filters)

    campaign = bulk_messages.send_campaign(
        scope_of(a), a, filters, title="Promo", body="Halo {{ name }}!", rate_per_minute=30,
        actor="admin:tester", expected=shown)
    commit()

    assert campaign.recipients == shown == 3
    assert len(rows(campaign_id=campaign.id)) == shown
    assert {r.recipient for r in rows(campaign_id=campaign.id)} == {
        "6281200000001", "6281200000005", "6281200000006"}


def test_a_count_changed_since_it_was_shown_is_refused(crowd, frozen):
    a, _b, people = crowd
    shown = bulk_messages.count(scope_of(a), a, AudienceFilters())
    people["fajar"].status = CustomerStatus.BLOCKED
    db.session.commit()

    with pytest.raises(Conflict):
        bulk_messages.send_campaign(scope_of(a), a, AudienceFilters(), title="Promo",
                                    body="Halo", rate_per_minute=30, actor="admin:tester",
                                    expected=shown)
    assert written() == (0, 0)


def test_another_stores_campaign_cannot_be_sent_or_read(crowd, frozen):
    a, b, _people = crowd
    with pytest.raises(NotFound):
        bulk_messages.send_campaign(scope_of(a), b, AudienceFilters(), title="Promo",
                                    body="Halo", rate_per_minute=30, actor="admin:tester")
    theirs = bulk_messages.send_campaign(scope_of(b), b, AudienceFilters(), title="B",
                                         body="Halo", rate_per_minute=30, actor="admin:b")
    commit()
    with pytest.raises(NotFound):
        bulk_messages.get_campaign(scope_of(a), theirs.id)
    assert bulk_messages.list_campaigns(scope_of(a)) == []


def test_one_row_per_recipient_staggered_at_the_rate(make, frozen):
    store = make.store()
    customers = [make.customer(store, f"62812000001{n:02d}", name=f"Pelanggan {n}")
                 for n in range(7)]

    campaign = bulk_messages.create_campaign(store, "Promo", "Halo {{ name }}", customers,
                                             actor="admin:tester", rate_per_minute=12)
    written_rows = rows(campaign_id=campaign.id)

    assert [r.recipient for r in written_rows] == [c.phone for c in customers]
    assert [r.next_attempt_at for r in written_rows] == [
        T + timedelta(seconds=5 * i) for i in range(7)]  # 12 a minute: one every 5 s
    for row, customer in zip(written_rows, customers, strict=True):
        assert row.template == "bulk" and row.status == NotificationStatus.QUEUED
        assert row.data == {"name": customer.name, "store_name": store.name}
        assert row.store_id == store.id and row.order_id is None


def test_delivery_jobs_never_run_before_their_rows_nor_long_after():
    start = T
    due = bulk_messages.recipient_times(start, 400, 600)  # one every 0.1 s
    ids = list(range(1, 401))

    jobs = bulk_messages.delivery_jobs(ids, due, start)

    assert jobs[0] == ([1], start)  # the first recipient at once
    assert sorted(i for batch, _ in jobs for i in batch) == ids
    when = dict(zip(ids, due, strict=True))
    for batch, at in jobs:
        assert len(batch) <= notifications.BATCH
        for row_id in batch:
            assert when[row_id] <= at < when[row_id] + timedelta(seconds=JOB_SECONDS)


def test_an_unknown_variable_is_refused_and_nothing_is_written(crowd, frozen):
    a, _b, _people = crowd
    customers = bulk_messages.audience(scope_of(a), a, AudienceFilters())

    for body in ("Halo {{ nama }}", "Halo {{ name", "Total {{ total|rupiah }}"):
        with pytest.raises(InvalidInput) as refused:
            bulk_messages.create_campaign(a, "Promo", body, customers, actor="admin:tester",
                                          rate_per_minute=30)
        assert "body" in refused.value.fields
    commit()  # nothing was registered to run after it either

    assert written() == (0, 0)


@pytest.mark.parametrize("rate", [0, 601])
def test_a_rate_outside_one_to_six_hundred_is_refused(crowd, frozen, rate):
    a, _b, _people = crowd
    customers = bulk_messages.audience(scope_of(a), a, AudienceFilters())
    with pytest.raises(InvalidInput):
        bulk_messages.create_campaign(a, "Promo", "Halo", customers, actor="admin:tester",
                                      rate_per_minute=rate)
    with pytest.raises(InvalidInput):
        bulk_messages.parse_rate(str(rate), 30)
    assert bulk_messages.parse_rate("", 30) == 30
    assert written() == (0, 0)


def test_due_rows_go_at_the_commit_and_later_ones_wait_for_their_time(make, frozen, caplog):
    store = make.store(name="Toko Kue")
    customers = [make.customer(store, f"62812000002{n:02d}", name=f"Pelanggan {n}")
                 for n in range(40)]
    start = T - timedelta(seconds=25)  # 60 a minute: rows 0..25 are due at T

    campaign = bulk_messages.create_campaign(store, "Promo", "Halo {{ name }}", customers,
                                             actor="admin:tester", rate_per_minute=60,
                                             start=start)
    with caplog.at_level("INFO", logger="shop.messages"):
        commit()  # no Redis: the jobs due by now run right here, through the log provider

    sent = rows(campaign_id=campaign.id, status=NotificationStatus.SENT)
    waiting = rows(campaign_id=campaign.id, status=NotificationStatus.QUEUED)
    # The jobs of the slots ending at start, +10 s and +20 s ran: rows 0..20.
    assert len(sent) == 21 and len(waiting) == 19
    assert all(r.next_attempt_at <= T and r.provider_message_id == f"log-n{r.id}"
               for r in sent)
    # Rows 21..25 are due but their slot's job (start + 30 s) has not run yet.
    assert [r.next_attempt_at for r in waiting] == [
        start + timedelta(seconds=i) for i in range(21, 40)]
    assert "Halo \u201cPelanggan 20\u201d" in caplog.text
    later = [r for r in waiting if r.next_attempt_at > T]
    assert later and all(r.sent_at is None for r in later)

    # A row not yet due is refused by the claim, whoever asks.
    not_yet = later[-1]
    assert notifications.claim([not_yet.id]) == []
    assert notifications.deliver([not_yet.id])["sent"] == 0
    assert rows(id=not_yet.id)[0].status == NotificationStatus.QUEUED

    report = bulk_messages.progress(campaign)
    assert report.counts == {"queued": 19, "sending": 0, "sent": 21, "failed": 0,
                             "suppressed": 0}
    assert not report.finished and report.finish_at == start + timedelta(seconds=39)
    assert report.percent("sent") == 52.5

    frozen.move(60)  # the minute's sweep hands out what is due now
    notifications.sweep()
    report = bulk_messages.progress(campaign)
    assert report.counts["sent"] == 40 and report.finished
    assert report.finish_at == T + timedelta(seconds=60)
    assert all(r.sent_at >= r.next_attempt_at for r in rows(campaign_id=campaign.id))


def test_the_text_carries_the_customers_name_quoted(make, frozen):
    store = make.store(name="Toko Kue")
    stranger = make.customer(store, "6281200000031",
                             name='Ani "Admin"\n*PROMO* klik evil.com')

    campaign = bulk_messages.create_campaign(
        store, "Promo", "Halo {{ name }}, salam dari {{ store_name }}.", [stranger],
        actor="admin:tester", rate_per_minute=30)
    commit()

    row = rows(campaign_id=campaign.id)[0]
    expected = "Halo \u201cAni 'Admin' PROMO klik evil\u2024com\u201d, salam dari Toko Kue."
    assert row.status == NotificationStatus.SENT and row.body == expected
    assert text_of(row) == expected
    assert bulk_messages.preview_text(store, campaign.body, stranger) == expected


def test_a_customer_blocked_after_the_campaign_was_sent_does_not_get_it(make, frozen):
    store = make.store(name="Toko Kue")
    kept, blocked = (make.customer(store, f"628120000040{n}", name=f"Pelanggan {n}")
                     for n in range(2))
    campaign = bulk_messages.create_campaign(store, "Promo", "Halo {{ name }}", [kept, blocked],
                                             actor="admin:tester", rate_per_minute=1)
    db.session.commit()  # written; the second waits a minute for its turn
    blocked.status = CustomerStatus.BLOCKED
    db.session.commit()

    frozen.move(120)
    notifications.deliver([row.id for row in rows(campaign_id=campaign.id)])

    by_phone = {row.recipient: row for row in rows(campaign_id=campaign.id)}
    assert by_phone[kept.phone].status == NotificationStatus.SENT
    held = by_phone[blocked.phone]
    assert held.status == NotificationStatus.SUPPRESSED and "blocked" in held.last_error


@pytest.fixture
def on_redis(app, committed):
    """The app on the Redis of TEST_REDIS_URL (flushed before and after), committing for
    real: a worker reads only committed rows."""
    with app_on_redis(app):
        yield committed


def test_on_redis_later_slots_wait_in_rqs_schedule_and_a_worker_sends_only_whats_due(
        app, on_redis):
    from rq.registry import ScheduledJobRegistry

    from shop.jobs import queue, redis_connection
    from shop.jobs.worker import Worker

    make = on_redis
    store = make.store()
    customers = [make.customer(store, f"62812000004{n:02d}", name=f"Pelanggan {n}")
                 for n in range(30)]
    start = clock.now()
    campaign = bulk_messages.create_campaign(store, "Promo", "Halo {{ name }}", customers,
                                             actor="admin:tester", rate_per_minute=600,
                                             start=start)
    campaign_id = campaign.id
    commit()

    default = queue("default")
    scheduled = ScheduledJobRegistry(queue=default)
    assert default.count == 1  # the first recipient's job, now
    assert scheduled.count == 1  # rows 1..29 (due within 3 s): one job at start + 10 s
    at = scheduled.get_scheduled_time(scheduled.get_job_ids()[0])
    assert abs((at - (start + timedelta(seconds=JOB_SECONDS))).total_seconds()) < 1

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with app.app_context():  # a session of its own, like a worker's
            Worker([default], connection=redis_connection(app)).work(
                burst=True, logging_level="WARNING")
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)

    statuses = [r.status.value for r in rows(campaign_id=campaign_id)]
    assert statuses == ["sent"] + ["queued"] * 29
    assert scheduled.count == 1
