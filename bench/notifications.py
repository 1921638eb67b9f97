"""Notification delivery benchmark: outbox rows sent by RQ workers to a local gateway, and the
checkout with its messages delivered in the request (embedded) or by a worker (Redis).

    python bench/notifications.py                               # the full run, ~4 minutes
    python bench/notifications.py --messages 500 --seconds 3    # a smoke run

One run: rebuild the bench database (bench/benchdb.py: migrate, seed-demo, bench products),
flush Redis db 13, start the stand-in gateway (bench/gateway.py), then
1. deliver: --messages outbox rows written by the app's own code (queue_messages, delivery
   enqueued after each commit) while no worker runs, then `flask --app wsgi worker --burst`
   with 1 and with 2 workers (fresh rows each): messages/s from the first claim to the last
   send, and the delay from each row's commit to its arrival at the gateway;
2. live: workers already running while rows are written at --live-rate rows/s: the real
   delay from commit to send;
3. checkout: the JSON checkout under gunicorn and load (bench/checkout_tracking.py's server
   and load generator), (a) embedded, without Redis (the log provider, inside each request),
   (b) with Redis, a worker running and the http provider at the gateway: checkouts/s, p99,
   and the delay from each message's row to its arrival during (b).
Checks: each row sent exactly once (the gateway's request and the row's provider id agree),
no row left queued or sending, and the checkout benchmark's own database checks. Timings are
printed and compared with the issue's targets, never asserted: exit 1 only when a check fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import benchdb
import checkout_tracking as ct
import loadgen
import procstats
from gateway import digest

ROOT = benchdb.ROOT
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench_notify"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
TOKEN = "bench-gateway-token"  # noqa: S105 - the stand-in gateway's, loopback only
#: Issue 11, "Performance".
TARGETS = {"messages_per_s_per_worker": 150, "delay_p99_ms_while_checkouts_run": 2000}
FINAL = ("sent", "failed", "suppressed")
#: Settings of the environment that must not leak into the bench's app processes.
FOREIGN_SETTINGS = ("REDIS_URL", "WHATSAPP_PROVIDER", "WHATSAPP_GATEWAY_URL",
                    "WHATSAPP_GATEWAY_TOKEN", "SMTP_URL", "RATELIMIT_STORAGE_URI")
#: Phones of the rows the deliver phases write: 62877 + 8 digits, one per row, unique.
PHONE_PREFIX = "62877"


# --------------------------------------------------------------------------- processes


def stop_process(proc: subprocess.Popen | None, term_wait: float = 15) -> None:
    """SIGTERM to its process group, then SIGKILL; always waits (bounded)."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, term_wait), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


class GatewayProcess:
    """bench/gateway.py in its own process group; asked for its records over loopback."""

    def __init__(self, log: Path):
        self.log_path = log
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "gateway.py"), "--token", TOKEN],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=err, start_new_session=True)
        line = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if sel.select(timeout=20):
                line = self.proc.stdout.readline()
        if not line.startswith(b"PORT "):
            stop_process(self.proc)
            raise RuntimeError(f"the gateway did not start: {line!r}")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}/send"
        # No proxy for loopback, whatever the environment says.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _get(self, path: str) -> dict:
        with self.opener.open(f"http://127.0.0.1:{self.port}{path}", timeout=60) as answer:
            return json.loads(answer.read())

    def count(self) -> int:
        return self._get("/_count")["count"]

    def records(self, since: int) -> dict:
        return self._get(f"/_records?since={since}")

    def cpu(self) -> float:
        return procstats.process_cpu(self.proc.pid) or 0.0

    def stop(self) -> None:
        stop_process(self.proc, 5)


def app_env(ctx, *, redis: bool) -> dict[str, str]:
    """The environment of a worker or gunicorn: with Redis and the http provider at the
    gateway, or the embedded default (no Redis, the log provider)."""
    env = benchdb.app_env(ctx.args.database_url)
    for name in FOREIGN_SETTINGS:
        env.pop(name, None)
    if redis:
        env.update(REDIS_URL=ctx.args.redis_url, WHATSAPP_PROVIDER="http",
                   WHATSAPP_GATEWAY_URL=ctx.gateway.url, WHATSAPP_GATEWAY_TOKEN=TOKEN)
    else:
        env["WHATSAPP_PROVIDER"] = "log"
    return env


class Workers:
    """`flask --app wsgi worker high default [--burst]` processes, each in its own group."""

    def __init__(self, ctx, count: int, *, burst: bool, label: str,
                 env: dict[str, str] | None = None):
        """`ctx` gives run_dir, redis and args (py_spy, py_spy_rate when it has them);
        `env` the workers' environment, by default app_env(ctx, redis=True)."""
        self.ctx = ctx
        self.names = [f"bench-{label}-{n + 1}-{os.getpid()}" for n in range(count)]
        self.procs: list[subprocess.Popen] = []
        self.logs = [ctx.run_dir / f"{name}.log" for name in self.names]
        self.spies: list[ct.PySpy] = []
        self.started = time.time()
        self.startup_cpu = 0.0
        env = env if env is not None else app_env(ctx, redis=True)
        for name, log in zip(self.names, self.logs, strict=True):
            cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "high", "default",
                   "--name", name] + (["--burst"] if burst else [])
            with open(log, "ab") as out:
                self.procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out,
                                                   stderr=subprocess.STDOUT,
                                                   start_new_session=True))
        if getattr(ctx.args, "py_spy", False):
            for proc, name in zip(self.procs, self.names, strict=True):
                self.spies.append(ct.PySpy(proc.pid, ctx.run_dir / f"py-spy-{name}.txt",
                                           ctx.args.py_spy_rate))

    def wait_registered(self, timeout: float = 60, *, burst: bool = False) -> None:
        """Until every worker is listening (registered in Redis), bounded; notes the CPU
        each had spent by then (importing and building the app), so that it can be told
        apart from the delivery's. A burst worker may already be done: no error then."""
        from rq import Worker

        seen: dict[str, float] = {}
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / 0.05) + 1):
            names = {w.name for w in Worker.all(connection=self.ctx.redis)}
            for name, proc in zip(self.names, self.procs, strict=True):
                if name in names and name not in seen:
                    seen[name] = procstats.process_cpu(proc.pid) or 0.0
            if len(seen) == len(self.names):
                break
            exited = [p.returncode for p in self.procs if p.poll() is not None]
            if exited and burst:
                break
            if exited or time.monotonic() > deadline:
                raise RuntimeError("the workers did not start:\n" + self.log_tail())
            time.sleep(0.05)
        self.startup_cpu = sum(seen.values())

    def wait_exit(self, timeout: float) -> bool:
        """Until every (burst) worker has exited; False when the bound stopped them."""
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.stop()
                return False
        return True

    def stop(self) -> None:
        for proc in self.procs:
            stop_process(proc, 20)

    def profiles(self) -> list[dict]:
        return [spy.stop() for spy in self.spies]

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def log_tail(self, lines: int = 20) -> str:
        out = []
        for log in self.logs:
            try:
                out += log.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                pass
        return "\n".join(out)


class BackendCpu:
    """CPU of the database's backends, sampled in a thread so that backends which connect
    and leave during the window (burst workers) are counted too."""

    def __init__(self, url: str, database: str, interval: float = 0.25, max_samples: int = 4000):
        self.url, self.database = url, database
        self.interval, self.max_samples = interval, max_samples
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="backend-cpu", daemon=True)
        self._ready = threading.Event()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(15)

    def _sample(self, conn, initial: bool) -> None:
        for pid in procstats.backend_pids(conn, self.database):
            cpu = procstats.process_cpu(pid)
            if cpu is None:
                continue
            self.first.setdefault(pid, cpu if initial else 0.0)
            self.last[pid] = cpu

    def _run(self) -> None:
        with benchdb.connect(self.url, autocommit=True) as conn:
            self._sample(conn, True)
            self._ready.set()
            for _ in range(self.max_samples):
                if self._stop.wait(self.interval):
                    break
                self._sample(conn, False)
            self._sample(conn, False)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(15)
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def children_cpu() -> float:
    """User + system CPU of the children this process has waited for (exited workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- writing rows


class Writer:
    """Writes outbox rows in this process through the app's own code: queue_messages in a
    transaction, commit(), and the delivery jobs enqueued after the commit (REDIS_URL)."""

    def __init__(self, ctx):
        sys.path.insert(0, str(ROOT))
        from shop import create_app

        args = ctx.args
        self.app = create_app({
            "SQLALCHEMY_DATABASE_URI": benchdb.plain_url(args.database_url).replace(
                "postgresql://", "postgresql+psycopg://", 1),
            "REDIS_URL": args.redis_url, "WHATSAPP_PROVIDER": "http",
            "WHATSAPP_GATEWAY_URL": ctx.gateway.url, "WHATSAPP_GATEWAY_TOKEN": TOKEN,
            "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench-" + os.urandom(16).hex(),
        })
        logging.getLogger().setLevel(logging.WARNING)
        self.template = args.template
        self.seq = self.jobs = 0
        from sqlalchemy import text

        from shop.extensions import db

        with self.app.app_context():
            source = "order_confirmation" if self.template == "otp" else self.template
            self.sources = [tuple(row) for row in db.session.execute(text(
                "SELECT order_id, store_id, data FROM notifications WHERE template = :t"
                " AND channel = 'whatsapp' AND order_id IS NOT NULL AND data IS NOT NULL"
                " ORDER BY id LIMIT 5"), {"t": source})]
            db.session.remove()
        if not self.sources:
            raise RuntimeError(f"seed-demo wrote no {source} rows to copy the values of")

    def write(self, count: int, batch: int, *, rate: float | None = None,
              timeout: float = 300) -> dict[int, float]:
        """Write `count` rows, `batch` per transaction (one delivery job per 50 rows of a
        transaction), at most `rate` rows/s. Returns {row id: time.time() of its commit}."""
        from shop import clock
        from shop.extensions import db
        from shop.services import notifications
        from shop.unit_of_work import commit, on_commit

        stamps: dict[int, float] = {}
        start = time.monotonic()
        written = self.jobs = 0
        with self.app.app_context():
            for n in range(math.ceil(count / batch)):
                if time.monotonic() - start > timeout:
                    break
                order_id, store_id, data = self.sources[n % len(self.sources)]
                messages = []
                for _ in range(min(batch, count - written)):
                    self.seq += 1
                    values = dict(data)
                    if self.template == "otp":
                        order_id = None
                        values = {"code": f"{self.seq % 1_000_000:06d}", "minutes": 5,
                                  "store_name": data.get("store_name", "Toko")}
                    messages.append(notifications.Message(
                        f"{PHONE_PREFIX}{self.seq:08d}", self.template, values))
                committed: list[float] = []
                # Registered first, so it runs first after the commit, before the enqueueing.
                on_commit(lambda committed=committed: committed.append(time.time()))
                ids = notifications.queue_messages(messages, store_id=store_id,
                                                   order_id=order_id, now=clock.now())
                commit()
                stamps.update(dict.fromkeys(ids, committed[0]))
                written += len(ids)
                self.jobs += math.ceil(len(ids) / notifications.BATCH)
                if rate:
                    pause = start + written / rate - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
            db.session.remove()
        return stamps


# --------------------------------------------------------------------------- reading results


def max_id(ctx) -> int:
    with benchdb.connect(ctx.args.database_url) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM notifications").fetchone()[0]


def unfinished(ctx, after_id: int) -> int:
    with benchdb.connect(ctx.args.database_url) as conn:
        return conn.execute("SELECT count(*) FROM notifications WHERE id > %s AND status IN"
                            " ('queued', 'sending')", (after_id,)).fetchone()[0]


def wait_finished(ctx, after_id: int, expected_rows: int | None, timeout: float) -> float:
    """Until every row after `after_id` is sent, failed or suppressed (bounded). Returns
    the seconds waited."""
    start = time.monotonic()
    for _ in range(int(timeout / 0.2) + 1):
        with benchdb.connect(ctx.args.database_url) as conn:
            total, open_ = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE status IN ('queued', 'sending'))"
                " FROM notifications WHERE id > %s", (after_id,)).fetchone()
        if open_ == 0 and (expected_rows is None or total >= expected_rows):
            break
        if time.monotonic() - start > timeout:
            break
        time.sleep(0.2)
    return time.monotonic() - start


def phase_rows(ctx, after_id: int) -> list[dict]:
    with benchdb.connect(ctx.args.database_url) as conn:
        cur = conn.execute(
            "SELECT id, order_id, template, recipient, status, attempts, body,"
            " provider_message_id, extract(epoch FROM created_at)::float8,"
            " extract(epoch FROM claimed_at)::float8, extract(epoch FROM sent_at)::float8,"
            " last_error FROM notifications WHERE id > %s ORDER BY id", (after_id,))
        names = ["id", "order_id", "template", "recipient", "status", "attempts", "body",
                 "provider_id", "created", "claimed", "sent", "last_error"]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def latency(values: list[float]) -> dict:
    lat = sorted(values)
    return {"count": len(lat), "p50": loadgen.pct(lat, 50), "p90": loadgen.pct(lat, 90),
            "p99": loadgen.pct(lat, 99), "max": round(lat[-1] * 1000, 1) if lat else None}


def match_gateway(rows: list[dict], gateway: dict) -> dict:
    """Each sent row against the gateway's requests: its provider id names one request,
    whose phone and text must be the row's, and no other request may carry the same."""
    by_id = {rec[1]: rec for rec in gateway["records"]}
    per_text = Counter((rec[2], rec[3]) for rec in gateway["records"])
    arrival: dict[int, float] = {}
    problems: Counter = Counter()
    used: set[str] = set()
    for row in rows:
        if row["status"] != "sent":
            if row["provider_id"] in by_id:
                problems["a row not sent has a gateway id"] += 1
            continue
        rec = by_id.get(row["provider_id"])
        if rec is None:
            problems["sent row without its gateway request"] += 1
            continue
        used.add(rec[1])
        if rec[2] != row["recipient"] or rec[3] != digest(row["body"] or ""):
            problems["gateway request differs from the row (phone or text)"] += 1
        copies = per_text[(row["recipient"], digest(row["body"] or ""))]
        if copies != 1:
            problems[f"row's text reached the gateway {copies} times"] += 1
        arrival[row["id"]] = rec[0]
    stray = len(by_id) - len(used)
    return {"arrival": arrival, "problems": problems, "stray": stray,
            "requests": len(by_id), "bad_auth": gateway["bad_auth"]}


def status_counts(rows: list[dict]) -> dict:
    return dict(Counter(row["status"] for row in rows))


# --------------------------------------------------------------------------- deliver phases


def deliver_phase(ctx, *, workers: int, live: bool) -> dict:
    """Rows delivered by `workers` burst workers started after the writing, or (live) by
    workers already running while the rows are written at --live-rate."""
    args = ctx.args
    label = f"{'live' if live else 'deliver'}-{workers}w"
    count = args.live_messages if live else args.messages
    print(f"\n== {label}: {count} rows ({args.template}), {workers} worker(s)"
          + (f", written at {args.live_rate:g} rows/s while they run" if live else
             ", written first, then the workers with --burst") + " ==", flush=True)
    ctx.redis.flushdb()
    after_id, since, bad_auth0 = max_id(ctx), ctx.gateway.count(), \
        ctx.gateway.records(10**12)["bad_auth"]
    result: dict = {"label": label, "workers": workers, "live": live, "rows_asked": count,
                    "template": args.template}
    batch = args.live_batch if live else args.batch
    timeout = args.phase_timeout or max(60.0, count / 40)
    pool = None
    stamps: dict[int, float] = {}
    write_s = worker_cpu = db_cpu = gw_cpu = 0.0
    busy0 = busy1 = procstats.machine_cpu()
    profiles: list[dict] = []
    backends = None
    try:
        if not live:
            t0 = time.monotonic()
            stamps = ctx.writer.write(count, batch, timeout=timeout)
            write_s = time.monotonic() - t0
            from rq import Queue

            result["jobs_enqueued"] = sum(len(Queue(q, connection=ctx.redis))
                                          for q in ("high", "default"))
        cpu0, gw_cpu0, busy0 = children_cpu(), ctx.gateway.cpu(), procstats.machine_cpu()
        backends = BackendCpu(benchdb.plain_url(args.database_url),
                              benchdb.database_name(args.database_url))
        backends.start()
        pool = Workers(ctx, workers, burst=not live, label=label)
        if live:
            pool.wait_registered()
            t0 = time.monotonic()
            stamps = ctx.writer.write(count, batch, rate=args.live_rate, timeout=timeout)
            write_s = time.monotonic() - t0
            waited = wait_finished(ctx, after_id, len(stamps), timeout)
            result["waited_after_writing_s"] = round(waited, 2)
            pool.stop()
            result["stopped_by"] = "all rows final" if not unfinished(ctx, after_id) \
                else "time bound"
        else:
            pool.wait_registered(burst=True)
            finished = pool.wait_exit(timeout)
            result["stopped_by"] = "burst: queues empty" if finished else "time bound"
        worker_cpu = children_cpu() - cpu0 - pool.startup_cpu
        result["workers_startup_cpu_s"] = round(pool.startup_cpu, 2)
        db_cpu = backends.stop()
        gw_cpu, busy1 = ctx.gateway.cpu() - gw_cpu0, procstats.machine_cpu()
        profiles = pool.profiles()
    except RuntimeError as error:
        result["error"] = str(error)
        print(f"ERROR: {error}", flush=True)
    finally:
        if pool is not None:
            pool.stop()
        if backends is not None:
            backends.stop()
    rows = phase_rows(ctx, after_id)
    gateway = ctx.gateway.records(since)
    matched = match_gateway(rows, gateway)
    sent = [row for row in rows if row["status"] == "sent"]
    result.update(rows_written=len(stamps), write_s=round(write_s, 2),
                  rows_written_per_s=round(len(stamps) / write_s, 1) if write_s else None,
                  commits=math.ceil(len(stamps) / batch) if stamps else 0,
                  jobs=ctx.writer.jobs,
                  rows_per_commit=batch, statuses=status_counts(rows))
    if sent:
        first_claim = min(row["claimed"] for row in sent)
        last_send = max(matched["arrival"].values(), default=max(row["sent"] for row in sent))
        window = last_send - first_claim
        rate = len(sent) / window if window > 0 else None
        result.update(
            sent=len(sent), window_s=round(window, 2),
            messages_per_s=round(rate, 1) if rate else None,
            messages_per_s_per_worker=round(rate / workers, 1) if rate else None,
            worker_start_to_last_send_s=round(last_send - pool.started, 2),
            commit_to_gateway_ms=latency([matched["arrival"][r["id"]] - stamps[r["id"]]
                                          for r in sent if r["id"] in matched["arrival"]
                                          and r["id"] in stamps]),
            claim_to_gateway_ms=latency([matched["arrival"][r["id"]] - r["claimed"]
                                         for r in sent if r["id"] in matched["arrival"]]))
    busy, capacity = busy1[0] - busy0[0], busy1[1] - busy0[1]
    per = 1000 / len(sent) if sent else 0
    result["cpu"] = {"workers_s": round(worker_cpu, 2), "postgres_s": round(db_cpu, 2),
                     "gateway_s": round(gw_cpu, 2),
                     "workers_ms_per_message": round(worker_cpu * per, 2),
                     "workers_ms_per_job": round(1000 * worker_cpu / result["jobs"], 2)
                     if result.get("jobs") else None,
                     "postgres_ms_per_message": round(db_cpu * per, 2),
                     "gateway_ms_per_message": round(gw_cpu * per, 3),
                     "machine_busy_pct": round(100 * busy / capacity, 1) if capacity else None}
    result["profiles"] = profiles
    checks = [
        ("rows in DB == rows written", len(rows) == len(stamps),
         f"{len(rows)} rows after id {after_id}, {len(stamps)} written"),
        ("every row sent (none queued, sending, failed or suppressed)",
         len(sent) == len(rows) == len(stamps), str(status_counts(rows))),
        *gateway_checks(matched, gateway["bad_auth"] - bad_auth0, len(sent)),
        ("each sent row claimed once (attempts == 1)", all(r["attempts"] == 1 for r in sent),
         f"{sum(r['attempts'] != 1 for r in sent)} of {len(sent)} with attempts != 1"),
    ]
    result["checks"] = [{"check": n, "pass": bool(ok), "detail": d} for n, ok, d in checks]
    print(f"  {len(sent)} of {len(stamps)} rows sent"
          + (f", {result.get('messages_per_s')} messages/s" if sent else ""), flush=True)
    return result


def gateway_checks(matched: dict, bad_auth: int, sent: int) -> list[tuple[str, bool, str]]:
    problems = matched["problems"]
    return [
        ("each sent row reached the gateway exactly once, with its phone and text",
         not problems and len(matched["arrival"]) == sent,
         "; ".join(f"{k} x{v}" for k, v in problems.items())
         or f"{len(matched['arrival'])} rows, {matched['requests']} requests"),
        ("no gateway request without its sent row", matched["stray"] == 0,
         f"{matched['stray']} requests not named by any row's provider id"),
        ("every gateway request carried the bearer token", bad_auth == 0,
         f"{bad_auth} without it"),
    ]


# --------------------------------------------------------------------------- checkout phases


class TimedCheckouts(ct.Checkouts):
    """checkout_tracking's checkouts, noting when each order's answer reached the client."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.answered_at: dict[str, float] = {}

    def on_response(self, client_id, ctx, status, body):
        problem = super().on_response(client_id, ctx, status, body)
        if status == 201 and ctx.kind == "new" and problem is None:
            self.answered_at[self.created[-1][0]] = time.time()
        return problem


def checkout_phase(ctx, *, redis: bool, phone_offset: int) -> dict:
    """The checkout under load: embedded (no Redis, log provider inside each request) or
    with Redis, --checkout-workers workers running and the http provider at the gateway."""
    args, ct_args = ctx.args, ctx.ct_args
    url = args.database_url
    label = "checkout-redis" if redis else "checkout-embedded"
    print(f"\n== {label}: gunicorn {args.gunicorn_workers}x{args.threads}, "
          f"{args.clients} clients, {args.seconds:g} s"
          + (f", {args.checkout_workers} RQ worker(s), http provider" if redis
             else ", no Redis, log provider") + " ==", flush=True)
    ctx.redis.flushdb()
    after_id, since = max_id(ctx), ctx.gateway.count()
    bad_auth0 = ctx.gateway.records(10**12)["bad_auth"]
    before = benchdb.snapshot(url)
    expected = benchdb.Expected()
    result: dict = {"label": label, "redis": redis, "clients": args.clients}
    pool = server = meter = None
    try:
        if redis:
            pool = Workers(ctx, args.checkout_workers, burst=False, label=label)
            pool.wait_registered()
        server = ct.Gunicorn(url, "balanced", args.gunicorn_workers, args.threads,
                             ctx.run_dir / f"gunicorn-{label}.log")
        server.env = app_env(ctx, redis=redis)
        server.start()
        meter = procstats.CpuMeter(benchdb.plain_url(url), benchdb.database_name(url),
                                   server.proc.pid)
        checkouts = TimedCheckouts(ct_args, server.port, expected, ctx.run_dir.name)
        checkouts.phone_seq = phone_offset  # phones of their own: no limit from other phases
        if ct_args.warmup:
            checkouts.close_connections = True
            warm = ct.run_load(ct_args, "warmup checkouts", server.port, checkouts,
                               ct_args.warmup, ct_args.seconds)
            checkouts.close_connections = False
            result["warmup"] = warm.summary()
        checkouts.kinds.clear()
        worker_cpu0 = [procstats.process_cpu(pid) or 0.0 for pid in pool.pids()] if pool else []
        gw_cpu0 = ctx.gateway.cpu()
        load_start = time.time()
        stats, cpu, profile = ct.measured(ct_args, "checkout", server, meter, checkouts,
                                          ctx.run_dir, label)
        load_end = time.time()
        if pool:
            cpu["workers_s"] = round(sum((procstats.process_cpu(pid) or 0.0) - c0 for pid, c0
                                         in zip(pool.pids(), worker_cpu0, strict=True)), 2)
        cpu["gateway_s"] = round(ctx.gateway.cpu() - gw_cpu0, 2)
        result["checkout"] = stats.summary() | {
            "created": stats.statuses.get(201, 0),
            "created_per_s": round(stats.statuses.get(201, 0) / stats.elapsed, 1)
            if stats.elapsed else 0.0, "mix": dict(checkouts.kinds), "cpu": cpu,
            "profile": profile}
        server.stop()
        left = unfinished(ctx, after_id)
        result["unsent_when_load_stopped"] = left
        if pool:
            result["drain_s"] = round(wait_finished(ctx, after_id, None, args.drain_timeout), 2)
            pool.stop()
    except RuntimeError as error:
        result["error"] = str(error)
        print(f"ERROR: {error}", flush=True)
        checkouts = None
    finally:
        if server is not None:
            server.stop()
        if pool is not None:
            pool.stop()
        if meter is not None:
            meter.close()
    created = sum(result.get(phase, {}).get(counts, {}).get("201", 0)
                  for phase in ("warmup", "checkout")
                  for counts in ("statuses", "ramp_up_statuses"))
    checks = benchdb.check(url, ctx.seeded, before, expected, created)
    checks += checkout_client_checks(result)
    rows = phase_rows(ctx, after_id)
    gateway = ctx.gateway.records(since)
    result["rows"] = len(rows)
    result["statuses"] = status_counts(rows)
    result["templates"] = dict(Counter(row["template"] for row in rows))
    open_rows = sum(row["status"] in ("queued", "sending") for row in rows)
    by_order = Counter(row["order_id"] for row in rows)
    confirmations = Counter(row["order_id"] for row in rows
                            if row["template"] == "order_confirmation")
    checks.append(("every new order wrote its confirmation and its admin alert, once",
                   set(by_order) == expected.created_ids
                   and all(confirmations[o] == 1 and by_order[o] >= 2 for o in by_order),
                   f"{len(by_order)} orders with rows, {len(expected.created_ids)} created"))
    checks.append(("no row left queued or sending", open_rows == 0,
                   f"{open_rows} of {len(rows)} rows " + str(status_counts(rows))))
    checks.append(("no row failed", "failed" not in result["statuses"],
                   "; ".join({row["last_error"] or "" for row in rows
                              if row["status"] == "failed"}) or "none"))
    sent = [row for row in rows if row["status"] == "sent"]
    if redis:
        matched = match_gateway(rows, gateway)
        checks += gateway_checks(matched, gateway["bad_auth"] - bad_auth0, len(sent))
        answered = checkouts.answered_at if checkouts else {}
        arrivals = matched["arrival"]
        in_window = [r for r in sent if r["id"] in arrivals
                     and load_start <= r["created"] <= load_end] if "checkout" in result else []
        result["delay_from_row_write_ms"] = latency(
            [arrivals[r["id"]] - r["created"] for r in sent if r["id"] in arrivals])
        result["delay_from_row_write_in_window_ms"] = latency(
            [arrivals[r["id"]] - r["created"] for r in in_window])
        result["delay_from_answer_ms"] = latency(
            [arrivals[r["id"]] - answered[r["order_id"]] for r in sent
             if r["id"] in arrivals and r["order_id"] in answered])
        if "checkout" in result:
            span = load_end - load_start
            written = sum(load_start <= r["created"] <= load_end for r in rows)
            delivered = sum(load_start <= arrivals[r["id"]] <= load_end for r in sent
                            if r["id"] in arrivals)
            result["messages_during_load"] = {
                "written_per_s": round(written / span, 1),
                "delivered_per_s": round(delivered / span, 1), "seconds": round(span, 2)}
    else:
        logged = all((row["provider_id"] or "") == f"log-n{row['id']}" for row in sent)
        checks.append(("embedded: every sent row went through the log provider", logged,
                       f"{len(sent)} rows sent"))
        checks.append(("embedded: no gateway request", ctx.gateway.count() == since,
                       f"{ctx.gateway.count() - since} requests"))
        result["delay_from_row_write_ms"] = latency(
            [r["sent"] - r["created"] for r in sent if r["sent"]])
    result["checks"] = [{"check": n, "pass": bool(ok), "detail": d} for n, ok, d in checks]
    return result


def checkout_client_checks(result: dict) -> list[tuple[str, bool, str]]:
    rows = []
    for phase in ("warmup", "checkout"):
        stats = result.get(phase)
        if stats is None:
            if phase == "checkout":
                rows.append(("checkout phase ran", False, result.get("error", "no requests")))
            continue
        server_errors = sum(v for counts in ("statuses", "ramp_up_statuses")
                            for k, v in stats[counts].items() if k.startswith("5"))
        rows.append((f"{phase}: no 5xx, no connection errors, answers as expected",
                     not stats["errors"] and server_errors == 0,
                     "; ".join(f"{k} x{v}" for k, v in list(stats["errors"].items())[:4])
                     or f"{stats['requests']} answers"))
    return rows


# --------------------------------------------------------------------------- report


def fmt(lat: dict | None) -> str:
    if not lat or not lat.get("count"):
        return "-"
    return (f"p50 {lat['p50']} ms, p90 {lat['p90']} ms, p99 {lat['p99']} ms, max {lat['max']} "
            f"ms ({lat['count']} messages)")


def ratio(value: float | None, reference: float) -> str:
    return f"{value / reference:.2f}x" if value is not None and reference else "n/a"


def meets(ok: bool) -> str:
    return ("meets" if ok else "misses") + " (informational)"


def report_deliver(res: dict) -> None:
    mode = ("workers running while rows are written" if res["live"]
            else "rows written first, then --burst workers")
    print(f"\n-- {res['label']}: {res['workers']} worker(s), {mode} --")
    if "error" in res:
        print(f"  ERROR: {res['error'][:2000]}")
    print(f"  written   : {res.get('rows_written')} rows ({res['template']}) in "
          f"{res.get('write_s')} s, {res.get('rows_per_commit')} per commit "
          f"({res.get('rows_written_per_s')} rows/s)"
          + (f"; {res['jobs_enqueued']} jobs queued" if "jobs_enqueued" in res else ""))
    if res.get("sent"):
        per = res["messages_per_s_per_worker"]
        print(f"  delivered : {res['sent']} in {res['window_s']} s from the first claim to the "
              f"last arrival: {res['messages_per_s']} messages/s, {per} per worker "
              f"(target >= {TARGETS['messages_per_s_per_worker']}/s per worker: "
              f"{ratio(per, TARGETS['messages_per_s_per_worker'])}, "
              f"{meets(per is not None and per >= TARGETS['messages_per_s_per_worker'])})")
        print(f"              worker start to last arrival {res['worker_start_to_last_send_s']} s"
              f"; stopped by {res.get('stopped_by')}")
        what = "the real delay" if res["live"] else "includes the wait for the workers"
        print(f"  commit -> gateway ({what}): {fmt(res['commit_to_gateway_ms'])}")
        print(f"  claim  -> gateway: {fmt(res['claim_to_gateway_ms'])}")
    cpu = res.get("cpu", {})
    print(f"  CPU per message: workers {cpu.get('workers_ms_per_message')} ms "
          f"({cpu.get('workers_ms_per_job')} ms per job of {res.get('jobs')}; their start, "
          f"{res.get('workers_startup_cpu_s')} s, left out), postgres "
          f"{cpu.get('postgres_ms_per_message')} ms, gateway {cpu.get('gateway_ms_per_message')}"
          f" ms; machine busy {cpu.get('machine_busy_pct')}%")
    print(f"  statuses {res.get('statuses')}")
    for profile in res.get("profiles") or []:
        print_profile(profile)
    ct.print_checks(res["checks"])


def print_profile(profile: dict) -> None:
    if not profile or not profile.get("samples"):
        if profile:
            print(f"  py-spy: no samples ({profile.get('error') or profile.get('raw')})")
        return
    print(f"  py-spy worker ({profile['samples']} samples, {profile['raw']}):")
    print("    self time by package: " + ", ".join(
        f"{k} {v}%" for k, v in profile["self_by_package_pct"][:10]))
    print("    by innermost app function (with the library calls it makes):")
    for name, share in profile["by_innermost_app_function_pct"][:12]:
        print(f"      {share:5.1f}%  {name}")


def report_checkout(res: dict) -> None:
    print(f"\n-- {res['label']} --")
    if "error" in res:
        print(f"  ERROR: {res['error'][:2000]}")
    co = res.get("checkout")
    if co:
        print(f"  checkouts : {co['created_per_s']}/s created ({co['requests']} answers in "
              f"{co['elapsed_s']} s), {ct.fmt_latency(co['latency_ms'])}")
        print(f"              statuses {co['statuses']}")
        ct.print_cpu(co["cpu"])
        extra = [f"{name} {co['cpu'][key]} s" for name, key in
                 (("RQ workers", "workers_s"), ("gateway", "gateway_s")) if key in co["cpu"]]
        if extra:
            print("              CPU during the window: " + ", ".join(extra))
    print(f"  messages  : {res.get('rows')} rows {res.get('templates')}, {res.get('statuses')}")
    if res["redis"]:
        load = res.get("messages_during_load")
        if load:
            print(f"              during the load: {load['written_per_s']} rows/s written, "
                  f"{load['delivered_per_s']}/s delivered; {res.get('unsent_when_load_stopped')}"
                  f" unsent when it stopped, all final {res.get('drain_s')} s later")
        print(f"  row write -> gateway, all     : {fmt(res.get('delay_from_row_write_ms'))}")
        lat = res.get("delay_from_row_write_in_window_ms") or {}
        target = TARGETS["delay_p99_ms_while_checkouts_run"]
        print(f"  row write -> gateway, window  : {fmt(lat)}; target p99 < {target} ms: "
              + (f"{ratio(lat['p99'], target)} of it, {meets(lat['p99'] < target)}"
                 if lat.get("p99") is not None else "-"))
        print(f"  client answer -> gateway      : {fmt(res.get('delay_from_answer_ms'))}")
    else:
        print(f"  row write -> sent (inline)    : {fmt(res.get('delay_from_row_write_ms'))}")
    ct.print_checks(res["checks"])


def report_summary(output: dict) -> None:
    print("\n-- summary --")
    for res in output["deliver"]:
        per = res.get("messages_per_s_per_worker")
        print(f"  {res['label']:18s} {res.get('messages_per_s', '-')!s:>7s} msg/s "
              f"({per}/worker, {ratio(per, TARGETS['messages_per_s_per_worker'])} of "
              f"{TARGETS['messages_per_s_per_worker']}/s), commit -> gateway p50 "
              f"{(res.get('commit_to_gateway_ms') or {}).get('p50', '-')} ms, p99 "
              f"{(res.get('commit_to_gateway_ms') or {}).get('p99', '-')} ms")
    rates = {}
    for res in output["checkout"]:
        co = res.get("checkout") or {}
        rates[res["redis"]] = co.get("created_per_s")
        lat = res.get("delay_from_row_write_in_window_ms") or {}
        print(f"  {res['label']:18s} {co.get('created_per_s', '-')!s:>7s} checkouts/s, p99 "
              f"{(co.get('latency_ms') or {}).get('p99', '-')} ms"
              + (f"; messages p50 {lat.get('p50')} ms, p99 {lat.get('p99')} ms"
                 if res["redis"] else ""))
    if rates.get(True) and rates.get(False):
        print(f"  checkouts with Redis / embedded: {rates[True] / rates[False]:.2f}x")


# --------------------------------------------------------------------------- main


class Context:
    """What the phases share: arguments, database, Redis, gateway, writer, results dir."""

    def __init__(self, args, run_dir: Path):
        import redis

        self.args, self.run_dir = args, run_dir
        self.redis = redis.Redis.from_url(args.redis_url, socket_connect_timeout=2,
                                          socket_timeout=30)
        self.gateway: GatewayProcess | None = None
        self.writer: Writer | None = None
        self.seeded: benchdb.Seeded | None = None
        self.ct_args = ct.parse_args([
            "--database-url", args.database_url, "--seconds", str(args.seconds),
            "--clients", str(args.clients), "--workers", str(args.gunicorn_workers),
            "--threads", str(args.threads), "--warmup", str(args.warmup),
            "--max-requests", str(args.max_requests), "--seed", str(args.seed),
            "--results-dir", str(args.results_dir),
        ] + (["--py-spy", "--py-spy-rate", str(args.py_spy_rate)] if args.py_spy else []))


def redis_db(url: str) -> int:
    path = urlsplit(url).path.lstrip("/")
    if not path.isdigit() or int(path) == 0:
        raise SystemExit(f"--redis-url {url!r}: give a Redis database number of its own (not "
                         "0): it is flushed at the start of every phase")
    return int(path)


def ensure_database(url: str) -> None:
    """Create the bench database if it does not exist yet."""
    parts = urlsplit(benchdb.plain_url(url))
    name = benchdb.database_name(url)
    admin = parts._replace(path="/postgres").geturl()
    with benchdb.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"created database {name}", flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url",
                   default=os.environ.get("BENCH_NOTIFY_DATABASE_URL", DEFAULT_URL),
                   help="dedicated database (created if missing); its public schema is DROPPED "
                        "(the name must contain bench)")
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
                   help="a Redis database of its own: FLUSHED at the start of every phase")
    p.add_argument("--phases", default="deliver,live,checkout",
                   help="comma-separated: deliver (burst workers), live, checkout")
    p.add_argument("--messages", type=int, default=10_000,
                   help="rows written and delivered by each deliver phase")
    p.add_argument("--workers", default="1,2",
                   help="worker counts of the deliver phases (one phase each)")
    p.add_argument("--batch", type=int, default=50,
                   help="rows per transaction in the deliver phases (50: one job per commit)")
    p.add_argument("--template", default="order_confirmation",
                   choices=["order_confirmation", "new_order_admin", "otp"],
                   help="template of the deliver rows (values copied from seed-demo orders; "
                        "otp goes to the high queue)")
    p.add_argument("--live-messages", type=int, default=2_000,
                   help="rows of each live phase")
    p.add_argument("--live-workers", default="1",
                   help="worker counts of the live phases")
    p.add_argument("--live-rate", type=float, default=100,
                   help="rows per second written in the live phases")
    p.add_argument("--live-batch", type=int, default=2,
                   help="rows per transaction in the live phases (2: like one checkout)")
    p.add_argument("--phase-timeout", type=float, default=0,
                   help="time bound of each deliver phase (0: max(60 s, rows / 40))")
    p.add_argument("--seconds", type=float, default=10,
                   help="measured window of each checkout phase")
    p.add_argument("--max-requests", type=int, default=20_000,
                   help="count bound of each checkout phase")
    p.add_argument("--clients", type=int, default=32, help="concurrent checkout clients")
    p.add_argument("--gunicorn-workers", type=int, default=4, help="gunicorn processes")
    p.add_argument("--threads", type=int, default=2, help="threads per gunicorn process")
    p.add_argument("--warmup", type=int, default=64, help="checkouts before each window")
    p.add_argument("--checkout-workers", type=int, default=1,
                   help="RQ workers running during the checkout with Redis")
    p.add_argument("--drain-timeout", type=float, default=120,
                   help="how long the checkout with Redis waits for the last messages")
    p.add_argument("--seed", type=int, default=1, help="seed of the checkout mix")
    p.add_argument("--py-spy", action="store_true",
                   help="profile the workers (and gunicorn) with py-spy (pip install py-spy)")
    p.add_argument("--py-spy-rate", type=int, default=100, help="py-spy samples per second")
    p.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results",
                   help="where each run writes results.json, logs and profiles")
    args = p.parse_args(argv)
    args.phases = [x.strip() for x in args.phases.split(",") if x.strip()]
    unknown = set(args.phases) - {"deliver", "live", "checkout"}
    try:
        args.workers = [int(x) for x in args.workers.split(",") if x.strip()]
        args.live_workers = [int(x) for x in args.live_workers.split(",") if x.strip()]
    except ValueError:
        p.error("--workers and --live-workers are comma-separated numbers")
    if unknown:
        p.error(f"unknown phases {sorted(unknown)}")
    if min([args.messages, args.live_messages, args.batch, args.live_batch, args.clients,
            args.checkout_workers, *args.workers, *args.live_workers]) < 1 \
            or args.seconds <= 0 or args.live_rate <= 0:
        p.error("counts, --seconds and --live-rate must be positive")
    if args.py_spy and shutil.which("py-spy") is None:
        p.error("--py-spy needs py-spy on PATH: pip install py-spy")
    benchdb.refuse_unless_bench(args.database_url)
    if benchdb.database_name(args.database_url) == "shop_bench":
        p.error("shop_bench belongs to bench/checkout_tracking.py: use a database of its own")
    redis_db(args.redis_url)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for name in FOREIGN_SETTINGS:  # nothing started from here may inherit them
        os.environ.pop(name, None)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = args.results_dir / f"notifications-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()
    print(f"notification benchmark, {os.cpu_count()} CPUs, load average {load0[0]:.2f}; "
          f"database {benchdb.database_name(args.database_url)}, Redis db "
          f"{redis_db(args.redis_url)}; results in {run_dir}", flush=True)
    ctx = Context(args, run_dir)
    ctx.redis.ping()
    ctx.redis.flushdb()
    ensure_database(args.database_url)
    print("rebuilding the database (migrate, seed-demo, bench products) ...", flush=True)
    ctx.seeded = benchdb.prepare(args.database_url)
    output: dict = {"started": stamp, "args": {k: str(v) for k, v in vars(args).items()},
                    "cpus": os.cpu_count(), "loadavg_start": load0, "issue_targets": TARGETS,
                    "deliver": [], "checkout": []}
    try:
        ctx.gateway = GatewayProcess(run_dir / "gateway.log")
        if {"deliver", "live"} & set(args.phases):
            ctx.writer = Writer(ctx)
        if "deliver" in args.phases:
            for n in args.workers:
                output["deliver"].append(deliver_phase(ctx, workers=n, live=False))
        if "live" in args.phases:
            for n in args.live_workers:
                output["deliver"].append(deliver_phase(ctx, workers=n, live=True))
        if "checkout" in args.phases:
            output["checkout"].append(checkout_phase(ctx, redis=False, phone_offset=0))
            output["checkout"].append(checkout_phase(ctx, redis=True,
                                                     phone_offset=1_000_000))
    finally:
        if ctx.gateway is not None:
            ctx.gateway.stop()
        ctx.redis.flushdb()
    output["loadavg_end"] = os.getloadavg()
    print("\n================ results ================")
    print(f"load average at start {load0[0]:.2f}, at end {output['loadavg_end'][0]:.2f} "
          "(other work on the machine makes absolute figures noisy)")
    for res in output["deliver"]:
        report_deliver(res)
    for res in output["checkout"]:
        report_checkout(res)
    report_summary(output)
    path = run_dir / "results.json"
    path.write_text(json.dumps(output, indent=2, default=str))
    checks = [c for res in output["deliver"] + output["checkout"] for c in res["checks"]]
    failed = [c for c in checks if not c["pass"]]
    print(f"\nJSON: {path}")
    print(f"{len(checks) - len(failed)} checks passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except benchdb.psycopg.OperationalError as error:
        sys.exit(f"database unavailable: {error}")
