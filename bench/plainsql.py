"""The reference: the app's checkout transaction written as plain SQL with psycopg.

The app's order (shop/services/checkout.py): customer upsert, the order with a provisional
number (its own id), 3 items, the event, 2 outbox rows, and last the app's own statement of
shop/services/numbering.py that reserves the stock (product rows locked in id order), takes
the day's counter and numbers the order; one transaction against the app's schema
(shop/models/), driven by N processes (or threads) for a bounded time and count. It measures
what PostgreSQL and the driver can do on this machine, so the app's checkouts/s can be read as
a fraction of it within one run.

The statements follow the tables of shop/models/; if a NOT NULL column is added there, add
it here too.
"""

from __future__ import annotations

import multiprocessing
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import benchdb
import psycopg
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

from shop.models import Channel, Store, new_order_id, new_public_id
from shop.services.numbering import _reserve_and_number_pg, order_counter

UPSERT_CUSTOMER = """
INSERT INTO customers (public_id, store_id, name, phone, email, address, type, status,
    membership_level, points, discount, total_orders, total_purchases, total_spent, last_visit,
    is_active, created_at, updated_at)
VALUES (%(public_id)s, %(store)s, %(name)s, %(phone)s, NULL, %(address)s, 'walk-in', 'active',
    'Bronze', 0, 0, 1, 0, 0, %(now)s, true, %(now)s, %(now)s)
ON CONFLICT (store_id, phone) DO UPDATE SET name = excluded.name, address = excluded.address,
    total_orders = customers.total_orders + 1, last_visit = excluded.last_visit,
    updated_at = excluded.updated_at, is_active = true
WHERE customers.status <> 'blocked'
RETURNING id, total_orders
"""
INSERT_ORDER = """
INSERT INTO orders (id, store_id, number, channel, customer_id, subtotal, discount, shipping_fee,
    total, status, payment_status, payment_method, courier, recipient_name, recipient_phone,
    shipping_address, notes, idempotency_key, stats_applied, created_at, updated_at)
VALUES (%(id)s, %(store)s, %(number)s, 'storefront', %(customer)s, %(total)s, 0, 0, %(total)s,
    'PENDING', 'PENDING', 'bank_transfer', 'JNE Regular', %(name)s, %(phone)s, %(address)s,
    NULL, NULL, false, %(now)s, %(now)s)
"""
INSERT_ITEMS = """
INSERT INTO order_items (order_id, product_id, code, name, unit_price, qty, discount, subtotal)
VALUES (%s, %s, %s, %s, %s, %s, 0, %s), (%s, %s, %s, %s, %s, %s, 0, %s),
       (%s, %s, %s, %s, %s, %s, 0, %s)
"""
#: The same with the units each line holds from stock (order_items.reserved_qty, when the
#: schema has it): every bench line tracks stock, so it equals qty.
INSERT_ITEMS_RESERVED = """
INSERT INTO order_items (order_id, product_id, code, name, unit_price, qty, discount, subtotal,
    reserved_qty)
VALUES (%s, %s, %s, %s, %s, %s, 0, %s, %s), (%s, %s, %s, %s, %s, %s, 0, %s, %s),
       (%s, %s, %s, %s, %s, %s, 0, %s, %s)
"""
INSERT_EVENT = """
INSERT INTO order_events (order_id, kind, from_status, to_status, actor, note, created_at)
VALUES (%s, 'created', NULL, 'PENDING', 'customer', 'Pesanan dibuat dari storefront', %s)
"""
INSERT_OUTBOX = """
INSERT INTO notifications (store_id, order_id, channel, recipient, template, body, status,
    attempts, next_attempt_at, created_at)
VALUES (%(store)s, %(id)s, 'whatsapp', %(phone)s, 'order_confirmation', %(body)s, 'queued', 0,
        %(now)s, %(now)s),
       (%(store)s, %(id)s, 'whatsapp', '6281111111111', 'new_order_admin', %(alert)s, 'queued',
        0, %(now)s, %(now)s)
"""
#: The checkout's lines: INSERT_ITEMS writes 3 rows.
LINES = 3
#: The app's last statement for 3 lines, its very text (compiled for psycopg: %(name)s
#: parameters): lock the products in id order, reserve their stock, take the day's counter
#: only when every line was reserved, and give the order its number. Its result row is
#: (number or NULL, reserved product ids, untracked product ids). The builder is private to
#: numbering.py; the reference takes it rather than a copy that could drift from the app.
RESERVE_AND_NUMBER = str(_reserve_and_number_pg(LINES).compile(dialect=psycopg_dialect()))


class OutOfStock(Exception):
    pass


def columns_of(sql: str) -> tuple[str, set[str]]:
    """The table and the columns an INSERT statement gives."""
    match = re.search(r"INSERT INTO (\w+) \(([^)]*)\)", sql)
    return match.group(1), {c.strip() for c in match.group(2).split(",")}


def statements_for(conn: psycopg.Connection) -> dict[str, str]:
    """The INSERTs matching the current schema. Raises SystemExit when one would leave a NOT
    NULL column empty (the app's schema grew: add the column here)."""
    has_reserved = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public'"
        " AND table_name = 'order_items' AND column_name = 'reserved_qty'").fetchone()
    chosen = {"customer": UPSERT_CUSTOMER, "order": INSERT_ORDER,
              "items": INSERT_ITEMS_RESERVED if has_reserved else INSERT_ITEMS,
              "event": INSERT_EVENT, "outbox": INSERT_OUTBOX}
    for sql in chosen.values():
        table, given = columns_of(sql)
        missing = benchdb.uncovered_columns(conn, table, given)
        if missing:
            raise SystemExit(f"bench/plainsql.py: {table}.{missing} are NOT NULL now; add them "
                             "to the reference's INSERT")
    return chosen | {"reserve_and_number": RESERVE_AND_NUMBER}


def bench_store(conn: psycopg.Connection, store_id: int) -> Store:
    """The store as numbering.order_counter() reads it (its id and time zone), not in a
    session."""
    (timezone,) = conn.execute("SELECT timezone FROM stores WHERE id = %s",
                               (store_id,)).fetchone()
    return Store(id=store_id, timezone=timezone)


def counter_params(store: Store, now: datetime) -> dict:
    """The counter a storefront order placed `now` takes and its number's format, by the
    app's rule (numbering.order_counter): RESERVE_AND_NUMBER's name, period, prefix, width."""
    name, period, prefix, width = order_counter(store, Channel.STOREFRONT, now)
    return {"name": name, "period": period, "prefix": prefix, "width": width}


def checkout(conn: psycopg.Connection, sql: dict[str, str], store: Store, phone: str,
             lines: list[tuple[int, str, str, Decimal, int]]) -> tuple[str, str]:
    """One checkout transaction in the app's order; lines are (product id, code, name, price,
    qty) of distinct products. Raises OutOfStock (rolled back) when a line lacks stock."""
    now = datetime.now(UTC)
    order_id = new_order_id()
    total = sum(price * qty for _, _, _, price, qty in lines)
    # As the app: the order carries its own id as number until the last statement numbers it,
    # and the messages are written before the number exists (the app renders it at sending).
    params = {"store": store.id, "name": "Pembeli Bench", "phone": phone, "now": now,
              "address": "Jl. Benchmark No. 1, Jakarta", "id": order_id, "number": order_id,
              "total": total, "public_id": new_public_id("cu"),
              "body": f"Pesanan total {total} - lacak: /track/{order_id}",
              "alert": f"Pesanan baru dari {phone}"}
    reserve = counter_params(store, now) | {"now": now, "lines": len(lines), "order_id": order_id}
    for n, (pid, _, _, _, qty) in enumerate(lines):
        reserve[f"p{n}"], reserve[f"q{n}"] = pid, qty
    with conn.transaction(), conn.cursor() as cur:
        params["customer"] = cur.execute(sql["customer"], params).fetchone()[0]
        cur.execute(sql["order"], params)
        reserved = sql["items"] is INSERT_ITEMS_RESERVED
        values: list = []
        for pid, code, name, price, qty in lines:
            values += [order_id, pid, code, name, price, qty, price * qty]
            values += [qty] if reserved else []
        cur.execute(sql["items"], values)
        cur.execute(sql["event"], (order_id, now))
        cur.execute(sql["outbox"], params)
        # Last, as the app: the rows every checkout wants (stock, the day's counter) are
        # held for this statement and the commit only.
        number, taken, _ = cur.execute(sql["reserve_and_number"], reserve).fetchone()
        if number is None:
            raise OutOfStock([pid for pid, *_ in lines if pid not in taken])
    return order_id, number


def worker(args: tuple) -> dict:
    """One client: its own connection, checkouts until the deadline or its quota."""
    url, store_id, products, scarce, worker_id, deadline, quota, seed = args
    rng = random.Random(seed)
    result = {"ok": 0, "out_of_stock": 0, "errors": {}, "latencies": [], "orders": [],
              "qty": {}, "phones": set()}
    used: list[str] = []
    with psycopg.connect(url, connect_timeout=10,
                         options="-c statement_timeout=30s") as conn:
        sql = statements_for(conn)
        store = bench_store(conn, store_id)
        conn.commit()
        result["start"] = time.monotonic()
        for n in range(quota):
            if time.monotonic() >= deadline:
                break
            chosen = [(pid, code, name, price, rng.randint(1, 3))
                      for pid, code, name, price in products]
            if scarce and rng.random() < 0.03:
                pid, code, name, price = scarce
                chosen[rng.randrange(3)] = (pid, code, name, price, rng.randint(1, 2))
            if used and rng.random() < 0.2:
                phone = rng.choice(used)
            else:
                phone = f"6281{worker_id:04d}{n:06d}"
                used.append(phone)
            t0 = time.perf_counter()
            try:
                order_id, number = checkout(conn, sql, store, phone, chosen)
            except OutOfStock:
                result["out_of_stock"] += 1
                continue
            except psycopg.Error as error:
                key = type(error).__name__
                result["errors"][key] = result["errors"].get(key, 0) + 1
                continue
            finally:
                result["latencies"].append(time.perf_counter() - t0)
            result["ok"] += 1
            result["orders"].append((order_id, number))
            result["phones"].add(phone)
            for _, code, _, _, qty in chosen:
                result["qty"][code] = result["qty"].get(code, 0) + qty
        result["end"] = time.monotonic()
    return result


def run(url: str, store_id: int, products: list[tuple[int, str, str, Decimal]],
        scarce: tuple[int, str, str, Decimal] | None, *, clients: int, seconds: float,
        max_transactions: int, mode: str = "processes", seed: int = 1) -> dict:
    """Drive the plain-SQL checkout from `clients` processes or threads; merged results."""
    with psycopg.connect(url, connect_timeout=10) as conn:
        statements_for(conn)  # fail early, in this process, if the schema grew
    deadline = time.monotonic() + seconds
    quota = max(1, max_transactions // clients)
    jobs = [(url, store_id, products, scarce, i, deadline, quota, seed * 1000 + i)
            for i in range(clients)]
    if mode == "processes":
        # Closed and joined, not terminated (Pool.__exit__): terminate() was seen to hang
        # for good joining a worker that had already exited.
        pool = multiprocessing.get_context("fork").Pool(clients)
        try:
            parts = pool.map(worker, jobs, chunksize=1)
        finally:
            pool.close()
            pool.join()
    else:
        with ThreadPoolExecutor(clients, thread_name_prefix="plainsql") as pool:
            parts = list(pool.map(worker, jobs))
    # From the first client's start to the last one's end: pool start-up is not measured.
    elapsed = max(p["end"] for p in parts) - min(p["start"] for p in parts)
    merged: dict = {"ok": 0, "out_of_stock": 0, "errors": {}, "latencies": [], "orders": [],
                    "qty": {}, "phones": set(), "elapsed": elapsed, "clients": clients,
                    "mode": mode}
    for part in parts:
        merged["ok"] += part["ok"]
        merged["out_of_stock"] += part["out_of_stock"]
        merged["latencies"] += part["latencies"]
        merged["orders"] += part["orders"]
        merged["phones"] |= part["phones"]
        for key, count in part["errors"].items():
            merged["errors"][key] = merged["errors"].get(key, 0) + count
        for code, qty in part["qty"].items():
            merged["qty"][code] = merged["qty"].get(code, 0) + qty
    return merged
