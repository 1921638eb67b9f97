"""The benchmark database: rebuilt from scratch each run, seeded, and checked afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
STORE_SLUG = "burgerchina"
#: code, name, price, stock: three products every checkout line uses, one scarce product.
BIG_STOCK = 10_000_000
BENCH_PRODUCTS = [
    ("BENCH-A", "Bench Burger A", "21000.00", BIG_STOCK),
    ("BENCH-B", "Bench Fries B", "13000.00", BIG_STOCK),
    ("BENCH-C", "Bench Cola C", "7000.00", BIG_STOCK),
]
SCARCE_STOCK = 50
SCARCE_PRODUCT = ("BENCH-SCARCE", "Bench Sundae (limited)", "12000.00", SCARCE_STOCK)


def plain_url(url: str) -> str:
    """A libpq URL (psycopg) from a SQLAlchemy-style one."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    """A connection whose waits are bounded: connecting, and every statement (locks too)."""
    return psycopg.connect(plain_url(url), autocommit=autocommit, connect_timeout=10,
                           options="-c statement_timeout=120s")


def uncovered_columns(conn: psycopg.Connection, table: str, given: set[str]) -> list[str]:
    """NOT NULL columns without a default that an INSERT giving `given` would leave empty.
    Generated columns (orders.amount_due) have no default but take no value: not counted."""
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL"
        " AND is_generated = 'NEVER'",
        (table,)).fetchall()
    return sorted(name for (name,) in rows if name not in given)


def database_name(url: str) -> str:
    return urlsplit(plain_url(url)).path.lstrip("/")


def refuse_unless_bench(url: str) -> None:
    """The schema is dropped every run: only touch a database whose name says 'bench'."""
    name = database_name(url)
    if "bench" not in name:
        raise SystemExit(f"refusing to drop the schema of {name!r}: its name must contain 'bench'")


def app_env(url: str, **extra: str) -> dict[str, str]:
    """The environment the app (flask commands, gunicorn) runs with."""
    env = dict(os.environ)
    env.pop("SQL_ECHO", None)
    env.update({
        "DATABASE_URL": plain_url(url), "RATELIMIT_ENABLED": "false",
        "SHOP_ENV": "development", "PYTHONUNBUFFERED": "1",
    })
    env.setdefault("SECRET_KEY", "bench-" + os.urandom(16).hex())
    env.update(extra)
    return env


def flask(url: str, *args: str, timeout: float = 120) -> str:
    """Run `python -m flask --app wsgi ...` in the project; return its output. Raises on error."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=app_env(url),
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Seeded:
    """What the fresh database holds before any load."""

    store_id: int
    products: dict[str, int]  # code -> id
    stock: dict[int, int] = field(default_factory=dict)  # product id -> stock at seed time


def prepare(url: str) -> Seeded:
    """Drop and rebuild the schema, migrate, seed the demo store, add the bench products."""
    refuse_unless_bench(url)
    with connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    flask(url, "db", "upgrade")
    flask(url, "seed-demo")
    with connect(url) as conn:
        store_id = conn.execute("SELECT id FROM stores WHERE slug = %s",
                                (STORE_SLUG,)).fetchone()[0]
        missing = uncovered_columns(conn, "products", {
            "store_id", "code", "name", "description", "category", "price", "attributes",
            "stock", "low_stock_threshold", "is_active", "created_at", "updated_at"})
        if missing:
            raise SystemExit(f"bench/benchdb.py: products.{missing} are NOT NULL now; add them "
                             "to the bench products' INSERT")
        for code, name, price, stock in [*BENCH_PRODUCTS, SCARCE_PRODUCT]:
            conn.execute(
                "INSERT INTO products (store_id, code, name, description, category, price,"
                " attributes, stock, low_stock_threshold, is_active, created_at, updated_at)"
                " VALUES (%s, %s, %s, 'benchmark product', 'Bench', %s, '{}', %s, 5, true,"
                " now(), now())",
                (store_id, code, name, price, stock),
            )
        conn.execute("ANALYZE")
        rows = conn.execute("SELECT id, code, stock FROM products WHERE store_id = %s",
                            (store_id,)).fetchall()
    return Seeded(store_id, {code: pid for pid, code, _ in rows},
                  {pid: stock for pid, _, stock in rows if stock is not None})


@dataclass
class Snapshot:
    """Counts and stock right before the load (after any set-up checkouts)."""

    orders: int
    customers: int
    total_orders: int
    stock: dict[str, int]  # code -> stock


def snapshot(url: str) -> Snapshot:
    with connect(url) as conn:
        orders = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        customers, total = conn.execute(
            "SELECT count(*), coalesce(sum(total_orders), 0) FROM customers").fetchone()
        stock = dict(conn.execute(
            "SELECT code, stock FROM products WHERE stock IS NOT NULL").fetchall())
    return Snapshot(orders, customers, int(total), stock)


@dataclass
class Expected:
    """What the clients saw succeed: the database must agree."""

    created_ids: set[str] = field(default_factory=set)
    created_numbers: list[str] = field(default_factory=list)
    phones: set[str] = field(default_factory=set)  # normalized, of created orders
    qty_by_code: dict[str, int] = field(default_factory=dict)

    def add(self, order_id: str, number: str, phone: str, lines: list[tuple[str, int]]) -> None:
        self.created_ids.add(order_id)
        self.created_numbers.append(number)
        self.phones.add(phone)
        for code, qty in lines:
            self.qty_by_code[code] = self.qty_by_code.get(code, 0) + qty


def check(url: str, seeded: Seeded, before: Snapshot, expected: Expected,
          created_responses: int) -> list[tuple[str, bool, str]]:
    """Compare the database with what the clients saw: (check, passed, detail) rows."""
    results: list[tuple[str, bool, str]] = []

    def add(name: str, ok: bool, detail: str) -> None:
        results.append((name, bool(ok), detail))

    after = snapshot(url)
    with connect(url) as conn:
        new_orders = after.orders - before.orders
        add("orders in DB == successful checkouts", new_orders == created_responses,
            f"{new_orders} new orders, {created_responses} created responses")
        ids = list(expected.created_ids)
        found = conn.execute("SELECT count(*) FROM orders WHERE id = ANY(%s)",
                             (ids,)).fetchone()[0]
        add("every created order id is in DB", found == len(ids) == created_responses,
            f"{found} of {len(ids)} ids found")
        dupes = conn.execute(
            "SELECT count(*) - count(DISTINCT (store_id, number)) FROM orders").fetchone()[0]
        client_dupes = len(expected.created_numbers) - len(set(expected.created_numbers))
        add("order numbers unique", dupes == 0 and client_dupes == 0,
            f"{dupes} duplicate numbers in DB, {client_dupes} among responses")
        negative = conn.execute("SELECT count(*) FROM products WHERE stock < 0").fetchone()[0]
        add("no product stock negative", negative == 0, f"{negative} products below zero")
        rows = conn.execute(
            "SELECT p.id, p.code, p.stock, coalesce(sum(i.qty), 0) FROM products p"
            " LEFT JOIN order_items i ON i.product_id = p.id"
            " WHERE p.stock IS NOT NULL GROUP BY p.id, p.code, p.stock").fetchall()
        wrong = [f"{code}: seeded {seeded.stock.get(pid)} - now {stock} != ordered {ordered}"
                 for pid, code, stock, ordered in rows
                 if seeded.stock.get(pid, stock) - stock != ordered]
        add("stock consumed == sum of ordered quantities (DB)", not wrong,
            "; ".join(wrong[:3]) or f"{len(rows)} stocked products consistent")
        by_code = {code: before.stock.get(code, stock) - stock for _, code, stock, _ in rows}
        codes = set(expected.qty_by_code) | {code for code, used in by_code.items() if used}
        client_wrong = [f"{code}: clients {expected.qty_by_code.get(code, 0)}, DB "
                        f"{by_code.get(code)}" for code in sorted(codes)
                        if by_code.get(code) != expected.qty_by_code.get(code, 0)]
        add("stock consumed == quantities of successful checkouts (clients)", not client_wrong,
            "; ".join(client_wrong[:3])
            or f"{sum(expected.qty_by_code.values())} units over {len(expected.qty_by_code)} codes")
        new_customers = after.customers - before.customers
        add("one customer per phone", new_customers == len(expected.phones),
            f"{new_customers} new customers, {len(expected.phones)} distinct phones")
        counted = after.total_orders - before.total_orders
        add("customers' total_orders counts every order", counted == created_responses,
            f"+{counted} total_orders, {created_responses} orders")
    return results
