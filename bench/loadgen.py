"""A small asyncio HTTP/1.1 load generator: raw keep-alive connections, little client CPU.

Each virtual client owns one connection and sends one request at a time: it writes the
request bytes, reads the status line and headers, then the body (Content-Length, chunked, or
until EOF). A `Connection: close` answer (gunicorn's sync workers) makes the client reconnect
before its next request; that reconnect is part of the next request's latency, as it would be
for a real client. Nothing is retried: a broken connection is counted as an error.

Every run is bounded twice: by a deadline and by a number of requests.

`run_phase` is closed-loop (each client waits for its answer); `run_open_loop` sends at a
constant rate whatever the answers do, each request on an idle connection of a bounded pool.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

#: A request factory: returns (raw request bytes, context handed back to the result callback).
MakeRequest = Callable[[int], tuple[bytes, object]]
#: Result callback: (client id, context, status, body) -> optional error label.
OnResponse = Callable[[int, object, int, bytes], str | None]

READ_LIMIT = 1 << 20


class HttpError(Exception):
    """The server broke the protocol or the connection (counted, never retried)."""


@dataclass
class PhaseStats:
    """What one bounded run of requests produced."""

    name: str
    requests: int = 0
    elapsed: float = 0.0
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    ramp_statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    connections: int = 0
    window_connections: int = 0
    stopped_by: str = ""
    #: Open loop only: seconds each request left after its due time (the client's own lag).
    lags: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        lat = sorted(self.latencies)
        extra = {}
        if self.lags:
            lags = sorted(self.lags)
            extra = {"send_lag_ms": {"p50": pct(lags, 50), "p99": pct(lags, 99),
                                     "max": round(lags[-1] * 1000, 1)}}
        return extra | {
            "name": self.name,
            "requests": self.requests,
            "elapsed_s": round(self.elapsed, 3),
            "per_second": round(self.requests / self.elapsed, 1) if self.elapsed else 0.0,
            "latency_ms": {
                "p50": pct(lat, 50), "p90": pct(lat, 90), "p99": pct(lat, 99),
                "max": round(lat[-1] * 1000, 1) if lat else None,
            },
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "ramp_up_statuses": {str(k): v for k, v in sorted(self.ramp_statuses.items())},
            "errors": dict(self.errors),
            "connections_opened": self.connections,
            "connections_opened_in_window": self.window_connections,
            "client_cpu_s": round(self.client_cpu, 3),
            "stopped_by": self.stopped_by,
        }


def pct(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of seconds, in milliseconds."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return round(sorted_values[rank] * 1000, 1)


def build_request(method: str, host: str, path: str, body: bytes | None = None,
                  content_type: str = "application/json", close: bool = False) -> bytes:
    """The bytes of one HTTP/1.1 request (keep-alive unless `close`)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept-Encoding: identity"]
    if close:
        lines.append("Connection: close")
    if body is not None:
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    return head + (body or b"")


class Connection:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self, host: str, port: int, stats: PhaseStats):
        self.host, self.port, self.stats = host, port, stats
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.measured = True  # count connections opened inside the measured window only

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, limit=READ_LIMIT)
        self.stats.connections += 1
        self.stats.window_connections += self.measured

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.connect()
        self.writer.write(raw)
        await self.writer.drain()
        status, close, body = await self._read_response()
        if close:
            self.close()
        return status, body

    async def _read_response(self) -> tuple[int, bool, bytes]:
        reader = self.reader
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            raise HttpError("connection closed before the response") from error
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        length, chunked, close = None, False, parts[0] == "HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                close = value.strip().lower() == "close"
        try:
            if chunked:
                body = await self._read_chunked()
            elif length is not None:
                body = await reader.readexactly(length)
            else:
                body, close = await reader.read(), True
        except asyncio.IncompleteReadError as error:
            raise HttpError("connection closed inside the body") from error
        return status, close, body

    async def _read_chunked(self) -> bytes:
        chunks = []
        for _ in range(100_000):  # bounded: a body of at most 100k chunks
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        raise HttpError("too many chunks")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run_phase(name: str, *, host: str, port: int, clients: int, seconds: float,
                    max_requests: int, make_request: MakeRequest, on_response: OnResponse,
                    request_timeout: float = 30.0, ramp_up: float = 0.0,
                    on_window_start: Callable[[], None] | None = None,
                    think: Callable[[int], float] | None = None) -> PhaseStats:
    """Run `clients` concurrent clients until `seconds` pass or `max_requests` were sent.

    With `ramp_up`, client i starts i * ramp_up / clients seconds late and the measured window
    opens when the last one has started: connections then arrive while the server is busy, as
    they do in real traffic (a burst of connections to idle gthread workers lands on one of
    them). Answers during the ramp-up are counted apart (`ramp_statuses`), never measured.
    `on_window_start` is called when the window opens (e.g. to sample CPU counters).
    `think(client id)` gives the seconds a client waits after an answer before its next
    request (a person reading the page; never past the deadline); None: no wait.
    """
    stats = PhaseStats(name)
    loop = asyncio.get_running_loop()
    window_start = deadline = 0.0
    cpu0 = 0.0
    issued = started_clients = 0
    go = asyncio.Event()

    def open_window() -> None:
        nonlocal window_start, deadline, cpu0
        if on_window_start is not None:
            on_window_start()
        window_start = loop.time()
        deadline = window_start + seconds
        cpu0 = time.process_time()
        go.set()

    async def client(client_id: int) -> None:
        nonlocal issued, started_clients
        await asyncio.sleep(client_id * ramp_up / clients)
        started_clients += 1
        if started_clients == clients and not go.is_set():
            open_window()
        conn = Connection(host, port, stats)
        try:
            while issued < max_requests and (not go.is_set() or loop.time() < deadline):
                issued += 1
                measured = conn.measured = go.is_set()
                statuses = stats.statuses if measured else stats.ramp_statuses
                raw, context = make_request(client_id)
                t0 = time.perf_counter()
                try:
                    async with asyncio.timeout(request_timeout):
                        status, body = await conn.request(raw)
                except TimeoutError:
                    stats.errors["timeout"] += 1
                    conn.close()
                    continue
                except (OSError, HttpError) as error:
                    stats.errors[type(error).__name__ + ": " + str(error)[:80]] += 1
                    conn.close()
                    await asyncio.sleep(0.05)  # do not spin on a refused connection
                    continue
                if measured:
                    stats.latencies.append(time.perf_counter() - t0)
                statuses[status] += 1
                try:
                    problem = on_response(client_id, context, status, body)
                except (ValueError, KeyError, TypeError) as error:  # e.g. a body not JSON
                    problem = f"unreadable answer {status}: {type(error).__name__}"
                if problem:
                    stats.errors[problem] += 1
                if think is not None:
                    pause = think(client_id)
                    if go.is_set():
                        pause = min(pause, deadline - loop.time())
                    if pause > 0:
                        await asyncio.sleep(pause)
        finally:
            conn.close()

    if ramp_up <= 0:
        open_window()
    await asyncio.gather(*(client(i) for i in range(clients)))
    stats.elapsed = loop.time() - window_start
    stats.client_cpu = time.process_time() - cpu0
    stats.requests = sum(stats.statuses.values())
    stats.stopped_by = "max-requests" if issued >= max_requests else "time"
    return stats


async def run_open_loop(name: str, *, host: str, port: int, rate: float, seconds: float,
                        max_requests: int, make_request: MakeRequest, on_response: OnResponse,
                        max_connections: int = 256, request_timeout: float = 30.0) -> PhaseStats:
    """Send request n at start + n / rate (open loop) until `seconds` pass or `max_requests`
    were sent, then wait (bounded by `request_timeout`) for the answers in flight.

    A request takes an idle keep-alive connection or opens one, at most `max_connections` at
    a time; when all are busy it waits for one, and that wait is its lag (`lags`, printed as
    send_lag_ms): a large lag means the server, not the rate, set the pace. `latencies` run
    from writing the request to its answer; `make_request(n)` is called right before the
    write and `on_response(n, ...)` right after the answer, so either can read the clock.
    """
    stats = PhaseStats(name)
    loop = asyncio.get_running_loop()
    idle: list[Connection] = []
    slots = asyncio.Semaphore(max_connections)
    total = max(0, min(max_requests, int(rate * seconds)))
    start = loop.time()
    cpu0 = time.process_time()

    async def one(n: int, due: float) -> None:
        async with slots:
            conn = idle.pop() if idle else Connection(host, port, stats)
            stats.lags.append(loop.time() - due)
            raw, context = make_request(n)
            t0 = time.perf_counter()
            try:
                async with asyncio.timeout(request_timeout):
                    status, body = await conn.request(raw)
            except TimeoutError:
                stats.errors["timeout"] += 1
                conn.close()
                return
            except (OSError, HttpError) as error:
                stats.errors[type(error).__name__ + ": " + str(error)[:80]] += 1
                conn.close()
                return
            stats.latencies.append(time.perf_counter() - t0)
            stats.statuses[status] += 1
            idle.append(conn)
            try:
                problem = on_response(n, context, status, body)
            except (ValueError, KeyError, TypeError) as error:
                problem = f"unreadable answer {status}: {type(error).__name__}"
            if problem:
                stats.errors[problem] += 1

    tasks: set[asyncio.Task] = set()
    for n in range(total):
        due = start + n / rate
        if loop.time() - start > seconds + request_timeout:  # far behind: stop sending
            stats.stopped_by = "late"
            break
        pause = due - loop.time()
        if pause > 0:
            await asyncio.sleep(pause)
        task = asyncio.create_task(one(n, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    sent_for = loop.time() - start
    if tasks:
        await asyncio.wait(set(tasks), timeout=request_timeout + 5)
    for task in list(tasks):  # bounded: what is still waiting after the timeout is dropped
        task.cancel()
        stats.errors["still waiting after the run"] += 1
    for conn in idle:
        conn.close()
    stats.elapsed = sent_for
    stats.client_cpu = time.process_time() - cpu0
    stats.requests = sum(stats.statuses.values())
    if not stats.stopped_by:
        stats.stopped_by = "max-requests" if total < int(rate * seconds) else "time"
    return stats
