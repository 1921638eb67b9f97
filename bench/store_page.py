"""The store page (issue 14, item 1) with today's 8 products and with 200 products with
photos, under gunicorn on PostgreSQL, in one run.

Rebuilds the bench database (its `public` schema dropped: the name must contain "bench";
created when missing), runs `db upgrade` and `seed-demo` (burgerchina: the demo's 8 products,
each with a drawn photo), then adds a store `bench200` with 200 products in 8 categories, each
with a photo drawn with Pillow and stored by the upload service. Counts the SQL statements of
one page of each store (the app in this process, SQLAlchemy's cursor events), then starts
gunicorn on 127.0.0.1 and, for each store, sends GET /store/<slug> from `--clients` keep-alive
clients: a warm-up, then a window bounded by `--seconds` and `--max-requests`; `--rounds`
windows per store, the stores alternating. Prints pages/s,
p50/p99, statements per page, bytes per page, app and PostgreSQL CPU per page, and the ratio
200/8. A benchmark, not a test: it exits 1 only when a page is not a 200 with the store's
product cards, or on a client error.

    python bench/store_page.py                          # 2 x 10 s per store, 16 clients
    python bench/store_page.py --seconds 3 --clients 8  # a short run
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import benchdb
import checkout_tracking as ct
import loadgen
import procstats

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench_store"
SMALL, BIG = "burgerchina", "bench200"
#: The code of the store page as it was before the catalog (text cards, no photos, no
#: search): "today's" page of issue 14, served from `git archive` of this commit.
BEFORE_CATALOG = "9410ac4"
#: The measured pages: (label, store, server), the server "before" or "now".
PAGES = (("8 products, before", SMALL, "before"), ("8 products", SMALL, "now"),
         (f"{200} products", BIG, "now"))
BIG_COUNT = 200
CATEGORIES = ("Kaos", "Kemeja", "Celana", "Jaket", "Topi", "Tas", "Sepatu", "Aksesoris")
CARD = b'<article class="card product"'


def ensure_database(url: str) -> None:
    """Create the bench database if it does not exist yet."""
    benchdb.refuse_unless_bench(url)
    parts = urlsplit(benchdb.plain_url(url))
    name = benchdb.database_name(url)
    with benchdb.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build_database(url: str) -> None:
    """Fresh schema, migrations, seed-demo (8 products with photos)."""
    ensure_database(url)
    with benchdb.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    benchdb.flask(url, "db", "upgrade")
    benchdb.flask(url, "seed-demo", timeout=300)


def drawn_photo(name: str, rng: random.Random):
    """An 800 x 800 JPEG: a colour and the product's name, as an upload would arrive."""
    from PIL import Image, ImageDraw
    from werkzeug.datastructures import FileStorage

    image = Image.new("RGB", (800, 800), tuple(rng.randrange(40, 220) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 320, 740, 480), fill=(255, 255, 255))
    draw.text((400, 400), name, fill=(30, 30, 30), anchor="mm", font_size=56)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    out.seek(0)
    return FileStorage(out, filename="foto.jpg", content_type="image/jpeg")


def build_app():
    """The app in this process, on the bench database (env from benchdb.app_env)."""
    import logging

    from shop import create_app

    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    logging.getLogger().setLevel(logging.WARNING)
    return app


def add_big_store(app, count: int) -> None:
    """A store of `count` products in 8 categories, each with one photo (upload service)."""
    from shop.extensions import db
    from shop.models import Product, Store
    from shop.services.catalog import add_photos

    rng = random.Random(200)
    started = time.monotonic()
    with app.app_context():
        store = Store(slug=BIG, name="Toko Bench 200", whatsapp="6281200000000",
                      timezone="Asia/Jakarta", couriers=["JNE Regular"],
                      bank_accounts=[{"bank": "BCA", "number": "1", "holder": "Bench"}])
        db.session.add(store)
        db.session.flush()
        for n in range(count):
            category = CATEGORIES[n % len(CATEGORIES)]
            product = Product(
                store_id=store.id, code=f"B{n:03}", name=f"{category} Model {n:03}",
                category=category, price=Decimal(25000 + 1000 * (n % 50)),
                description=f"{category} nomor {n}, bahan pilihan.",
                stock=None if n % 3 else n % 20, attributes={"Ukuran": "M", "Warna": "Hitam"})
            db.session.add(product)
            db.session.flush()
            add_photos(product, [drawn_photo(product.name, rng)])
        db.session.commit()
    print(f"added {BIG}: {count} products with photos in {time.monotonic() - started:.0f} s",
          flush=True)


def count_statements(app) -> dict[str, dict]:
    """Statements of one store page of each store (after a warm-up), and its size."""
    from sqlalchemy import event

    from shop.extensions import db

    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *args: seen.append(statement))
    client = app.test_client()
    result = {}
    for slug in (SMALL, BIG):
        client.get(f"/store/{slug}")
        seen.clear()
        page = client.get(f"/store/{slug}")
        if page.status_code != 200 or CARD not in page.data:
            raise SystemExit(f"/store/{slug} answered {page.status_code}")
        result[slug] = {"statements": len(seen), "cards": page.data.count(CARD),
                        "bytes": len(page.data),
                        "sequence": [" ".join(s.split())[:90] for s in seen]}
    return result


class StorePages:
    """GET /store/<slug>: a 200 with the product cards, or an error label."""

    def __init__(self, port: int, slug: str):
        self.raw = loadgen.build_request("GET", f"{ct.HOST}:{port}", f"/store/{slug}")

    def make_request(self, client_id: int) -> tuple[bytes, None]:
        return self.raw, None

    def on_response(self, client_id: int, context, status: int, body: bytes) -> str | None:
        if status != 200:
            return f"store page answered {status}"
        if CARD not in body:
            return "store page without product cards"
        return None


def export_before(run_dir: Path) -> Path:
    """The project as of BEFORE_CATALOG, unpacked from git (read-only for the repository)."""
    target = run_dir / "before"
    target.mkdir()
    archive = subprocess.run(["git", "archive", BEFORE_CATALOG], cwd=ROOT, check=True,
                             capture_output=True, timeout=120).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True, timeout=120)
    return target


def load(args, server: ct.Gunicorn, meter: procstats.CpuMeter, slug: str
         ) -> tuple[loadgen.PhaseStats, dict]:
    """Warm-up, then the measured window: its stats and the CPU spent in it."""
    pages = StorePages(server.port, slug)
    asyncio.run(loadgen.run_phase(
        f"warm-up {slug}", host=ct.HOST, port=server.port, clients=args.clients,
        seconds=args.seconds, max_requests=args.warmup, make_request=pages.make_request,
        on_response=pages.on_response, request_timeout=args.request_timeout))
    samples = []
    stats = asyncio.run(loadgen.run_phase(
        slug, host=ct.HOST, port=server.port, clients=args.clients, seconds=args.seconds,
        max_requests=args.max_requests, make_request=pages.make_request,
        on_response=pages.on_response, request_timeout=args.request_timeout,
        ramp_up=args.ramp_up, on_window_start=lambda: samples.append(meter.sample())))
    cpu = procstats.CpuMeter.delta(samples[0], meter.sample(), stats.elapsed)
    print(f"  {slug}: {stats.requests} pages in {stats.elapsed:.1f} s, "
          f"machine {cpu['machine_busy_pct']} % busy", flush=True)
    return stats, cpu


def combined(runs: list[tuple[loadgen.PhaseStats, dict]]) -> dict:
    """The rounds of one store as one window: pages/s, latency, CPU per page."""
    total = loadgen.PhaseStats(runs[0][0].name)
    for stats, _ in runs:
        total.requests += stats.requests
        total.elapsed += stats.elapsed
        total.latencies += stats.latencies
        total.statuses.update(stats.statuses)
        total.errors.update(stats.errors)
    summary = total.summary()
    summary["rounds_per_second"] = [round(s.requests / s.elapsed, 1) if s.elapsed else 0.0
                                    for s, _ in runs]
    if total.requests:
        for key in ("app", "db"):
            spent = sum(cpu[f"{key}_cpu_s"] for _, cpu in runs)
            summary[f"{key}_cpu_ms_per_page"] = round(1000 * spent / total.requests, 2)
    summary["machine_busy_pct"] = [cpu["machine_busy_pct"] for _, cpu in runs]
    return summary


def report(result: dict) -> bool:
    """Print the table; True when every page was a good one."""
    sql, phases = result["sql"], result["phases"]
    print(f"\n{'page':<20} {'SQL':>4} {'pages/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'app ms':>7} "
          f"{'pg ms':>6}  errors  pages/s per round")
    ok = True
    for label, slug, name in PAGES:
        if label not in phases:
            continue
        p = phases[label]
        count = sql[slug]["statements"] if name == "now" else "-"
        lat = p["latency_ms"]
        bad = sum(p["errors"].values()) + sum(v for k, v in p["statuses"].items()
                                              if k != "200")
        ok = ok and not bad and p["requests"] > 0
        print(f"{label:<20} {count:>4} {p['per_second']:>8.1f} {lat['p50']:>7} {lat['p99']:>7} "
              f"{p.get('app_cpu_ms_per_page', '-'):>7} {p.get('db_cpu_ms_per_page', '-'):>6}"
              f"  {bad or '-':>6}  {p['rounds_per_second']}")
    for slug in (SMALL, BIG):
        print(f"{slug}: {sql[slug]['cards']} cards, {sql[slug]['bytes'] / 1024:.1f} KB, "
              f"{sql[slug]['statements']} statements: {sql[slug]['sequence']}")
    big = phases[PAGES[2][0]]
    for label, _, _ in PAGES[:2]:
        if label in phases:
            small = phases[label]
            rate = big["per_second"] / small["per_second"] if small["per_second"] else 0.0
            cpu = (small.get("app_cpu_ms_per_page", 0)
                   / (big.get("app_cpu_ms_per_page") or 1))
            print(f"200 products / {label}: pages/s {rate:.2f}x, app CPU per page {cpu:.2f}x "
                  "(issue 14: pages/s at least 1.0x)")
    print(f"statements per page: {sql[BIG]['statements']} for {BIG_COUNT} products, "
          f"{sql[SMALL]['statements']} for 8 (bounded: equal)")
    return ok


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_STORE_DATABASE_URL",
                                                                 DEFAULT_URL))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--ramp-up", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--request-timeout", type=float, default=30.0)
    parser.add_argument("--no-before", action="store_true",
                        help=f"skip the store page as of {BEFORE_CATALOG} (before the catalog)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="windows per store, the stores alternating")
    args = parser.parse_args(argv)
    if not (0.5 <= args.seconds <= 120 and 1 <= args.clients <= 128
            and 1 <= args.max_requests <= 200_000 and 0 <= args.warmup <= 10_000
            and 1 <= args.rounds <= 10):
        parser.error("--seconds 0.5..120, --clients 1..128, --max-requests 1..200,000, "
                     "--warmup 0..10,000, --rounds 1..10")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    run_dir = ROOT / "bench" / "results" / f"store-page-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    run_dir.mkdir(parents=True)
    # Photos and the embedded ERP of seed-demo stay in this run's folder, never the
    # instance folder another run (or the developer's app) uses.
    os.environ.update(benchdb.app_env(
        args.database_url, UPLOAD_FOLDER=str(run_dir / "uploads"),
        LEGACY_DATABASE_URL=f"sqlite:///{run_dir / 'legacy.db'}"))
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    build_database(args.database_url)
    app = build_app()
    add_big_store(app, BIG_COUNT)
    result: dict = {"sql": count_statements(app), "phases": {}}
    with app.app_context():
        from shop.extensions import db

        db.engine.dispose()
    servers = {"now": ct.Gunicorn(args.database_url, "balanced", args.workers, args.threads,
                                  run_dir / "gunicorn.log")}
    if not args.no_before:
        before = ct.Gunicorn(args.database_url, "gthread", args.workers, args.threads,
                             run_dir / "gunicorn-before.log")
        before.cmd[-1:-1] = ["--chdir", str(export_before(run_dir))]
        servers["before"] = before
    pages = [page for page in PAGES if page[2] in servers]
    meters = {}
    try:
        for name, server in servers.items():
            server.start()
            meters[name] = procstats.CpuMeter(benchdb.plain_url(args.database_url),
                                              benchdb.database_name(args.database_url),
                                              server.proc.pid)
        runs: dict[str, list] = {label: [] for label, _, _ in pages}
        for _ in range(args.rounds):  # alternated, so a drift of the machine hits all
            for label, slug, name in pages:
                runs[label].append(load(args, servers[name], meters[name], slug))
        result["phases"] = {label: combined(found) for label, found in runs.items()}
    finally:
        for server in servers.values():
            server.stop()
        for meter in meters.values():
            meter.close()
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    (run_dir / "results.json").write_text(json.dumps(result, indent=2))
    ok = report(result)
    print(f"results: {run_dir / 'results.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
