"""Back-office pages on a big shop: 200,000 orders and 50,000 customers on PostgreSQL.

Builds the bench database (schema dropped and rebuilt: its name must contain "bench"), adds
the bulk rows with set-based SQL, then renders each page 20 times (after 2 warm-ups) through
the app in this process, signed in as a super admin and as an admin of one store, and prints
p50 / p95 / max and the SQL statements of one render of each page. A benchmark, not a test:
nothing is asserted but that every page answers 200.

    python bench/admin_pages.py                       # 200,000 orders, 50,000 customers
    python bench/admin_pages.py --orders 20000 --customers 5000 --requests 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchdb  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench"
GOAL_MS = 300.0
#: A throwaway password of the bench admins, on a database rebuilt every run.
PASSWORD = "bench-" + os.urandom(8).hex()

BULK_CUSTOMERS = """
INSERT INTO customers (public_id, store_id, name, phone, email, address, city, province,
    type, status, membership_level, points, discount, total_orders, total_purchases,
    total_spent, is_active, created_at, updated_at)
SELECT 'cb' || lpad(to_hex(n), 25, '0'), %(store)s,
       (ARRAY['Budi','Siti','Agus','Dewi','Rina','Andi','Putri','Joko'])[1 + n %% 8] || ' '
         || (ARRAY['Santoso','Wijaya','Pratama','Lestari','Hidayat','Kusuma'])[1 + n %% 6]
         || ' ' || n,
       '62857' || lpad(n::text, 8, '0'),
       CASE WHEN n %% 3 = 0 THEN 'bulk' || n || '@contoh.id' END,
       'Jl. Bench No. ' || n, 'Jakarta', 'DKI Jakarta',
       (ARRAY['walk-in','member','vip'])[1 + (n %% 10 = 0)::int + (n %% 50 = 0)::int],
       CASE WHEN n %% 40 = 0 THEN 'inactive' ELSE 'active' END,
       (ARRAY['Bronze','Silver','Gold','Platinum'])[1 + (n %% 7 = 0)::int + (n %% 21 = 0)::int
         + (n %% 63 = 0)::int],
       n %% 500, 5, 4, n %% 4, (n %% 97) * 25000, true,
       now() - (n %% 400) * interval '1 day', now()
FROM generate_series(1, %(count)s) AS n
"""
BULK_ORDERS = """
INSERT INTO orders (id, store_id, number, channel, customer_id, subtotal, discount,
    shipping_fee, total, status, payment_status, payment_method, courier, recipient_name,
    recipient_phone, shipping_address, notes, admin_notes, idempotency_key, stats_applied,
    created_at, updated_at)
SELECT 'cb' || lpad(to_hex(n), 24, '0'), %(store)s, 'ORD-BENCH-' || lpad(n::text, 7, '0'),
       (ARRAY['storefront','storefront','storefront','whatsapp','admin','bot'])[1 + n %% 6],
       c.id, 65000, 0, 0, 65000,
       (ARRAY['PENDING','CONFIRMED','PROCESSING','SHIPPED','DELIVERED','COMPLETED',
              'COMPLETED','COMPLETED','CANCELLED','REJECTED'])[1 + n %% 10],
       (ARRAY['PENDING','PAID','PAID','PENDING','PAID'])[1 + n %% 5],
       'bank_transfer', 'JNE Regular', c.name, c.phone, c.address, NULL, NULL, NULL, false,
       now() - (n %% 365) * interval '1 day' - (n %% 1440) * interval '1 minute', now()
FROM generate_series(1, %(count)s) AS n
JOIN customers c ON c.public_id = 'cb' || lpad(to_hex(1 + n %% %(customers)s), 25, '0')
"""
BULK_ITEMS = """
INSERT INTO order_items (order_id, product_id, code, name, unit_price, qty, discount,
    subtotal, reserved_qty)
SELECT o.id, p.id, p.code, p.name, 25000, 2, 0, 50000, 0
FROM orders o JOIN products p ON p.store_id = o.store_id AND p.code = 'BRG-CHEESE'
WHERE o.number LIKE 'ORD-BENCH-%%'
UNION ALL
SELECT o.id, p.id, p.code, p.name, 15000, 1, 0, 15000, 0
FROM orders o JOIN products p ON p.store_id = o.store_id AND p.code = 'FRIES'
WHERE o.number LIKE 'ORD-BENCH-%%'
"""
BULK_EVENTS = """
INSERT INTO order_events (order_id, kind, from_status, to_status, actor, note, data, created_at)
SELECT id, 'created', NULL, 'PENDING', 'customer', 'Pesanan dibuat dari storefront', NULL,
       created_at
FROM orders WHERE number LIKE 'ORD-BENCH-%%'
"""


def build(url: str, orders: int, customers: int) -> None:
    """Fresh schema, the demo store, then the bulk customers, orders, items and events."""
    started = time.monotonic()
    benchdb.prepare(url)
    with benchdb.connect(url) as conn:
        store = conn.execute("SELECT id FROM stores WHERE slug = 'burgerchina'").fetchone()[0]
        conn.execute(BULK_CUSTOMERS, {"store": store, "count": customers})
        conn.execute(BULK_ORDERS, {"store": store, "count": orders, "customers": customers})
        conn.execute(BULK_ITEMS)
        conn.execute(BULK_EVENTS)
        conn.commit()
    with benchdb.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                  for t in ("orders", "order_items", "order_events", "customers")}
    print(f"built in {time.monotonic() - started:.0f} s: {counts}")


def pages(client) -> dict[str, str]:
    """The pages to time, with a phone and a customer taken from the data."""
    from sqlalchemy import select

    from shop.extensions import db
    from shop.models import Customer

    with client.application.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.phone.like("62857%"))
                                     .order_by(Customer.id.desc()).limit(1))
    local = "0" + customer.phone[2:]
    return {
        "order list": "/admin/order/",
        "order list, filtered": "/admin/order/?status=COMPLETED&payment_status=PAID",
        "order search by phone": f"/admin/order/?search={local}",
        "customer list": "/admin/customer/",
        "customer detail": f"/admin/customer/details/?id={customer.id}",
        "dashboard": "/admin/",
    }


def time_pages(url: str, requests: int) -> list[dict]:
    """Render every page `requests` times per role; statements counted on one render."""
    os.environ.update(benchdb.app_env(url))
    from sqlalchemy import event

    from shop import create_app
    from shop.extensions import db
    from shop.services.admin_users import save_admin, stores_by_slug

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        save_admin("bench-boss@bench.test", password=PASSWORD, role="super_admin",
                   stores=[])
        save_admin("bench-kasir@bench.test", password=PASSWORD, role="admin",
                   stores=stores_by_slug(["burgerchina"]))
        db.session.commit()
        engine = db.engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    results = []
    for role, email in (("super_admin", "bench-boss@bench.test"),
                        ("admin", "bench-kasir@bench.test")):
        client = app.test_client()
        answer = client.post("/admin/login", data={"email": email, "password": PASSWORD})
        if answer.status_code != 302:
            raise SystemExit(f"login as {email} failed: {answer.status_code}")
        for name, path in pages(client).items():
            for _ in range(2):
                client.get(path)
            statements.clear()
            check = client.get(path)
            if check.status_code != 200:
                raise SystemExit(f"{path} answered {check.status_code}")
            count = len(statements)
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            results.append({"role": role, "page": name, "path": path, "statements": count,
                            "p50": statistics.median(times),
                            "p95": times[max(0, round(0.95 * len(times)) - 1)],
                            "max": times[-1]})
    return results


def report(results: list[dict]) -> None:
    print(f"\n{'role':<12} {'page':<24} {'SQL':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  goal")
    for r in results:
        verdict = "ok" if r["p95"] < GOAL_MS else f"OVER {GOAL_MS:.0f} ms"
        print(f"{r['role']:<12} {r['page']:<24} {r['statements']:>4} {r['p50']:>8.1f} "
              f"{r['p95']:>8.1f} {r['max']:>8.1f}  {verdict}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 DEFAULT_URL))
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--skip-build", action="store_true",
                        help="reuse the database of the previous run")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 200 or not 1 <= args.orders <= 1_000_000:
        parser.error("--requests 1..200, --orders 1..1,000,000")
    if not args.skip_build:
        build(args.database_url, args.orders, args.customers)
    report(time_pages(args.database_url, args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
