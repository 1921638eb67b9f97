"""A worker that is done quits at once: RQ's pub/sub thread does not hold it for 60 s."""

from __future__ import annotations

import threading
import time

from rq import Queue

from shop.jobs.worker import COMMAND_WAIT, Worker


def subscribed_worker(redis_db) -> Worker:
    worker = Worker([Queue("default", connection=redis_db)], connection=redis_db)
    worker.subscribe()
    deadline = time.monotonic() + 10
    while not worker.pubsub.subscribed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.pubsub.subscribed
    return worker


def test_stopping_after_the_thread_read_the_unsubscribe_reply_takes_a_second_not_a_minute(
        redis_db):
    worker = subscribed_worker(redis_db)
    # The race CI lost: the thread reads the unsubscribe reply before it is told to stop, and
    # goes back to waiting for a subscription. Here it is made to happen every time.
    worker.pubsub.unsubscribe()
    deadline = time.monotonic() + 10
    while worker.pubsub.subscribed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not worker.pubsub.subscribed

    stopping = threading.Thread(target=worker.unsubscribe, daemon=True)
    stopping.start()
    stopping.join(timeout=COMMAND_WAIT + 5)  # RQ's own SimpleWorker waits 60 s here

    assert not stopping.is_alive(), "the worker is still waiting for its pub/sub thread"
    assert not worker.pubsub_thread.is_alive()


def test_a_command_published_to_the_worker_reaches_it(redis_db, monkeypatch):
    received = threading.Event()
    monkeypatch.setattr(Worker, "handle_payload", lambda self, message: received.set())
    worker = subscribed_worker(redis_db)
    try:
        redis_db.publish(worker.pubsub_channel_name, '{"command": "shutdown"}')
        assert received.wait(timeout=10)
    finally:
        worker.unsubscribe()
