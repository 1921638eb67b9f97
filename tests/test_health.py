"""GET /healthz: 200 when the required parts answer, 503 when one is down, with the queue
lengths and the age of the oldest waiting message."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import pytest

from shop import clock
from shop.extensions import db
from shop.models import Notification, NotificationStatus

from .conftest import make_test_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_with(tmp_path, **config):
    app = make_test_app(f"sqlite:///{tmp_path / 'health.db'}", **config)
    with app.app_context():
        db.create_all()
    return app


def test_embedded_mode_is_healthy_without_redis_and_says_why(client):
    answer = client.get("/healthz")

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "ok" and body["database"] == {"ok": True}
    assert body["redis"]["configured"] is False
    assert body["outbox"] == {"oldest_queued_seconds": None}
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_oldest_waiting_message_is_reported_in_seconds(client, make, burger):
    make.order(burger, items=[("FRIES", 1)])  # its messages stay queued (no delivery ran)
    row = db.session.query(Notification).first()
    row.next_attempt_at = clock.now() - timedelta(minutes=10)
    db.session.commit()

    age = client.get("/healthz").get_json()["outbox"]["oldest_queued_seconds"]

    assert row.status == NotificationStatus.QUEUED
    assert 590 <= age <= 3600


def test_a_redis_that_does_not_answer_makes_it_503(tmp_path):
    app = app_with(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    answer = app.test_client().get("/healthz")

    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "down"
    assert body["redis"]["configured"] is True and body["redis"]["ok"] is False
    assert body["database"] == {"ok": True}


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")
def test_with_redis_the_queues_and_workers_are_counted(tmp_path):
    app = app_with(tmp_path, REDIS_URL=os.environ["TEST_REDIS_URL"])
    from rq import Queue

    from shop.jobs import redis_connection

    with app.app_context():
        high = Queue("high", connection=redis_connection(app))
        high.empty()
        high.enqueue("shop.jobs.tasks.sweep_outbox")
        try:
            answer = app.test_client().get("/healthz")
        finally:
            high.empty()

    assert answer.status_code == 200
    redis = answer.get_json()["redis"]
    assert redis["ok"] is True and redis["queues"]["high"] == 1
    assert set(redis["queues"]) == {"high", "default", "legacy"}
    assert isinstance(redis["workers"], int)


def test_a_database_that_does_not_answer_makes_it_503(tmp_path):
    app = make_test_app(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")

    answer = app.test_client().get("/healthz")

    assert answer.status_code == 503
    assert answer.get_json()["database"]["ok"] is False
