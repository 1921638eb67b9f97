"""The tracking page against "a one-row read rendered by Flask + Jinja", measured in one run.

    python bench/tracking_page.py                       # 2 rounds x 10 s per side, 32 clients
    python bench/tracking_page.py --seconds 8 --rounds 3

Issue 16's goal for GET /track/<order id>: at 32 clients, at least 1.0x the pages/s of the
reference (`reference_app.py`: one SELECT joined with the store, a small Jinja page), with p99
< 100 ms, both under gunicorn with 4 workers x 2 threads on PostgreSQL (rate limits off; the
app with the README's worker, shop/gunicorn_worker.py, the reference with gunicorn's gthread).
Rebuilds the bench database (created if missing, `public` schema dropped), places `--orders`
orders through the app's JSON checkout under gunicorn, starts the reference on another loopback
port against the same database, then alternates the two (ABBA: reference and app, app and
reference, ...) for `--rounds` rounds: per window a warm-up on fresh connections, a ramp-up,
then `--seconds` bounded by `--max-requests`, the same random order ids on both sides. Prints
pages/s, p50/p90/p99, CPU per page (gunicorn's processes and PostgreSQL's backends, from
/proc), the app/reference ratio per round and overall, and the goal line. A benchmark, not a
test: exits 1 only when an answer check fails (a page not a 200 holding its order's number, an
unknown id not a 404, a failed checkout, a connection error).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import benchdb
import checkout_tracking as ct
import notifications
import procstats
import store_page

ROOT = benchdb.ROOT
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench_track"
GOAL = {"ratio": 1.0, "p99_ms": 100}
#: An id of the page's format that no order has.
UNKNOWN_ID = "c" + "0" * 25
SIDES = ("reference", "app")


def app_env(url: str) -> dict[str, str]:
    """The shop's environment: no Redis, the order's messages logged inside the checkout."""
    env = benchdb.app_env(url)
    for name in notifications.FOREIGN_SETTINGS:
        env.pop(name, None)
    env["WHATSAPP_PROVIDER"] = "log"
    return env


def place_orders(args, server: ct.Gunicorn, run_dir: Path) -> tuple[list, dict]:
    """`--orders` JSON checkouts (3 lines, 20 % repeated phones, half with an email)."""
    mix = SimpleNamespace(seed=args.seed, repeat_fraction=0.2, email_fraction=0.5,
                          key_fraction=0.0, replay_fraction=0.0, scarce_fraction=0.0)
    checkouts = ct.Checkouts(mix, server.port, benchdb.Expected(), run_dir.name)
    stats = ct.run_load(args, "checkouts", server.port, checkouts, args.orders, 120)
    summary = stats.summary()
    print(f"placed {len(checkouts.created)} orders in {stats.elapsed:.1f} s "
          f"({summary['per_second']} checkouts/s)", flush=True)
    return checkouts.created, summary


def get(port: int, path: str, timeout: float) -> tuple[int, bytes]:
    """One GET on a connection of its own."""
    conn = http.client.HTTPConnection(ct.HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def probe(servers: dict[str, ct.Gunicorn], order: tuple[str, str],
          timeout: float) -> tuple[list, dict]:
    """Each side: one order's page is a 200 holding its number, an unknown id a 404."""
    checks, sizes = [], {}
    for side, server in servers.items():
        status, body = get(server.port, f"/track/{order[0]}", timeout)
        sizes[side] = len(body)
        checks.append((f"{side}: an order's page is a 200 holding its number",
                       status == 200 and order[1].encode() in body,
                       f"{status}, {len(body)} bytes"))
        status, _ = get(server.port, f"/track/{UNKNOWN_ID}", timeout)
        checks.append((f"{side}: an unknown id is a 404", status == 404, str(status)))
    return checks, sizes


def window(args, side: str, n: int, server: ct.Gunicorn, meter: procstats.CpuMeter,
           orders: list, run_dir: Path) -> dict:
    """A warm-up on fresh connections, then the measured window of one side."""
    ids = SimpleNamespace(seed=args.seed * 1000 + n)  # both sides of a round: the same ids
    warm = ct.run_load(args, f"warm-up {side}", server.port,
                       ct.TrackingReads(ids, server.port, orders, close=True),
                       args.warmup, args.seconds) if args.warmup else None
    stats, cpu, profile = ct.measured(args, f"{side}-round{n}", server, meter,
                                      ct.TrackingReads(ids, server.port, orders),
                                      run_dir, side)
    return {"side": side, "round": n, "stats": stats, "cpu": cpu, "profile": profile,
            "warmup": warm.summary() if warm else None}


def run_rounds(args, servers: dict, meters: dict, orders: list, run_dir: Path) -> list:
    """The sides alternate ABBA, so a drift of the machine weighs on both alike."""
    windows = []
    for n in range(1, args.rounds + 1):
        for side in (SIDES if n % 2 else SIDES[::-1]):
            windows.append(window(args, side, n, servers[side], meters[side], orders, run_dir))
    return windows


def side_summary(windows: list[dict], side: str) -> dict:
    """One side's windows as one: pages/s, latency, CPU per page (store_page.combined)."""
    mine = [w for w in windows if w["side"] == side]
    summary = store_page.combined([(w["stats"], w["cpu"]) for w in mine])
    pages = summary["requests"]
    if pages:
        client = sum(w["stats"].client_cpu for w in mine)
        summary["client_cpu_ms_per_page"] = round(1000 * client / pages, 2)
    return summary


def ratios(windows: list[dict], overall: dict) -> dict:
    """app/reference pages/s per round and over all rounds."""
    rate = {(w["side"], w["round"]): w["stats"].summary()["per_second"] for w in windows}
    rounds = sorted({w["round"] for w in windows})
    per_round = [round(rate["app", n] / rate["reference", n], 2) if rate["reference", n]
                 else None for n in rounds]
    ref, app = overall["reference"]["per_second"], overall["app"]["per_second"]
    return {"per_round": per_round, "overall": round(app / ref, 2) if ref else None}


def answer_checks(setup: dict, orders: list, windows: list[dict]) -> list[tuple]:
    """Every answer the clients got was the one expected."""
    rows = [("checkouts: every one a 201", not setup["errors"] and orders
             and setup["statuses"] == {"201": setup["requests"]},
             f"{len(orders)} orders, statuses {setup['statuses']}, errors {setup['errors']}")]
    for w in windows:
        for name, summary in (("warm-up", w["warmup"]), ("window", w["stats"].summary())):
            if summary is None:
                continue
            codes = Counter(summary["statuses"]) + Counter(summary["ramp_up_statuses"])
            bad = {k: v for k, v in codes.items() if k != "200"}
            rows.append((f"round {w['round']} {w['side']} {name}: every page a 200 holding "
                         "its order's number", not summary["errors"] and not bad,
                         "; ".join(f"{k} x{v}" for k, v in list(summary["errors"].items())[:4])
                         or (f"statuses {bad}" if bad else f"{sum(codes.values())} pages")))
    return rows


def report(windows: list[dict], overall: dict, ratio: dict, sizes: dict, args) -> None:
    print(f"\n-- tracking page vs Flask + Jinja one-row read: {args.clients} clients, gunicorn "
          f"{args.workers}x{args.threads}, {args.rounds} rounds x {args.seconds} s --")
    print(f"{'round':<8}{'side':<11}{'pages/s':>8}{'p50':>7}{'p90':>7}{'p99':>7}{'max':>7}"
          f"{'app ms':>8}{'pg ms':>7}{'client':>7}{'busy %':>7}")
    for w in windows:
        s, cpu = w["stats"].summary(), w["cpu"]
        lat = s["latency_ms"]
        print(f"{w['round']:<8}{w['side']:<11}{s['per_second']:>8}{lat['p50']:>7}{lat['p90']:>7}"
              f"{lat['p99']:>7}{lat['max']:>7}{cpu.get('app_cpu_ms_per_request', '-'):>8}"
              f"{cpu.get('db_cpu_ms_per_request', '-'):>7}"
              f"{cpu.get('client_cpu_ms_per_request', '-'):>7}{cpu['machine_busy_pct']:>7}")
    for side in SIDES:
        s = overall[side]
        lat = s["latency_ms"]
        print(f"{'all':<8}{side:<11}{s['per_second']:>8}{lat['p50']:>7}{lat['p90']:>7}"
              f"{lat['p99']:>7}{lat['max']:>7}{s.get('app_cpu_ms_per_page', '-'):>8}"
              f"{s.get('db_cpu_ms_per_page', '-'):>7}{s.get('client_cpu_ms_per_page', '-'):>7}")
    print("(latency in ms; CPU in ms per page: gunicorn's master and workers, PostgreSQL's "
          "backends of the database, the load client)")
    print(f"page size: reference {sizes['reference']} bytes, app {sizes['app']} bytes")
    print(f"app/reference pages/s: per round {ratio['per_round']}, overall {ratio['overall']}x")
    app, ref = overall["app"], overall["reference"]
    if ref.get("app_cpu_ms_per_page") and ref.get("db_cpu_ms_per_page"):
        print(f"app/reference CPU per page: gunicorn "
              f"{ct.ratio(app['app_cpu_ms_per_page'], ref['app_cpu_ms_per_page'])}, PostgreSQL "
              f"{ct.ratio(app['db_cpu_ms_per_page'], ref['db_cpu_ms_per_page'])}")
    print(f"issue 16 goal >= {GOAL['ratio']}x the reference ({ref['per_second']}/s) with p99 < "
          f"{GOAL['p99_ms']} ms: app {app['per_second']}/s, p99 {app['latency_ms']['p99']} ms: "
          + ct.target_text(app["per_second"], app["latency_ms"]["p99"],
                           GOAL["ratio"] * ref["per_second"], GOAL["p99_ms"]))
    print(f"the reference against issue 2's fixed ~{ct.REFERENCE['row_and_template_pages_per_s']}"
          f" pages/s: {ct.ratio(ref['per_second'], ct.REFERENCE['row_and_template_pages_per_s'])}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url",
                   default=os.environ.get("BENCH_TRACK_DATABASE_URL", DEFAULT_URL),
                   help="its public schema is DROPPED (the name must contain 'bench')")
    p.add_argument("--clients", type=int, default=32, help="keep-alive clients per window")
    p.add_argument("--seconds", type=float, default=10.0, help="time bound of each window")
    p.add_argument("--max-requests", type=int, default=50_000, help="count bound of a window")
    p.add_argument("--rounds", type=int, default=2, help="windows per side, alternating")
    p.add_argument("--warmup", type=int, default=200,
                   help="pages before each window on fresh connections, checked, not measured")
    p.add_argument("--ramp-up", type=float, default=1.0,
                   help="clients started one by one over this many seconds before a window")
    p.add_argument("--orders", type=int, default=300, help="orders placed before the windows")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers of each side")
    p.add_argument("--threads", type=int, default=2, help="gthread threads per worker")
    p.add_argument("--request-timeout", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=1, help="seed of the checkouts and the ids")
    p.add_argument("--py-spy", action="store_true", help="profile each window (py-spy on PATH)")
    p.set_defaults(py_spy_rate=100)
    args = p.parse_args(argv)
    if not (1 <= args.clients <= 256 and 0.5 <= args.seconds <= 120
            and 1 <= args.max_requests <= 500_000 and 1 <= args.rounds <= 10
            and 0 <= args.warmup <= 10_000 and 1 <= args.orders <= 20_000):
        p.error("--clients 1..256, --seconds 0.5..120, --max-requests 1..500,000, "
                "--rounds 1..10, --warmup 0..10,000, --orders 1..20,000")
    benchdb.refuse_unless_bench(args.database_url)
    return args


def serve(args, run_dir: Path) -> dict:
    """Place the orders, start the reference, run the rounds; both servers always stopped."""
    url = args.database_url
    servers: dict[str, ct.Gunicorn] = {}
    meters: dict[str, procstats.CpuMeter] = {}
    try:
        servers["app"] = ct.Gunicorn(url, "balanced", args.workers, args.threads,
                                     run_dir / "gunicorn-app.log")
        servers["app"].env = app_env(url)
        servers["app"].start()
        orders, setup = place_orders(args, servers["app"], run_dir)
        ref = ct.Gunicorn(url, "gthread", args.workers, args.threads,
                          run_dir / "gunicorn-reference.log")
        ref.cmd[-1:] = ["--chdir", str(ROOT / "bench"), "reference_app:app"]
        servers["reference"] = ref
        ref.start()
        for side, server in servers.items():
            meters[side] = procstats.CpuMeter(benchdb.plain_url(url),
                                              benchdb.database_name(url), server.proc.pid)
        checks, sizes = probe(servers, orders[0], args.request_timeout) if orders else ([], {})
        windows = run_rounds(args, servers, meters, orders, run_dir) if orders else []
    finally:
        for server in servers.values():
            server.stop()
        for meter in meters.values():
            meter.close()
    checks += answer_checks(setup, orders, windows)
    return {"orders": len(orders), "setup": setup, "windows": windows, "sizes": sizes,
            "checks": [(name, bool(ok), detail) for name, ok, detail in checks]}


def main(argv=None) -> int:
    args = parse_args(argv)
    # A plain `kill` of the benchmark still runs the finally block that stops both servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run_dir = ROOT / "bench" / "results" / f"tracking-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    run_dir.mkdir(parents=True)
    # seed-demo's photos and embedded ERP stay in this run's folder, not the instance folder.
    os.environ.update(benchdb.app_env(
        args.database_url, UPLOAD_FOLDER=str(run_dir / "uploads"),
        LEGACY_DATABASE_URL=f"sqlite:///{run_dir / 'legacy.db'}"))
    start_load = os.getloadavg()[0]
    print(f"tracking page benchmark, {os.cpu_count()} CPUs, load average {start_load:.2f}; "
          f"database {benchdb.database_name(args.database_url)}; results in {run_dir}",
          flush=True)
    store_page.ensure_database(args.database_url)
    benchdb.prepare(args.database_url)
    run = serve(args, run_dir)
    end_load = os.getloadavg()[0]
    print(f"load average at start {start_load:.2f}, at end {end_load:.2f}")
    if run["windows"]:
        overall = {side: side_summary(run["windows"], side) for side in SIDES}
        ratio = ratios(run["windows"], overall)
        report(run["windows"], overall, ratio, run["sizes"], args)
    else:
        overall, ratio = {}, {}
    for name, ok, detail in run["checks"]:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    output = {"args": vars(args), "loadavg": [start_load, end_load], "goal": GOAL,
              "orders": run["orders"], "setup_checkouts": run["setup"],
              "page_bytes": run["sizes"], "overall": overall, "ratio": ratio,
              "windows": [{"side": w["side"], "round": w["round"],
                           "summary": w["stats"].summary(), "cpu": w["cpu"],
                           "warmup": w["warmup"], "profile": w["profile"]}
                          for w in run["windows"]],
              "checks": [{"check": n, "pass": ok, "detail": d} for n, ok, d in run["checks"]]}
    (run_dir / "results.json").write_text(json.dumps(output, indent=2, default=str))
    failed = [c for c in run["checks"] if not c[1]]
    print(f"{len(run['checks']) - len(failed)} answer checks passed, {len(failed)} failed; "
          f"results: {run_dir / 'results.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except benchdb.psycopg.OperationalError as error:
        sys.exit(f"database unavailable: {error}")
