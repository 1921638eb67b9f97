"""Commands: seed-demo (idempotent) and import-customers."""

from decimal import Decimal

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AdminUser, Customer, Notification, NotificationStatus, Product, Store


def test_seed_demo_creates_the_burgerchina_store_and_prints_admin_credentials(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Admin login: admin@burgerchina.test / " in result.output
    store = db.session.scalar(select(Store).where(Store.slug == "burgerchina"))
    assert (store.name, store.whatsapp, store.timezone) == (
        "Burger China", "6281111111111", "Asia/Jakarta")
    assert store.bank_accounts[0]["bank"] == "BCA"
    products = {p.code: p for p in db.session.scalars(
        select(Product).where(Product.store_id == store.id))}
    assert (products["BRG-CHEESE"].name, products["BRG-CHEESE"].price) == (
        "Burger Cheese", Decimal("25000.00"))
    assert (products["FRIES"].price, products["FRIES"].stock) == (Decimal("15000.00"), None)
    assert (products["COLA"].price, products["COLA"].stock) == (Decimal("8000.00"), 50)
    assert len(products) >= 5
    # The made-up history sends nothing; the proof waiting for review alerts the store, and
    # in the embedded default that alert is sent when the command commits.
    statuses = dict(db.session.execute(select(Notification.status, func.count())
                                       .where(Notification.store_id == store.id)
                                       .group_by(Notification.status)).all())
    assert statuses[NotificationStatus.SUPPRESSED] > 300
    assert statuses.get(NotificationStatus.SENT) == 1
    assert NotificationStatus.QUEUED not in statuses
    assert "B2B portal: /portal/login" in result.output and "TK001" in result.output


def test_seed_demo_twice_changes_nothing(runner):
    runner.invoke(args=["seed-demo"])
    password_hash = db.session.scalar(select(AdminUser.password_hash))
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "already exists" in result.output
    # Burger China, the distributor and the hosting shop.
    assert db.session.scalar(select(func.count()).select_from(Store)) == 3
    burger = db.session.scalar(select(Store.id).where(Store.slug == "burgerchina"))
    assert db.session.scalar(select(func.count()).select_from(Product)
                             .where(Product.store_id == burger)) == 8
    assert db.session.scalar(select(AdminUser.password_hash)) == password_hash


def test_import_customers_command_reports_rejected_rows(runner, make, tmp_path):
    make.store("warung")
    csv_file = tmp_path / "pelanggan.csv"
    csv_file.write_text("name,phone,email,address\nBudi,081234567890,,Jl. A\nRudi,123,,Jl. B\n")
    result = runner.invoke(args=["import-customers", str(csv_file), "--store", "warung"])
    assert result.exit_code == 0, result.output
    assert "Baru: 1" in result.output and "baris 3: nomor HP tidak valid" in result.output
    assert db.session.scalar(select(Customer.phone)) == "6281234567890"


def test_import_customers_into_unknown_store_fails_cleanly(runner, tmp_path):
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("name,phone\nBudi,081234567890\n")
    result = runner.invoke(args=["import-customers", str(csv_file), "--store", "nope"])
    assert result.exit_code != 0 and "Toko tidak ditemukan" in result.output
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0
