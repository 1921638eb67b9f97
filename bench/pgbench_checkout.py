"""The physical checkout reference: plainsql.py's transaction run by pgbench, prepared statements.

    python bench/pgbench_checkout.py --seconds 10               # 32 clients, one thread a core
    python bench/pgbench_checkout.py --clients 8 --seconds 5

The script is generated at run time, from plainsql.py's own statements (rendered by psycopg,
with pgbench variables where plainsql binds per-checkout values), into the results directory,
in the app's order between BEGIN and COMMIT: customer upsert, the order with its id as a
provisional number, 3 items, the event, 2 outbox rows, and last the app's reserve-and-number
statement (shop/services/numbering.py: stock of the 3 products locked in id order, the day's
counter, the order's number); 80 % new phone numbers and 20 % a phone the same client used
before; quantities 1-3. The scarce product is left out: the 3 bench products have 10,000,000
units, so the reserve step never refuses; if it did, the order would keep its provisional
number and no stock, and the database checks would FAIL. pgbench runs with `-n -M prepared
-T`, a per-transaction log (p50/p99) and `-r`; afterwards the database must hold exactly the
orders pgbench counted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import benchdb
import loadgen
import plainsql
import procstats
import psycopg
from psycopg.adapt import Dumper

from shop.models import Store

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench_pgbench"
PGBENCH = "/usr/bin/pgbench"
#: plainsql.py's phones, 6281 + client (4 digits) + its n-th new phone (6 digits).
PHONE_BASE = 62_810_000_000_000
#: plainsql.py's checkout() gives these.
CUSTOMER = {"name": "Pembeli Bench", "address": "Jl. Benchmark No. 1, Jakarta"}
#: The random numbers (bits) an id is made of, drawn by pgbench (`\set`) for each checkout.
ID_BITS = (52, 48)


def random_id_sql(prefix: str, var: str) -> str:
    """new_public_id(prefix)'s format, `prefix` + 25 base-36 characters, as SQL of the pgbench
    variables `var`1 and `var`2: hex is a subset of base 36 (100 random bits instead of 129).
    Made of variables, not gen_random_uuid(), so it is one value wherever it is written: the
    order's id is also its provisional number, as in the app."""
    return " || ".join([f"'{prefix}'"] + [
        f"lpad(to_hex(CAST(:{var}{n} AS bigint)), {bits // 4}, '0')"
        for n, bits in enumerate(ID_BITS, 1)])


def random_id_vars(var: str) -> list[str]:
    """The pgbench commands drawing random_id_sql's variables."""
    return [f"\\set {var}{n} random(0, {2 ** bits - 1})" for n, bits in enumerate(ID_BITS, 1)]


class Raw(str):
    """SQL put into a rendered statement as it is: a pgbench variable or an expression."""


class _RawDumper(Dumper):
    def dump(self, obj: Raw) -> bytes:
        return obj.encode()

    def quote(self, obj: Raw) -> bytes:
        return obj.encode()


def render(conn: psycopg.Connection, sql: str, params: dict | list | tuple) -> str:
    """A psycopg statement with its values written in (constants quoted, Raw as it is)."""
    cur = psycopg.ClientCursor(conn)
    cur.adapters.register_dumper(Raw, _RawDumper)
    return cur.mogrify(sql, params).strip()


def statements(conn: psycopg.Connection, store: Store,
               lines: list[tuple[int, str, str, Decimal, str]], now: datetime) -> list[str]:
    """plainsql's checkout as pgbench commands; lines are (product id, code, name, price,
    quantity variable). Raises SystemExit when a NOT NULL column would stay empty."""
    sql = plainsql.statements_for(conn)
    total = Raw("(" + " + ".join(f":{var} * {price}" for *_, price, var in lines) + ")")
    order_id = Raw(random_id_sql("c", "o"))
    params = {**CUSTOMER, "store": store.id, "phone": Raw(":phone"), "now": Raw("now()"),
              "public_id": Raw(random_id_sql("cu", "u")), "id": order_id, "number": order_id,
              "customer": Raw(":customer_id"), "total": total,
              "body": Raw(f"'Pesanan total ' || {total} || ' - lacak: /track/' || {order_id}"),
              "alert": Raw("'Pesanan baru dari ' || :phone")}
    reserve = plainsql.counter_params(store, now) | {
        "now": Raw("now()"), "lines": len(lines), "order_id": order_id}
    for n, (pid, *_, var) in enumerate(lines):
        reserve[f"p{n}"], reserve[f"q{n}"] = pid, Raw(f":{var}")
    values: list = []
    for pid, code, name, price, var in lines:
        qty = Raw(f":{var}")
        values += [order_id, pid, code, name, price, qty, Raw(f"(:{var} * {price})")]
        values += [qty] if sql["items"] is plainsql.INSERT_ITEMS_RESERVED else []
    return [render(conn, sql["customer"], params) + " \\gset customer_",
            render(conn, sql["order"], params) + ";",
            render(conn, sql["items"], values) + ";",
            render(conn, sql["event"], (order_id, Raw("now()"))) + ";",
            render(conn, sql["outbox"], params) + ";",
            render(conn, sql["reserve_and_number"], reserve) + ";"]


def build_script(conn: psycopg.Connection, seeded: benchdb.Seeded, now: datetime,
                 repeat_percent: int) -> str:
    """The whole pgbench script: a phone, 3 quantities and the ids' random numbers, then the
    transaction (numbered on the store's day of `now`)."""
    lines = [(seeded.products[code], code, name, Decimal(price), f"q{n}")
             for n, (code, name, price, _) in enumerate(benchdb.BENCH_PRODUCTS, 1)]
    phone = f"{PHONE_BASE} + :client_id * 1000000"
    head = [
        "-- Generated by bench/pgbench_checkout.py from bench/plainsql.py's statements.",
        "-- Needs -D n=0 (n: new phones this client used).",
        f"\\if :n > 0 and random(1, 100) <= {repeat_percent}",
        f"\\set phone {phone} + random(1, :n)",
        "\\else", "\\set n :n + 1", f"\\set phone {phone} + :n", "\\endif",
        *(f"\\set {var} random(1, 3)" for *_, var in lines),
        *random_id_vars("o"), *random_id_vars("u"),
    ]
    body = statements(conn, plainsql.bench_store(conn, seeded.store_id), lines, now)
    return "\n".join([*head, "BEGIN;", *body, "COMMIT;"]) + "\n"


def run_pgbench(cmd: list[str], run_dir: Path, timeout: float) -> tuple[int, str, str, float]:
    """Run pgbench to its end (killed after `timeout` s): exit code, output, errors, its CPU
    seconds (all threads, from wait4's rusage)."""
    out_path, err_path = run_dir / "pgbench.out", run_dir / "pgbench.err"
    env = dict(os.environ, PGOPTIONS="-c statement_timeout=30s", PGAPPNAME="pgbench_checkout")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            deadline = float("inf")
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (proc.returncode, out_path.read_text(errors="replace"),
            err_path.read_text(errors="replace"), usage.ru_utime + usage.ru_stime)


def parse_summary(out: str) -> dict:
    """pgbench's summary: transactions, failures, tps, latency, the per-statement table."""
    def number(pattern: str) -> float | None:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else None

    table = out.partition("statement latencies in milliseconds")[2].splitlines()[1:]
    rows = [re.match(r"\s+([\d.]+)\s+(\d+)\s+(.*)", line) for line in table]
    return {"committed": int(number(r"actually processed: (\d+)") or 0),
            "failed": int(number(r"number of failed transactions: (\d+)") or 0),
            "per_second": round(number(r"tps = ([\d.]+) \(without initial") or 0.0, 1),
            "latency_avg_ms": number(r"latency average = ([\d.]+) ms"),
            "initial_connection_ms": number(r"initial connection time = ([\d.]+) ms"),
            "statements_ms": [(float(m.group(1)), m.group(3).strip()) for m in rows
                              if m and not m.group(3).startswith("\\")]}


def read_log(prefix: Path) -> tuple[list[float], int]:
    """Latencies in seconds, sorted, of the logged transactions, and how many failed."""
    latencies, failed = [], 0
    for path in prefix.parent.glob(prefix.name + ".*"):
        for line in path.read_text().splitlines():
            field = line.split()[2]
            if field.isdigit():
                latencies.append(int(field) / 1e6)
            else:
                failed += 1
    return sorted(latencies), failed


class BackendCpu:
    """CPU of the database's backends, sampled in a thread: pgbench's connections come and go
    with it, so a sample before and one after would see none of them. A backend counts from
    zero (its start-up included) to its last sample (at most `interval` of its end lost)."""

    def __init__(self, url: str, interval: float = 0.1):
        self.url, self.interval = url, interval
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="backend-cpu", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        with benchdb.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                for pid in procstats.backend_pids(conn, benchdb.database_name(self.url)):
                    cpu = procstats.process_cpu(pid)
                    if cpu is not None:
                        self.last[pid] = cpu

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(15)
        return sum(self.last.values())


def check_database(url: str, seeded: benchdb.Seeded, before: benchdb.Snapshot,
                   started: datetime, committed: int) -> list[tuple[str, bool, str]]:
    """The database against pgbench's count: (check, passed, detail) rows."""
    after = benchdb.snapshot(url)
    with benchdb.connect(url) as conn:
        orders, unnumbered, incomplete, phones = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE number = id), count(*) FILTER (WHERE"
            " (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) <> 3"
            " OR (SELECT count(*) FROM order_events e WHERE e.order_id = o.id) <> 1"
            " OR (SELECT count(*) FROM notifications n WHERE n.order_id = o.id) <> 2),"
            " count(DISTINCT recipient_phone) FROM orders o WHERE created_at >= %s",
            (started,)).fetchone()
        dupes = conn.execute(
            "SELECT count(*) - count(DISTINCT (store_id, number)) FROM orders").fetchone()[0]
        ordered = dict(conn.execute(
            "SELECT i.code, sum(i.qty) FROM order_items i JOIN orders o ON o.id = i.order_id"
            " WHERE o.created_at >= %s GROUP BY i.code", (started,)).fetchall())
    new_orders = after.orders - before.orders
    wrong = [f"{code}: {before.stock[code] - stock} consumed, {ordered.get(code, 0)} ordered"
             for code, stock in after.stock.items()
             if before.stock.get(code, stock) - stock != ordered.get(code, 0)]
    new_customers = after.customers - before.customers
    counted = after.total_orders - before.total_orders
    return [
        ("orders in DB == transactions pgbench reports", new_orders == orders == committed,
         f"{new_orders} new orders, {committed} transactions"),
        ("order numbers unique", dupes == 0, f"{dupes} duplicate numbers"),
        ("every order numbered from the counter (all its lines reserved)", unnumbered == 0,
         f"{unnumbered} of {orders} orders kept their provisional number"),
        ("stock consumed == sum of ordered quantities (DB)", not wrong,
         "; ".join(wrong[:3]) or f"{sum(ordered.values())} units over {len(ordered)} codes"),
        ("every order has 3 items, 1 event, 2 outbox rows", incomplete == 0,
         f"{incomplete} of {orders} orders incomplete"),
        ("one customer per phone", new_customers == phones,
         f"{new_customers} new customers, {phones} distinct phones "
         f"({100 - 100 * new_customers / max(committed, 1):.1f} % repeated checkouts)"),
        ("customers' total_orders counts every order", counted == committed,
         f"+{counted} total_orders, {committed} orders"),
    ]


def run(url: str, run_dir: Path, *, clients: int, seconds: int, threads: int | None = None,
        repeat_percent: int = 20, seed: int = 1) -> dict:
    """Rebuild the bench database, run the checkout with pgbench, check; the summary."""
    run_dir.mkdir(parents=True, exist_ok=True)
    seeded = benchdb.prepare(url)
    script = run_dir / "pgbench_checkout.sql"
    with benchdb.connect(url) as conn:
        script.write_text(build_script(conn, seeded, datetime.now(UTC), repeat_percent))
        started = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    before = benchdb.snapshot(url)
    threads = threads or min(clients, os.cpu_count() or 1)
    log = run_dir / "pgbench_log"
    cmd = [PGBENCH, "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads),
           "-T", str(seconds), "-P", "1", "-r", "-l", f"--log-prefix={log}",
           f"--random-seed={seed}", "-D", "n=0", "-f", str(script), benchdb.plain_url(url)]
    print(f"  {' '.join(cmd)}", flush=True)
    code, out, err, cpu = measure(cmd, url, run_dir, seconds)
    summary = parse_summary(out)
    latencies, log_failed = read_log(log)
    committed = summary["committed"]
    checks = check_database(url, seeded, before, started, committed)
    aborted = [line for line in err.splitlines() if "aborted" in line or "ERROR" in line]
    checks += [
        ("pgbench: exit 0, no aborted client, no failed transaction",
         code == 0 and not aborted and summary["failed"] == 0 and not log_failed,
         "; ".join(aborted[:2]) or f"exit {code}, {summary['failed']} failed"),
        ("per-transaction log == transactions reported", len(latencies) == committed,
         f"{len(latencies)} logged, {committed} reported"),
    ]
    for key in ("db", "pgbench"):
        cpu[f"{key}_cpu_ms_per_transaction"] = (round(1000 * cpu[f"{key}_cpu_s"] / committed, 3)
                                                if committed else None)
    return summary | latency_summary(latencies) | {
        "clients": clients, "threads": threads, "seconds": seconds, "query_mode": "prepared",
        "command": " ".join(cmd), "script": str(script), "exit_code": code, "cpu": cpu,
        "machine_busy_pct": cpu.pop("machine_busy_pct"),
        "progress_tps": [float(v) for v in re.findall(r"progress: [\d.]+ s, ([\d.]+) tps", err)],
        "checks": [{"check": n, "pass": ok, "detail": d} for n, ok, d in checks],
    }


def measure(cmd: list[str], url: str, run_dir: Path, seconds: int) -> tuple[int, str, str, dict]:
    """pgbench's exit code, output and errors, and the CPU it and the backends spent."""
    backends = BackendCpu(benchdb.plain_url(url))
    busy0 = procstats.machine_cpu()
    backends.start()
    code, out, err, pgbench_cpu = run_pgbench(cmd, run_dir, timeout=seconds + 60)
    db_cpu = backends.stop()
    busy1 = procstats.machine_cpu()
    return code, out, err, {
        "db_cpu_s": round(db_cpu, 3), "pgbench_cpu_s": round(pgbench_cpu, 3),
        "machine_busy_pct": round(100 * (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]), 1)}


def latency_summary(latencies: list[float]) -> dict:
    """Percentiles (ms) and the average of the logged transactions' latencies (sorted, s)."""
    return {"latency_ms": {"p50": loadgen.pct(latencies, 50), "p90": loadgen.pct(latencies, 90),
                           "p99": loadgen.pct(latencies, 99),
                           "max": round(latencies[-1] * 1000, 1) if latencies else None},
            "log_latency_avg_ms": round(1000 * sum(latencies) / len(latencies), 2)
            if latencies else None}


def report(res: dict) -> None:
    """Print one pgbench run: rate, latency, CPU per transaction, checks."""
    lat, cpu = res["latency_ms"], res["cpu"]
    print(f"\n-- reference: pgbench checkout transaction, {res['clients']} clients, "
          f"{res['threads']} threads, -M {res['query_mode']}, -T {res['seconds']} --")
    print(f"  {res['per_second']}/s committed (tps without connection time; "
          f"{res['committed']} transactions, {res['failed']} failed), pgbench's latency "
          f"average {res['latency_avg_ms']} ms")
    print(f"  per-transaction log: p50 {lat['p50']} ms, p90 {lat['p90']} ms, p99 {lat['p99']} "
          f"ms, max {lat['max']} ms (average {res['log_latency_avg_ms']} ms)")
    print(f"  CPU per transaction: postgres {cpu['db_cpu_ms_per_transaction']} ms, pgbench "
          f"{cpu['pgbench_cpu_ms_per_transaction']} ms; machine busy {res['machine_busy_pct']}%")
    slowest = sorted(res["statements_ms"], reverse=True)[:4]
    print("  slowest statements (-r, ms): "
          + "; ".join(f"{ms} {sql[:48]}" for ms, sql in slowest))
    for row in res["checks"]:
        print(f"  {'PASS' if row['pass'] else 'FAIL'}  {row['check']}: {row['detail']}")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url",
                   default=os.environ.get("BENCH_PGBENCH_DATABASE_URL", DEFAULT_URL),
                   help="dedicated database; its public schema is DROPPED (name must say bench)")
    p.add_argument("--clients", type=int, default=32, help="pgbench clients (-c)")
    p.add_argument("--threads", type=int, default=0, help="pgbench threads (-j); 0: one a core")
    p.add_argument("--seconds", type=int, default=10, help="pgbench's -T")
    p.add_argument("--repeat-percent", type=int, default=20,
                   help="checkouts with a phone the same client used before")
    p.add_argument("--seed", type=int, default=1, help="pgbench's --random-seed")
    p.add_argument("--results-dir", type=Path, default=benchdb.ROOT / "bench" / "results")
    args = p.parse_args(argv)
    if not 1 <= args.clients <= 9999 or args.seconds < 1 or args.threads < 0:
        p.error("--clients must be 1-9999 (phone numbers), --seconds >= 1, --threads >= 0")
    benchdb.refuse_unless_bench(args.database_url)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    run_dir = args.results_dir / ("pgbench-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    print(f"pgbench checkout reference, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}; database {benchdb.database_name(args.database_url)}; "
          f"results in {run_dir}", flush=True)
    result = run(args.database_url, run_dir, clients=args.clients, seconds=args.seconds,
                 threads=args.threads, repeat_percent=args.repeat_percent, seed=args.seed)
    report(result)
    (run_dir / "results.json").write_text(json.dumps(result, indent=2, default=str))
    failed = [c for c in result["checks"] if not c["pass"]]
    print(f"\nJSON: {run_dir / 'results.json'}\n{len(result['checks']) - len(failed)} checks "
          f"passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except psycopg.OperationalError as error:
        sys.exit(f"database unavailable: {error}")
