"""The legacy ERP (seed 004 section 5, issue 12 items 6 and 7): an approved order written as
an SO with exactly the seed's values, once in effect (a retry finds the SO under the number
reserved on the order); failures kept on the order; stock and parts copied into the
catalog."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from shop import clock
from shop.extensions import db
from shop.models import (
    DealerPrice,
    LegacyPart,
    LegacySalesOrder,
    LegacySalesOrderLine,
    LegacyState,
    LegacyStock,
    Notification,
    Order,
    OrderStatus,
    Product,
    Serial,
)
from shop.services import erp
from shop.services.b2b_orders import approve_b2b_order
from shop.services.orders import transition
from shop.unit_of_work import commit

from ..messages import text_of

ADMIN = "admin:admin@pmo.test"


def at(moment: str) -> datetime:
    """A UTC moment, "2026-12-31 17:30"."""
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


@pytest.fixture
def shop(make):
    return make.dealer_shop()


def approved(make, shop, items=(("OLI-MPX2", 2), ("BUSI-NGK", 3)), *, run=True) -> Order:
    """A dealer's order, approved; its submission job has run (`run`) or is still to run."""
    order = db.session.get(Order, make.b2b_order(shop, items=list(items)).id)
    if not run:
        order.status, order.legacy_state = OrderStatus.CONFIRMED, LegacyState.QUEUED
        db.session.commit()
        return order
    approve_b2b_order(order, actor=ADMIN)
    commit()
    db.session.refresh(order)
    return order


def so_rows() -> list[LegacySalesOrder]:
    return list(db.session.scalars(select(LegacySalesOrder).order_by(LegacySalesOrder.id)))


def detail_rows(so_id: int) -> list[tuple]:
    return [(d.fk_part, d.harga, d.qty_so, d.total_harga, d.qty_sisa) for d in db.session.scalars(
        select(LegacySalesOrderLine).where(LegacySalesOrderLine.fk_so == so_id)
        .order_by(LegacySalesOrderLine.id))]


def shop_messages(order: Order) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.order_id == order.id, Notification.template == "b2b_order_approved")))


def legacy_serial() -> int | None:
    return db.session.scalar(select(Serial.last_number).where(Serial.name == "legacy-so"))


# --- the submission -------------------------------------------------------------------------


def test_an_approved_order_becomes_an_so_with_exactly_the_seeds_values(make, shop, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: at("2026-03-31 18:00"))  # Apr 1, 01:00 Jakarta
    shop.discount_percent = Decimal("10")
    db.session.add(DealerPrice(shop_id=shop.id, product_id=db.session.scalar(
        select(Product.id).where(Product.code == "BUSI-NGK")), price=Decimal("15000")))
    db.session.commit()

    order = approved(make, shop, [("OLI-MPX2", 2), ("BUSI-NGK", 3)])

    (so,) = so_rows()
    assert (so.no_so, so.jenis_so, so.tgl_so, so.fk_salesman, so.fk_toko, so.grand_total,
            so.status_approve_reject) == (
        "2026/000001/POD-PD", "Other", date(2026, 4, 1), 7, 501, Decimal("126000.00"),
        "Waiting For Approval")
    assert detail_rows(so.id) == [  # the shop's prices: 10 % off MPX2, its own for the plug
        (101, Decimal("40500.00"), 2, Decimal("81000.00"), 2),
        (202, Decimal("15000.00"), 3, Decimal("45000.00"), 3),
    ]
    assert (order.ref_so_id, order.ref_so_number, order.legacy_state, order.legacy_error) == (
        so.id, "2026/000001/POD-PD", LegacyState.SUBMITTED, None)
    assert order.submitted_at == at("2026-03-31 18:00")
    (message,) = shop_messages(order)
    assert message.recipient == "628123456789"
    assert text_of(message) == (f"✅ Order {order.number} disetujui.\n"
                                "Nomor SO: 2026/000001/POD-PD\nTerima kasih, Toko Jaya Motor.")


def test_an_order_of_oil_only_is_oli_regular(make, shop):
    approved(make, shop, [("OLI-MPX2", 1), ("OLI-SPX1", 4)])

    (so,) = so_rows()
    assert so.jenis_so == "Oli Regular"
    assert so.grand_total == Decimal("253000.00")
    assert [line[0] for line in detail_rows(so.id)] == [101, 102]


def test_so_numbers_count_on_and_start_again_in_the_stores_new_year(make, shop, monkeypatch):
    moments = iter([at("2026-12-31 16:50"), at("2026-12-31 16:55"), at("2026-12-31 17:10")])
    numbers = []
    for _ in range(3):
        moment = next(moments)
        monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
        numbers.append(approved(make, shop, [("BUSI-NGK", 1)]).ref_so_number)

    assert numbers == ["2026/000001/POD-PD", "2026/000002/POD-PD", "2027/000001/POD-PD"]
    assert [s.tgl_so for s in so_rows()] == [date(2026, 12, 31)] * 2 + [date(2027, 1, 1)]


def test_a_retry_that_finds_the_so_only_finishes_the_bookkeeping(make, shop):
    order = approved(make, shop, run=False)
    number = erp.reserve_so_number(order)
    commit()
    so_id = erp.write_sales_order(order)
    commit()  # ... and the worker died here, before the bookkeeping

    assert erp.submit_to_erp(order.id) == LegacyState.SUBMITTED

    (so,) = so_rows()
    db.session.refresh(order)
    assert (so.id, so.no_so) == (so_id, number)
    assert len(detail_rows(so.id)) == 2
    assert (order.ref_so_id, order.legacy_state) == (so_id, LegacyState.SUBMITTED)
    assert legacy_serial() == 1
    assert len(shop_messages(order)) == 1


def test_a_submitted_order_run_again_changes_nothing(make, shop):
    order = approved(make, shop)
    submitted_at = order.submitted_at

    assert erp.submit_to_erp(order.id) == LegacyState.SUBMITTED
    assert erp.submit_to_erp(order.id, attempt=2) == LegacyState.SUBMITTED

    assert len(so_rows()) == 1 and legacy_serial() == 1
    db.session.refresh(order)
    assert order.submitted_at == submitted_at and len(shop_messages(order)) == 1


def test_a_job_for_an_unknown_or_unapproved_order_does_nothing(make, shop):
    pending = db.session.get(Order, make.b2b_order(shop).id)

    assert erp.submit_to_erp("no-such-order") is None
    assert erp.submit_to_erp(pending.id) is None

    assert so_rows() == [] and legacy_serial() is None


@pytest.mark.parametrize(("change", "error"), [
    ("toko", "ID toko di ERP (ref_toko_id)"),
    ("salesman", "salesman toko dengan ID salesman ERP"),
    ("part", "ID part ERP untuk BUSI-NGK"),
])
def test_an_order_missing_a_legacy_id_fails_readably_and_takes_no_number(
        make, shop, change, error):
    if change == "toko":
        shop.ref_toko_id = None
    elif change == "salesman":
        shop.salesman.ref_salesman_id = None
    else:
        db.session.execute(update(Product).where(Product.code == "BUSI-NGK")
                           .values(ref_part_id=None))
    db.session.commit()

    order = approved(make, shop)

    assert order.legacy_state == LegacyState.FAILED
    assert order.legacy_error == f"Tidak bisa dikirim ke ERP, belum ada: {error}."
    assert order.ref_so_number is None and legacy_serial() is None
    assert so_rows() == [] and shop_messages(order) == []


def test_an_order_cancelled_before_its_job_ran_is_not_sent(make, shop):
    order = approved(make, shop, run=False)
    transition(order, OrderStatus.CANCELLED, actor=ADMIN)
    commit()

    assert erp.submit_to_erp(order.id) == LegacyState.FAILED

    db.session.refresh(order)
    assert order.legacy_error == "Order sudah CANCELLED: tidak dikirim ke ERP."
    assert so_rows() == [] and legacy_serial() is None


def test_a_stalled_submission_is_queued_again_and_touched(make, shop):
    stalled = approved(make, shop, run=False)
    fresh = approved(make, shop, run=False)
    now = clock.now()
    db.session.execute(update(Order).where(Order.id == stalled.id)
                       .values(updated_at=now - timedelta(minutes=16)))
    db.session.commit()

    assert erp.resubmit_stalled_orders(now) == 1
    commit()  # the job runs (no Redis: right here)

    db.session.refresh(stalled)
    db.session.refresh(fresh)
    assert stalled.legacy_state == LegacyState.SUBMITTED
    assert fresh.legacy_state == LegacyState.QUEUED
    assert erp.resubmit_stalled_orders(now) == 0


# --- stock ---------------------------------------------------------------------------------


def legacy_part(part_id: int, code: str, *, het="45000", min_stok=0, active=True,
                category="OIL", name=None) -> LegacyPart:
    part = LegacyPart(id=part_id, kd_part=code, nm_part=name or f"Part {code}",
                      fk_detail_sub_kelompok_part=category, het=Decimal(het), min_stok=min_stok,
                      part_active=active)
    db.session.add(part)
    return part


def stock(part_id: int, on_hand: int, booked: int, month: tuple[int, int]) -> None:
    db.session.add(LegacyStock(fk_part=part_id, qty_on_hand=on_hand, qty_booking=booked,
                               tahun=month[0], bulan=month[1]))


def cached(code: str) -> tuple:
    product = db.session.scalar(select(Product).where(Product.code == code))
    return product.legacy_stock, product.stock_synced_at


def test_the_stock_sync_copies_what_can_be_sold_this_month(make):
    make.distributor_store()
    outsider = make.product(make.store(), "OLI-MPX2", ref_part_id=None)  # another store's
    for part_id, code in ((101, "OLI-MPX2"), (102, "OLI-SPX1"), (201, "KAMPAS-REM"),
                          (202, "BUSI-NGK")):
        legacy_part(part_id, code, min_stok={101: 5, 201: 10}.get(part_id, 0))
    db.session.flush()
    stock(101, 40, 10, (2026, 5))  # 40 - 10 - 5
    stock(101, 7, 0, (2026, 5))  # a second warehouse
    stock(101, 999, 0, (2026, 4))  # last month's
    stock(201, 12, 5, (2026, 5))  # 12 - 5 - 10 < 0: nothing to sell
    stock(202, 3, 0, (2026, 4))  # no row this month
    db.session.commit()
    now = at("2026-04-30 18:00")  # May 1, 01:00 in Jakarta

    assert erp.sync_legacy_stock(now) == {"updated": 2, "without_stock": 2}

    assert cached("KAMPAS-REM") == (0, now)
    assert cached("OLI-SPX1") == (None, None) and cached("BUSI-NGK") == (None, None)
    product = db.session.scalar(select(Product).where(Product.ref_part_id == 101))
    assert (product.legacy_stock, product.stock_synced_at) == (32, now)
    db.session.refresh(outsider)
    assert outsider.legacy_stock is None


def test_a_later_sync_replaces_the_cached_stock_and_its_time(make):
    make.distributor_store()
    legacy_part(202, "BUSI-NGK")
    db.session.flush()
    stock(202, 10, 0, (2026, 6))
    db.session.commit()
    erp.sync_legacy_stock(at("2026-06-10 03:00"))
    db.session.execute(update(LegacyStock).values(qty_booking=4))
    db.session.commit()

    erp.sync_legacy_stock(at("2026-06-10 04:00"))

    assert cached("BUSI-NGK") == (6, at("2026-06-10 04:00"))


# --- parts ---------------------------------------------------------------------------------


def products(store) -> dict[str, tuple]:
    return {p.code: (p.ref_part_id, p.name, p.category, p.price, p.is_active)
            for p in db.session.scalars(select(Product).where(Product.store_id == store.id))}


def test_parts_sync_creates_updates_links_and_turns_off_products(make):
    store = make.distributor_store()  # OLI-MPX2 101, OLI-SPX1 102, KAMPAS-REM 201, BUSI-NGK 202
    make.product(store, "FILTER-UDARA", "30000", name="Filter lama", category="SPARE_PART")
    legacy_part(101, "OLI-MPX2", het="45000", name="Oli AHM MPX2 0.8L")  # unchanged
    legacy_part(102, "OLI-SPX1", het="55000", name="Oli AHM SPX1 1L Baru")  # new price, name
    legacy_part(201, "KAMPAS-REM", het="38000", active=False, category="SPARE_PART",
                name="Kampas Rem Depan Beat")  # no longer sold
    # 202 BUSI-NGK is gone from the ERP
    legacy_part(301, "FILTER-UDARA", het="32000", category="SPARE_PART", name="Filter Udara")
    legacy_part(302, "RANTAI", het="0", category="SPARE_PART", name="Rantai")  # no price
    legacy_part(303, "LAMPU", het="25000", category="ELECTRIC", name="Lampu Depan")
    db.session.commit()
    batches = []

    summary = erp.sync_parts(store, progress=batches.append, batch_size=4)

    assert (summary.created, summary.updated, summary.unchanged, summary.deactivated,
            summary.skipped) == (2, 2, 1, 2, [])
    assert batches == [4, 2]
    assert products(store) == {
        "OLI-MPX2": (101, "Oli AHM MPX2 0.8L", "OIL", Decimal("45000.00"), True),
        "OLI-SPX1": (102, "Oli AHM SPX1 1L Baru", "OIL", Decimal("55000.00"), True),
        "KAMPAS-REM": (201, "Kampas Rem Depan Beat", "SPARE_PART", Decimal("38000.00"), False),
        "BUSI-NGK": (202, "Busi NGK CPR7EA", "SPARE_PART", Decimal("18000.00"), False),
        "FILTER-UDARA": (301, "Filter Udara", "SPARE_PART", Decimal("32000.00"), True),
        "RANTAI": (302, "Rantai", "SPARE_PART", Decimal("0.00"), False),
        "LAMPU": (303, "Lampu Depan", "ELECTRIC", Decimal("25000.00"), True),
    }

    again = erp.sync_parts(store)

    assert (again.created, again.updated, again.unchanged, again.deactivated) == (0, 0, 6, 0)


def test_a_part_whose_code_is_another_products_is_skipped(make):
    store = make.distributor_store()
    legacy_part(101, "OLI-MPX2")
    legacy_part(999, "BUSI-NGK", name="Busi lain")  # BUSI-NGK is part 202's product
    db.session.commit()

    summary = erp.sync_parts(store)

    assert summary.skipped == ["BUSI-NGK"] and summary.created == 0
    assert products(store)["BUSI-NGK"][:2] == (202, "Busi NGK CPR7EA")


def test_the_sync_parts_command_commits_each_batch_and_shows_a_summary(
        make, runner, monkeypatch):
    import shop.erp_cli

    commits = []
    monkeypatch.setattr(shop.erp_cli, "commit", lambda: (commits.append(1), commit()))
    store = make.distributor_store()
    for n in range(5):
        legacy_part(500 + n, f"NEW-{n}", category="SPARE_PART")
    legacy_part(101, "OLI-MPX2", het="45000", name="Oli AHM MPX2 0.8L")
    db.session.commit()

    done = runner.invoke(args=["sync-parts", "--store", store.slug, "--batch-size", "2"])

    assert done.exit_code == 0, done.output
    assert done.output.startswith("Parts")  # the bar (drawn in full on a terminal)
    assert len(commits) == 3 + 1  # after each of the 3 batches, and at the end
    assert done.output.strip().endswith(
        "Created 5, updated 0, unchanged 1, deactivated 3.")  # 102, 201, 202 are gone
    assert db.session.scalar(select(func.count()).select_from(Product).where(
        Product.store_id == store.id, Product.is_active.is_(True))) == 6


def test_the_sync_parts_command_refuses_an_unknown_store(runner):
    done = runner.invoke(args=["sync-parts", "--store", "nope"])

    assert done.exit_code != 0 and "No store 'nope'" in done.output


def test_the_sync_stock_command_reports_the_counts(make, runner):
    make.distributor_store()
    legacy_part(101, "OLI-MPX2")
    db.session.flush()
    local = clock.now().astimezone(ZoneInfo("Asia/Jakarta"))
    stock(101, 9, 1, (local.year, local.month))
    db.session.commit()

    done = runner.invoke(args=["sync-stock"])

    assert done.exit_code == 0, done.output
    assert "Stock of 1 products synced; 3 without stock" in done.output
    assert cached("OLI-MPX2")[0] == 8
