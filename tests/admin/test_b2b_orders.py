"""Dealer (B2B) orders in the back office (issue 12, items 5 and 7): the list shows the shop
and the legacy ERP state and filters by it; approve, reject with a reason and retry go
through shop.services.b2b_orders and queue what they should; several orders approved at
once; another store's admin finds nothing and changes nothing; CSRF on every POST; and the
"Sinkron part dari ERP" action with its progress and summary."""

from __future__ import annotations

import re
import signal

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    LegacyPart,
    LegacySalesOrder,
    LegacyState,
    Notification,
    Order,
    OrderEvent,
    OrderStatus,
    Product,
    Shop,
)

from .backoffice import csrf_enabled, csrf_token, follow, text


@pytest.fixture
def pmo(make):
    """The distributor of seed 004 with Toko Jaya Motor (TK001) and one PENDING order of
    2 x OLI-MPX2."""
    store = make.distributor_store()
    shop = make.dealer_shop(store)
    placed = make.b2b_order(shop, items=[("OLI-MPX2", 2)])
    return store, shop, placed


def fresh(order_id: str) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def state(order_id: str) -> tuple:
    """Everything a decision could change about an order."""
    order = fresh(order_id)
    events = db.session.scalar(select(func.count()).where(OrderEvent.order_id == order_id))
    messages = db.session.scalar(select(func.count()).where(Notification.order_id == order_id))
    return (order.status, order.approved_at, order.legacy_state, order.ref_so_number,
            order.legacy_error, events, messages)


def legacy_jobs(redis_client) -> list:
    from rq import Queue

    return Queue("legacy", connection=redis_client).jobs


def sales_orders(number: str) -> int:
    return db.session.scalar(select(func.count()).select_from(LegacySalesOrder)
                             .where(LegacySalesOrder.no_so == number))


# --- list and detail ---------------------------------------------------------------------


def test_list_shows_a_dealer_order_with_its_shop_and_not_sent_state(login_as, pmo):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])

    page = text(admin.get("/admin/order/?channel=b2b"))

    row = re.search(r"<tr>(?:(?!</tr>).)*" + placed.number + r".*?</tr>", page, re.S).group(0)
    assert "<code>TK001</code> Toko Jaya Motor" in row
    assert 'data-legacy-state="not_sent"' in row
    assert 'id="bulk-approve"' in page


def test_list_filters_by_legacy_state(login_as, make, pmo):
    store, shop, placed = pmo
    failed = make.b2b_order(shop, items=[("BUSI-NGK", 1)])
    order = db.session.get(Order, failed.id)
    order.status, order.legacy_state = OrderStatus.CONFIRMED, LegacyState.FAILED
    order.legacy_error = "Database ERP gagal: timeout"
    db.session.commit()
    admin = login_as("admin", [store])

    only_failed = text(admin.get("/admin/order/?legacy_state=failed"))
    only_waiting = text(admin.get("/admin/order/?legacy_state=not_sent"))

    assert failed.number in only_failed and placed.number not in only_failed
    assert "Database ERP gagal: timeout" in only_failed
    assert placed.number in only_waiting and failed.number not in only_waiting


def test_detail_of_a_waiting_order_offers_approve_and_reject_not_the_plain_confirm(
        login_as, pmo):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])

    page = text(admin.get(f"/admin/order/details/?id={placed.id}"))

    assert 'id="approve-order"' in page and 'id="reject-order"' in page
    assert 'id="b2b-shop"><code>TK001</code> Toko Jaya Motor' in page
    assert 'data-status="CONFIRMED"' not in page and 'data-status="REJECTED"' not in page
    assert 'data-status="CANCELLED"' in page  # cancelling stays possible
    assert 'id="retry-legacy"' not in page


# --- approve, reject, retry ----------------------------------------------------------------


def test_approve_confirms_and_queues_the_submission_on_the_legacy_queue(
        login_as, pmo, on_redis):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])

    page = follow(admin, admin.post(f"/admin/order/{placed.id}/approve"))

    order = fresh(placed.id)
    assert order.status == OrderStatus.CONFIRMED and order.approved_at is not None
    assert order.legacy_state == LegacyState.QUEUED
    jobs = legacy_jobs(on_redis)
    assert [(j.func_name, j.args) for j in jobs] == [
        ("shop.jobs.tasks.submit_to_erp", (placed.id,))]
    assert f"Order {placed.number} disetujui" in page
    assert 'data-state="queued"' in page and 'id="approve-order"' not in page


def test_approve_in_the_embedded_default_writes_the_so_at_once_and_shows_its_number(
        login_as, pmo):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])

    page = follow(admin, admin.post(f"/admin/order/{placed.id}/approve"))

    order = fresh(placed.id)
    assert order.legacy_state == LegacyState.SUBMITTED
    assert re.fullmatch(r"\d{4}/\d{6}/POD-PD", order.ref_so_number)
    assert sales_orders(order.ref_so_number) == 1
    assert f'id="so-number">{order.ref_so_number}<' in page
    assert 'data-state="submitted"' in page


def test_reject_needs_a_reason_and_without_one_changes_nothing(login_as, pmo):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])
    before = state(placed.id)

    page = follow(admin, admin.post(f"/admin/order/{placed.id}/reject", data={"reason": "  "}))

    assert state(placed.id) == before
    assert "Tulis alasan penolakan." in page


def test_reject_with_a_reason_tells_the_shop_by_whatsapp(login_as, pmo):
    store, shop, placed = pmo
    admin = login_as("admin", [store])

    page = follow(admin, admin.post(f"/admin/order/{placed.id}/reject",
                                    data={"reason": "Stock tidak tersedia"}))

    order = fresh(placed.id)
    assert order.status == OrderStatus.REJECTED and order.legacy_state is None
    message = db.session.scalars(select(Notification).where(
        Notification.order_id == placed.id, Notification.template == "b2b_order_rejected")).one()
    assert message.recipient == shop.phone
    assert message.data["reason"] == "Stock tidak tersedia"
    assert f"Order {placed.number} ditolak" in page


def test_a_failed_submission_shows_its_error_and_retry_submits_it(login_as, make):
    store = make.distributor_store()
    shop = make.dealer_shop(store, ref_toko_id=None)  # the ERP cannot take it yet
    placed = make.b2b_order(shop)
    admin = login_as("admin", [store])
    follow(admin, admin.post(f"/admin/order/{placed.id}/approve"))
    assert fresh(placed.id).legacy_state == LegacyState.FAILED

    page = text(admin.get(f"/admin/order/details/?id={placed.id}"))
    assert 'id="retry-legacy"' in page and "ref_toko_id" in page
    db.session.get(Shop, shop.id).ref_toko_id = 501  # someone fixes the shop
    db.session.commit()

    page = follow(admin, admin.post(f"/admin/order/{placed.id}/legacy-retry"))

    order = fresh(placed.id)
    assert order.legacy_state == LegacyState.SUBMITTED and order.legacy_error is None
    assert sales_orders(order.ref_so_number) == 1
    assert f"Pengiriman order {placed.number} ke ERP diantrekan lagi." in page


def test_retry_queues_a_legacy_job_only_for_a_failed_submission(login_as, pmo, on_redis):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])

    refused = follow(admin, admin.post(f"/admin/order/{placed.id}/legacy-retry"))
    assert legacy_jobs(on_redis) == [] and "gagal" in refused
    order = fresh(placed.id)
    order.status, order.legacy_state, order.legacy_error = (
        OrderStatus.CONFIRMED, LegacyState.FAILED, "timeout")
    db.session.commit()

    admin.post(f"/admin/order/{placed.id}/legacy-retry")

    assert fresh(placed.id).legacy_state == LegacyState.QUEUED
    assert [j.args for j in legacy_jobs(on_redis)] == [(placed.id,)]


def test_approving_twice_is_refused_the_second_time(login_as, pmo, on_redis):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])
    admin.post(f"/admin/order/{placed.id}/approve")
    after_first = state(placed.id)

    page = follow(admin, admin.post(f"/admin/order/{placed.id}/approve"))

    assert state(placed.id) == after_first
    assert len(legacy_jobs(on_redis)) == 1
    assert "sudah Dikonfirmasi" in page


def test_bulk_approve_approves_the_waiting_and_lists_the_refused(login_as, make, pmo, on_redis):
    store, shop, placed = pmo
    second = make.b2b_order(shop, items=[("KAMPAS-REM", 1)])
    rejected = make.b2b_order(shop, items=[("BUSI-NGK", 1)])
    from shop.services.b2b_orders import reject_b2b_order

    reject_b2b_order(db.session.get(Order, rejected.id), actor="test", reason="Habis")
    db.session.commit()
    admin = login_as("admin", [store])

    page = follow(admin, admin.post("/admin/order/b2b/approve", data={
        "ids": [placed.id, second.id, rejected.id], "back": "/admin/order/?channel=b2b"}))

    assert fresh(placed.id).status == fresh(second.id).status == OrderStatus.CONFIRMED
    assert fresh(rejected.id).status == OrderStatus.REJECTED
    assert sorted(j.args[0] for j in legacy_jobs(on_redis)) == sorted([placed.id, second.id])
    assert "2 order disetujui" in page
    assert f"{rejected.number} tidak disetujui" in page


def test_flash_messages_are_in_english_on_request(login_as, pmo):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])
    admin.get("/admin/?lang=en")

    page = follow(admin, admin.post(f"/admin/order/{placed.id}/reject",
                                    data={"reason": "Stock tidak tersedia"}))

    assert f"Order {placed.number} rejected; the shop was told by WhatsApp." in page


# --- the walls: store scope and CSRF --------------------------------------------------------


def test_another_stores_admin_cannot_see_or_decide_a_dealer_order(login_as, make, pmo):
    _store, _shop, placed = pmo
    other = make.store("toko-lain", name="Toko Lain")
    admin = login_as("admin", [other])
    before = state(placed.id)

    assert admin.get(f"/admin/order/details/?id={placed.id}").status_code == 404
    for action, data in (("approve", {}), ("reject", {"reason": "x"}), ("legacy-retry", {})):
        assert admin.post(f"/admin/order/{placed.id}/{action}", data=data).status_code == 404
    admin.post("/admin/order/b2b/approve", data={"ids": [placed.id]})
    listed = text(admin.get("/admin/order/?channel=b2b"))

    assert state(placed.id) == before
    assert placed.number not in listed


def test_decisions_need_the_pages_csrf_token(app, login_as, pmo):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])
    before = state(placed.id)
    with csrf_enabled(app):
        for action, data in (("approve", {}), ("reject", {"reason": "x"})):
            assert admin.post(f"/admin/order/{placed.id}/{action}",
                              data=data).status_code == 400
        assert admin.post("/admin/order/b2b/approve",
                          data={"ids": [placed.id]}).status_code == 400
        assert state(placed.id) == before

        token = csrf_token(admin, f"/admin/order/details/?id={placed.id}")
        answer = admin.post(f"/admin/order/{placed.id}/reject",
                            data={"reason": "Habis", "csrf_token": token})

    assert answer.status_code == 302
    assert fresh(placed.id).status == OrderStatus.REJECTED


# --- "Sinkron part dari ERP" -----------------------------------------------------------------


def erp_parts() -> None:
    """tblpart_id: OLI-MPX2 (101) at a new list price, a new part and an inactive new one;
    the distributor's other three parts are gone from the ERP."""
    db.session.add_all([
        LegacyPart(id=101, kd_part="OLI-MPX2", nm_part="Oli AHM MPX2 0.8L", het=47000,
                   fk_detail_sub_kelompok_part="OIL", min_stok=0, part_active=True),
        LegacyPart(id=301, kd_part="RANTAI-428", nm_part="Rantai 428H", het=95000,
                   fk_detail_sub_kelompok_part="SPARE_PART", min_stok=0, part_active=True),
        LegacyPart(id=302, kd_part="LAMPU-LAMA", nm_part="Lampu lama", het=10000,
                   fk_detail_sub_kelompok_part="SPARE_PART", min_stok=0, part_active=False),
    ])
    db.session.commit()


def product(store, code: str) -> Product | None:
    db.session.expire_all()
    return db.session.scalar(select(Product).where(Product.store_id == store.id,
                                                   Product.code == code))


def test_product_list_offers_the_sync_and_its_page_the_admins_stores(login_as, make):
    store = make.distributor_store()
    make.store("toko-lain", name="Toko Lain")
    admin = login_as("admin", [store])

    listing = text(admin.get("/admin/products/"))
    start = text(admin.get("/admin/products/sync/"))

    assert 'id="sync-parts"' in listing
    assert f'<option value="{store.id}">PMO Distributor</option>' in start
    assert "Toko Lain" not in start


def test_sync_in_the_embedded_default_shows_the_summary_at_once(login_as, make):
    store = make.distributor_store()
    erp_parts()
    admin = login_as("admin", [store])

    answer = admin.post("/admin/products/sync/", data={"store_id": store.id})

    page = text(answer)
    assert answer.status_code == 200
    assert 'data-state="finished"' in page and 'http-equiv="refresh"' not in page
    assert 'id="sum-created">2<' in page and 'id="sum-updated">1<' in page
    assert 'id="sum-deactivated">3<' in page and 'id="sum-unchanged">0<' in page
    assert product(store, "RANTAI-428").ref_part_id == 301
    assert product(store, "OLI-MPX2").price == 47000
    assert product(store, "LAMPU-LAMA").is_active is False


def test_sync_on_redis_runs_on_the_legacy_queue_and_its_page_follows_it(
        app, login_as, make, on_redis):
    store = make.distributor_store()
    erp_parts()
    admin = login_as("admin", [store])

    answer = admin.post("/admin/products/sync/", data={"store_id": store.id})

    assert answer.status_code == 302
    progress_url = answer.headers["Location"]
    waiting = text(admin.get(progress_url))
    assert 'data-state="queued"' in waiting and '<meta http-equiv="refresh"' in waiting
    assert '<progress id="sync-progress"' in waiting
    assert [j.func_name for j in legacy_jobs(on_redis)] == [
        "shop.jobs.parts_sync.sync_parts_job"]
    assert product(store, "RANTAI-428") is None  # nothing before a worker runs it

    run_legacy_worker(app, on_redis)

    done = text(admin.get(progress_url))
    assert 'data-state="finished"' in done and 'http-equiv="refresh"' not in done
    assert 'max="3" value="3"' in done and 'id="sum-created">2<' in done
    assert product(store, "RANTAI-428") is not None


def test_another_stores_admin_cannot_follow_or_start_a_sync(login_as, make, on_redis):
    store = make.distributor_store()
    other = make.store("toko-lain", name="Toko Lain")
    owner = login_as("admin", [store])
    progress_url = owner.post("/admin/products/sync/",
                              data={"store_id": store.id}).headers["Location"]
    stranger = login_as("admin", [other])

    assert stranger.get(progress_url).status_code == 404
    refused = stranger.post("/admin/products/sync/", data={"store_id": store.id})
    assert refused.status_code == 422
    assert len(legacy_jobs(on_redis)) == 1


def test_sync_needs_the_csrf_token(app, login_as, make):
    store = make.distributor_store()
    erp_parts()
    admin = login_as("admin", [store])
    with csrf_enabled(app):
        answer = admin.post("/admin/products/sync/", data={"store_id": store.id})
    assert answer.status_code == 400
    assert product(store, "RANTAI-428") is None


def run_legacy_worker(app, redis_client) -> None:
    """Our RQ worker (a SimpleWorker) in this process, in burst mode, on the legacy queue."""
    from rq import Queue

    from shop.jobs.worker import Worker

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with app.app_context():
            Worker([Queue("legacy", connection=redis_client)],
                   connection=redis_client).work(burst=True, logging_level="WARNING")
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
