"""Coalesced delivery: commits put their outbox ids on the queue's Redis list and announce one
drain job, which delivers the rows of many commits; an OTP goes through the `high` queue."""

from __future__ import annotations

from shop import clock
from shop.jobs import outbox_key, redis_connection
from shop.jobs import tasks as job_tasks
from shop.services.notifications import Message, queue_messages
from shop.unit_of_work import commit

from .conftest import outbox, queue_lengths, work


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
        # The drain job clears its announcement first; a commit from then on announces
        # another, so an id pushed after the job's last look always has a job.
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
