"""The dealers' OTP limits over HTTP against gunicorn with several worker processes, on
PostgreSQL and Redis (DESIGN.md: limits shared by all web processes). Parallel requests for
one number reach different workers (their pids are in gunicorn's access log): the 4th in 10
minutes and one within 60 s answer 429 and send nothing. Loopback only; bounded waits."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Notification

from ..factories import Factories
from .gunicorn import Held, gunicorn
from .gunicorn import at_once as held_at_once

pytestmark = pytest.mark.backends("postgresql")
WORKERS = 3


def at_once(url: str, bodies: list[dict]) -> list[int]:
    """POST every body to request-otp at once, so that several workers answer (gunicorn.
    at_once). The statuses, in order."""
    return [reply.status for reply in held_at_once(url, [
        Held("POST", "/api/auth/request-otp", json.dumps(body).encode(),
             (("Content-Type", "application/json"),), probe=str(n))
        for n, body in enumerate(bodies)])]


def otp_rows(phone: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Notification).where(
            Notification.template == "otp", Notification.recipient == phone)).scalar_one()


def workers_seen(log: Path) -> set[str]:
    """The worker pids that answered, from the access log."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line.split() for line in log.read_text().splitlines() if line.strip()]
        if lines:
            return {fields[0] for fields in lines}
        time.sleep(0.1)
    return set()


def test_the_4th_request_in_10_minutes_is_429_whichever_worker_answers(
        app, committed, tmp_path):
    shop = Factories().dealer_shop()
    phone = shop.phone
    db.session.remove()
    with gunicorn(app, tmp_path, WORKERS, OTP_COOLDOWN_SECONDS="0") as (url, log):
        forms = ["0812-3456-789", "+62 812 3456 789", "628123456789", "08123456789",
                 "62 812-3456-789", "+628123456789"]
        statuses = at_once(url, [{"phone": form} for form in forms])
        pids = workers_seen(log)

    assert sorted(statuses) == [200, 200, 200, 429, 429, 429]
    assert len(pids) == WORKERS, pids  # the requests really were spread over the processes
    assert otp_rows(phone) == 3  # the refused ones sent nothing


def test_a_second_request_within_60_seconds_is_429_whichever_worker_answers(
        app, committed, tmp_path):
    shop = Factories().dealer_shop()
    phone = shop.phone
    db.session.remove()
    with gunicorn(app, tmp_path, WORKERS) as (url, log):
        statuses = at_once(url, [{"phone": "0812-3456-789"}, {"shop_code": "tk001"},
                                 {"phone": "+62 812 3456 789"}])
        later = requests.post(f"{url}/api/auth/request-otp", json={"phone": phone}, timeout=30)
        pids = workers_seen(log)

    assert sorted(statuses) == [200, 429, 429]
    assert later.status_code == 429 and int(later.headers["Retry-After"]) > 0
    assert later.json()["code"] == "too_many_requests"
    assert len(pids) == WORKERS, pids
    assert otp_rows(phone) == 1
