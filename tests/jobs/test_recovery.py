"""Nothing is lost and nothing is sent twice: Redis down at the checkout, a worker killed in
the middle of a send, two workers racing for the same rows."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from shop import clock
from shop.jobs import enqueue
from shop.jobs.tasks import deliver_notifications, sweep_outbox
from shop.services.notifications import Message, insert_rows, outbox_rows, queue_messages
from shop.unit_of_work import commit

from .conftest import (
    CUSTOMER,
    Reply,
    burger_with_admins,
    checkout,
    free_port,
    move_back,
    outbox,
    queue_lengths,
    work,
)


def otp(phone: str, code: str = "482913") -> Message:
    """A sign-in code: a message about no order, on the `high` queue."""
    return Message(phone, "otp", {"code": code, "minutes": 5, "store_name": "Burger China"})


def test_redis_down_at_checkout_the_order_is_made_and_the_sweep_delivers_it_once(
        shop_app, queued_app, committed, gateway):
    down = shop_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    burger_with_admins(committed)

    started = time.monotonic()
    status, answer = checkout(down)

    assert status == 201 and answer["success"] is True
    assert time.monotonic() - started < 5  # the shopper does not wait for Redis
    rows = outbox()
    assert len(rows) == 4 and {r.status for r in rows} == {"queued"}
    assert all(r.order_id == answer["order"]["id"] for r in rows)
    assert queue_lengths(queued_app) == {"high": 0, "default": 0, "legacy": 0}

    with queued_app.app_context():  # Redis is back; within the grace period nothing moves
        assert sweep_outbox() == {"queued": 0, "stuck": 0}
    move_back("next_attempt_at", timedelta(minutes=2))
    with queued_app.app_context():  # two runs of the minute's sweep before any worker
        assert sweep_outbox() == {"queued": 4, "stuck": 0}
        assert sweep_outbox() == {"queued": 4, "stuck": 0}
    # Both sweeps put the ids on the outbox list; one drain job is waiting for them.
    assert queue_lengths(queued_app)["default"] == 1
    work(queued_app)

    assert len(gateway.requests) == 4
    assert Counter(r.phone for r in gateway.requests) == Counter(r.recipient for r in rows)
    assert all(r.status == "sent" and r.attempts == 1 for r in outbox())
    with queued_app.app_context():
        assert sweep_outbox() == {"queued": 0, "stuck": 0}
    work(queued_app)
    assert len(gateway.requests) == 4


def test_a_worker_killed_mid_send_leaves_the_row_to_the_sweep_which_sends_it_again(
        queued_app, committed, gateway, workers):
    gateway.script(Reply(hang=True))
    with queued_app.app_context():
        (row_id,) = queue_messages([otp(CUSTOMER)], store_id=None, order_id=None,
                                   now=clock.now())
        commit()
    worker = workers(queued_app)
    gateway.wait_for(1)  # the send is under way: the gateway holds its answer

    worker.kill()

    (row,) = outbox()
    assert (row.status, row.attempts) == ("sending", 1)
    with queued_app.app_context():  # a send still in its time is not taken from its worker
        assert sweep_outbox() == {"queued": 0, "stuck": 0}
    timeout = queued_app.config["NOTIFY_SENDING_TIMEOUT"]
    move_back("claimed_at", timedelta(seconds=timeout + 1))
    with queued_app.app_context():
        assert sweep_outbox() == {"queued": 0, "stuck": 1}
    (row,) = outbox()
    assert (row.status, row.attempts) == ("queued", 1)
    assert "stopped while sending" in row.last_error
    gateway.release()

    work(queued_app)

    (row,) = outbox()
    assert (row.status, row.attempts) == ("sent", 2)
    assert "sent again" in row.last_error  # the shopper may have it twice: it shows
    first, second = gateway.to(CUSTOMER)
    assert first.text == second.text and "482913" in second.text
    assert row.provider_message_id == second.answer["id"]


@pytest.mark.backends("postgresql")
def test_two_workers_on_one_queue_send_each_of_200_rows_once(
        queued_app, committed, gateway, workers):
    phones = [f"62813{n:08d}" for n in range(200)]
    with queued_app.app_context():
        ids = insert_rows(outbox_rows([otp(phone, f"{n:06d}") for n, phone in enumerate(phones)],
                                      store_id=None, order_id=None, now=clock.now()))
        # Overlapping jobs (rows 0-19, 10-29, 20-39 ...): most rows are in two jobs, which
        # the two workers take at the same time.
        for start in range(0, len(ids), 10):
            enqueue(deliver_notifications, ids[start:start + 20], queue_name="default")
        commit()
    assert queue_lengths(queued_app)["default"] == 20
    # The first send is held until a second one arrives, which only the other worker can
    # make: both are surely at work, on neighbouring jobs, when they go on.
    gateway.script(Reply(hang=True))
    gateway.delay = 0.002

    pair = [workers(queued_app, "a"), workers(queued_app, "b")]
    gateway.wait_for(2)
    gateway.release()
    codes = [w.wait(timeout=60) for w in pair]

    assert codes == [0, 0], [w.output() for w in pair]
    assert len(gateway.requests) == 200
    sent_to = Counter(r.phone for r in gateway.requests)
    assert set(sent_to) == set(phones) and set(sent_to.values()) == {1}
    rows = outbox()
    assert len(rows) == 200 and {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    assert len({r.provider_message_id for r in rows}) == 200
    assert len({r.peer for r in gateway.requests}) >= 2  # from two connections
    assert queue_lengths(queued_app)["default"] == 0

