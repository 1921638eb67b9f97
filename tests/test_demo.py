"""Demo data: enough for the back office's screens, and idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from shop.cli import seed_demo
from shop.demo import seed_demo_activity
from shop.demo_b2b import seed_b2b_demo
from shop.extensions import db
from shop.models import (
    Channel,
    LegacyPart,
    LegacySalesOrder,
    LegacyState,
    Order,
    OrderEvent,
    OrderStatus,
    Payment,
    Product,
    SalesStaff,
    Shipment,
    Shop,
    StaffPosition,
)
from shop.unit_of_work import commit


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_activity_spreads_orders_over_60_days_in_many_statuses_once(database):
    store, _ = seed_demo()
    added = seed_demo_activity(store, customers=40, orders=80)
    db.session.commit()

    assert added >= 75  # a drawn order may be refused (stock); almost all are placed
    statuses = set(db.session.scalars(select(Order.status).distinct()))
    assert len(statuses) >= 6
    channels = set(db.session.scalars(select(Order.channel).distinct()))
    assert {"storefront", "whatsapp", "admin"} <= {c.value for c in channels}
    assert count(Shipment) > 0 and count(Payment) > 0
    first, last = db.session.execute(select(func.min(Order.created_at),
                                            func.max(Order.created_at))).one()
    assert (last - first).days >= 50
    # Events follow their order's time, not the moment the demo ran.
    oldest = db.session.scalar(select(Order).order_by(Order.created_at).limit(1))
    event_times = db.session.scalars(select(OrderEvent.created_at)
                                     .where(OrderEvent.order_id == oldest.id)).all()
    assert min(event_times) == oldest.created_at

    assert seed_demo_activity(store, customers=40, orders=80) == 0
    assert count(Order) == added


def test_b2b_demo_is_the_distributor_with_seed_004s_shop_and_an_erp_once(database):
    store, parts = seed_b2b_demo()
    again, parts_again = seed_b2b_demo()
    db.session.commit()
    assert (again.id, parts_again) == (store.id, 0)
    shop = db.session.scalar(select(Shop).where(Shop.code == "TK001"))
    assert (shop.name, shop.phone, shop.store_id) == (
        "Toko Jaya Motor", "628123456789", store.id)
    assert count(Shop) == 3 and shop.salesman.position == StaffPosition.SALES
    assert count(SalesStaff, SalesStaff.position == StaffPosition.SUPERVISOR) == 1
    if db.engines["legacy"].dialect.name != "sqlite":
        assert parts == 0  # a real ERP is never filled by the demo
        return
    assert parts == 50 == count(LegacyPart)
    products = db.session.scalars(select(Product).where(Product.store_id == store.id)).all()
    assert len(products) == 50 and {p.category for p in products} == {"OIL", "SPARE_PART"}
    assert all(p.ref_part_id and p.stock_synced_at and p.legacy_stock is not None
               for p in products)
    assert any(p.legacy_stock == 0 for p in products)  # something to see sold out


def test_b2b_demo_has_an_approved_order_and_one_waiting(database):
    seed_b2b_demo()
    commit()  # as the command does: then the jobs registered for after the commit run
    if db.engines["legacy"].dialect.name != "sqlite":
        return
    orders = db.session.scalars(select(Order).where(Order.channel == Channel.B2B)
                                .order_by(Order.created_at, Order.number)).all()
    assert [o.status for o in orders] == [OrderStatus.CONFIRMED, OrderStatus.PENDING]
    # Without Redis the legacy job runs right after the commit: the SO is in the ERP.
    assert orders[0].legacy_state == LegacyState.SUBMITTED
    so = db.session.scalar(select(LegacySalesOrder))
    assert (so.no_so, so.fk_toko) == (orders[0].ref_so_number, 1001)


def test_demo_photos_and_a_proof_to_review_are_added_once(app, make, tmp_path):
    from shop.demo import seed_demo_photos
    from shop.models import PaymentStatus, ProductPhoto

    saved = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    try:
        store, _ = seed_demo()
        make.order(store, items=[("FRIES", 1)], payment_method="bank_transfer")
        assert seed_demo_photos(store) == 8
        assert seed_demo_photos(store) == 0
        db.session.commit()
        assert count(ProductPhoto) == 8 and len(list(tmp_path.glob("*.png"))) == 8
        proof = db.session.scalar(select(Payment).where(Payment.proof.is_not(None)))
        assert proof is not None and (tmp_path / "proofs" / proof.proof).exists()
        assert proof.order.payment_status == PaymentStatus.AWAITING_CONFIRMATION
    finally:
        app.config["UPLOAD_FOLDER"] = saved
