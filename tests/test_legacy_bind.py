"""The legacy ERP is a second bind ("legacy", LEGACY_DATABASE_URL): its tables are mapped on
their own engine, never part of the main schema or its migrations, and a test's writes there
roll back like its main-database writes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import LegacySalesOrder, LegacySalesOrderLine, Store

from .conftest import legacy_url


def so(number: str) -> LegacySalesOrder:
    return LegacySalesOrder(no_so=number, jenis_so="Other", tgl_so=date(2026, 12, 1),
                            grand_total=Decimal("150000"),
                            status_approve_reject="Waiting For Approval")


def test_the_legacy_tables_have_an_engine_of_their_own_and_no_migration(app):
    assert set(db.metadatas) == {None, "legacy"}
    assert {"tblso", "tblso_detail"} <= set(db.metadatas["legacy"].tables)
    assert not {"tblso", "tblso_detail"} & set(db.metadata.tables)  # Alembic's metadata
    with app.app_context():
        legacy = db.engines["legacy"].url.render_as_string(hide_password=False)
    expected = legacy_url(app.config["SQLALCHEMY_DATABASE_URI"])
    assert legacy == expected
    if app.config["TEST_BACKEND"] == "sqlite":
        assert legacy.endswith("-legacy")  # a file of its own


def test_a_tests_legacy_writes_are_seen_inside_it(database):
    order = so("2026/000001/POD-PD")
    db.session.add(order)
    db.session.flush()
    db.session.add(LegacySalesOrderLine(fk_so=order.id, fk_part=7, harga=Decimal("50000"),
                                        qty_so=3, total_harga=Decimal("150000"), qty_sisa=3))
    db.session.add(Store(slug="lama", name="Toko Lama", whatsapp="6281200000001"))
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(LegacySalesOrderLine)) == 1
    assert db.session.scalar(select(LegacySalesOrder.no_so)) == "2026/000001/POD-PD"


def test_and_rolled_back_after_it_in_both_databases(database):
    assert db.session.scalar(select(func.count()).select_from(LegacySalesOrder)) == 0
    assert db.session.scalar(select(func.count()).select_from(LegacySalesOrderLine)) == 0
    assert db.session.scalar(select(func.count()).select_from(Store)
                             .where(Store.slug == "lama")) == 0


def test_committed_data_is_wiped_from_the_legacy_tables_too(app, committed):
    with app.app_context():
        db.session.add(so("2026/000002/POD-PD"))
        db.session.commit()
    from .conftest import wipe

    wipe(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LegacySalesOrder)) == 0
