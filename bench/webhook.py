"""Inbound WhatsApp webhook benchmark (issue 13, "Performance"): mixed `!commands` posted to
POST /api/whatsapp/webhook at a constant rate under gunicorn, on PostgreSQL with Redis, the
replies written to the outbox in the request and sent by RQ workers to a stand-in gateway.

    python bench/webhook.py                          # 200 messages/s for 30 s
    python bench/webhook.py --rate 20 --seconds 5    # a smoke run
    python bench/webhook.py --order-commands yes     # send !order even if the app lacks it

One run: rebuild the bench database (bench/benchdb.py: migrate, seed-demo's burgerchina, whose
WhatsApp number the messages are sent to), give the store two admin numbers, add seed 001's
server packages BRONZE..DIAMOND billed monthly, --customers customers with
--orders-per-customer orders each (bench/admin_pages.py's set-based SQL), flush Redis db 11,
start bench/gateway.py, --rq-workers workers (bench/notifications.py's Workers) and gunicorn as
the README's production command (its balanced gthread worker, 4 x 2, RATELIMIT_ENABLED=false,
REDIS_URL, WHATSAPP_WEBHOOK_TOKEN, WHATSAPP_PROVIDER=http at the gateway; all on 127.0.0.1).
Then --warmup messages (checked, not measured) and --rate messages/s for --seconds (open loop,
bench/loadgen.py's run_open_loop, bounded by --max-messages), each with a unique id from many
senders: customers' !katalog, !harga, !order-status of their own order (or an unknown one),
!my-orders, !bantuan, !order <package> <months> (some with a month count out of range), admins'
!orders and !pending-orders, plain text (no reply), and --redeliver-fraction of ids already
answered sent again (they must queue nothing). The workers then drain the outbox.

"Webhook to outbox row": the replies are inserted and committed inside the request, so the
answer's arrival is an upper bound of the time until the rows are visible (printed as
send -> committed); the rows' created_at (the `now` receive_message takes before running the
command, same machine clock as the client's time.time()) is a lower bound (send -> row
created_at). Printed: messages sent/s, statuses, webhook latency p50/p95/p99, replies queued
per second and delivered per second (in the load window, and over the run and the drain),
both delays, send -> gateway, the time the backlog took to drain, CPU per message. Checks
(exit 1 on a FAIL): one inbound row and one set of replies per unique id, as many as its
answer said, none for plain text nor for redeliveries, no reply without its message; orders
created == !order commands whose reply names a new order, each the sender's, package x
months; every outbox row sent once to the gateway with its phone and text. Timings are never
asserted. Results and logs go to bench/results/webhook-<UTC time>/.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import admin_pages
import benchdb
import checkout_tracking as ct
import loadgen
import notifications as nt
import procstats
from b2b_portal import with_bearer
from gateway import digest
from psycopg.types.json import Json

ROOT = benchdb.ROOT
HOST = ct.HOST
PATH = "/api/whatsapp/webhook"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench_webhook"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
OTHERS_DATABASES = ("shop_bench", "shop_bench_notify", "shop_bench_b2b")
WEBHOOK_TOKEN = "bench-webhook-token"  # noqa: S105 - loopback only, a throwaway database
ADMINS = ("6281299900001", "6281299900002")
STRANGERS = "62858"  # + 8 digits: senders who are no customer yet
#: Seed 001's server packages: code, price a month, RAM, CPU.
PACKAGES = (("BRONZE", 25000, "1GB", "1 CPU"), ("SILVER", 50000, "2GB", "1 CPU"),
            ("GOLD", 75000, "4GB", "2 CPU"), ("PLATINUM", 100000, "8GB", "2 CPU"),
            ("DIAMOND", 150000, "16GB", "4 CPU"))
#: kind -> weight of the mix (redeliveries come on top, --redeliver-fraction).
MIX = {"katalog": 8, "harga": 14, "order-status": 18, "my-orders": 14, "bantuan": 4,
       "order": 10, "admin": 6, "text": 12}
PLAIN_TEXTS = ("halo kak, masih buka?", "terima kasih", "ok", "pesanan saya kapan sampai ya")
PRICE_QUERIES = ("bronze", "GOLD", "diamond", "burger", "cola", "sushi")


@dataclass
class Msg:
    """One webhook message: what was sent, and what came back."""

    n: int
    id: str
    kind: str
    sender: str
    text: str
    measured: bool
    redelivery: bool = False
    asked: str = ""  # the order number of an !order-status, the package x months of an !order
    sent_at: float = 0.0
    lag: float = 0.0  # seconds it left after its due time (waiting for a free connection)
    answered_at: float = 0.0
    status: int = 0
    handled: int | None = None


@dataclass
class World:
    store_id: int
    number: str
    orders_of: dict[str, list[str]]  # customer phone -> their order numbers
    existing_orders: set[str]
    commands: set[str]
    max_notification: int


# --------------------------------------------------------------------------- data


def app_commands(order: str, admin: str) -> set[str]:
    """The !commands the app's code has (and those asked for with yes)."""
    sys.path.insert(0, str(ROOT))
    for module in ("shop.services.chat_order", "shop.services.chat_admin"):
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    importlib.import_module("shop.services.inbound")
    from shop.services.chat_commands import COMMANDS

    names = set(COMMANDS)
    for flag, wanted in ((order, {"order"}), (admin, {"orders", "pending-orders"})):
        names = names | wanted if flag == "yes" else names - wanted if flag == "no" else names
    return names


def prepare(args) -> World:
    """Fresh schema, seed-demo, admin numbers, the packages, the customers and their orders."""
    started = time.monotonic()
    nt.ensure_database(args.database_url)
    benchdb.prepare(args.database_url)
    with benchdb.connect(args.database_url) as conn:
        store_id, number = conn.execute("SELECT id, whatsapp FROM stores WHERE slug = %s",
                                        (benchdb.STORE_SLUG,)).fetchone()
        conn.execute("UPDATE stores SET admin_whatsapp = %s WHERE id = %s",
                     (Json(list(ADMINS)), store_id))
        for code, price, ram, cpu in PACKAGES:
            conn.execute(
                "INSERT INTO products (store_id, code, name, description, category, price,"
                " billing, attributes, stock, low_stock_threshold, is_active, created_at,"
                " updated_at) VALUES (%s, %s, %s, 'Server Pterodactyl', 'Server', %s,"
                " 'monthly', %s, NULL, 5, true, now(), now())",
                (store_id, code, code, price, Json({"RAM": ram, "CPU": cpu})))
        conn.execute(admin_pages.BULK_CUSTOMERS, {"store": store_id, "count": args.customers})
        conn.execute(admin_pages.BULK_ORDERS, {
            "store": store_id, "count": args.customers * args.orders_per_customer,
            "customers": args.customers})
        conn.execute(admin_pages.BULK_ITEMS)
        conn.execute(admin_pages.BULK_EVENTS)
        conn.commit()
        conn.execute("ANALYZE")
        orders_of: dict[str, list[str]] = {}
        for phone, order in conn.execute(
                "SELECT c.phone, o.number FROM orders o JOIN customers c ON c.id = o.customer_id"
                " WHERE o.number LIKE 'ORD-BENCH-%%'"):
            orders_of.setdefault(phone, []).append(order)
        existing = {row[0] for row in conn.execute("SELECT number FROM orders")}
        max_id = conn.execute("SELECT coalesce(max(id), 0) FROM notifications").fetchone()[0]
    commands = app_commands(args.order_commands, args.admin_commands)
    print(f"  data in {time.monotonic() - started:.1f} s: {len(orders_of)} customers with "
          f"orders, {len(existing)} orders; store number {number}", flush=True)
    return World(store_id, number, orders_of, existing, commands, max_id)


# --------------------------------------------------------------------------- the messages


class Workload:
    """Mixed messages from many senders, each with a unique id, and some redeliveries."""

    def __init__(self, args, world: World, port: int):
        self.args, self.world = args, world
        self.rng = random.Random(args.seed)
        self.customers = sorted(world.orders_of)
        kinds = {k: w for k, w in MIX.items() if k != "order" or "order" in world.commands}
        self.kinds, self.weights = list(kinds), list(kinds.values())
        self.admin = [c for c in ("orders", "pending-orders") if c in world.commands]
        self.sent: list[Msg] = []
        self.answered: list[Msg] = []  # first deliveries with their answer in
        self.measured = False
        self.host = f"{HOST}:{port}"
        self.run = os.urandom(4).hex()
        self.seq = 0  # ids unique over the warm-up and the load (loadgen's n restarts)

    def message(self, n: int) -> Msg:
        rng = self.rng
        if self.answered and rng.random() < self.args.redeliver_fraction:
            first = rng.choice(self.answered)
            return Msg(n, first.id, first.kind, first.sender, first.text, self.measured, True)
        kind = rng.choices(self.kinds, self.weights)[0]
        sender = rng.choice(self.customers)
        if kind in ("katalog", "harga", "bantuan", "my-orders", "order") and rng.random() < 0.1:
            sender = f"{STRANGERS}{rng.randrange(10**8):08d}"
        asked, text = "", ""
        if kind == "admin":
            sender = rng.choice(ADMINS)
            text = "!" + (rng.choice(self.admin) if self.admin else "orders")
        elif kind == "order-status":
            asked = rng.choice(self.world.orders_of[sender]) if rng.random() < 0.85 \
                else "ORD-BENCH-9999999"
            text = f"!order-status {asked}"
        elif kind == "harga":
            text = f"!harga {rng.choice(PRICE_QUERIES)}"
        elif kind == "order":
            code, months = rng.choice(PACKAGES)[0], rng.randint(1, 12)
            if rng.random() < 0.1:
                months = 13  # out of range: no order
            asked, text = f"{code}x{months}", f"!order {code.lower()} {months}"
        elif kind == "text":
            text = rng.choice(PLAIN_TEXTS)
        else:
            text = f"!{kind}"
        self.seq += 1
        return Msg(n, f"wamid.bench-{self.run}-{self.seq}", kind, sender, text,
                   self.measured, asked=asked)

    def make_request(self, n: int) -> tuple[bytes, Msg]:
        msg = self.message(n)
        body = json.dumps({"from": msg.sender, "to": self.world.number, "id": msg.id,
                           "text": msg.text}).encode()
        raw = with_bearer(loadgen.build_request("POST", self.host, PATH, body),
                          WEBHOOK_TOKEN.encode())
        msg.sent_at = time.time()
        self.sent.append(msg)
        return raw, msg

    def on_response(self, n: int, msg: Msg, status: int, body: bytes) -> str | None:
        msg.answered_at, msg.status = time.time(), status
        if status != 200:
            return f"status {status}"
        msg.handled = json.loads(body)["handled"]
        if not msg.redelivery:
            self.answered.append(msg)
        if msg.redelivery:
            return "a redelivery queued replies" if msg.handled else None
        if (msg.kind == "text") != (msg.handled == 0):
            return f"{msg.kind} answered handled={msg.handled}"
        return None


def send(args, workload: Workload, port: int, count: int, seconds: float,
         measured: bool) -> loadgen.PhaseStats:
    workload.measured = measured
    first = len(workload.sent)
    stats = asyncio.run(loadgen.run_open_loop(
        "webhook" if measured else "warmup", host=HOST, port=port, rate=args.rate,
        seconds=seconds, max_requests=count, make_request=workload.make_request,
        on_response=workload.on_response, max_connections=args.connections,
        request_timeout=args.request_timeout))
    # run_open_loop notes each lag right before it calls make_request: the same order.
    for msg, lag in zip(workload.sent[first:], stats.lags, strict=False):
        msg.lag = lag
    return stats


# --------------------------------------------------------------------------- reading results


def latency(values: list[float]) -> dict:
    lat = sorted(values)
    return {"count": len(lat), **{f"p{p}": loadgen.pct(lat, p) for p in (50, 95, 99)},
            "max": round(lat[-1] * 1000, 1) if lat else None}


def reply_sets(url: str, store_id: int) -> tuple[dict[str, dict], int, int]:
    """Per inbound message id: its received_at and reply texts (the replies are the rows of
    its sender with its very `now`); the replies that name no message; ambiguous messages."""
    with benchdb.connect(url) as conn:
        rows = conn.execute(
            "SELECT m.provider_message_id, extract(epoch FROM m.received_at)::float8,"
            " coalesce(array_agg(n.data->>'body' ORDER BY n.id) FILTER (WHERE n.id IS NOT NULL),"
            " '{}') FROM inbound_messages m LEFT JOIN notifications n ON n.template ="
            " 'chat_reply' AND n.recipient = m.sender AND n.created_at = m.received_at"
            " WHERE m.store_id = %s GROUP BY m.id", (store_id,)).fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM notifications n WHERE n.template = 'chat_reply' AND NOT"
            " EXISTS (SELECT 1 FROM inbound_messages m WHERE m.sender = n.recipient AND"
            " m.received_at = n.created_at)").fetchone()[0]
        shared = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM inbound_messages GROUP BY sender, received_at"
            " HAVING count(*) > 1) s").fetchone()[0]
    return {mid: {"at": at, "replies": list(texts)} for mid, at, texts in rows}, orphans, shared


def new_orders(url: str, existing: set[str]) -> dict[str, dict]:
    with benchdb.connect(url) as conn:
        rows = conn.execute(
            "SELECT o.number, c.phone, array_agg(i.code || 'x' || i.qty) FROM orders o"
            " LEFT JOIN customers c ON c.id = o.customer_id LEFT JOIN order_items i ON"
            " i.order_id = o.id GROUP BY o.id, o.number, c.phone").fetchall()
    return {number: {"phone": phone, "lines": lines} for number, phone, lines in rows
            if number not in existing}


def match_deliveries(rows: list[dict], records: dict) -> dict:
    """Each sent row against the gateway's request its provider id names (phone and text);
    replies may repeat a text (two !katalog), so only the ids must pair up one to one."""
    by_id = {rec[1]: rec for rec in records["records"]}
    arrival: dict[int, float] = {}
    problems: Counter = Counter()
    for row in rows:
        rec = by_id.get(row["provider_id"]) if row["status"] == "sent" else None
        if row["status"] == "sent" and rec is None:
            problems["sent row without its gateway request"] += 1
        elif rec is not None and (rec[2] != row["recipient"]
                                  or rec[3] != digest(row["body"] or "")):
            problems["gateway request differs from the row (phone or text)"] += 1
        elif rec is not None:
            arrival[row["id"]] = rec[0]
    return {"arrival": arrival, "problems": problems, "requests": len(by_id),
            "stray": len(by_id) - len(arrival) - sum(problems.values()),
            "bad_auth": records["bad_auth"]}


# --------------------------------------------------------------------------- the run


class Context:
    """What notifications.Workers and app_env read: args, results dir, Redis, gateway."""

    def __init__(self, args, run_dir: Path):
        import redis

        self.args, self.run_dir = args, run_dir
        self.redis = redis.Redis.from_url(args.redis_url, socket_connect_timeout=2,
                                          socket_timeout=30)
        self.gateway: nt.GatewayProcess | None = None


def run(args, run_dir: Path) -> dict:
    ctx = Context(args, run_dir)
    ctx.redis.ping()
    ctx.redis.flushdb()
    print(f"rebuilding {benchdb.database_name(args.database_url)} ...", flush=True)
    world = prepare(args)
    result: dict = {"commands": sorted(world.commands)}
    server = pool = meter = workload = None
    try:
        ctx.gateway = nt.GatewayProcess(run_dir / "gateway.log")
        pool = nt.Workers(ctx, args.rq_workers, burst=False, label="webhook")
        pool.wait_registered()
        server = ct.Gunicorn(args.database_url, "balanced", args.workers, args.threads,
                             run_dir / "gunicorn.log")
        server.env = nt.app_env(ctx, redis=True) | {"WHATSAPP_WEBHOOK_TOKEN": WEBHOOK_TOKEN}
        server.env.pop("WHATSAPP_APP_SECRET", None)
        server.start()
        workload = Workload(args, world, server.port)
        print(f"gunicorn (balanced gthread) -w {args.workers} --threads {args.threads} on port "
              f"{server.port}, {args.rq_workers} RQ worker(s), gateway on "
              f"{ctx.gateway.port}; {args.warmup} warm-up messages, then {args.rate:g}/s for "
              f"{args.seconds:g} s ...", flush=True)
        if args.warmup:
            result["warmup"] = send(args, workload, server.port, args.warmup,
                                    args.warmup / args.rate + 1, False).summary()
        meter = procstats.CpuMeter(benchdb.plain_url(args.database_url),
                                   benchdb.database_name(args.database_url), server.proc.pid)
        before = meter.sample()
        side0 = [procstats.process_cpu(p) or 0.0 for p in [*pool.pids(), ctx.gateway.proc.pid]]
        stats = send(args, workload, server.port, args.max_messages, args.seconds, True)
        cpu = procstats.CpuMeter.delta(before, meter.sample(), stats.elapsed)
        side = [(procstats.process_cpu(p) or 0.0) - c0 for p, c0 in
                zip([*pool.pids(), ctx.gateway.proc.pid], side0, strict=True)]
        cpu |= {"rq_workers_s": round(sum(side[:-1]), 2), "gateway_s": round(side[-1], 2),
                "client_cpu_s": round(stats.client_cpu, 2)}
        result["load"] = stats.summary() | {"cpu": cpu}
        load_end = time.time()
        result["unsent_when_load_stopped"] = nt.unfinished(ctx, world.max_notification)
        result["drain_s"] = round(nt.wait_finished(ctx, world.max_notification, None,
                                                   args.drain_timeout), 2)
        result["drained_at"] = time.time()
        result["load_end"] = load_end
    except RuntimeError as error:
        result["error"] = str(error)
        print(f"ERROR: {error}", flush=True)
    finally:
        for proc in (server, pool):
            if proc is not None:
                proc.stop()
        if meter is not None:
            meter.close()
    try:
        if workload is not None and "load" in result:
            analyse(args, ctx, world, workload, result)
    finally:
        if ctx.gateway is not None:
            ctx.gateway.stop()
        ctx.redis.flushdb()
    return result


def analyse(args, ctx: Context, world: World, workload: Workload, result: dict) -> None:
    """Figures and checks from the clients' messages, the database and the gateway."""
    sets, orphans, shared = reply_sets(args.database_url, world.store_id)
    rows = nt.phase_rows(ctx, world.max_notification)
    matched = match_deliveries(rows, ctx.gateway.records(0))
    first = [m for m in workload.sent if not m.redelivery]
    again = [m for m in workload.sent if m.redelivery]
    window = [m for m in workload.sent if m.measured and m.answered_at]
    t0 = min(m.sent_at for m in window)
    t1 = max(m.answered_at for m in window)
    span = t1 - t0
    by_id = {r["id"]: r for r in rows}
    replies = [r for r in rows if r["template"] == "chat_reply"]
    arrivals = matched["arrival"]
    first_arrival: dict[str, float] = {}
    reply_at: dict[tuple[str, float], list[int]] = {}
    for r in replies:
        reply_at.setdefault((r["recipient"], round(r["created"], 6)), []).append(r["id"])
    with_replies = [m for m in window if not m.redelivery and m.handled]
    for m in with_replies:
        ids = reply_at.get((m.sender, round(sets.get(m.id, {}).get("at", 0.0), 6)), [])
        times = [arrivals[i] for i in ids if i in arrivals]
        if times:
            first_arrival[m.id] = min(times)
    sent_rows = [r for r in rows if r["id"] in arrivals]
    result["figures"] = {
        "messages": len(workload.sent), "unique_ids": len({m.id for m in first}),
        "redeliveries": len(again), "mix": dict(Counter(m.kind for m in first)),
        "window_s": round(span, 2),
        "webhook_latency_ms": latency([m.answered_at - m.sent_at for m in window]),
        "webhook_latency_by_kind_ms": {
            kind: latency([m.answered_at - m.sent_at for m in window if m.kind == kind])
            for kind in sorted({m.kind for m in window})},
        "send_to_row_created_ms": latency([sets[m.id]["at"] - m.sent_at
                                           for m in with_replies if m.id in sets]),
        "send_to_committed_ms": latency([m.answered_at - m.sent_at for m in with_replies]),
        "send_to_committed_from_due_ms": latency([m.answered_at - m.sent_at + m.lag
                                                  for m in with_replies]),
        "send_to_gateway_ms": latency([first_arrival[m.id] - m.sent_at
                                       for m in with_replies if m.id in first_arrival]),
        "replies_queued_per_s": round(sum(t0 <= r["created"] <= t1 for r in replies) / span, 1),
        "outbox_rows_per_s": round(sum(t0 <= r["created"] <= t1 for r in rows) / span, 1),
        "replies_sent_per_s_in_window": round(sum(
            t0 <= arrivals[r["id"]] <= t1 for r in replies if r["id"] in arrivals) / span, 1),
        "rows_sent_per_s_run_and_drain": round(len(sent_rows) / (
            max(arrivals.values()) - t0), 1) if arrivals and max(arrivals.values()) > t0
        else None,
        "last_arrival_after_load_s": round(max(arrivals.values()) - result["load_end"], 2)
        if arrivals else None,
        "outbox": {"rows": len(rows), "templates": dict(Counter(r["template"] for r in rows)),
                   "statuses": nt.status_counts(rows)},
    }
    result["checks"] = [{"check": n, "pass": bool(ok), "detail": d} for n, ok, d in
                        checks(workload, world, sets, orphans, shared, rows, matched, by_id,
                               new_orders(args.database_url, world.existing_orders), result)]


def checks(workload, world, sets, orphans, shared, rows, matched, by_id, orders, result):
    first = [m for m in workload.sent if not m.redelivery]
    again = [m for m in workload.sent if m.redelivery]
    errors = Counter()
    for phase in ("warmup", "load"):
        errors.update((result.get(phase) or {}).get("errors", {}))
    statuses = Counter(m.status for m in workload.sent)
    ok_first = [m for m in first if m.status == 200]
    wrong_count = [m.id for m in ok_first if len(sets.get(m.id, {}).get("replies", [1]))
                   != m.handled]
    yield ("every message answered 200, no timeouts or unexpected answers",
           set(statuses) == {200} and not errors,
           f"statuses {dict(statuses)}; " + ("; ".join(f"{k} x{v}" for k, v in
                                                       list(errors.items())[:4]) or "no errors"))
    unique = {m.id for m in ok_first}
    yield ("one inbound row per unique message id",
           len(sets) == len(unique) == len(ok_first) and all(i in sets for i in unique),
           f"{len(sets)} rows, {len(unique)} unique ids answered, {len(ok_first)} first "
           "deliveries")
    yield ("each message's reply set is what its answer counted (none for plain text)",
           not wrong_count and not shared,
           f"{len(wrong_count)} ids differ (e.g. {wrong_count[:2]}); {shared} sender+time "
           f"clashes; {sum(m.handled or 0 for m in ok_first)} replies")
    yield ("no reply without its message", orphans == 0, f"{orphans} orphan replies")
    yield ("redeliveries answered 200 and queued nothing",
           all(m.status == 200 and m.handled == 0 for m in again),
           f"{len(again)} redeliveries, {sum(bool(m.handled) for m in again)} queued replies")
    yield from order_checks(first, sets, orders)
    yield content_check(first, sets, world)
    sent = [r for r in rows if r["status"] == "sent"]
    yield ("every outbox row sent (none queued, sending or failed)",
           len(sent) + sum(r["status"] == "suppressed" for r in rows) == len(rows),
           str(nt.status_counts(rows)))
    problems = matched["problems"]
    yield ("each sent row reached the gateway once with its phone and text",
           not problems and len(matched["arrival"]) == len(sent),
           "; ".join(f"{k} x{v}" for k, v in problems.items())
           or f"{len(sent)} rows, {matched['requests']} requests")
    yield ("no gateway request without its row; the bearer token on each",
           matched["stray"] == 0 and matched["bad_auth"] == 0,
           f"{matched['stray']} stray, {matched['bad_auth']} without the token")


def content_check(first: list[Msg], sets: dict, world: World) -> tuple[str, bool, str]:
    """A customer's !order-status names the order asked; their !my-orders one of theirs."""
    wrong = Counter()
    for m in first:
        text = "\n".join(sets.get(m.id, {}).get("replies", []))
        if m.kind == "order-status" and m.asked not in text:
            wrong["order-status"] += 1
        elif m.kind == "my-orders" and m.sender in world.orders_of \
                and not any(number in text for number in world.orders_of[m.sender]):
            wrong["my-orders"] += 1
    return ("!order-status names the order asked, a customer's !my-orders one of theirs",
            not wrong, str(dict(wrong)) if wrong else "as expected")


def order_checks(first: list[Msg], sets: dict, orders: dict):
    """!order: the new orders are those its replies name, each the sender's, package x
    months; an out-of-range month count makes none."""
    named: dict[str, list[Msg]] = {}
    for m in first:
        if m.kind != "order" or m.id not in sets:
            continue
        text = "\n".join(sets[m.id]["replies"])
        for number in orders:
            if number in text:
                named.setdefault(number, []).append(m)
    wrong = [n for n, ms in named.items()
             if len(ms) != 1 or orders[n]["phone"] != ms[0].sender
             or orders[n]["lines"] != [ms[0].asked]]
    out_of_range = [m for ms in named.values() for m in ms if m.asked.endswith("x13")]
    yield ("orders created == successful !order commands (each named by one reply)",
           len(named) == len(orders) and not wrong and not out_of_range,
           f"{len(orders)} new orders, {len(named)} named by !order replies, "
           f"{sum(m.kind == 'order' for m in first)} !order sent; wrong: {wrong[:3]}, "
           f"month 13 accepted: {len(out_of_range)}")


# --------------------------------------------------------------------------- report, main


def fmt(lat: dict | None) -> str:
    if not lat or not lat.get("count"):
        return "-"
    return (f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, max "
            f"{lat['max']} ms ({lat['count']})")


def report(args, result: dict) -> None:
    print("\n================ results ================")
    if "error" in result:
        print(f"ERROR: {result['error'][:2000]}")
    print(f"commands of the app: {', '.join(result['commands'])}"
          + ("" if "order" in result["commands"] else
             "  (no !order yet: not sent; --order-commands yes sends it anyway)"))
    load, fig = result.get("load"), result.get("figures")
    if load and fig:
        cpu = load["cpu"]
        print(f"sent      : {load['requests']} answered, sent in {load['elapsed_s']} s = "
              f"{load['per_second']}/s (asked {args.rate:g}/s); "
              f"client lag {load.get('send_lag_ms')}; connections {load['connections_opened']}")
        print(f"statuses  : {load['statuses']}, errors {load['errors'] or 'none'}")
        print(f"mix       : {fig['mix']}, {fig['redeliveries']} redeliveries")
        print(f"webhook latency           : {fmt(fig['webhook_latency_ms'])}")
        for kind, lat in fig["webhook_latency_by_kind_ms"].items():
            print(f"  {kind:<14}: p50 {lat['p50']} ms, p99 {lat['p99']} ms ({lat['count']})")
        print(f"send -> row created_at    : {fmt(fig['send_to_row_created_ms'])}  (lower bound)")
        print(f"send -> committed (answer): {fmt(fig['send_to_committed_ms'])}  (upper bound)")
        print(f"due  -> committed (answer): {fmt(fig['send_to_committed_from_due_ms'])}  "
              "(from the open loop's due time: with the wait for a connection)")
        print(f"send -> gateway           : {fmt(fig['send_to_gateway_ms'])}")
        print(f"replies queued            : {fig['replies_queued_per_s']}/s (all outbox rows "
              f"{fig['outbox_rows_per_s']}/s) in the {fig['window_s']} s window")
        print(f"replies sent              : {fig['replies_sent_per_s_in_window']}/s in the "
              f"window; rows {fig['rows_sent_per_s_run_and_drain']}/s over the run and drain")
        print(f"backlog   : {result.get('unsent_when_load_stopped')} rows unsent when the load "
              f"stopped, all final {result.get('drain_s')} s later (last at the gateway "
              f"{fig['last_arrival_after_load_s']} s after the load)")
        print(f"outbox    : {fig['outbox']}")
        per = 1000 / load["requests"] if load["requests"] else 0
        print(f"CPU per message: app {cpu['app_cpu_s'] * per:.2f} ms, postgres "
              f"{cpu['db_cpu_s'] * per:.2f} ms, RQ workers {cpu['rq_workers_s'] * per:.2f} ms, "
              f"gateway {cpu['gateway_s'] * per:.2f} ms, client {cpu['client_cpu_s'] * per:.2f}"
              f" ms; machine busy {cpu['machine_busy_pct']}%")
    ct.print_checks(result.get("checks", []))


def parse_args(argv=None):

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url",
                   default=os.environ.get("BENCH_WEBHOOK_DATABASE_URL", DEFAULT_URL),
                   help="dedicated database (created if missing); its public schema is "
                        "DROPPED (the name must contain bench)")
    p.add_argument("--redis-url",
                   default=os.environ.get("BENCH_WEBHOOK_REDIS_URL", DEFAULT_REDIS),
                   help="a Redis database of its own: FLUSHED at the start and the end")
    p.add_argument("--rate", type=float, default=200, help="messages per second (open loop)")
    p.add_argument("--seconds", type=float, default=30, help="how long the load sends")
    p.add_argument("--max-messages", type=int, default=100_000,
                   help="count bound of the load")
    p.add_argument("--warmup", type=int, default=100,
                   help="messages before the load at --rate, checked but not measured")
    p.add_argument("--redeliver-fraction", type=float, default=0.03,
                   help="messages that repeat an id already answered")
    p.add_argument("--order-commands", choices=("auto", "yes", "no"), default="auto",
                   help="send !order: auto when the app has it")
    p.add_argument("--admin-commands", choices=("auto", "yes", "no"), default="auto",
                   help="admins send !orders / !pending-orders: auto when the app has them "
                        "(without them an admin's message is answered as an unknown command)")
    p.add_argument("--customers", type=int, default=2000, help="customers who send")
    p.add_argument("--orders-per-customer", type=int, default=3)
    p.add_argument("--workers", type=int, default=4, help="gunicorn processes")
    p.add_argument("--threads", type=int, default=2, help="threads per gunicorn process")
    p.add_argument("--rq-workers", type=int, default=2, help="RQ workers sending the outbox")
    p.add_argument("--connections", type=int, default=128,
                   help="most connections open at once (a request waits for a free one)")
    p.add_argument("--request-timeout", type=float, default=30)
    p.add_argument("--drain-timeout", type=float, default=120,
                   help="how long to wait after the load for the last replies")
    p.add_argument("--seed", type=int, default=1, help="seed of the mix")
    p.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    args = p.parse_args(argv)
    args.py_spy = False  # notifications.Workers reads it
    if min(args.customers, args.orders_per_customer, args.workers, args.threads,
           args.rq_workers, args.connections, args.max_messages) < 1 \
            or args.rate <= 0 or args.seconds <= 0 or args.warmup < 0 \
            or not 0 <= args.redeliver_fraction < 1:
        p.error("counts, --rate and --seconds must be positive")
    if args.rate > 2000 or args.seconds > 600:
        p.error("--rate at most 2000/s, --seconds at most 600 (loopback only)")
    benchdb.refuse_unless_bench(args.database_url)
    if benchdb.database_name(args.database_url) in OTHERS_DATABASES:
        p.error(f"{benchdb.database_name(args.database_url)} belongs to another benchmark")
    nt.redis_db(args.redis_url)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for name in (*nt.FOREIGN_SETTINGS, "WHATSAPP_WEBHOOK_TOKEN", "WHATSAPP_APP_SECRET"):
        os.environ.pop(name, None)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = args.results_dir / f"webhook-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()
    print(f"webhook benchmark, {os.cpu_count()} CPUs, load average {load0[0]:.2f}; database "
          f"{benchdb.database_name(args.database_url)}, Redis db {nt.redis_db(args.redis_url)};"
          f" results in {run_dir}", flush=True)
    output = {"started": stamp, "args": {k: str(v) for k, v in vars(args).items()},
              "loadavg_start": load0} | run(args, run_dir)
    output["loadavg_end"] = os.getloadavg()
    print(f"\nload average at start {load0[0]:.2f}, at end {output['loadavg_end'][0]:.2f}")
    report(args, output)
    path = run_dir / "results.json"
    path.write_text(json.dumps(output, indent=2, default=str))
    checks = output.get("checks", [])
    failed = [c for c in checks if not c["pass"]] or ([{}] if not checks else [])
    print(f"\nJSON: {path}\n{len(checks) - len(failed)} checks passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except benchdb.psycopg.OperationalError as error:
        sys.exit(f"database unavailable: {error}")
