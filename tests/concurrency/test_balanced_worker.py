"""The production web worker (shop.gunicorn_worker) sends each new connection to a worker
holding the fewest: kept-alive connections are spread evenly, a connection is never taken
by a worker that is stuck on a request while another is free, and under a steady load a new
connection is still answered. (gunicorn's own gthread worker fails the first two about every
other time.)"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import uuid
from collections import Counter

import pytest

from .gunicorn import gunicorn, served_by

pytestmark = pytest.mark.backends("postgresql")
WORKER = "shop.gunicorn_worker.BalancedThreadWorker"
#: Kept-alive connections stay open for the whole test.
SETTINGS = {"GUNICORN_CMD_ARGS": "--keep-alive 30"}


def request_head(probe: str, close: bool = True) -> bytes:
    return (f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\nX-Probe: {probe}\r\n").encode()


def answer_of(connection: socket.socket, what: str) -> int:
    try:
        with connection.makefile("rb") as answer:
            return int(answer.readline().split()[1])
    except TimeoutError:
        pytest.fail(f"{what} got no answer: it waits behind the held request")


def pids_of(log, probes: list[str]) -> dict[str, str]:
    """The worker pid that answered each probe (the access log is written after each)."""
    deadline = time.monotonic() + 10
    while not set(probes) <= set(found := served_by(log)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def wait_for_workers(url: str, log, workers: int) -> None:
    """Until every worker has booted (answered a request): one still starting up takes no
    connection, so the others would take its share."""
    tag, seen = uuid.uuid4().hex[:8], set()
    deadline = time.monotonic() + 60
    for n in range(10_000):
        connection = http.client.HTTPConnection(*url.removeprefix("http://").split(":"),
                                                timeout=10)
        connection.request("GET", "/healthz", headers={"X-Probe": f"{tag}-boot-{n}"})
        connection.getresponse().read()
        connection.close()
        seen = {pid for probe, pid in pids_of(log, [f"{tag}-boot-{n}"]).items()
                if probe.startswith(f"{tag}-boot-")}
        if len(seen) == workers or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(seen) == workers, f"{len(seen)} of {workers} workers answered"


def test_kept_alive_connections_are_spread_evenly_over_the_workers(app, committed, tmp_path):
    with gunicorn(app, tmp_path, workers=4, worker_class=WORKER, threads=1,
                  **SETTINGS) as (url, log):
        wait_for_workers(url, log, 4)
        host, port = url.removeprefix("http://").split(":")
        tag, opened = uuid.uuid4().hex[:8], []
        for n in range(8):  # one after another, each kept open once answered
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            connection.request("GET", "/healthz", headers={"X-Probe": f"{tag}-{n}"})
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            opened.append(connection)
        pids = pids_of(log, [f"{tag}-{n}" for n in range(8)])
        for connection in opened:
            connection.close()
    assert sorted(Counter(pids[f"{tag}-{n}"] for n in range(8)).values()) == [2, 2, 2, 2]


def test_a_busy_worker_leaves_the_next_connection_to_a_free_one(app, committed, tmp_path):
    with gunicorn(app, tmp_path, workers=2, worker_class=WORKER, threads=1) as (url, log):
        wait_for_workers(url, log, 2)
        host, port = url.removeprefix("http://").split(":")
        tag = uuid.uuid4().hex[:8]
        for n in range(6):
            held = socket.create_connection((host, int(port)), timeout=30)
            held.sendall(request_head(f"{tag}-held-{n}"))  # no end of headers yet
            time.sleep(0.3)  # a worker has taken it; its only thread waits for the rest
            other = socket.create_connection((host, int(port)), timeout=10)
            other.sendall(request_head(f"{tag}-other-{n}") + b"\r\n")
            print("TRY", n, flush=True)
            # Answered while the held request still lacks its end: by the other worker.
            assert answer_of(other, "the second connection") == 200
            other.close()
            held.sendall(b"\r\n")
            assert answer_of(held, "the held request") == 200
            held.close()
        pids = pids_of(log, [f"{tag}-{k}-{n}" for n in range(6) for k in ("held", "other")])
    for n in range(6):
        assert pids[f"{tag}-held-{n}"] != pids[f"{tag}-other-{n}"]


def test_under_a_steady_load_a_new_connection_is_still_answered(app, committed, tmp_path):
    with gunicorn(app, tmp_path, workers=2, worker_class=WORKER, threads=1,
                  **SETTINGS) as (url, log):
        wait_for_workers(url, log, 2)
        host, port = url.removeprefix("http://").split(":")
        stop, answered = threading.Event(), Counter()

        def busy(n: int) -> None:  # a client that never pauses, on one kept-alive connection
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            deadline = time.monotonic() + 30
            while not stop.is_set() and time.monotonic() < deadline:
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                response.read()
                answered[n] += 1
            connection.close()

        clients = [threading.Thread(target=busy, args=(n,), daemon=True) for n in range(4)]
        for client in clients:
            client.start()
        try:
            time.sleep(1.0)
            assert all(answered[n] for n in range(4))  # every worker is at work
            late = http.client.HTTPConnection(host, int(port), timeout=10)
            late.request("GET", "/healthz")
            assert late.getresponse().status == 200
            late.close()
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=40)
