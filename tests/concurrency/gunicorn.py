"""The app under gunicorn with several sync worker processes, on the test's PostgreSQL (and
TEST_REDIS_URL), and requests made to reach different workers. Loopback only; every wait
bounded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
#: How long the held requests wait for every worker to have accepted one.
ACCEPT_PAUSE = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app, tmp_path, workers: int = 3, worker_class: str = "sync", threads: int = 1,
             **settings):
    """The app under gunicorn (sync workers unless told otherwise, so each serves one
    request at a time) on the test database and TEST_REDIS_URL, with `settings` as
    environment; yields (url, log).
    The access log has a line per request: the worker's pid, the status and the request's
    X-Probe header."""
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
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", worker_class,
         "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--access-logfile", str(log),
         "--access-logformat", "%(p)s %(s)s %({x-probe}i)s", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


@dataclass
class Held:
    """One request to send with the others at once."""

    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    probe: str = ""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    probe: str

    @property
    def text(self) -> str:
        return self.body.decode()


def at_once(url: str, held: list[Held]) -> list[Reply]:
    """Send the requests at once, each on its own connection, so that several workers
    answer: each connection first sends its headers but not their end, which makes the sync
    worker that accepted it wait on it, so the next connection is taken by another worker;
    then every request is completed. The replies, in order."""
    host, port = url.removeprefix("http://").split(":")
    opened = []
    for request in held:
        head = (f"{request.method} {request.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Connection: close\r\nX-Probe: {request.probe}\r\n"
                f"Content-Length: {len(request.body)}\r\n"
                + "".join(f"{name}: {value}\r\n" for name, value in request.headers))
        connection = socket.create_connection((host, int(port)), timeout=30)
        connection.sendall(head.encode())
        opened.append((connection, request))
    time.sleep(ACCEPT_PAUSE)  # each worker has accepted a connection and waits for its end
    for connection, request in opened:
        connection.sendall(b"\r\n" + request.body)
    replies = []
    for connection, request in opened:
        with connection, connection.makefile("rb") as answer:
            status = int(answer.readline().split()[1])
            headers = {}
            while (line := answer.readline().decode("latin-1").strip()):
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            replies.append(Reply(status, headers, answer.read(), request.probe))
    return replies


def served_by(log: Path) -> dict[str, str]:
    """The worker pid that answered each probe, from the access log."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line.split() for line in log.read_text().splitlines() if line.strip()]
        if lines:
            return {fields[2]: fields[0] for fields in lines if len(fields) == 3}
        time.sleep(0.1)
    return {}
