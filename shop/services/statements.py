"""Bank statement matching (issue 15, item 4): the owner uploads the bank's mutation export,
each credit is matched to the unpaid order with exactly that amount due, and the owner
confirms every proposed match in one step (a Payment each, the order PAID through
`set_payment_status`, the customer told).

Decisions:
- The date window of a line is from 00:00 seven days before its date to the end of its date,
  in the store's time zone (an order is paid on the day it is placed or within the week).
- A line pays once: its fingerprint (store, date, description, amount, and which repeat of
  them it is in the file) confirmed before makes it DUPLICATE, and a partial unique index
  refuses a second confirmed line with it.
- Confirming locks the import's row, so two confirmations of one import (two tabs, two
  admins) run one after the other and the second finds the lines already confirmed.
- An order waiting for its transfer proof to be checked is paid by the line too: the
  submitted proof becomes the confirmed Payment (one Payment for the money, not two).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..errors import InvalidInput, NotFound, ShopError, StaleChange
from ..extensions import db
from ..models import (
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentRecordStatus,
    PaymentStatus,
    Store,
)
from ..models.statements import LineStatus, StatementImport, StatementLine
from ..template_i18n import gettext as _
from .access import Scope
from .orders import set_payment_status
from .statement_files import Credit, clean_mapping, read_credits

#: Payment states in which an order still waits for its money.
UNPAID = (PaymentStatus.PENDING, PaymentStatus.AWAITING_CONFIRMATION)
#: Orders that will never be paid.
CLOSED = (OrderStatus.CANCELLED, OrderStatus.REJECTED)
#: How far before a line's date an order may have been placed.
WINDOW_DAYS = 7
#: Payment.reference holds this many characters of the mutation line.
REFERENCE_LENGTH = 120


def import_statement(store: Store, data: bytes, mapping: dict, *, filename: str,
                     actor: str) -> StatementImport:
    """Read an export, match its credits and keep it for review; the mapping is remembered
    on the store. Raises InvalidInput (nothing is stored then)."""
    mapping = clean_mapping(mapping)
    today = clock.now().astimezone(_zone(store)).date()
    credits = read_credits(data, mapping, today=today)
    statement = StatementImport(store_id=store.id, filename=(filename or "mutasi.csv")[:200],
                                preset=mapping["preset"], uploaded_by=actor,
                                created_at=clock.now())
    db.session.add(statement)
    statement.lines = [_line(store, credit, repeat) for credit, repeat in _repeats(credits)]
    _match(store, statement.lines)
    store.statement_mapping = mapping
    db.session.flush()
    return statement


def _repeats(credits: list[Credit]):
    seen: Counter = Counter()
    for credit in credits:
        key = (credit.posted_on, credit.description, credit.amount)
        seen[key] += 1
        yield credit, seen[key]


def _line(store: Store, credit: Credit, repeat: int) -> StatementLine:
    text = "|".join((str(store.id), credit.posted_on.isoformat(), credit.description,
                     f"{credit.amount:.2f}", str(repeat)))
    return StatementLine(store_id=store.id, line_number=credit.line_number,
                         fingerprint=hashlib.sha256(text.encode()).hexdigest(),
                         posted_on=credit.posted_on, description=credit.description,
                         amount=credit.amount, status=LineStatus.UNMATCHED)


def _match(store: Store, lines: list[StatementLine]) -> None:
    """Set each line's status: DUPLICATE, PROPOSED (one order), AMBIGUOUS or UNMATCHED."""
    confirmed = set(db.session.scalars(select(StatementLine.fingerprint).where(
        StatementLine.store_id == store.id, StatementLine.status == LineStatus.CONFIRMED,
        StatementLine.fingerprint.in_([line.fingerprint for line in lines]))))
    fits = {}
    for line in lines:
        if line.fingerprint in confirmed:
            line.status = LineStatus.DUPLICATE
        else:
            fits[id(line)] = _candidates(store, line)
    claims = Counter(order_id for ids in fits.values() for order_id in ids)
    for line in lines:
        ids = fits.get(id(line))
        if ids is None:
            continue
        if len(ids) == 1 and claims[ids[0]] == 1:
            line.status, line.order_id = LineStatus.PROPOSED, ids[0]
        elif ids:
            line.status, line.candidates = LineStatus.AMBIGUOUS, ids
        else:
            line.status = LineStatus.UNMATCHED


def _candidates(store: Store, line: StatementLine) -> list[str]:
    """The ids of the store's unpaid orders with exactly the line's amount due, placed in
    its window."""
    start, end = line_window(store, line.posted_on)
    return list(db.session.scalars(
        select(Order.id).where(Order.store_id == store.id, Order.amount_due == line.amount,
                               Order.payment_status.in_(UNPAID), Order.status.not_in(CLOSED),
                               Order.created_at >= start, Order.created_at < end)
        .order_by(Order.created_at, Order.id).limit(20)))


def line_window(store: Store, day: date) -> tuple[datetime, datetime]:
    """From 00:00 WINDOW_DAYS before the day to the end of the day, store time, in UTC."""
    zone = _zone(store)
    start = datetime.combine(day - timedelta(days=WINDOW_DAYS), time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _zone(store: Store) -> ZoneInfo:
    return ZoneInfo(store.timezone or "Asia/Jakarta")


def confirm_statement(statement: StatementImport, *, actor: str) -> dict[str, int]:
    """Pay every PROPOSED line's order; how many were paid and skipped. Raises nothing for a
    line whose order was paid meanwhile (it becomes SKIPPED)."""
    _lock(statement)
    counts = Counter()
    for line in _fresh_lines(statement, LineStatus.PROPOSED):
        counts[_pay(line, line.order_id, actor=actor).value] += 1
    statement.confirmed_by, statement.confirmed_at = actor, clock.now()
    db.session.flush()
    return {"paid": counts[LineStatus.CONFIRMED.value],
            "skipped": counts[LineStatus.SKIPPED.value]
            + counts[LineStatus.DUPLICATE.value]}


def confirm_line(statement: StatementImport, line_id, order_id, *, actor: str) -> LineStatus:
    """Pay the order the owner picked for an AMBIGUOUS line. Raises InvalidInput, NotFound."""
    _lock(statement)
    line = next((x for x in _fresh_lines(statement, LineStatus.AMBIGUOUS)
                 if str(x.id) == str(line_id)), None)
    if line is None:
        raise NotFound(_("Baris mutasi ini tidak lagi menunggu pilihan pesanan."))
    if str(order_id or "") not in (line.candidates or []):
        raise InvalidInput(_("Pilih salah satu pesanan yang cocok untuk baris ini."),
                           fields={"order_id": _("Pilih pesanan.")})
    status = _pay(line, str(order_id), actor=actor)
    db.session.flush()
    return status


def _lock(statement: StatementImport) -> None:
    """Wait for any other confirmation of this import to finish (row lock on PostgreSQL)."""
    db.session.execute(select(StatementImport.id).where(StatementImport.id == statement.id)
                       .with_for_update())


def _fresh_lines(statement: StatementImport, status: LineStatus) -> list[StatementLine]:
    """The import's lines in a status, read again after the lock (another confirmation may
    have just committed)."""
    return list(db.session.scalars(
        select(StatementLine).where(StatementLine.import_id == statement.id,
                                    StatementLine.status == status)
        .order_by(StatementLine.line_number, StatementLine.id)
        .execution_options(populate_existing=True)))


def _pay(line: StatementLine, order_id: str, *, actor: str) -> LineStatus:
    """Record the line's payment in a savepoint; on a refusal the line is SKIPPED (order paid
    or changed meanwhile) or DUPLICATE (the same line confirmed from another upload)."""
    try:
        with db.session.begin_nested():
            order = db.session.execute(
                select(Order).where(Order.id == order_id)
                .execution_options(populate_existing=True)).scalar_one_or_none()
            if not _still_payable(order, line):
                raise StaleChange(_("Pesanan sudah dibayar atau berubah."))
            payment = _record_payment(order, line, actor=actor)
            line.status, line.order_id, line.payment_id = (LineStatus.CONFIRMED, order.id,
                                                           payment.id)
            db.session.flush()
    except IntegrityError:
        line.status = LineStatus.DUPLICATE
    except ShopError:
        line.status = LineStatus.SKIPPED
    return line.status


def _still_payable(order: Order | None, line: StatementLine) -> bool:
    return (order is not None and order.store_id == line.store_id
            and order.payment_status in UNPAID and order.status not in CLOSED
            and order.amount_due == line.amount)


def _record_payment(order: Order, line: StatementLine, *, actor: str) -> Payment:
    """The confirmed Payment of the line's money, and the order PAID (customer told)."""
    now = clock.now()
    reference = " ".join(line.description.split())[:REFERENCE_LENGTH] or None
    proof = None
    if order.payment_status == PaymentStatus.AWAITING_CONFIRMATION:
        proof = db.session.scalars(select(Payment).where(
            Payment.order_id == order.id, Payment.status == PaymentRecordStatus.SUBMITTED)
            .order_by(Payment.id.desc()).limit(1)).first()
    payment = proof or Payment(order_id=order.id, actor=actor, created_at=now,
                               method=order.payment_method or PaymentMethod.BANK_TRANSFER)
    payment.amount, payment.reference = line.amount, reference
    payment.status = PaymentRecordStatus.CONFIRMED
    payment.decided_by, payment.decided_at = actor, now
    db.session.add(payment)
    # The note reaches the customer's message: the day only, not the bank's line text.
    note = _("Transfer diterima (mutasi bank %(day)s).",
             day=line.posted_on.strftime("%d/%m/%Y"))
    set_payment_status(order, PaymentStatus.PAID, actor=actor, note=note)
    db.session.flush()
    return payment


def get_statement(scope: Scope, statement_id) -> StatementImport:
    """An import of one of the admin's stores. Raises NotFound."""
    text = str(statement_id)
    ok = text.isascii() and text.isdigit() and len(text) <= 12
    statement = db.session.get(StatementImport, int(text)) if ok else None
    if statement is None or not scope.allows(statement.store_id):
        raise NotFound(_("Mutasi tidak ditemukan."))
    return statement


def list_statements(scope: Scope, limit: int = 50) -> list[tuple[StatementImport, dict]]:
    """The admin's latest imports, newest first, each with its lines counted by status."""
    statements = list(db.session.scalars(
        select(StatementImport).where(scope.where(StatementImport.store_id))
        .order_by(StatementImport.created_at.desc(), StatementImport.id.desc()).limit(limit)))
    counts: dict[int, Counter] = {s.id: Counter() for s in statements}
    if statements:
        for import_id, status, n in db.session.execute(
                select(StatementLine.import_id, StatementLine.status, func.count())
                .where(StatementLine.import_id.in_(list(counts)))
                .group_by(StatementLine.import_id, StatementLine.status)):
            counts[import_id][LineStatus(status).value] = n
    return [(s, dict(counts[s.id])) for s in statements]


def review_of(statement: StatementImport) -> dict:
    """The import's lines by status, with the orders they name (number, customer)."""
    lines = statement.lines
    ids = {line.order_id for line in lines if line.order_id}
    ids |= {i for line in lines for i in (line.candidates or [])}
    orders = {o.id: o for o in db.session.scalars(select(Order).where(Order.id.in_(ids)))}
    groups = {status.value: [] for status in LineStatus}
    for line in lines:
        groups[line.status.value].append(line)
    return {"groups": groups, "orders": orders,
            "proposed": len(groups[LineStatus.PROPOSED.value])}
