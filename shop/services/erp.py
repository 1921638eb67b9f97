"""The legacy ERP (`data_part`, seed 004; its tables in shop.models.legacy under the bind
"legacy"): an approved B2B order written as a sales order (SO) exactly once in effect, and
the ERP's stock and parts copied into the distributor's catalog.

The two databases cannot commit together, so the submission is three transactions (DESIGN.md,
"Legacy submission"): the SO number is reserved on the order, the SO is written into `tblso`
and `tblso_detail`, then the order is marked submitted and the shop told. A run stopped
anywhere is repeated from the start and finds what the earlier one did: the number on the
order, the SO under that number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..extensions import db
from ..models import (
    LegacyPart,
    LegacySalesOrder,
    LegacySalesOrderLine,
    LegacyState,
    LegacyStock,
    Order,
    OrderStatus,
    Product,
    Store,
    UTCDateTime,
)
from ..unit_of_work import commit
from .numbering import next_legacy_so_number

log = logging.getLogger(__name__)
ORDERS = Order.__table__
#: `jenis_so` of an SO whose every item is in category OIL, and of any other.
OIL_CATEGORY = "OIL"
JENIS_OIL, JENIS_OTHER = "Oli Regular", "Other"
#: `status_approve_reject` of a new SO: the ERP's own approval comes next.
WAITING_FOR_APPROVAL = "Waiting For Approval"
#: Orders a submission job works on; any other state means there is nothing (left) to do.
TO_SUBMIT = (LegacyState.QUEUED, LegacyState.FAILED)
#: Statuses in which an order is no longer sent (cancelled between approval and the job).
NOT_SENT_STATUSES = (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED)
#: Waits before the automatic retries when the ERP's database fails (down, timeout); an
#: order the ERP cannot take as it is (ids missing) waits for a person instead.
RETRY_WAITS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
#: An order queued this long without its job finishing (Redis down at the approval, a
#: worker killed) is queued again by resubmit_stalled_orders.
STALLED_AFTER = timedelta(minutes=15)


class SubmissionRefused(Exception):
    """The order cannot be written as an SO as it is (a shop or part without its legacy
    id): someone fixes the data and retries."""


@dataclass(frozen=True)
class SalesOrder:
    """What `tblso` and `tblso_detail` get for an order (the number aside)."""

    header: dict
    lines: list[dict]


def submit_to_erp(order_id: str, *, attempt: int = 1) -> LegacyState | None:
    """The job of an approved order: write it into the ERP as an SO, exactly once in effect,
    then mark it submitted and tell the shop. A failure is kept on the order (`failed`,
    `legacy_error`); the ERP's database failing is retried after RETRY_WAITS. Commits (a
    job's boundary, three times). Returns the order's legacy state."""
    order = db.session.get(Order, order_id)
    if order is None or order.legacy_state not in TO_SUBMIT:
        return order.legacy_state if order is not None else None
    try:
        if order.ref_so_number is None:
            sales_order(order)  # refuse before a number is taken, so none is left unused
            reserve_so_number(order)
            commit()
        so_id = write_sales_order(order)
        commit()
    except SubmissionRefused as error:
        db.session.rollback()
        return _failed(order_id, str(error), attempt=None)
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("legacy submission of %s failed (attempt %d): %s", order_id, attempt, error)
        return _failed(order_id, f"Database ERP gagal: {_short(error)}", attempt=attempt)
    finish_submission(order, so_id)
    commit()
    return LegacyState.SUBMITTED


def sales_order(order: Order) -> SalesOrder:
    """The order as the ERP's SO header and detail rows. Raises SubmissionRefused (also
    for an order cancelled since its approval)."""
    if order.status in NOT_SENT_STATUSES:
        raise SubmissionRefused(f"Order sudah {order.status.value}: tidak dikirim ke ERP.")
    products = {p.id: p for p in db.session.scalars(select(Product).where(
        Product.id.in_([i.product_id for i in order.items if i.product_id is not None])))}
    missing = _missing_links(order, products)
    if missing:
        raise SubmissionRefused("Tidak bisa dikirim ke ERP, belum ada: " + "; ".join(missing)
                                + ".")
    shop = order.shop
    oil_only = all(products[i.product_id].category == OIL_CATEGORY for i in order.items)
    header = {
        "jenis_so": JENIS_OIL if oil_only else JENIS_OTHER, "tgl_so": store_today(order),
        "fk_salesman": shop.salesman.ref_salesman_id, "fk_toko": shop.ref_toko_id,
        "grand_total": order.total, "status_approve_reject": WAITING_FOR_APPROVAL,
    }
    lines = [{"fk_part": products[i.product_id].ref_part_id, "harga": i.unit_price,
              "qty_so": i.qty, "total_harga": i.subtotal, "qty_sisa": i.qty}
             for i in order.items]
    return SalesOrder(header, lines)


def _missing_links(order: Order, products: dict[int, Product]) -> list[str]:
    """What the order lacks to be an SO: the legacy ids of its shop, salesman and parts."""
    shop, missing = order.shop, []
    if shop is None or shop.ref_toko_id is None:
        missing.append("ID toko di ERP (ref_toko_id)")
    if shop is not None and (shop.salesman is None or shop.salesman.ref_salesman_id is None):
        missing.append("salesman toko dengan ID salesman ERP")
    unlinked = [i.code for i in order.items if i.product_id not in products
                or products[i.product_id].ref_part_id is None]
    if unlinked:
        missing.append("ID part ERP untuk " + ", ".join(unlinked))
    if not order.items:
        missing.append("item")
    return missing


def store_today(order: Order, now: datetime | None = None) -> date:
    """Today as the order's store's clock shows it (the SO's tgl_so)."""
    return (now or clock.now()).astimezone(ZoneInfo(order.store.timezone)).date()


def reserve_so_number(order: Order) -> str:
    """Give the order its SO number (YYYY/NNNNNN/POD-PD of the store's year) unless it has
    one: the mark a retry finds. The order's row is locked first, so two runs reserve one
    number, and the counter's row is held only to the end of this short transaction."""
    number = _locked_so_number(order.id)
    if number is None:
        number = next_legacy_so_number(clock.now(), order.store.timezone)
        db.session.execute(update(ORDERS).where(ORDERS.c.id == order.id,
                                                ORDERS.c.ref_so_number.is_(None))
                           .values(ref_so_number=number, updated_at=clock.now()))
    set_committed_value(order, "ref_so_number", number)
    return number


def write_sales_order(order: Order) -> int:
    """The id of the order's SO in `tblso`: the one a run before wrote under the reserved
    number, else a new SO with its detail rows. The order's row stays locked meanwhile, so
    two runs of one order write one SO (and `tblso.no_so` is unique besides). Raises
    SubmissionRefused, SQLAlchemyError."""
    number = _locked_so_number(order.id)
    found = find_sales_order(number)
    if found is not None:
        return found
    values = sales_order(order)
    so = LegacySalesOrder(no_so=number, **values.header)
    try:
        with db.session.begin_nested():
            db.session.add(so)
            db.session.flush()
            db.session.add_all(LegacySalesOrderLine(fk_so=so.id, **line)
                               for line in values.lines)
            db.session.flush()
    except IntegrityError:  # written meanwhile by a run that did not wait for the lock
        found = find_sales_order(number)
        if found is None:
            raise
        return found
    return so.id


def find_sales_order(number: str) -> int | None:
    """The id of the SO with this number in `tblso`, if it is there."""
    return db.session.scalar(select(LegacySalesOrder.id).where(LegacySalesOrder.no_so == number))


def finish_submission(order: Order, so_id: int) -> bool:
    """Mark the order submitted as SO `so_id` and queue the shop's WhatsApp with the SO
    number, once (a second run finds it submitted). Returns whether this run did it."""
    from .b2b_orders import tell_shop

    now = clock.now()
    done = db.session.execute(
        update(ORDERS).where(ORDERS.c.id == order.id,
                             ORDERS.c.legacy_state != LegacyState.SUBMITTED.value)
        .values(ref_so_id=so_id, submitted_at=now, legacy_state=LegacyState.SUBMITTED.value,
                legacy_error=None, updated_at=now)).rowcount == 1
    db.session.refresh(order)
    if done:
        tell_shop(order, "b2b_order_approved", {"so_number": order.ref_so_number})
    return done


def resubmit_stalled_orders(now: datetime | None = None) -> int:
    """Queue again the submissions left `queued` for STALLED_AFTER (the job was never
    enqueued, or its worker died; a job that is only late finds its work done), and touch
    them so the next sweep waits as long again. The jobs start after the caller's commit.
    Returns how many."""
    from ..jobs import enqueue
    from ..jobs.tasks import submit_to_erp as job

    now = now or clock.now()
    ids = db.session.scalars(select(ORDERS.c.id).where(
        ORDERS.c.legacy_state == LegacyState.QUEUED.value,
        ORDERS.c.updated_at < now - STALLED_AFTER)).all()
    if ids:
        db.session.execute(update(ORDERS).where(ORDERS.c.id.in_(ids)).values(updated_at=now))
    for order_id in ids:
        enqueue(job, order_id, queue_name="legacy")
    return len(ids)


def _locked_so_number(order_id: str) -> str | None:
    """The order's reserved SO number, its row locked to the end of the transaction (on
    PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the whole database)."""
    return db.session.execute(select(ORDERS.c.ref_so_number).where(ORDERS.c.id == order_id)
                              .with_for_update()).scalar_one()


def _failed(order_id: str, error: str, *, attempt: int | None) -> LegacyState:
    """Keep the failure on the order for the back office (and retry it later when the ERP's
    database failed); commits."""
    from ..jobs import enqueue
    from ..jobs.tasks import submit_to_erp as job

    wait = RETRY_WAITS[attempt - 1] if attempt and attempt <= len(RETRY_WAITS) else None
    if wait is not None:
        error += f" Dicoba lagi otomatis dalam {int(wait.total_seconds() // 60)} menit."
    now = clock.now()
    db.session.execute(update(ORDERS).where(ORDERS.c.id == order_id,
                                            ORDERS.c.legacy_state != LegacyState.SUBMITTED.value)
                       .values(legacy_state=LegacyState.FAILED.value, legacy_error=error,
                               updated_at=now))
    if wait is not None:
        enqueue(job, order_id, attempt + 1, queue_name="legacy", at=now + wait)
    commit()
    return LegacyState.FAILED


def _short(error: SQLAlchemyError) -> str:
    """The first line of a database error, without SQLAlchemy's statement and link."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:300]


# --- stock and parts from the ERP --------------------------------------------------------

#: Rows written per statement when copying stock and parts.
SYNC_BATCH = 5000
#: What each part can sell this month: stock rows of one part (several warehouses) summed.
SELLABLE = (
    select(LegacyStock.fk_part, func.sum(func.coalesce(LegacyStock.qty_on_hand, 0)),
           func.sum(func.coalesce(LegacyStock.qty_booking, 0)),
           func.coalesce(LegacyPart.min_stok, 0))
    .join(LegacyPart, LegacyPart.id == LegacyStock.fk_part)
    .where(LegacyStock.tahun == bindparam("tahun"), LegacyStock.bulan == bindparam("bulan"))
    .group_by(LegacyStock.fk_part, LegacyPart.min_stok)
)
#: PostgreSQL: one statement per batch, the values as two arrays.
_STOCK_PG = text(
    "UPDATE products SET legacy_stock = v.qty, stock_synced_at = :now "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:qtys AS integer[])) AS v (id, qty) "
    "WHERE products.id = v.id").bindparams(bindparam("now", type_=UTCDateTime))
_STOCK_ANY = (update(Product.__table__).where(Product.__table__.c.id == bindparam("b_id"))
              .values(legacy_stock=bindparam("b_qty"), stock_synced_at=bindparam("b_now"),
                      updated_at=Product.__table__.c.updated_at))  # a sync is not an edit


def sync_legacy_stock(now: datetime | None = None) -> dict[str, int]:
    """Copy what the ERP can sell of each part this month (`tblstock_part_id` of the store's
    month: on hand - booked - minimum stock, never below 0) into the linked products, with
    the time. A product whose part has no row this month keeps its last value and time.
    Flushes. Returns {"updated": products, "without_stock": linked products left as they
    were}."""
    now = now or clock.now()
    linked = db.session.execute(
        select(Product.id, Product.ref_part_id, Store.timezone)
        .join(Store, Store.id == Product.store_id).where(Product.ref_part_id.is_not(None))).all()
    by_month: dict[tuple[int, int], list] = {}
    for row in linked:  # main database first, then the ERP's (SQLite: one lock order)
        local = now.astimezone(ZoneInfo(row.timezone))
        by_month.setdefault((local.year, local.month), []).append(row)
    updated = 0
    for (year, month), rows in by_month.items():
        sellable = {part: max(int(on_hand) - int(booked) - int(minimum), 0)
                    for part, on_hand, booked, minimum in db.session.execute(
                        SELLABLE, {"tahun": year, "bulan": month})}
        pairs = [(r.id, sellable[r.ref_part_id]) for r in rows if r.ref_part_id in sellable]
        for start in range(0, len(pairs), SYNC_BATCH):
            _write_stock(pairs[start:start + SYNC_BATCH], now)
        updated += len(pairs)
    return {"updated": updated, "without_stock": len(linked) - updated}


def read_part_stock(product: Product, timezone: str, now: datetime | None = None) -> bool:
    """Read what the ERP can sell of one part this month now (seed 004's real-time stock
    check) into the product's cached stock and its time, as the hourly sync would. False,
    with the cache left as it was, when the product has no part, the part no row this
    month, or the ERP's database does not answer (the caller shows the cached value).
    `timezone`: the store's, whose month counts."""
    if product.ref_part_id is None:
        return False
    now = now or clock.now()
    local = now.astimezone(ZoneInfo(timezone))
    try:
        with db.session.begin_nested():
            row = db.session.execute(SELLABLE.where(LegacyStock.fk_part == product.ref_part_id),
                                     {"tahun": local.year, "bulan": local.month}).first()
    except SQLAlchemyError as error:
        log.warning("stock of part %s not read from the ERP: %s", product.ref_part_id,
                    _short(error))
        return False
    if row is None:
        return False
    _part, on_hand, booked, minimum = row
    product.legacy_stock = max(int(on_hand) - int(booked) - int(minimum), 0)
    product.stock_synced_at = now
    db.session.flush()
    return True


def _write_stock(pairs: list[tuple[int, int]], now: datetime) -> None:
    connection = db.session.connection(bind_arguments={"mapper": Product.__mapper__})
    if connection.dialect.name == "postgresql":
        connection.execute(_STOCK_PG, {"ids": [p for p, _ in pairs],
                                       "qtys": [q for _, q in pairs], "now": now})
    else:
        connection.execute(_STOCK_ANY, [{"b_id": p, "b_qty": q, "b_now": now}
                                        for p, q in pairs])


@dataclass
class PartsSync:
    """What sync_parts did: products created, changed, left as they were, turned off (part
    inactive, without a list price, or gone from the ERP), and parts skipped (their code is
    another product's)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    skipped: list[str] = field(default_factory=list)


_PRODUCT_COLUMNS = ("code", "name", "category", "price", "is_active")


def sync_parts(store: Store, *, progress: Callable[[int], None] | None = None,
               batch_size: int = 1000) -> PartsSync:
    """Create or update the store's products from `tblpart_id` by `ref_part_id` (a product
    with the part's code and no part yet is linked to it): code, name, category, list price,
    active while the part is active and has a price; products whose part is gone are turned
    off. Flushes each batch of parts, then calls `progress(parts in it)` (a CLI commits
    there). Returns a PartsSync."""
    products = db.session.execute(
        select(Product.id, Product.ref_part_id, *(getattr(Product, c) for c in _PRODUCT_COLUMNS))
        .where(Product.store_id == store.id)).all()
    by_part = {p.ref_part_id: p for p in products if p.ref_part_id is not None}
    by_code = {p.code: p for p in products}
    summary, seen, last = PartsSync(), set(), 0
    while parts := _parts_after(last, batch_size):
        last = parts[-1].id
        new, changed = [], []
        for part in parts:
            seen.add(part.id)
            _sync_part(store, part, by_part, by_code, new, changed, summary)
        if new:
            db.session.execute(insert(Product), new)
        if changed:
            db.session.execute(update(Product), changed)
        db.session.flush()
        if progress is not None:
            progress(len(parts))
    gone = [p.id for p in by_part.values() if p.ref_part_id not in seen and p.is_active]
    table = Product.__table__
    for start in range(0, len(gone), SYNC_BATCH):
        db.session.execute(update(table).where(table.c.id.in_(gone[start:start + SYNC_BATCH]))
                           .values(is_active=False, updated_at=clock.now()))
    summary.deactivated += len(gone)
    return summary


def _parts_after(last: int, limit: int) -> list[LegacyPart]:
    """The next parts by id. The main database is opened first: on SQLite a transaction
    takes its file's write lock, and all ERP work takes the two in this order."""
    db.session.connection(bind_arguments={"mapper": Product.__mapper__})
    return list(db.session.scalars(select(LegacyPart).where(LegacyPart.id > last)
                                   .order_by(LegacyPart.id).limit(limit)))


def _sync_part(store, part, by_part, by_code, new, changed, summary) -> None:
    """One part: the row to insert or the change to make, counted in `summary`."""
    price = Decimal(part.het or 0)
    want = {"code": part.kd_part.strip(), "name": (part.nm_part or part.kd_part).strip(),
            "category": part.fk_detail_sub_kelompok_part, "price": price,
            "is_active": bool(part.part_active) and price > 0}
    current, holder = by_part.get(part.id), by_code.get(want["code"])
    if current is None and holder is not None and holder.ref_part_id is None:
        current = holder  # the store's own product of this code: linked, not duplicated
    if holder is not None and holder is not current:
        summary.skipped.append(want["code"])
        return
    if current is None:
        new.append({"store_id": store.id, "ref_part_id": part.id, **want})
        by_code[want["code"]] = _CREATED
        summary.created += 1
        return
    old = {c: getattr(current, c) for c in _PRODUCT_COLUMNS}
    if old == want and current.ref_part_id == part.id:
        summary.unchanged += 1
        return
    changed.append({"id": current.id, "ref_part_id": part.id, **want})
    if old["is_active"] and not want["is_active"]:
        summary.deactivated += 1
    else:
        summary.updated += 1
    if old["code"] != want["code"]:
        by_code.pop(old["code"], None)
        by_code[want["code"]] = current


class _CREATED:  # noqa: N801 - a marker: a code taken by a product this run creates
    ref_part_id = 0
