"""The dealers' OTP limits over HTTP against gunicorn with several worker processes, on
PostgreSQL and Redis (DESIGN.md: limits shared by all web processes). Parallel requests for
one number reach different workers (their pids are in gunicorn's access log): the 4th in 10
minutes and one within 60 s answer 429 and send nothing. Loopback only; bounded waits."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Notification

from ..factories import Factories

pytestmark = pytest.mark.backends("postgresql")
ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app, tmp_path, **settings):
    """The app under gunicorn (sync workers, so each serves one request at a time) on the
    test database and TEST_REDIS_URL, with `settings` as environment; yields (url, log)."""
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("needs TEST_REDIS_URL")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    port, log = free_port(), tmp_path / f"access-{time.monotonic_ns()}.log"
    database = str(app.config["SQLALCHEMY_DATABASE_URI"]).replace("+psycopg", "")
    env = {**os.environ, "DATABASE_URL": database, "LEGACY_DATABASE_URL": database,
           "REDIS_URL": redis_url, "SECRET_KEY": "test-secret-key-long-enough",
           "RATELIMIT_ENABLED": "false", "WHATSAPP_PROVIDER": "log",
           "PUBLIC_BASE_URL": "https://shop.test", **settings}
    env.pop("SHOP_ENV", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "sync", "-b",
         f"127.0.0.1:{port}", "--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s",
         "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):
                # Not listening yet, or a worker still booting on a busy machine: wait on.
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        yield url, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        redis.Redis.from_url(redis_url).flushdb()


def at_once(url: str, bodies: list[dict]) -> list[int]:
    """POST every body to request-otp at once, each on its own connection, so that several
    workers answer: each connection first sends its headers but not their end, which makes
    the sync worker that accepted it wait on it, so the next connection is taken by another
    worker; then every request is completed. The statuses, in order."""
    host, port = url.removeprefix("http://").split(":")
    held = []
    for body in bodies:
        data = json.dumps(body).encode()
        head = ("POST /api/auth/request-otp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\nConnection: close\r\n"
                f"Content-Length: {len(data)}\r\n")
        connection = socket.create_connection((host, int(port)), timeout=30)
        connection.sendall(head.encode())
        held.append((connection, data))
    time.sleep(1.0)  # each worker has accepted a connection and waits for its end
    for connection, data in held:
        connection.sendall(b"\r\n" + data)
    statuses = []
    for connection, _data in held:
        with connection, connection.makefile("rb") as answer:
            statuses.append(int(answer.readline().split()[1]))
    return statuses


def otp_rows(phone: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Notification).where(
            Notification.template == "otp", Notification.recipient == phone)).scalar_one()


def served_by(log: Path) -> set[str]:
    """The worker pids that answered, from the access log."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line.split() for line in log.read_text().splitlines() if line.strip()]
        if lines:
            return {pid for pid, _status in lines}
        time.sleep(0.1)
    return set()


def test_the_4th_request_in_10_minutes_is_429_whichever_worker_answers(
        app, committed, tmp_path):
    shop = Factories().dealer_shop()
    phone = shop.phone
    db.session.remove()
    with gunicorn(app, tmp_path, OTP_COOLDOWN_SECONDS="0") as (url, log):
        forms = ["0812-3456-789", "+62 812 3456 789", "628123456789", "08123456789",
                 "62 812-3456-789", "+628123456789"]
        statuses = at_once(url, [{"phone": form} for form in forms])
        pids = served_by(log)

    assert sorted(statuses) == [200, 200, 200, 429, 429, 429]
    assert len(pids) == WORKERS, pids  # the requests really were spread over the processes
    assert otp_rows(phone) == 3  # the refused ones sent nothing


def test_a_second_request_within_60_seconds_is_429_whichever_worker_answers(
        app, committed, tmp_path):
    shop = Factories().dealer_shop()
    phone = shop.phone
    db.session.remove()
    with gunicorn(app, tmp_path) as (url, log):
        statuses = at_once(url, [{"phone": "0812-3456-789"}, {"shop_code": "tk001"},
                                 {"phone": "+62 812 3456 789"}])
        later = requests.post(f"{url}/api/auth/request-otp", json={"phone": phone}, timeout=30)
        pids = served_by(log)

    assert sorted(statuses) == [200, 429, 429]
    assert later.status_code == 429 and int(later.headers["Retry-After"]) > 0
    assert later.json()["code"] == "too_many_requests"
    assert len(pids) == WORKERS, pids
    assert otp_rows(phone) == 1
