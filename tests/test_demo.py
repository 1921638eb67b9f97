"""Demo data: enough for the back office's screens, and idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from shop.cli import seed_demo
from shop.demo import seed_demo_activity, seed_demo_dealers
from shop.extensions import db
from shop.models import Order, OrderEvent, Payment, SalesStaff, Shipment, Shop


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


def test_demo_dealers_are_added_once(database):
    store, _ = seed_demo()
    seed_demo_dealers(store)
    seed_demo_dealers(store)
    db.session.commit()
    assert count(Shop) == 3 and count(SalesStaff) == 3
    assert {s.salesman.position.value for s in db.session.scalars(select(Shop))} == {"sales"}


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
