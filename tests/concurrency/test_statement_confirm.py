"""Two confirmations of bank statement matches at the same moment on PostgreSQL (two tabs,
two admins) pay each order once: one Payment per order, one PAID event, one message. Data
really commits; every thread works in an application context of its own, and the second
confirmation is seen waiting for the first one's lock before the first commits."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from shop import clock
from shop.extensions import db
from shop.models import Notification, Order, OrderEvent, Payment, PaymentStatus
from shop.models.statements import LineStatus, StatementImport, StatementLine
from shop.services.message_templates import payment_template
from shop.services.statements import confirm_statement, import_statement
from shop.unit_of_work import commit

from ..statement_samples import bca_csv
from .test_b2b_approval import WAIT, wait_for_a_lock_wait

pytestmark = pytest.mark.backends("postgresql")


def paid_day(committed, imports: int) -> tuple[list[str], list[int]]:
    """Three unpaid orders with unique codes and `imports` uploads of the statement that
    pays them; the order ids and the import ids."""
    store = committed.store(name="Toko Paralel")
    product = committed.product(store, "KAOS", "65000")
    order_ids = []
    for code in (101, 102, 103):
        placed = committed.order(store, items=[(product.code, 1)], phone=f"0813222200{code}")
        db.session.execute(update(Order).where(Order.id == placed.id).values(unique_code=code))
        order_ids.append(placed.id)
    db.session.commit()
    day = clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date()
    data = bca_csv([(day, f"TRSF E-BANKING CR {code} PEMBELI", Decimal(65000 + code), "CR")
                    for code in (101, 102, 103)], with_year=True)
    import_ids = []
    for _ in range(imports):
        statement = import_statement(store, data, {"preset": "bca"}, filename="bca.csv",
                                     actor="admin:a@toko.test")
        assert [line.status for line in statement.lines] == [LineStatus.PROPOSED] * 3
        commit()
        import_ids.append(statement.id)
    db.session.remove()
    return order_ids, import_ids


def confirm_in_parallel(application, first_import: int, second_import: int) -> list[dict]:
    """The first confirmation pays and holds its locks until the second one waits for
    them; then both commit. Their counts, in that order."""
    loaded, paid, may_commit = threading.Barrier(2), threading.Event(), threading.Event()

    def confirm(import_id: int, actor: str, first: bool) -> dict:
        with application.app_context():
            try:
                statement = db.session.get(StatementImport, import_id)
                loaded.wait(timeout=WAIT)
                if not first:
                    assert paid.wait(timeout=WAIT)
                counts = confirm_statement(statement, actor=actor)
                if first:
                    paid.set()
                    assert may_commit.wait(timeout=WAIT)
                commit()
                return counts
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="admin") as pool:
        a = pool.submit(confirm, first_import, "admin:satu@toko.test", True)
        b = pool.submit(confirm, second_import, "admin:dua@toko.test", False)
        assert paid.wait(timeout=WAIT)
        wait_for_a_lock_wait(application)
        may_commit.set()
        return [a.result(timeout=WAIT), b.result(timeout=WAIT)]


def ledger(application, order_ids: list[str]) -> dict:
    """Per order: payment status, payments, PAID events, payment messages; confirmed lines."""
    with application.app_context():
        try:
            def count(model, *where):
                return db.session.scalar(select(func.count()).select_from(model).where(*where))

            orders = {order_id: (
                db.session.get(Order, order_id).payment_status,
                count(Payment, Payment.order_id == order_id),
                count(OrderEvent, OrderEvent.order_id == order_id,
                      OrderEvent.to_status == "PAID"),
                count(Notification, Notification.order_id == order_id,
                      Notification.template == payment_template("PAID")),
            ) for order_id in order_ids}
            return {"orders": orders, "confirmed": count(
                StatementLine, StatementLine.status == LineStatus.CONFIRMED)}
        finally:
            db.session.remove()


def test_two_tabs_confirming_one_import_at_once_pay_each_order_once(app, committed):
    order_ids, (import_id,) = paid_day(committed, 1)

    outcomes = confirm_in_parallel(app, import_id, import_id)

    assert outcomes == [{"paid": 3, "skipped": 0}, {"paid": 0, "skipped": 0}]
    result = ledger(app, order_ids)
    assert set(result["orders"].values()) == {(PaymentStatus.PAID, 1, 1, 1)}
    assert result["confirmed"] == 3


def test_two_uploads_of_one_file_confirmed_at_once_pay_each_order_once(app, committed):
    order_ids, (first, second) = paid_day(committed, 2)

    outcomes = confirm_in_parallel(app, first, second)

    assert outcomes == [{"paid": 3, "skipped": 0}, {"paid": 0, "skipped": 3}]
    result = ledger(app, order_ids)
    assert set(result["orders"].values()) == {(PaymentStatus.PAID, 1, 1, 1)}
    assert result["confirmed"] == 3
