"""Approval end to end with real RQ workers on Redis (issue 12): the approval's job on the
`legacy` queue writes exactly the seed's SO and the shop gets its WhatsApp; a worker killed
between the SO and the bookkeeping leaves one SO after the retry; the ERP's database down
fails the order visibly and is retried; the hourly stock job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import redis
from rq.cron import CronScheduler
from sqlalchemy import select

from shop import clock
from shop.extensions import db
from shop.jobs import queue, tasks
from shop.models import (
    LegacyPart,
    LegacySalesOrder,
    LegacySalesOrderLine,
    LegacyStock,
    Notification,
    Order,
    Product,
)
from shop.services.b2b_orders import approve_b2b_order, reject_b2b_order, retry_legacy_submission
from shop.unit_of_work import commit

from .conftest import ROOT, WAIT, free_port, queue_lengths, scheduled_jobs, work, worker_environment

ADMIN = "admin:admin@pmo.test"
SHOP_PHONE = "628123456789"
#: A burst worker whose submission stops for good right after the SO is committed in the
#: ERP, before the order's bookkeeping; it writes the SO's id to the file argv[1] first.
STOPPED_WORKER = """
import pathlib, sys, time
import shop.services.erp as erp
from shop.jobs.worker import Worker
from shop.jobs import redis_connection
from wsgi import app

def stop_before_the_bookkeeping(order, so_id):
    pathlib.Path(sys.argv[1]).write_text(str(so_id))
    time.sleep(600)

erp.finish_submission = stop_before_the_bookkeeping
with app.app_context():
    Worker(["legacy"], connection=redis_connection(app)).work(burst=True)
"""


def dealer_order(committed, items=(("OLI-MPX2", 2), ("BUSI-NGK", 3))) -> str:
    """Toko Jaya Motor's PENDING order (committed); its id."""
    shop = committed.dealer_shop()
    order_id = committed.b2b_order(shop, items=list(items)).id
    db.session.remove()
    return order_id


def decide(application, order_id: str, decision, **options) -> None:
    """An admin's approval (or rejection) in `application`, committed."""
    with application.app_context():
        decision(db.session.get(Order, order_id), actor=ADMIN, **options)
        commit()
        db.session.remove()


def read(application, query):
    """The rows of `query`, read in a transaction of their own."""
    with application.app_context():
        try:
            return list(db.session.execute(query).all())
        finally:
            db.session.remove()


def order_row(application, order_id: str):
    (row,) = read(application, select(Order.__table__).where(Order.__table__.c.id == order_id))
    return row


def sales_orders(application) -> list[LegacySalesOrder]:
    """The SOs in the ERP (an ORM query: a Core one on a legacy table would go to the main
    database)."""
    return [row[0] for row in read(application, select(LegacySalesOrder)
                                   .order_by(LegacySalesOrder.id))]


def details(application) -> list[tuple]:
    line = LegacySalesOrderLine
    return [tuple(r) for r in read(application, select(
        line.fk_part, line.harga, line.qty_so, line.total_harga, line.qty_sisa)
        .order_by(line.id))]


def approved_messages(application, order_id: str) -> list:
    return read(application, select(Notification.__table__).where(
        Notification.__table__.c.order_id == order_id,
        Notification.__table__.c.template == "b2b_order_approved"))


def jakarta_today() -> date:
    return clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date()


def test_an_approval_puts_one_job_on_the_legacy_queue_which_writes_the_so(
        queued_app, committed, gateway):
    order_id = dealer_order(committed)

    decide(queued_app, order_id, approve_b2b_order)

    assert queue_lengths(queued_app) == {"high": 0, "default": 0, "legacy": 1}
    assert order_row(queued_app, order_id).legacy_state == "queued"
    work(queued_app)

    year = jakarta_today().year
    (so,) = sales_orders(queued_app)
    assert (so.no_so, so.jenis_so, so.tgl_so, so.fk_salesman, so.fk_toko, so.grand_total,
            so.status_approve_reject) == (
        f"{year}/000001/POD-PD", "Other", jakarta_today(), 7, 501, Decimal("144000.00"),
        "Waiting For Approval")
    assert details(queued_app) == [
        (101, Decimal("45000.00"), 2, Decimal("90000.00"), 2),
        (202, Decimal("18000.00"), 3, Decimal("54000.00"), 3),
    ]
    order = order_row(queued_app, order_id)
    assert (order.status, order.legacy_state, order.ref_so_id, order.ref_so_number) == (
        "CONFIRMED", "submitted", so.id, so.no_so)
    assert order.approved_at is not None and order.submitted_at >= order.approved_at
    (sent,) = gateway.to(SHOP_PHONE)
    assert sent.text == (f"✅ Order {order.number} disetujui.\nNomor SO: {so.no_so}\n"
                         "Terima kasih, Toko Jaya Motor.")


def test_a_rejection_reaches_the_shop_with_its_reason_and_queues_no_erp_work(
        queued_app, committed, gateway):
    order_id = dealer_order(committed)

    decide(queued_app, order_id, reject_b2b_order, reason="Stock tidak tersedia.")

    assert queue_lengths(queued_app)["legacy"] == 0
    work(queued_app)
    (sent,) = gateway.to(SHOP_PHONE)
    number = order_row(queued_app, order_id).number
    assert sent.text == f"❌ Order {number} ditolak.\nAlasan: “Stock tidak tersedia.”"
    assert sales_orders(queued_app) == []


def test_a_worker_killed_after_the_so_and_before_the_bookkeeping_leaves_one_so_after_the_retry(
        queued_app, committed, gateway, tmp_path, monkeypatch):
    order_id = dealer_order(committed)
    decide(queued_app, order_id, approve_b2b_order)
    marker = tmp_path / "so-written"
    db.session.remove()
    with (tmp_path / "stopped-worker.log").open("wb") as log:
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", STOPPED_WORKER, str(marker)], cwd=ROOT,
            env=worker_environment(queued_app), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        deadline = time.monotonic() + WAIT
        while not marker.exists() and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for the worker to reach the gap, not timing a race
        assert marker.exists(), (tmp_path / "stopped-worker.log").read_text()[-3000:]
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    (so,) = sales_orders(queued_app)  # the SO is in the ERP ...
    assert str(so.id) == marker.read_text()
    order = order_row(queued_app, order_id)  # ... and the order does not know it yet
    assert (order.legacy_state, order.ref_so_number, order.ref_so_id) == (
        "queued", so.no_so, None)
    assert approved_messages(queued_app, order_id) == []

    later = clock.now() + timedelta(minutes=16)  # the sweep finds it stalled
    monkeypatch.setattr(clock, "now", lambda: later)
    with queued_app.app_context():
        assert tasks.resubmit_stalled_orders() == 1
    work(queued_app)

    (again,) = sales_orders(queued_app)
    assert (again.id, again.no_so) == (so.id, so.no_so)
    assert [d[0] for d in details(queued_app)] == [101, 202]
    order = order_row(queued_app, order_id)
    assert (order.legacy_state, order.ref_so_id, order.legacy_error) == ("submitted", so.id, None)
    assert len(approved_messages(queued_app, order_id)) == 1
    (sent,) = gateway.to(SHOP_PHONE)
    assert so.no_so in sent.text


def test_the_erps_database_down_fails_the_order_visibly_and_a_retry_submits_it_once(
        shop_app, queued_app, committed, gateway):
    down = shop_app(REDIS_URL=os.environ["TEST_REDIS_URL"],
                    LEGACY_DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:"
                                        f"{free_port()}/data_part")
    order_id = dealer_order(committed)
    decide(down, order_id, approve_b2b_order)

    work(down)  # the job itself succeeds: the failure is the order's

    order = order_row(queued_app, order_id)
    assert order.legacy_state == "failed"
    assert order.legacy_error.startswith("Database ERP gagal: ")
    assert order.legacy_error.endswith("Dicoba lagi otomatis dalam 1 menit.")
    assert order.ref_so_number.endswith("/000001/POD-PD")  # reserved, kept for the retry
    ((_job, when),) = scheduled_jobs(down)
    assert abs((when - clock.now()).total_seconds() - 60) < 10
    assert sales_orders(queued_app) == []

    with queued_app.app_context():  # the ERP is back; an admin retries
        retry_legacy_submission(db.session.get(Order, order_id))
        commit()
        db.session.remove()
    work(queued_app)
    with queued_app.app_context():  # the automatic retry comes later and finds it done
        assert tasks.submit_to_erp(order_id, 2) == "submitted"
    work(queued_app)

    (so,) = sales_orders(queued_app)
    order = order_row(queued_app, order_id)
    assert (order.legacy_state, order.ref_so_id, order.ref_so_number, order.legacy_error) == (
        "submitted", so.id, so.no_so, None)
    assert len(gateway.to(SHOP_PHONE)) == 1


def test_the_hourly_stock_job_copies_this_months_stock(queued_app, committed):
    committed.distributor_store()
    today = jakarta_today()
    with queued_app.app_context():
        db.session.add_all([
            LegacyPart(id=101, kd_part="OLI-MPX2", nm_part="Oli", het=Decimal("45000"),
                       min_stok=2, part_active=True),
            LegacyPart(id=202, kd_part="BUSI-NGK", nm_part="Busi", het=Decimal("18000"),
                       min_stok=0, part_active=True),
        ])
        db.session.flush()
        db.session.add_all([
            LegacyStock(fk_part=101, qty_on_hand=20, qty_booking=3, bulan=today.month,
                        tahun=today.year),
            LegacyStock(fk_part=202, qty_on_hand=1, qty_booking=4, bulan=today.month,
                        tahun=today.year),
        ])
        db.session.commit()
        queue("legacy").enqueue(tasks.sync_legacy_stock)  # as `rq cron` does every hour
        db.session.remove()

    work(queued_app)

    stock = dict((r.code, (r.legacy_stock, r.stock_synced_at is not None)) for r in read(
        queued_app, select(Product.code, Product.legacy_stock, Product.stock_synced_at)))
    assert stock == {"OLI-MPX2": (15, True), "BUSI-NGK": (0, True),
                     "OLI-SPX1": (None, False), "KAMPAS-REM": (None, False)}


def test_the_schedule_syncs_stock_hourly_and_resubmits_stalled_orders_on_the_legacy_queue():
    sys.modules.pop("shop.jobs.cron", None)  # the config registers when it is imported
    scheduler = CronScheduler(connection=redis.Redis(host="127.0.0.1", port=1))
    scheduler.load_config_from_file("shop.jobs.cron")

    jobs = {job.func: job for job in scheduler._cron_jobs}
    assert jobs[tasks.sync_legacy_stock].cron == "5 * * * *"
    assert jobs[tasks.resubmit_stalled_orders].interval == 600
    assert {jobs[f].queue_name for f in (tasks.sync_legacy_stock,
                                         tasks.resubmit_stalled_orders)} == {"legacy"}

