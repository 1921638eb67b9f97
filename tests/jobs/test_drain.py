"""Coalesced delivery: commits put their outbox ids on the queue's Redis list and announce one
drain job, which delivers the rows of many commits; an OTP goes through the `high` queue."""

from __future__ import annotations

import functools
import threading
import time

from shop import clock
from shop.jobs import outbox_key, queue, redis_connection
from shop.jobs import tasks as job_tasks
from shop.jobs.worker import Worker
from shop.services import notifications
from shop.services.notifications import Message, queue_messages
from shop.unit_of_work import commit

from .conftest import WAIT, outbox, queue_lengths, work


def otp(phone: str) -> Message:
    return Message(phone, "otp", {"code": "135790", "minutes": 5, "store_name": "Toko"})


def test_many_commits_share_one_drain_job_and_each_row_goes_out_once(queued_app, gateway):
    phones = [f"62812555{n:04d}" for n in range(30)]
    with queued_app.app_context():
        for phone in phones:
            queue_messages([otp(phone)], store_id=None, order_id=None, now=clock.now())
            commit()
        waiting = redis_connection(queued_app).llen(outbox_key("high"))

    assert waiting == 30
    assert queue_lengths(queued_app) == {"high": 1, "default": 0, "legacy": 0}
    work(queued_app)

    assert sorted(r.phone for r in gateway.requests) == phones
    assert {row.status for row in outbox()} == {"sent"}
    with queued_app.app_context():
        assert redis_connection(queued_app).llen(outbox_key("high")) == 0


def test_a_commit_after_the_drain_started_announces_a_new_one(queued_app, gateway):
    with queued_app.app_context():
        queue_messages([otp("6281255500001")], store_id=None, order_id=None, now=clock.now())
        commit()
        # A drain job clears its announcement before its last look; a commit from then on
        # announces another, so an id pushed after that look always has a job.
        redis_connection(queued_app).delete(outbox_key("high") + ":drain")
        queue_messages([otp("6281255500002")], store_id=None, order_id=None, now=clock.now())
        commit()

    assert queue_lengths(queued_app)["high"] == 2
    work(queued_app)
    assert sorted(r.phone for r in gateway.requests) == ["6281255500001", "6281255500002"]


def test_a_long_drain_hands_the_rest_to_a_fresh_job(queued_app, gateway, monkeypatch):
    monkeypatch.setattr(job_tasks, "DRAIN_ROUNDS", 1)
    monkeypatch.setattr("shop.services.notifications.BATCH", 5)
    phones = [f"62812666{n:04d}" for n in range(12)]
    with queued_app.app_context():
        ids = queue_messages([otp(p) for p in phones], store_id=None, order_id=None,
                             now=clock.now())
        commit()
        assert job_tasks.drain_outbox("high") == 5  # one round of five, then a new job
        # the next five were handed back to the list behind the last two, for the new job
        assert redis_connection(queued_app).llen(outbox_key("high")) == 7

    work(queued_app)

    assert len(ids) == 12 and sorted(r.phone for r in gateway.requests) == phones


def lingering_app(shop_app, seconds: float):
    import os

    return shop_app(REDIS_URL=os.environ["TEST_REDIS_URL"], NOTIFY_DRAIN_LINGER=seconds)


def run_worker(application, queues=("high", "default", "legacy")) -> None:
    """A burst worker here (signals want the main thread), until its queues are empty."""
    with application.app_context():
        worker = Worker(list(queues), connection=redis_connection(application))
        worker.work(burst=True, logging_level="WARNING")


def count_drain_jobs(monkeypatch) -> list[str]:
    """The queue of each drain job that runs from now on (the worker runs in this process)."""
    ran = []
    drain = job_tasks.drain_outbox

    @functools.wraps(drain)
    def counted(queue_name="default", *args):
        ran.append(queue_name)
        return drain(queue_name, *args)

    monkeypatch.setattr(job_tasks, "drain_outbox", counted)
    return ran


def in_thread(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_a_lingering_drain_takes_the_next_commits_rows_without_a_job_of_their_own(
        shop_app, redis_db, committed, gateway, monkeypatch):
    application = lingering_app(shop_app, 4.0)
    jobs = count_drain_jobs(monkeypatch)
    seen = {}
    with application.app_context():
        queue_messages([otp("6281255500011")], store_id=None, order_id=None, now=clock.now())
        commit()

    def second_commit():
        gateway.wait_for(1)  # the drain job sent the first row and now lingers
        with application.app_context():
            queue_messages([otp("6281255500012")], store_id=None, order_id=None,
                           now=clock.now())
            commit()
        seen["jobs waiting after the commit"] = queue_lengths(application)["high"]
        seen["sent"] = [r.payload for r in gateway.wait_for(2)]

    thread = in_thread(second_commit)
    run_worker(application)
    thread.join(WAIT)

    assert seen["jobs waiting after the commit"] == 0  # it announced no job
    assert len(seen["sent"]) == 2
    assert jobs == ["high"]  # one job sent both
    assert sorted(r.phone for r in gateway.requests) == ["6281255500011", "6281255500012"]
    with application.app_context():
        connection = redis_connection(application)
        # the job cleared its announcement as it ended: the next commit announces a job
        assert not connection.exists(outbox_key("high") + ":drain")
        queue_messages([otp("6281255500013")], store_id=None, order_id=None, now=clock.now())
        commit()
    assert queue_lengths(application)["high"] == 1


def test_a_lingering_drain_gives_way_to_a_job_waiting_on_any_queue(
        shop_app, redis_db, committed, gateway, monkeypatch):
    monkeypatch.setattr(job_tasks, "DRAIN_JOB_SECONDS", 120.0)
    application = lingering_app(shop_app, 60.0)
    jobs = count_drain_jobs(monkeypatch)
    with application.app_context():
        queue_messages([otp("6281255500021")], store_id=None, order_id=None, now=clock.now())
        commit()

    def other_job():
        gateway.wait_for(1)
        time.sleep(0.3)  # the drain job lingers by now
        with application.app_context():
            queue("legacy", application).enqueue(job_tasks.sweep_outbox)

    thread = in_thread(other_job)
    began = time.monotonic()
    run_worker(application)
    thread.join(WAIT)

    # the worker went on to the other queue's job instead of lingering its minute out
    assert time.monotonic() - began < 30
    assert jobs == ["high"] and queue_lengths(application) == {"high": 0, "default": 0,
                                                                 "legacy": 0}
    assert [row.status for row in outbox()] == ["sent"]


def test_a_lingering_drain_gathers_the_next_commits_rows_into_its_round(
        shop_app, redis_db, committed, gateway, monkeypatch):
    application = lingering_app(shop_app, 0.2)
    rounds = []
    deliver = notifications.deliver
    monkeypatch.setattr(notifications, "deliver", lambda ids: rounds.append(list(ids))
                        or deliver(ids))

    def a_commit_while_it_gathers(seconds):
        assert seconds == job_tasks.GATHER_SECONDS
        if len(rounds) == 0 and not gateway.requests:  # the first round's moment only
            queue_messages([otp("6281255500032")], store_id=None, order_id=None,
                           now=clock.now())
            commit()

    monkeypatch.setattr(job_tasks, "time", type("Clock", (), {
        "monotonic": staticmethod(time.monotonic),
        "sleep": staticmethod(a_commit_while_it_gathers)}))
    with application.app_context():
        queue_messages([otp("6281255500031")], store_id=None, order_id=None, now=clock.now())
        commit()
        # When the drain job takes the first commit's id, a second commit comes meanwhile
        assert job_tasks.drain_outbox("high") == 2

    # Then both went out in one round: one claim, one template read
    assert [len(batch) for batch in rounds] == [2]
    assert sorted(r.phone for r in gateway.requests) == ["6281255500031", "6281255500032"]
