"""Fire HTTP requests in parallel at a live server and collect every answer.

Standard library only, loopback only: one thread per request, all released together by a
barrier so they really overlap, a timeout on every request, and every failure (timeout,
reset connection, non-JSON body) kept as an answer so a test can show it.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Longest wait for one answer. Above the pool's 30 s checkout timeout, so a request that
#: waited for a connection and then failed shows up as its 500, not as our timeout.
REQUEST_TIMEOUT = 45.0
#: Longest wait for every thread to reach the starting line.
BARRIER_TIMEOUT = 15.0
#: Hard bound on how many requests one call may send.
MAX_PARALLEL = 64

CHECKOUT_PATH = "/api/orders/create-from-checkout"


@dataclass
class Answer:
    """One request's outcome: HTTP status (None if no answer), JSON body, error, seconds."""

    status: int | None
    body: dict | None
    error: str | None
    seconds: float

    @property
    def code(self) -> str | None:
        """The error code of a refusal ("out_of_stock", "server_error" ...), if any."""
        return (self.body or {}).get("code")

    @property
    def order(self) -> dict:
        return (self.body or {}).get("order") or {}

    @property
    def customer(self) -> dict:
        return (self.body or {}).get("customer") or {}


def post_json(base_url: str, path: str, payload: dict, timeout: float = REQUEST_TIMEOUT) -> Answer:
    """POST a JSON body on a fresh connection; never raises, the failure is in the Answer."""
    parts = urlsplit(base_url)
    if parts.hostname != "127.0.0.1":
        raise ValueError(f"loopback only, not {base_url}")
    started = time.monotonic()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(
            "POST", path, body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "Connection": "close"},
        )
        response = connection.getresponse()
        raw = response.read()
        try:
            body = json.loads(raw)
        except ValueError:
            return Answer(response.status, None, f"not JSON: {raw[:300]!r}",
                          time.monotonic() - started)
        return Answer(response.status, body, None, time.monotonic() - started)
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, None, f"{type(error).__name__}: {error}", time.monotonic() - started)
    finally:
        connection.close()


def post_parallel(base_url: str, path: str, payloads: list[dict]) -> list[Answer]:
    """Send every payload at once (one thread each, released by a barrier); answers in order."""
    if not 0 < len(payloads) <= MAX_PARALLEL:
        raise ValueError(f"1 to {MAX_PARALLEL} requests, not {len(payloads)}")
    barrier = threading.Barrier(len(payloads))

    def send(payload: dict) -> Answer:
        barrier.wait(timeout=BARRIER_TIMEOUT)
        return post_json(base_url, path, payload)

    with ThreadPoolExecutor(max_workers=len(payloads), thread_name_prefix="client") as pool:
        futures = [pool.submit(send, payload) for payload in payloads]
        return [future.result(timeout=BARRIER_TIMEOUT + REQUEST_TIMEOUT + 5)
                for future in futures]


def checkout_parallel(base_url: str, payloads: list[dict]) -> list[Answer]:
    """Parallel POST /api/orders/create-from-checkout."""
    return post_parallel(base_url, CHECKOUT_PATH, payloads)


def describe(answers: list[Answer], limit: int = 5) -> str:
    """Status counts and the first few unexpected answers, for assertion messages."""
    counts = Counter(a.status for a in answers)
    odd = [a for a in answers if a.status not in (200, 201, 409) or a.error]
    details = "; ".join(
        f"status={a.status} code={a.code} error={a.error or (a.body or {}).get('error')}"
        for a in odd[:limit]
    )
    slowest = max(a.seconds for a in answers)
    return f"statuses={dict(counts)} slowest={slowest:.2f}s unexpected=[{details}]"
