"""Commands: seed-demo, create-admin and import-customers (each commits once at its end)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from .errors import ShopError
from .extensions import db
from .models import AdminRole, AdminUser, Product, Store
from .services.admin_users import set_password
from .unit_of_work import commit

DEMO_STORE = {
    "slug": "burgerchina", "name": "Burger China", "whatsapp": "6281111111111",
    "address": "Jl. Gajah Mada No. 8, Jakarta Barat", "timezone": "Asia/Jakarta",
    "bank_accounts": [{"bank": "BCA", "number": "1234567890", "holder": "Burger China"}],
    "couriers": ["JNE Regular", "SiCepat REG", "GoSend Instant", "Ambil di Toko"],
    # GoSend has no rate: its fee depends on the distance, so an admin confirms it.
    "shipping_rates": [
        {"courier": "JNE Regular", "fee": "15000.00", "free_from": "150000.00"},
        {"courier": "SiCepat REG", "fee": "12000.00", "free_from": None},
        {"courier": "Ambil di Toko", "fee": "0.00", "free_from": None},
    ],
    "e_wallets": [{"provider": "GoPay", "number": "081111111111", "holder": "Burger China"}],
    # Transfers get a unique code (and QRIS orders a dynamic QRIS: see seed_demo).
    "unique_code_enabled": True,
}
#: code, name, category, price, stock (None: made to order), description
DEMO_PRODUCTS = [
    ("BRG-CHEESE", "Burger Cheese", "Burger", "25000", None,
     "Daging sapi, keju cheddar, saus spesial."),
    ("BRG-DOUBLE", "Double Burger", "Burger", "38000", None, "Dua daging sapi dan dua keju."),
    ("BRG-CHICKEN", "Chicken Burger", "Burger", "22000", None, "Ayam krispi dan selada."),
    ("FRIES", "French Fries", "Snack", "15000", None, "Kentang goreng renyah."),
    ("NUGGET", "Chicken Nugget (6 pcs)", "Snack", "18000", 0, "Nugget ayam dengan saus sambal."),
    ("COLA", "Cola", "Minuman", "8000", 50, "Cola dingin 330 ml."),
    ("ICE-TEA", "Es Teh Manis", "Minuman", "5000", 100, "Teh manis dingin."),
    ("SUNDAE", "Sundae Cokelat", "Dessert", "12000", 3, "Es krim vanila dengan saus cokelat."),
]
DEMO_ADMIN_EMAIL = "admin@burgerchina.test"


def seed_demo(reset_password: bool = False) -> tuple[Store, str | None]:
    """Create (or complete) the demo store, products and admin; return a new password."""
    store = db.session.scalar(select(Store).where(Store.slug == "burgerchina"))
    if store is None:
        store = Store(**DEMO_STORE)
        db.session.add(store)
        db.session.flush()
    if not store.shipping_rates:  # a demo store made before shipping fees existed
        store.shipping_rates = DEMO_STORE["shipping_rates"]
    if store.qris_payload is None:  # new, or made before QRIS and unique codes
        from .services.qris import SAMPLE_STATIC_QRIS

        store.qris_payload = SAMPLE_STATIC_QRIS
        store.unique_code_enabled = True
        store.e_wallets = store.e_wallets or DEMO_STORE["e_wallets"]
    known = set(db.session.scalars(select(Product.code).where(Product.store_id == store.id)))
    for code, name, category, price, stock, description in DEMO_PRODUCTS:
        if code not in known:
            db.session.add(Product(
                store_id=store.id, code=code, name=name, category=category,
                price=Decimal(price), stock=stock, description=description,
            ))
    admin = db.session.scalar(select(AdminUser).where(AdminUser.email == DEMO_ADMIN_EMAIL))
    password = None
    if admin is None or reset_password:
        password = secrets.token_urlsafe(9)
        if admin is None:
            admin = AdminUser(email=DEMO_ADMIN_EMAIL, name="Admin Burger China",
                              role=AdminRole.SUPER_ADMIN, password_hash="")
            db.session.add(admin)
        set_password(admin, password)
    db.session.flush()
    return store, password


def register_cli(app: Flask) -> None:
    """Attach the shop's commands to `flask`."""
    from .api_keys_cli import register_api_key_cli
    from .erp_cli import register_erp_cli
    from .jobs.cli import register_job_cli

    register_job_cli(app)
    register_api_key_cli(app)
    register_erp_cli(app)

    @app.cli.command("seed-demo")
    @click.option("--reset-admin-password", is_flag=True,
                  help="Give the demo admin a new password.")
    def seed_demo_command(reset_admin_password: bool) -> None:
        """Create the demo stores (burgerchina with an admin, the B2B distributor, the
        hosting shop of seed 001), idempotent."""
        from .demo import seed_demo_activity, seed_demo_photos
        from .demo_b2b import legacy_is_embedded, seed_b2b_demo
        from .demo_hosting import seed_hosting_demo

        store, password = seed_demo(reset_admin_password)
        added = seed_demo_activity(store)
        seed_demo_photos(store)
        distributor, parts = seed_b2b_demo()
        hosting, _packages = seed_hosting_demo()
        commit()
        click.echo(f"Demo store: /store/{store.slug} ({store.name}); {added} demo orders added")
        click.echo(f"B2B portal: /portal/login for the dealer shops of {distributor.name} "
                   "(TK001 Toko Jaya Motor, 628123456789; the code is in the log); "
                   + (f"{parts} parts put in the embedded ERP" if parts else
                      "the ERP's parts were there" if legacy_is_embedded() else
                      "LEGACY_DATABASE_URL is a real ERP: run sync-parts"))
        click.echo(f"WhatsApp shop: {hosting.name} ({hosting.whatsapp}; admin "
                   f"{', '.join(hosting.admin_whatsapp)}): !katalog, !order bronze 3")
        if password:
            click.echo(f"Admin login: {DEMO_ADMIN_EMAIL} / {password}")
        else:
            click.echo(f"Admin {DEMO_ADMIN_EMAIL} already exists (use --reset-admin-password).")

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--password", help="The password (8-128 characters); asked for when left out.")
    @click.option("--role", type=click.Choice([r.value for r in AdminRole]), default="admin",
                  show_default=True)
    @click.option("--store", "slugs", multiple=True, help="Slug of a store it manages (repeat).")
    @click.option("--name", help="The admin's name (default: the email's local part).")
    def create_admin_command(email: str, password: str | None, role: str, slugs: tuple[str, ...],
                             name: str | None) -> None:
        """Create an admin of the back office, or update its role, stores and password."""
        from .services.admin_users import save_admin, stores_by_slug

        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            if role == AdminRole.ADMIN and not slugs:
                raise click.ClickException("An admin needs at least one --store SLUG.")
            user, created = save_admin(email, password=password, role=role,
                                       stores=stores_by_slug(slugs), name=name)
        except ShopError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        commit()
        stores = ", ".join(s.slug for s in user.stores) or "every store"
        click.echo(f"{'Created' if created else 'Updated'} {user.role.value} {user.email} "
                   f"({stores}).")

    @app.cli.command("import-customers")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--store", "slug", required=True, help="Slug of the store, e.g. burgerchina.")
    def import_customers_command(file: Path, slug: str) -> None:
        """Import customers from a CSV file with the columns name,phone,email,address."""
        from .services.customer_import import import_customers
        from .services.stores import get_store

        try:
            store = get_store(slug)
            text = file.read_text(encoding="utf-8-sig")
            report = import_customers(store, text)
        except (ShopError, UnicodeDecodeError) as error:
            db.session.rollback()
            raise click.ClickException(getattr(error, "message", "File harus UTF-8.")) from None
        commit()
        click.echo(f"Baru: {report.created}, sudah ada: {report.merged}, "
                   f"ditolak: {len(report.rejected)}")
        for line_no, reason in report.rejected:
            click.echo(f"  baris {line_no}: {reason}")
