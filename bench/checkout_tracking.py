"""Checkout and tracking benchmark: the app under gunicorn on PostgreSQL, loaded from loopback.

    python bench/checkout_tracking.py                      # gthread, 3 workers x 4 threads
    python bench/checkout_tracking.py --seconds 5 --compare --reference

Per run (and per configuration with --compare): rebuild the shop_bench schema, seed the demo
store plus bench products, start gunicorn as in production (REDIS_URL, Redis db 9 flushed, and
--rq-workers RQ workers sending the outbox with the log provider; --embedded: no Redis, the
messages sent inside each request), warm up, then phase 1 (checkouts through
POST /api/orders/create-from-checkout), the outbox's drain, and phase 2 (GET /track/<id> of
those orders), each bounded by --seconds and --max-requests; stop gunicorn and the workers;
check the database (orders and their messages) against what the clients saw. Prints
throughput, latency percentiles, status codes, CPU per request (web and RQ workers) and ratios
against the reference figures of issue 2; writes JSON to bench/results/. Exits 1 when a
correctness check fails (never because of a timing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import benchdb
import loadgen
import pgbench_checkout
import plainsql
import procstats

ROOT = benchdb.ROOT
HOST = "127.0.0.1"
CHECKOUT_PATH = "/api/orders/create-from-checkout"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench"
#: Production mode's Redis database (flushed); shopper_path.py uses 10, the others 11-13.
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"

#: Issue 2, "Performance": measured on this 2-core machine, and the targets at 32 clients.
REFERENCE = {"plain_sql_checkouts_per_s": 500, "naive_orm_checkouts_per_s": 90,
             "row_and_template_pages_per_s": 650}
TARGETS = {"checkouts_per_s": 250, "checkout_p99_ms": 250, "pages_per_s": 650,
           "page_p99_ms": 100, "checkout_statements": 15, "tracking_statements": 4}
#: Issue 16: the app's JSON checkout against the same transaction run by pgbench.
PGBENCH_TARGET = {"ratio": 0.5, "checkout_p99_ms": 250}


# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class CheckoutCtx:
    kind: str  # "new" or "replay"
    lines: tuple[tuple[str, int], ...]
    key: str | None
    raw: bytes
    order_id: str | None = None


class Checkouts:
    """Phase 1: 3-line checkouts; new and repeated phones; some idempotency keys and replays."""

    def __init__(self, args, port: int, expected: benchdb.Expected, run_id: str):
        self.args, self.expected, self.run_id = args, expected, run_id
        self.host = f"{HOST}:{port}"
        self.rngs: dict[int, random.Random] = {}
        self.phone_seq = 0
        self.used_phones: list[str] = []
        self.pending_replay: dict[int, CheckoutCtx] = {}
        self.created: list[tuple[str, str]] = []
        self.kinds: Counter = Counter()
        #: Warm-up sends `Connection: close` so each request may reach another worker.
        self.close_connections = False

    def rng(self, client_id: int) -> random.Random:
        if client_id not in self.rngs:
            self.rngs[client_id] = random.Random(self.args.seed * 7919 + client_id)
        return self.rngs[client_id]

    def make_request(self, client_id: int) -> tuple[bytes, CheckoutCtx]:
        replay = self.pending_replay.pop(client_id, None)
        if replay is not None:
            self.kinds["replay"] += 1
            return replay.raw, replay
        rng, args = self.rng(client_id), self.args
        if self.used_phones and rng.random() < args.repeat_fraction:
            phone = rng.choice(self.used_phones)
            self.kinds["repeated phone"] += 1
        else:
            self.phone_seq += 1
            phone = f"0812{30_000_000 + self.phone_seq:08d}"
            self.used_phones.append(phone)
            self.kinds["new phone"] += 1
        lines = [(code, rng.randint(1, 3)) for code, *_ in benchdb.BENCH_PRODUCTS]
        if rng.random() < args.scarce_fraction:
            lines[rng.randrange(len(lines))] = (benchdb.SCARCE_PRODUCT[0], rng.randint(1, 2))
            self.kinds["with scarce product"] += 1
        body = {"store": benchdb.STORE_SLUG, "name": f"Pembeli {phone[-4:]}", "phone": phone,
                "address": "Jl. Sudirman No. 123, Jakarta Pusat", "courier": "JNE Regular",
                "payment_method": "bank_transfer",
                "items": [{"code": code, "qty": qty} for code, qty in lines]}
        if rng.random() < args.email_fraction:
            body["email"] = f"pembeli{phone[-6:]}@example.com"
        key = None
        if rng.random() < args.key_fraction:
            key = f"bench-{self.run_id}-{client_id}-{self.phone_seq}-{rng.randrange(10**9)}"
            body["idempotency_key"] = key
            self.kinds["with idempotency key"] += 1
        raw = loadgen.build_request("POST", self.host, CHECKOUT_PATH,
                                    json.dumps(body).encode(), close=self.close_connections)
        return raw, CheckoutCtx("new", tuple(lines), key, raw)

    def on_response(self, client_id: int, ctx: CheckoutCtx, status: int,
                    body: bytes) -> str | None:
        if ctx.kind == "replay":
            if status != 200:
                return f"replay answered {status}, not 200"
            if json.loads(body)["order"]["id"] != ctx.order_id:
                return "replay answered a different order"
            self.kinds["replay answered the first order"] += 1
            return None
        if status == 201:
            data = json.loads(body)
            order = data["order"]
            self.expected.add(order["id"], order["number"], data["customer"]["phone"],
                              list(ctx.lines))
            self.created.append((order["id"], order["number"]))
            if ctx.key and self.rng(client_id).random() < self.args.replay_fraction:
                self.pending_replay[client_id] = replace(ctx, kind="replay",
                                                         order_id=order["id"])
            return None
        if status == 409:
            scarce = any(code == benchdb.SCARCE_PRODUCT[0] for code, _ in ctx.lines)
            code = json.loads(body).get("code")
            if code == "out_of_stock" and scarce:
                return None
            return f"409 {code} on {'scarce' if scarce else 'big-stock'} products"
        return f"unexpected status {status}: {body[:120]!r}"


class TrackingReads:
    """Phase 2: tracking pages of the orders just created, in random order."""

    def __init__(self, args, port: int, orders: list[tuple[str, str]], close: bool = False):
        host = f"{HOST}:{port}"
        self.requests = [(loadgen.build_request("GET", host, f"/track/{oid}", close=close),
                          number.encode()) for oid, number in orders]
        self.rng = random.Random(args.seed)

    def make_request(self, client_id: int) -> tuple[bytes, bytes]:
        return self.requests[self.rng.randrange(len(self.requests))]

    def on_response(self, client_id: int, number: bytes, status: int, body: bytes) -> str | None:
        if status != 200:
            return f"tracking page answered {status}"
        if number not in body:
            return "tracking page lacks the order number"
        return None


# --------------------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def no_control_socket() -> list[str]:
    """gunicorn >= 25 opens ~/.gunicorn/gunicorn.ctl, shared by every instance: not ours."""
    done = subprocess.run([sys.executable, "-m", "gunicorn", "--help"], capture_output=True,
                          text=True, timeout=60, check=False)
    return ["--no-control-socket"] if "--no-control-socket" in done.stdout else []


#: Worker classes by the benchmarks' short names: "balanced" is the README's production
#: worker (gthread taking connections only while a thread is free, shop/gunicorn_worker.py);
#: "gthread" is gunicorn's own, for the reference apps and older trees.
WORKER_CLASSES = {"balanced": "shop.gunicorn_worker.BalancedThreadWorker"}


class Gunicorn:
    """gunicorn in its own process group, always stopped by stop()."""

    def __init__(self, url: str, worker_class: str, workers: int, threads: int, log: Path):
        self.port = free_port()
        self.log_path = log
        self.cmd = [
            sys.executable, "-m", "gunicorn",
            "--worker-class", WORKER_CLASSES.get(worker_class, worker_class),
            "--workers", str(workers), "--threads", str(threads if worker_class != "sync" else 1),
            "--bind", f"{HOST}:{self.port}", "--backlog", "2048", "--timeout", "60",
            "--graceful-timeout", "5", "--keep-alive", "5", *no_control_socket(), "wsgi:app",
        ]
        self.env = benchdb.app_env(url)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / 0.2) + 1):
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            if self._answers() or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if not self._answers():
            raise RuntimeError("gunicorn did not answer in time:\n" + self.log_tail())

    def _answers(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=2) as sock:
                sock.sendall(b"GET /track/unknown HTTP/1.1\r\nHost: bench\r\n"
                             b"Connection: close\r\n\r\n")
                return sock.recv(16).startswith(b"HTTP/1.")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --------------------------------------------------------------------------- delivery


#: How long the outbox may take to drain after the load before the checks read it.
DRAIN_TIMEOUT = 60.0


class Delivery:
    """How an order's WhatsApp messages (outbox rows) go out. Production (the README's): the
    web processes get REDIS_URL and `--rq-workers` `flask --app wsgi worker high default`
    processes beside them send the rows; embedded (`--embedded`): no Redis, every row is
    rendered and sent inside the request that wrote it. Both with the log provider (nothing
    leaves the machine); gunicorn and the workers share one environment (DATABASE_URL,
    SECRET_KEY, REDIS_URL)."""

    def __init__(self, args, run_dir: Path):
        import redis

        self.args, self.run_dir = args, run_dir
        self.embedded = args.embedded
        self.redis = None if self.embedded else redis.Redis.from_url(
            args.redis_url, socket_connect_timeout=2, socket_timeout=30)
        self.workers = None  # notifications.Workers while they run
        self.env: dict[str, str] = {}

    def mode(self) -> str:
        return ("embedded" if self.embedded else
                f"production: REDIS_URL + {self.args.rq_workers} rq workers")

    def flush(self) -> None:
        """FLUSHDB of the bench's own Redis database (never while workers run)."""
        if self.redis is not None:
            self.redis.ping()
            self.redis.flushdb()

    def start(self, url: str, label: str) -> dict[str, str]:
        """Redis flushed and the workers listening (production); the environment of the
        gunicorn to start beside them."""
        import notifications

        self.env = benchdb.app_env(url)
        for name in notifications.FOREIGN_SETTINGS:
            self.env.pop(name, None)
        self.env["WHATSAPP_PROVIDER"] = "log"
        if self.embedded:
            return self.env
        self.env["REDIS_URL"] = self.args.redis_url
        self.flush()
        self.workers = notifications.Workers(self, self.args.rq_workers, burst=False,
                                             label=label, env=self.env)
        self.workers.wait_registered()
        return self.env

    def stop(self) -> None:
        if self.workers is not None:
            self.workers.stop()
            self.workers = None

    def cpu(self) -> float:
        """CPU seconds of the workers so far, their RQ scheduler children included."""
        if self.workers is None:
            return 0.0
        pids = [p for pid in self.workers.pids() for p in (pid, *procstats.children(pid))]
        return sum(procstats.process_cpu(pid) or 0.0 for pid in pids)

    def fold_cpu(self, cpu: dict, since: float) -> dict:
        """A CpuMeter.delta with the workers' CPU since `since` (a cpu() reading) counted
        into the app's, "web" and "rq workers" kept apart (production only)."""
        if not self.embedded:
            workers = self.cpu() - since
            cpu |= {"web_cpu_s": cpu["app_cpu_s"], "rq_workers_cpu_s": round(workers, 3),
                    "app_cpu_s": round(cpu["app_cpu_s"] + workers, 3)}
        return cpu

    def startup_cpu(self) -> float:
        return self.workers.startup_cpu if self.workers is not None else 0.0

    @staticmethod
    def last_row(url: str) -> int:
        """The outbox's last row id: the run's rows come after it."""
        with benchdb.connect(url) as conn:
            return conn.execute("SELECT coalesce(max(id), 0) FROM notifications").fetchone()[0]

    @staticmethod
    def unsent(url: str, after_id: int) -> int:
        with benchdb.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM notifications WHERE id > %s AND status"
                                " IN ('queued', 'sending')", (after_id,)).fetchone()[0]

    def drain(self, url: str, after_id: int, timeout: float = DRAIN_TIMEOUT) -> dict:
        """Until no row after `after_id` is queued or sending (bounded): the rows left when
        the load stopped, the seconds it took and the workers' CPU meanwhile."""
        cpu0, started = self.cpu(), time.monotonic()
        left = remaining = self.unsent(url, after_id)
        while remaining and time.monotonic() - started < timeout:
            time.sleep(0.1)
            remaining = self.unsent(url, after_id)
        return {"unsent_when_load_stopped": left, "unsent_after_drain": remaining,
                "drain_s": round(time.monotonic() - started, 2) if left else 0.0,
                "rq_workers_cpu_s": round(self.cpu() - cpu0, 3)}

    def check(self, url: str, after_id: int, order_ids: set[str]) -> list[tuple[str, bool, str]]:
        """Every order of the run has its confirmation and its admin alert, all sent by the
        log provider; no row of the run queued, sending or failed. A confirmation the app held
        back (`suppressed`) counts only when its phone had NOTIFY_CONFIRMATIONS_PER_HOUR sent
        before it in this run (the per-recipient limit)."""
        with benchdb.connect(url) as conn:
            rows = conn.execute(
                "SELECT id, order_id, template, recipient, status, provider_message_id,"
                " last_error FROM notifications WHERE id > %s ORDER BY id",
                (after_id,)).fetchall()
        limit = int(self.env.get("NOTIFY_CONFIRMATIONS_PER_HOUR", "5"))
        held_back = held_back_confirmations(rows, limit)
        statuses = Counter(row[4] for row in rows)
        by_order: dict[str, list[tuple]] = {oid: [] for oid in order_ids}
        for row in rows:
            if row[1] in by_order:
                by_order[row[1]].append(row)
        alerts = Counter(sum(r[2] == "new_order_admin" for r in found)
                         for found in by_order.values())
        incomplete = [oid for oid, found in by_order.items()
                      if sum(r[2] == "order_confirmation" for r in found) != 1
                      or not any(r[2] == "new_order_admin" for r in found)]
        not_sent = [r for found in by_order.values() for r in found
                    if r[4] != "sent" and r[0] not in held_back]
        not_logged = [r for r in rows if r[4] == "sent" and r[5] != f"log-n{r[0]}"]
        failed = [r for r in rows if r[4] == "failed"]
        open_rows = statuses["queued"] + statuses["sending"]
        return [
            ("every order of the run has its confirmation and its admin alert (outbox)",
             not incomplete, f"{len(order_ids) - len(incomplete)} of {len(order_ids)} orders; "
             f"admin alerts per order {dict(alerts)}"
             + (f"; e.g. {incomplete[0]}" if incomplete else "")),
            ("every outbox row of those orders sent, none failed",
             not not_sent and not failed,
             f"{len(rows)} rows of the run {dict(statuses)}"
             + (f"; {len(held_back)} confirmations held back by the app's limit of {limit}"
                " an hour per phone" if held_back else "")
             + (f"; e.g. {not_sent[0][2]} {not_sent[0][4]} {not_sent[0][6]!r}"
                if not_sent else "")
             + (f"; failed: {failed[0][6]!r}" if failed else "")),
            ("no outbox row left queued or sending", open_rows == 0,
             f"{open_rows} of {len(rows)}"),
            ("every sent row went through the log provider (nothing left the machine)",
             not not_logged, f"{len(not_logged)} sent otherwise"),
        ]


def held_back_confirmations(rows: list[tuple], limit: int) -> set[int]:
    """Ids of the confirmations (id, order, template, recipient, status, ...) the app
    suppressed for a phone that already had `limit` sent before them in these rows."""
    sent_before: Counter = Counter()
    held_back: set[int] = set()
    for row_id, _, template, recipient, status, *_ in rows:
        if template == "order_confirmation" and status == "sent":
            sent_before[recipient] += 1
        elif (template == "order_confirmation" and status == "suppressed"
              and sent_before[recipient] >= limit):
            held_back.add(row_id)
    return held_back


class PySpy:
    """Optional sampling profile of every gunicorn worker during one phase (--py-spy)."""

    def __init__(self, pid: int, output: Path, rate: int):
        self.output = output
        self.proc = subprocess.Popen(
            # --gil: only threads holding the GIL, i.e. Python CPU time, not threads of a
            # gthread worker waiting for PostgreSQL.
            ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--format", "raw",
             "--rate", str(rate), "--gil", "--nonblocking", "--output", str(output)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

    def stop(self) -> dict:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        return summarize_profile(self.output)


def _frame_name(frame: str) -> str:
    """'render (jinja2/environment.py:1295)' -> 'render (jinja2/environment.py)'."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def _package(frame: str) -> str:
    where = frame.partition(" (")[2]
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    head = where.split("/", 1)[0].split(".py", 1)[0]
    return head or "?"


def _is_app_frame(frame: str) -> bool:
    where = frame.partition(" (")[2]
    return where.startswith(("shop/", "templates/")) or "/shop/" in where or (
        "/templates/" in where)


def summarize_profile(path: Path, top: int = 15) -> dict:
    """Self samples per function and per package, and samples per innermost app function
    (the app's own code plus the library calls it makes, e.g. reserve_stock -> SQLAlchemy)."""
    selfs: Counter = Counter()
    packages: Counter = Counter()
    by_app: Counter = Counter()
    total = 0
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return {"error": f"no profile written to {path}"}
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        total += n
        selfs[_frame_name(frames[-1])] += n
        packages[_package(frames[-1])] += n
        app = [f for f in frames if _is_app_frame(f)]
        by_app[_frame_name(app[-1]) if app else "(no app frame: gunicorn, Flask, Werkzeug)"] += n

    def share(counter: Counter) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in counter.most_common(top)]

    if not total:
        return {"samples": 0, "raw": str(path)}
    return {"samples": total, "self_pct": share(selfs), "self_by_package_pct": share(packages),
            "by_innermost_app_function_pct": share(by_app), "raw": str(path)}


# --------------------------------------------------------------------------- one configuration


def run_config(args, label: str, worker_class: str, workers: int, threads: int,
               run_dir: Path, sql_counts: dict | None, delivery: Delivery) -> dict:
    """Prepare the database, start the RQ workers (production) and gunicorn, run both
    phases, let the outbox drain after the checkouts, stop, check."""
    url = args.database_url
    print(f"\n== {label}: gunicorn -k {worker_class} -w {workers}"
          + (f" --threads {threads}" if worker_class != "sync" else "")
          + f", {args.clients} clients; {delivery.mode()} ==", flush=True)
    seeded = benchdb.prepare(url)
    if sql_counts is not None and not args.no_sql_count:
        sql_counts.update(count_statements(url))
    before = benchdb.snapshot(url)
    after_id = Delivery.last_row(url)
    expected = benchdb.Expected()
    server = Gunicorn(url, worker_class, workers, threads, run_dir / f"gunicorn-{label}.log")
    result: dict = {"label": label, "worker_class": worker_class, "workers": workers,
                    "threads": threads if worker_class != "sync" else 1,
                    "clients": args.clients, "log": str(server.log_path),
                    "mode": delivery.mode()}
    meter = None
    try:
        server.env = delivery.start(url, label)
        server.start()
        meter = procstats.CpuMeter(benchdb.plain_url(url), benchdb.database_name(url),
                                   server.proc.pid)
        checkouts = Checkouts(args, server.port, expected, run_dir.name)
        if args.warmup:
            checkouts.close_connections = True
            warm = run_load(args, "warmup checkouts", server.port, checkouts, args.warmup,
                            args.seconds)
            checkouts.close_connections = False
            result["warmup"] = warm.summary()
        checkouts.kinds.clear()  # the mix of the measured phase (ramp-up and window)
        stats, cpu, profile = measured(args, "checkout", server, meter, checkouts, run_dir,
                                       label, delivery)
        result["checkout"] = stats.summary() | {
            "created": stats.statuses.get(201, 0),
            "created_per_s": round(stats.statuses.get(201, 0) / stats.elapsed, 1)
            if stats.elapsed else 0.0,
            "mix": dict(checkouts.kinds), "cpu": cpu, "profile": profile}
        # The messages of the checkouts go out before the pages are read (bounded).
        result["outbox"] = delivery.drain(url, after_id)
        print(f"  outbox: {result['outbox']['unsent_when_load_stopped']} rows unsent when the "
              f"load stopped, none left after {result['outbox']['drain_s']} s"
              if not result["outbox"]["unsent_after_drain"] else
              f"  outbox: {result['outbox']['unsent_after_drain']} rows still unsent after "
              f"{result['outbox']['drain_s']} s", flush=True)
        if checkouts.created:
            reads = TrackingReads(args, server.port, checkouts.created)
            if args.warmup:
                warm = run_load(args, "warmup tracking", server.port,
                                TrackingReads(args, server.port, checkouts.created, close=True),
                                args.warmup, args.seconds)
                result["warmup_tracking"] = warm.summary()
            stats, cpu, profile = measured(args, "tracking", server, meter, reads, run_dir,
                                           label, delivery)
            result["tracking"] = stats.summary() | {"cpu": cpu, "profile": profile}
        result["rq_workers_startup_cpu_s"] = round(delivery.startup_cpu(), 2)
    except RuntimeError as error:
        result["error"] = str(error)
        print(f"ERROR: {error}", flush=True)
    finally:
        server.stop()
        delivery.stop()
        if meter is not None:
            meter.close()
    created = sum(result.get(phase, {}).get(counts, {}).get("201", 0)
                  for phase in ("warmup", "checkout")
                  for counts in ("statuses", "ramp_up_statuses"))
    checks = benchdb.check(url, seeded, before, expected, created)
    checks += client_checks(result)
    checks += delivery.check(url, after_id, expected.created_ids)
    result["checks"] = [{"check": n, "pass": ok, "detail": d} for n, ok, d in checks]
    return result


def run_load(args, name: str, port: int, workload, max_requests: int, seconds: float,
             ramp_up: float = 0.0, on_window_start=None) -> loadgen.PhaseStats:
    return asyncio.run(loadgen.run_phase(
        name, host=HOST, port=port, clients=args.clients, seconds=seconds,
        max_requests=max_requests, make_request=workload.make_request,
        on_response=workload.on_response, request_timeout=args.request_timeout,
        ramp_up=ramp_up, on_window_start=on_window_start,
        think=getattr(workload, "think", None)))


def measured(args, phase: str, server: Gunicorn, meter: procstats.CpuMeter, workload,
             run_dir: Path, label: str, delivery: Delivery | None = None,
             ) -> tuple[loadgen.PhaseStats, dict, dict | None]:
    """One measured phase with CPU accounting (and a py-spy profile when asked). With a
    `delivery`, its RQ workers' CPU in the window counts into the app's ("web" and
    "rq workers" apart)."""
    spy = None
    if args.py_spy:
        spy = PySpy(server.proc.pid, run_dir / f"py-spy-{label}-{phase}.txt", args.py_spy_rate)
        time.sleep(1.0)  # let py-spy attach to every worker before the load starts
    samples: list[procstats.CpuSample] = []
    rq_cpu: list[float] = []
    activity = procstats.ActivitySampler(benchdb.plain_url(args.database_url),
                                         benchdb.database_name(args.database_url),
                                         max_samples=int(args.seconds * 10) + 50)

    def window_opens() -> None:
        samples.append(meter.sample())
        if delivery is not None:
            rq_cpu.append(delivery.cpu())
        activity.start()

    try:
        stats = run_load(args, phase, server.port, workload, args.max_requests, args.seconds,
                         args.ramp_up, window_opens)
    finally:
        backends = activity.stop() if samples else {}
    cpu = procstats.CpuMeter.delta(samples[0], meter.sample(), stats.elapsed)
    keys = ["app", "db", "client"]
    if delivery is not None and not delivery.embedded:
        delivery.fold_cpu(cpu, rq_cpu[0])
        keys += ["web", "rq_workers"]
    cpu["postgres_backends"] = backends
    cpu["client_cpu_s"] = round(stats.client_cpu, 3)
    if stats.requests:
        for key in keys:
            cpu[f"{key}_cpu_ms_per_request"] = round(1000 * cpu[f"{key}_cpu_s"]
                                                     / stats.requests, 2)
    profile = spy.stop() if spy is not None else None
    print(f"  {phase}: {stats.requests} requests in {stats.elapsed:.1f} s", flush=True)
    return stats, cpu, profile


def client_checks(result: dict) -> list[tuple[str, bool, str]]:
    """What the clients saw: no server errors, no broken connections, answers as expected."""
    rows = []
    for phase in ("warmup", "checkout", "warmup_tracking", "tracking"):
        stats = result.get(phase)
        if stats is None and phase.startswith("warmup"):
            continue
        if stats is None:
            rows.append((f"{phase} phase ran", False, result.get("error", "no requests")))
            continue
        errors = stats["errors"]
        server_errors = sum(v for counts in ("statuses", "ramp_up_statuses")
                            for k, v in stats[counts].items() if k.startswith("5"))
        rows.append((f"{phase.replace('_', ' ')}: no 5xx, no connection errors, answers as "
                     "expected",
                     not errors and server_errors == 0,
                     "; ".join(f"{k} x{v}" for k, v in list(errors.items())[:4])
                     or f"{stats['requests']} answers"))
    return rows


# --------------------------------------------------------------------------- SQL counts, reference


def count_statements(url: str) -> dict:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "sqlcount.py")], cwd=ROOT,
                          env=benchdb.app_env(url), capture_output=True,
                          text=True, timeout=120, check=False)
    if done.returncode != 0:
        print("statement count failed:\n" + done.stderr[-2000:], flush=True)
        return {"error": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_reference(args) -> dict:
    url = args.database_url
    print(f"\n== reference: plain SQL checkout, {args.reference_clients} "
          f"{args.reference_mode} ==", flush=True)
    seeded = benchdb.prepare(url)
    before = benchdb.snapshot(url)
    products = [(seeded.products[code], code, name, Decimal(price))
                for code, name, price, _ in benchdb.BENCH_PRODUCTS]
    code, name, price, _ = benchdb.SCARCE_PRODUCT
    scarce = (seeded.products[code], code, name, Decimal(price))
    busy0 = procstats.machine_cpu()
    try:
        out = plainsql.run(benchdb.plain_url(url), seeded.store_id, products, scarce,
                           clients=args.reference_clients, seconds=args.reference_seconds,
                           max_transactions=args.max_requests, mode=args.reference_mode,
                           seed=args.seed)
    except SystemExit as error:  # the schema outgrew its INSERTs: a FAIL, not the end of the run
        print(f"  plain SQL reference not run: {error}", flush=True)
        return {"error": str(error), "checks": [
            {"check": "reference: plain SQL ran", "pass": False, "detail": str(error)}]}
    busy1 = procstats.machine_cpu()
    expected = benchdb.Expected()
    for order_id, number in out["orders"]:
        expected.created_ids.add(order_id)
        expected.created_numbers.append(number)
    expected.phones = out["phones"]
    expected.qty_by_code = out["qty"]
    checks = benchdb.check(url, seeded, before, expected, out["ok"])
    checks.append(("reference: no database errors", not out["errors"], str(out["errors"])))
    lat = sorted(out["latencies"])
    capacity = busy1[1] - busy0[1]
    return {
        "clients": out["clients"], "mode": out["mode"], "committed": out["ok"],
        "out_of_stock": out["out_of_stock"], "errors": out["errors"],
        "elapsed_s": round(out["elapsed"], 3),
        "per_second": round(out["ok"] / out["elapsed"], 1) if out["elapsed"] else 0.0,
        "latency_ms": {"p50": loadgen.pct(lat, 50), "p90": loadgen.pct(lat, 90),
                       "p99": loadgen.pct(lat, 99),
                       "max": round(lat[-1] * 1000, 1) if lat else None},
        "machine_busy_pct": round(100 * (busy1[0] - busy0[0]) / capacity, 1) if capacity
        else None,
        "checks": [{"check": n, "pass": ok, "detail": d} for n, ok, d in checks],
    }


# --------------------------------------------------------------------------- report


def fmt_latency(lat: dict) -> str:
    return (f"p50 {lat['p50']} ms, p90 {lat['p90']} ms, p99 {lat['p99']} ms, "
            f"max {lat['max']} ms")


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x" if reference else "n/a"


def report_config(res: dict, reference: dict | None) -> None:
    print(f"\n-- {res['label']}: -k {res['worker_class']} -w {res['workers']} "
          f"--threads {res['threads']}, {res['clients']} clients; {res['mode']} --")
    if "error" in res:
        print(f"  ERROR: {res['error'][:2000]}")
    co, tr = res.get("checkout"), res.get("tracking")
    if co:
        print(f"  checkouts : {co['per_second']}/s answered, {co['created_per_s']}/s created "
              f"({co['requests']} in {co['elapsed_s']} s, stopped by {co['stopped_by']})")
        print(f"              {fmt_latency(co['latency_ms'])}")
        print(f"              statuses {co['statuses']}, connections opened "
              f"{co['connections_opened_in_window']} ({co['connections_opened']} with ramp-up)")
        print(f"              mix {co['mix']}")
        print_cpu(co["cpu"])
        print_outbox(res)
        rate = co["created_per_s"]
        print(f"              vs issue: {ratio(rate, REFERENCE['plain_sql_checkouts_per_s'])} "
              f"of plain SQL ~500/s, {ratio(rate, REFERENCE['naive_orm_checkouts_per_s'])} of "
              f"naive ORM ~90/s")
        print_reference_ratios(rate, co["latency_ms"]["p99"], reference)
        print(f"              target >= {TARGETS['checkouts_per_s']}/s with p99 < "
              f"{TARGETS['checkout_p99_ms']} ms: "
              + target_text(rate, co["latency_ms"]["p99"], TARGETS["checkouts_per_s"],
                            TARGETS["checkout_p99_ms"]))
    if tr:
        print(f"  tracking  : {tr['per_second']}/s ({tr['requests']} in {tr['elapsed_s']} s, "
              f"stopped by {tr['stopped_by']})")
        print(f"              {fmt_latency(tr['latency_ms'])}")
        print(f"              statuses {tr['statuses']}, connections opened "
              f"{tr['connections_opened_in_window']} ({tr['connections_opened']} with ramp-up)")
        print_cpu(tr["cpu"])
        print(f"              vs issue: {ratio(tr['per_second'], 650)} of one row + template "
              f"~650 pages/s")
        print(f"              target >= {TARGETS['pages_per_s']}/s with p99 < "
              f"{TARGETS['page_p99_ms']} ms: "
              + target_text(tr["per_second"], tr["latency_ms"]["p99"], TARGETS["pages_per_s"],
                            TARGETS["page_p99_ms"]))
    for phase in ("checkout", "tracking"):
        profile = (res.get(phase) or {}).get("profile")
        if profile and profile.get("samples"):
            print(f"  py-spy {phase} ({profile['samples']} samples, {profile['raw']}):")
            print("    self time by package: " + ", ".join(
                f"{k} {v}%" for k, v in profile["self_by_package_pct"][:10]))
            print("    by innermost app function (with the library calls it makes):")
            for name, pct_ in profile["by_innermost_app_function_pct"][:12]:
                print(f"      {pct_:5.1f}%  {name}")
            print("    hottest functions (self):")
            for name, pct_ in profile["self_pct"][:10]:
                print(f"      {pct_:5.1f}%  {name}")
    print_checks(res["checks"])


def print_reference_ratios(rate: float, p99: float | None, reference: dict | None) -> None:
    """The app's checkouts/s against the plain SQL from Python and pgbench of this run."""
    plain, pg = (reference or {}).get("per_second"), (reference or {}).get("pgbench", {})
    measured = [f"{ratio(rate, plain)} of plain SQL from Python ({plain}/s)"] if plain else []
    if pg.get("per_second"):
        measured.append(f"{ratio(rate, pg['per_second'])} of pgbench ({pg['per_second']}/s)")
    if measured:
        print("              vs this run: " + ", ".join(measured))
    if pg.get("per_second"):
        print(f"              issue 16 goal >= {PGBENCH_TARGET['ratio']}x pgbench with p99 < "
              f"{PGBENCH_TARGET['checkout_p99_ms']} ms: "
              + target_text(rate, p99, PGBENCH_TARGET["ratio"] * pg["per_second"],
                            PGBENCH_TARGET["checkout_p99_ms"]))


def print_cpu(cpu: dict) -> None:
    if "app_cpu_ms_per_request" not in cpu:
        return
    if "rq_workers_cpu_ms_per_request" in cpu:
        print(f"              app CPU per request {cpu['app_cpu_ms_per_request']} ms = web "
              f"{cpu['web_cpu_ms_per_request']} ms + rq workers "
              f"{cpu['rq_workers_cpu_ms_per_request']} ms (web {cpu['web_cpu_s']} s + rq "
              f"workers {cpu['rq_workers_cpu_s']} s in the window)")
    print(f"              CPU per request: app {cpu['app_cpu_ms_per_request']} ms, postgres "
          f"{cpu['db_cpu_ms_per_request']} ms, load client {cpu['client_cpu_ms_per_request']} "
          f"ms; machine busy {cpu['machine_busy_pct']}% (app {cpu['app_cpu_s']} s + db "
          f"{cpu['db_cpu_s']} s + client {cpu['client_cpu_s']} s of "
          f"{cpu['machine_busy_s']} s busy)")
    print("              app CPU s per gunicorn process (workers and master): "
          + " / ".join(str(v) for v in cpu["app_cpu_s_by_process"]))
    states = cpu.get("postgres_backends", {}).get("backend_states_pct")
    if states:
        print("              postgres backends (state / wait, % of samples): "
              + ", ".join(f"{k} {v}%" for k, v in states.items()))


def print_outbox(res: dict) -> None:
    """How long the messages took to go out after the load (production: the workers)."""
    box = res.get("outbox")
    if not box:
        return
    print(f"              outbox: {box['unsent_when_load_stopped']} rows queued or sending "
          f"when the load stopped, {box['unsent_after_drain']} after the drain of "
          f"{box['drain_s']} s" + ("" if res["mode"] == "embedded" else
          f" (rq workers' CPU in it {box['rq_workers_cpu_s']} s; their start-up, "
          f"{res.get('rq_workers_startup_cpu_s')} s, not counted)"))


def target_text(rate: float, p99: float | None, want_rate: float, want_p99: float) -> str:
    parts = [f"{'meets' if rate >= want_rate else 'below'} rate",
             f"{'meets' if p99 is not None and p99 < want_p99 else 'misses'} p99"]
    return ", ".join(parts) + " (informational, not a pass/fail check)"


def print_checks(checks: list[dict]) -> None:
    for row in checks:
        print(f"  {'PASS' if row['pass'] else 'FAIL'}  {row['check']}: {row['detail']}")


def report_sql(counts: dict) -> None:
    if not counts or "error" in counts:
        return
    print("\n-- SQL per request (in-process count via SQLAlchemy events) --")
    for name, row in counts.items():
        limit = (TARGETS["tracking_statements"] if name.startswith("tracking")
                 else TARGETS["checkout_statements"])
        print(f"  {name:38s} {row['statements']:2d} statements ({row['server_executions']:2d} "
              f"executions on the server) + {row['transaction_control']} transaction control; "
              f"issue limit {limit}: {'ok' if row['statements'] <= limit else 'OVER'}")


def report_compare(results: list[dict]) -> None:
    def get(res, phase, *keys):
        value = res.get(phase) or {}
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return "-" if value is None else value

    rows = [
        ("checkouts created/s", "checkout", ("created_per_s",)),
        ("checkout p50 ms", "checkout", ("latency_ms", "p50")),
        ("checkout p99 ms", "checkout", ("latency_ms", "p99")),
        ("checkout max ms", "checkout", ("latency_ms", "max")),
        ("checkout app CPU ms/req", "checkout", ("cpu", "app_cpu_ms_per_request")),
        ("  of it rq workers ms/req", "checkout", ("cpu", "rq_workers_cpu_ms_per_request")),
        ("checkout db CPU ms/req", "checkout", ("cpu", "db_cpu_ms_per_request")),
        ("checkout connections", "checkout", ("connections_opened_in_window",)),
        ("tracking pages/s", "tracking", ("per_second",)),
        ("tracking p50 ms", "tracking", ("latency_ms", "p50")),
        ("tracking p99 ms", "tracking", ("latency_ms", "p99")),
        ("tracking max ms", "tracking", ("latency_ms", "max")),
        ("tracking app CPU ms/req", "tracking", ("cpu", "app_cpu_ms_per_request")),
        ("tracking connections", "tracking", ("connections_opened_in_window",)),
        ("machine busy % (checkout)", "checkout", ("cpu", "machine_busy_pct")),
    ]
    print("\n-- side by side --")
    print(f"  {'':28s}" + "".join(f"{r['label']:>16s}" for r in results))
    for title, phase, keys in rows:
        print(f"  {title:28s}" + "".join(f"{get(r, phase, *keys)!s:>16s}" for r in results))
    checks = ["PASS" if all(c["pass"] for c in r["checks"]) else "FAIL" for r in results]
    print(f"  {'checks':28s}" + "".join(f"{c:>16s}" for c in checks))


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
                   help="dedicated database; its public schema is DROPPED (name must say bench)")
    p.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients")
    p.add_argument("--seconds", type=float, default=15, help="time bound of each phase")
    p.add_argument("--max-requests", type=int, default=20_000,
                   help="count bound of each phase (and of the reference)")
    p.add_argument("--warmup", type=int, default=64,
                   help="requests sent before each phase, not measured (0: none)")
    p.add_argument("--worker-class", default="balanced", choices=["balanced", "gthread", "sync"],
                   help="gunicorn worker class (balanced: the production one, a gthread)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    p.add_argument("--threads", type=int, default=2, help="threads per gthread worker")
    p.add_argument("--compare", action="store_true",
                   help="run sync, gthread and balanced (same --workers) side by side")
    p.add_argument("--reference", action="store_true",
                   help="also measure the plain-SQL checkout transaction in this run")
    p.add_argument("--reference-only", action="store_true",
                   help="measure only the plain-SQL reference (no gunicorn)")
    p.add_argument("--reference-clients", type=int, default=8,
                   help="processes (or threads) running the plain-SQL checkout")
    p.add_argument("--reference-mode", choices=["processes", "threads"], default="processes",
                   help="how the reference clients run")
    p.add_argument("--reference-seconds", type=float, default=5,
                   help="time bound of the reference (pgbench's: rounded to whole seconds)")
    p.add_argument("--pgbench-clients", type=int, default=32,
                   help="pgbench clients running the same transaction (pgbench_checkout.py)")
    p.add_argument("--repeat-fraction", type=float, default=0.2,
                   help="checkouts reusing a phone already used in this run")
    p.add_argument("--key-fraction", type=float, default=0.1,
                   help="checkouts sent with an idempotency key")
    p.add_argument("--replay-fraction", type=float, default=0.3,
                   help="keyed checkouts sent a second time (must answer 200, same order)")
    p.add_argument("--scarce-fraction", type=float, default=0.03,
                   help="checkouts with a line of the product of stock "
                        f"{benchdb.SCARCE_STOCK} (out-of-stock path)")
    p.add_argument("--email-fraction", type=float, default=0.5,
                   help="checkouts that give an email address")
    p.add_argument("--ramp-up", type=float, default=1.0,
                   help="start the clients one by one over this many seconds before each "
                        "measured window (0: all at once, a burst of connections)")
    p.add_argument("--request-timeout", type=float, default=30,
                   help="seconds before a request counts as an error (timeout)")
    p.add_argument("--redis-url",
                   default=os.environ.get("BENCH_CHECKOUT_REDIS_URL", DEFAULT_REDIS),
                   help="production mode: gunicorn's and the workers' REDIS_URL, a Redis "
                        "database of its own (not 0): FLUSHED at the start and the end")
    p.add_argument("--rq-workers", type=int, default=1,
                   help="production mode: RQ worker processes beside gunicorn")
    p.add_argument("--embedded", action="store_true",
                   help="no Redis, no workers: each checkout renders and logs its messages "
                        "inside its request (the mode before production became the default)")
    p.add_argument("--seed", type=int, default=1, help="seed of the request mix")
    p.add_argument("--no-sql-count", action="store_true",
                   help="skip counting the SQL statements of one checkout and one page")
    p.add_argument("--py-spy", action="store_true",
                   help="profile the workers with py-spy during each phase (pip install py-spy)")
    p.add_argument("--py-spy-rate", type=int, default=100, help="py-spy samples per second")
    p.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results",
                   help="where each run writes results.json, gunicorn logs and profiles")
    args = p.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.max_requests < 1 or args.workers < 1:
        p.error("--clients, --seconds, --max-requests and --workers must be positive")
    if args.py_spy and shutil.which("py-spy") is None:
        p.error("--py-spy needs py-spy on PATH: pip install py-spy")
    if not args.embedded:
        if not 1 <= args.rq_workers <= 16:
            p.error("--rq-workers 1..16")
        redis_db(p, args.redis_url)
    benchdb.refuse_unless_bench(args.database_url)
    return args


def redis_db(parser: argparse.ArgumentParser, url: str) -> int:
    """The database number of a Redis URL; db 0 (anyone's) is refused: the bench flushes it."""
    path = urlsplit(url).path.lstrip("/")
    if not path.isdigit() or int(path) == 0:
        parser.error(f"--redis-url {url!r}: give a Redis database number of its own (not 0): "
                     "it is flushed at the start and the end of the run")
    return int(path)


def main(argv=None) -> int:
    args = parse_args(argv)
    # A plain `kill` of the benchmark still runs the finally blocks that stop gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = args.results_dir / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    started_load = os.getloadavg()
    print(f"checkout/tracking benchmark, {os.cpu_count()} CPUs, load average "
          f"{started_load[0]:.2f}; database {benchdb.database_name(args.database_url)}; "
          f"results in {run_dir}", flush=True)
    output: dict = {"started": stamp, "args": {k: str(v) for k, v in vars(args).items()},
                    "cpus": os.cpu_count(), "loadavg_start": started_load,
                    "issue_reference": REFERENCE, "issue_targets": TARGETS}
    reference = None
    if args.reference or args.reference_only:
        reference = run_reference(args)
        print(f"\n== reference: pgbench checkout, {args.pgbench_clients} clients ==", flush=True)
        reference["pgbench"] = pgbench_checkout.run(
            args.database_url, run_dir / "pgbench", clients=args.pgbench_clients,
            seconds=max(1, round(args.reference_seconds)), seed=args.seed)
        output["reference"] = reference
    if args.reference_only:
        configs = []
    elif args.compare:
        configs = [("sync", "sync", args.workers, 1),
                   ("gthread", "gthread", args.workers, args.threads),
                   ("balanced", "balanced", args.workers, args.threads)]
    else:
        configs = [(args.worker_class, args.worker_class, args.workers, args.threads)]
    sql_counts: dict = {}
    results = []
    delivery = Delivery(args, run_dir)
    output["mode"] = delivery.mode()
    try:
        if configs:
            delivery.flush()
        for i, (label, worker_class, workers, threads) in enumerate(configs):
            results.append(run_config(args, label, worker_class, workers, threads, run_dir,
                                      sql_counts if i == 0 else None, delivery))
    finally:
        if configs:
            delivery.flush()
    output["sql_per_request"] = sql_counts
    output["configs"] = results
    output["loadavg_end"] = os.getloadavg()

    print("\n================ results ================")
    print(f"load average at start {started_load[0]:.2f}, at end {output['loadavg_end'][0]:.2f} "
          f"(other work on the machine makes absolute figures noisy)")
    if configs:
        print(f"mode: {delivery.mode()}")
    if reference and "error" in reference:
        print(f"\n-- reference: plain SQL checkout transaction: not run --\n  {reference['error']}")
    elif reference:
        print(f"\n-- reference: plain SQL checkout transaction, {reference['clients']} "
              f"{reference['mode']} --")
        print(f"  {reference['per_second']}/s committed ({reference['committed']} in "
              f"{reference['elapsed_s']} s, {reference['out_of_stock']} out of stock), "
              f"{fmt_latency(reference['latency_ms'])}; machine busy "
              f"{reference['machine_busy_pct']}%; issue figure ~500/s: "
              f"{ratio(reference['per_second'], 500)}")
    if reference:
        print_checks(reference["checks"])
        pgbench_checkout.report(reference["pgbench"])
    report_sql(sql_counts)
    for res in results:
        report_config(res, reference)
    if len(results) > 1:
        report_compare(results)
    path = run_dir / "results.json"
    path.write_text(json.dumps(output, indent=2, default=str))
    all_checks = [c for r in results for c in r["checks"]]
    all_checks += reference["checks"] + reference["pgbench"]["checks"] if reference else []
    failed = [c for c in all_checks if not c["pass"]]
    print(f"\nJSON: {path}")
    print(f"{len(all_checks) - len(failed)} checks passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except benchdb.psycopg.OperationalError as error:
        sys.exit(f"database unavailable: {error}")
