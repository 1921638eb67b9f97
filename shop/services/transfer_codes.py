"""Unique transfer codes (kode unik): a bank-transfer order of a store that uses them gets a
code from 1 to 999 added to its total, chosen so that no two of the store's unpaid orders of
the last week share an amount due. The owner then tells the transfers apart in the bank's
statement by their amount alone (services/statements.py matches them).

The code is the store's income, not a discount: the order's total stays what was bought,
and `Order.amount_due` (a generated column, total + code) is what the customer transfers.

Parallel checkouts of one store take a transaction-scoped advisory lock on PostgreSQL before
they look for a free code, and hold it until their commit, so two of them never read the
same free code; SQLite runs one writer at a time anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Numeric, bindparam, text

from ..extensions import db
from ..models import PaymentMethod, UTCDateTime
from .sql import run_pipelined

MAX_CODE = 999
#: Unpaid orders older than this no longer hold their amount: a transfer a week late is
#: matched by hand.
WINDOW = timedelta(days=7)
#: The first key of PostgreSQL's two-key advisory locks taken here (the second is the store).
LOCK_SPACE = 15_001

_LOCK = text("SELECT pg_advisory_xact_lock(:space, :store_id)")
#: The lowest code whose amount no unpaid order of the store's last week has, given to the
#: order in the same statement; NULL (no code) when all 999 are taken.
_ASSIGN = text(f"""
WITH RECURSIVE codes (code) AS (
    SELECT 1 UNION ALL SELECT code + 1 FROM codes WHERE code < {MAX_CODE}
), taken AS (
    SELECT amount_due FROM orders
    WHERE store_id = :store_id AND id <> :order_id AND created_at >= :since
      AND payment_status IN ('PENDING', 'AWAITING_CONFIRMATION')
      AND status NOT IN ('CANCELLED', 'REJECTED')
)
UPDATE orders SET unique_code = (
    SELECT code FROM codes
    WHERE NOT EXISTS (SELECT 1 FROM taken WHERE taken.amount_due = orders.total + codes.code)
    ORDER BY code LIMIT 1
)
WHERE id = :order_id
RETURNING unique_code
""").bindparams(bindparam("since", type_=UTCDateTime))  # noqa: S608 - only MAX_CODE is formatted
#: The same on PostgreSQL in one range scan of the store's amounts due from total + 1 to
#: total + 999 (its index), hashed, instead of one probe per code tried: with many unpaid
#: orders of one total (a popular set menu) the probes cost milliseconds a checkout.
_ASSIGN_PG = text(f"""
UPDATE orders SET unique_code = (
    SELECT min(code) FROM generate_series(1, {MAX_CODE}) AS code
    WHERE code NOT IN (
        SELECT taken.amount_due - :total FROM orders AS taken
        WHERE taken.store_id = :store_id
          AND taken.amount_due BETWEEN :total + 1 AND :total + {MAX_CODE}
          AND taken.id <> :order_id AND taken.created_at >= :since
          AND taken.payment_status IN ('PENDING', 'AWAITING_CONFIRMATION')
          AND taken.status NOT IN ('CANCELLED', 'REJECTED'))
)
WHERE id = :order_id
RETURNING unique_code
""")  # noqa: S608 - only MAX_CODE is formatted
_ASSIGN_PG = _ASSIGN_PG.bindparams(bindparam("since", type_=UTCDateTime),
                                   bindparam("total", type_=Numeric(15, 2)))


def uses_unique_code(store, payment_method: str | None) -> bool:
    """Whether an order of this store paid this way gets a unique code."""
    return bool(getattr(store, "unique_code_enabled", False)) \
        and payment_method == PaymentMethod.BANK_TRANSFER


def unique_code_statements(store, order_id: str, *, now: datetime,
                           total: Decimal) -> list[tuple]:
    """PostgreSQL: the statements of assign_unique_code, for a caller that sends them after
    its own in one round trip (run_pipelined); `code_of` reads the code from their rows."""
    return [(_LOCK, {"space": LOCK_SPACE, "store_id": store.id}),
            (_ASSIGN_PG, {"store_id": store.id, "order_id": order_id, "since": now - WINDOW,
                          "total": total})]


def code_of(rows: list) -> int | None:
    """The code given, from the rows of unique_code_statements (None: every code taken)."""
    _locked, ((code,),) = rows
    return code


def assign_unique_code(store, order_id: str, *, now: datetime,
                       total: Decimal | None = None) -> int | None:
    """Give the store's new order (of this total, when the caller knows it) the lowest free
    code, in the caller's transaction (call it last, right before the commit: on PostgreSQL
    the store's lock is held until then). Returns the code, or None when every code is taken
    by the week's unpaid orders."""
    connection = db.session.connection()
    values = {"store_id": store.id, "order_id": order_id, "since": now - WINDOW}
    if connection.dialect.name != "postgresql":
        return connection.execute(_ASSIGN, values).scalar_one()
    if total is None:
        total = connection.execute(text("SELECT total FROM orders WHERE id = :order_id"),
                                   {"order_id": order_id}).scalar_one()
    # The lock and the search in one round trip: the server runs the search once it holds
    # the lock, with a snapshot taken then, so it sees every code committed before; the
    # checkouts waiting for the store's lock wait a round trip less each.
    return code_of(run_pipelined(
        connection, unique_code_statements(store, order_id, now=now, total=total)))
