"""Demo data of seed 001: a game-server hosting shop that sells its server packages by
WhatsApp `!order`, BRONZE to DIAMOND, each billed per month (the quantity of an order line is
the number of months, 1 to 12), made to order (no stock), paid by bank transfer. Idempotent:
a second run adds nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from .extensions import db
from .models import Billing, Product, Store

HOSTING_STORE = {
    "slug": "ptero", "name": "Ptero Hosting", "whatsapp": "6281400000000",
    "admin_whatsapp": ["6281400000001"], "address": "Jl. Asia Afrika No. 8, Bandung",
    "timezone": "Asia/Jakarta", "couriers": [], "e_wallets": [],
    "bank_accounts": [{"bank": "BCA", "number": "5550001234", "holder": "PT Ptero Hosting"}],
}
#: code, monthly price, RAM, CPU; storage and bandwidth are unlimited on every package
#: (seed 001's BRONZE: 1GB, 1 CPU, Unlimited SSD, Unlimited, Rp 25.000 a month).
PACKAGES = (
    ("BRONZE", "25000", "1GB", "1 CPU"),
    ("SILVER", "45000", "2GB", "2 CPU"),
    ("GOLD", "80000", "4GB", "3 CPU"),
    ("PLATINUM", "150000", "8GB", "4 CPU"),
    ("DIAMOND", "280000", "16GB", "8 CPU"),
)


def package_attributes(ram: str, cpu: str) -> dict[str, str]:
    """What a package's detail lists (`!harga gold`)."""
    return {"RAM": ram, "CPU": cpu, "Storage": "Unlimited SSD", "Bandwidth": "Unlimited"}


def seed_hosting_demo() -> tuple[Store, int]:
    """Create (or complete) the hosting shop and its packages; returns the store and how
    many packages were added (0 on a second run)."""
    store = db.session.scalar(select(Store).where(Store.slug == HOSTING_STORE["slug"]))
    if store is None:
        store = Store(**HOSTING_STORE)
        db.session.add(store)
        db.session.flush()
    known = set(db.session.scalars(select(Product.code).where(Product.store_id == store.id)))
    added = 0
    for code, price, ram, cpu in PACKAGES:
        if code in known:
            continue
        db.session.add(Product(
            store_id=store.id, code=code, name=code, category="Server Minecraft",
            price=Decimal(price), billing=Billing.MONTHLY, stock=None,
            attributes=package_attributes(ram, cpu),
            description=f"Server game {ram} RAM, {cpu}, SSD dan bandwidth tanpa batas; "
                        "harga per bulan, pesan 1-12 bulan."))
        added += 1
    db.session.flush()
    return store, added
