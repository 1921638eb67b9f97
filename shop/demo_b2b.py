"""Demo data of the B2B portal (seed 004): the parts distributor with its sales team and
three dealer shops, and, in the embedded default, the legacy ERP's own database (a second
SQLite file) with 50 parts, their stock of this month, the shops and the salesmen. The
distributor's products then come from the ERP the way they do in production: by the parts
sync. Idempotent: a second run adds nothing."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from . import clock
from .extensions import db
from .models import (
    LegacyPart,
    LegacySalesman,
    LegacyStock,
    LegacyToko,
    SalesStaff,
    Shop,
    StaffPosition,
    Store,
)

DISTRIBUTOR = {
    "slug": "pmo", "name": "PMO Distributor Part", "whatsapp": "6281300000000",
    "admin_whatsapp": ["6281300000001"], "address": "Jl. Soekarno-Hatta No. 590, Bandung",
    "timezone": "Asia/Jakarta", "couriers": [], "bank_accounts": [
        {"bank": "BCA", "number": "7770001234", "holder": "PT PMO Distributor"}],
}
#: code, name, city, legacy toko id; the first is seed 004's example shop and number.
SHOPS = (
    ("TK001", "Toko Jaya Motor", "628123456789", "Bandung", 1001),
    ("TK002", "Toko Maju Motor", "628123456790", "Cimahi", 1002),
    ("TK003", "Toko Sejahtera Motor", "628123456791", "Garut", 1003),
)
OILS = ("AHM MPX1 10W-30 0.8L", "AHM MPX2 10W-30 0.8L", "AHM MPX3 10W-30 0.8L",
        "AHM SPX1 10W-30 1L", "AHM SPX2 10W-30 1L", "AHM Gear Oil 120ml", "Shell Advance AX7 1L",
        "Federal Ultratec 0.8L", "Castrol Power1 1L", "Yamalube Matic 0.8L",
        "Coolant AHM 500ml", "Minyak Rem DOT3 50ml", "Enduro Racing 1L",
        "Motul Scooter 0.8L", "Pertamina Enduro Matic 0.8L")
SPARE_PARTS = ("Kampas Rem Depan Beat", "Kampas Rem Belakang Vario", "Busi NGK CPR7EA",
               "Busi NGK CPR8EA", "Filter Udara Beat FI", "Filter Udara Vario 125",
               "V-Belt Beat FI", "V-Belt Vario 150", "Roller Set Beat", "Kampas Kopling Scoopy",
               "Rantai Supra X 125", "Gear Set Supra", "Aki GS GTZ5S", "Lampu Depan LED Beat",
               "Bohlam Sein 12V", "Kabel Gas Vario", "Kabel Rem Revo", "Karet Footstep Beat",
               "Spion Standar Honda", "Ban Luar IRC 80/90-14", "Ban Dalam 2.50-17",
               "Shock Belakang Beat", "Seal Shock Depan", "Bearing Roda 6301",
               "Pulley Set Beat", "Piston Kit Beat STD", "Ring Piston Beat", "Gasket Blok Beat",
               "CDI Supra X", "Regulator Kiprok Beat", "Starter Relay Honda", "Klakson Honda",
               "Tutup Pentil", "Baut Probolt M6", "Karburator Revo")


def _parts() -> list[dict]:
    """The 50 demo parts of the ERP: part number, name, category, list price, safety stock."""
    rows = []
    for n, name in enumerate(OILS, start=1):
        rows.append({"kd_part": f"OIL{n:04d}K0J", "nm_part": name,
                     "fk_detail_sub_kelompok_part": "OIL",
                     "het": Decimal(38000 + 4000 * (n % 7)), "min_stok": 5})
    for n, name in enumerate(SPARE_PARTS, start=1):
        rows.append({"kd_part": f"SP{n:04d}KVB", "nm_part": name,
                     "fk_detail_sub_kelompok_part": "SPARE_PART",
                     "het": Decimal(12500 + 7500 * (n % 11)), "min_stok": 2})
    return rows


def legacy_is_embedded() -> bool:
    """Whether the legacy ERP is the embedded SQLite file (the demo may create and fill it);
    a real ERP database (LEGACY_DATABASE_URL) is never created, migrated or written by it."""
    return db.engines["legacy"].dialect.name == "sqlite"


def seed_legacy_erp(now=None) -> int:
    """Create the embedded ERP's tables and fill them: parts, this month's stock, the shops
    and salesmen; returns the parts added (0 when filled already or not embedded)."""
    if not legacy_is_embedded():
        return 0
    db.create_all(bind_key="legacy")
    if db.session.scalar(select(func.count()).select_from(LegacyPart)):
        return 0
    local = (now or clock.now()).astimezone(ZoneInfo("Asia/Jakarta"))
    parts = [LegacyPart(part_active=True, **row) for row in _parts()]
    db.session.add_all(parts)
    db.session.flush()
    for n, part in enumerate(parts):
        on_hand = 0 if n % 13 == 6 else 20 + (n * 17) % 180
        db.session.add(LegacyStock(fk_part=part.id, qty_on_hand=on_hand,
                                   qty_booking=(n * 5) % 15 if on_hand else 0,
                                   bulan=local.month, tahun=local.year))
    db.session.add_all([LegacyToko(id=ref, kd_toko=code, nm_toko=name)
                        for code, name, _phone, _city, ref in SHOPS])
    db.session.add_all([LegacySalesman(id=71, nm_salesman="Rudi Hartono"),
                        LegacySalesman(id=72, nm_salesman="Maya Sari")])
    db.session.flush()
    return len(parts)


def seed_distributor() -> Store:
    """The distributor store, its supervisor and two salesmen, and the three dealer shops."""
    store = db.session.scalar(select(Store).where(Store.slug == DISTRIBUTOR["slug"]))
    if store is None:
        store = Store(**DISTRIBUTOR)
        db.session.add(store)
        db.session.flush()
    if db.session.scalar(select(func.count()).select_from(Shop).where(Shop.store_id == store.id)):
        return store
    spv = SalesStaff(store_id=store.id, name="Hendra Gunawan", phone="6281355500001",
                     position=StaffPosition.SUPERVISOR)
    db.session.add(spv)
    db.session.flush()
    sales = [SalesStaff(store_id=store.id, name=name, phone=phone, supervisor_id=spv.id,
                        position=StaffPosition.SALES, ref_salesman_id=ref)
             for name, phone, ref in (("Rudi Hartono", "6281355500002", 71),
                                      ("Maya Sari", "6281355500003", 72))]
    db.session.add_all(sales)
    db.session.flush()
    for n, (code, name, phone, city, ref) in enumerate(SHOPS):
        db.session.add(Shop(store_id=store.id, code=code, name=name, phone=phone, city=city,
                            province="Jawa Barat", ref_toko_id=ref,
                            salesman_id=sales[n % 2].id,
                            address=f"Jl. Raya {city} No. {(n + 1) * 7}"))
    db.session.flush()
    return store


def seed_b2b_demo() -> tuple[Store, int]:
    """The whole B2B demo: the embedded ERP, the distributor and its shops, its products
    synced from the ERP with this month's stock, and two orders of Toko Jaya Motor (one
    approved, whose SO the legacy job writes after the commit, one waiting for approval).
    Returns the store and the parts the ERP got (0 on a second run)."""
    from .services.b2b_orders import approve_b2b_order
    from .services.erp import sync_legacy_stock, sync_parts

    added = seed_legacy_erp()
    store = seed_distributor()
    if legacy_is_embedded():
        sync_parts(store)
        sync_legacy_stock()
        _demo_b2b_orders(store, approve_b2b_order)
    return store, added


def _demo_b2b_orders(store: Store, approve) -> None:
    from .models import Channel, Order, Product
    from .services.checkout import CheckoutRequest, place_order

    shop = db.session.scalar(select(Shop).where(Shop.store_id == store.id, Shop.code == "TK001"))
    if shop is None or db.session.scalar(select(func.count()).select_from(Order)
                                         .where(Order.shop_id == shop.id)):
        return
    codes = list(db.session.scalars(select(Product.code).where(
        Product.store_id == store.id, Product.is_active.is_(True),
        (Product.legacy_stock.is_(None)) | (Product.legacy_stock >= 10))
        .order_by(Product.id).limit(4)))
    if len(codes) < 4:
        return
    for items, decide in (([(codes[0], 6), (codes[1], 4)], True),
                          ([(codes[2], 2), (codes[3], 5)], False)):
        placed = place_order(store, CheckoutRequest(
            name=None, phone=None, address=None, items=items, channel=Channel.B2B,
            actor=f"shop:{shop.code}", shop=shop, notes="Order demo"),
            base_url="http://127.0.0.1:5000")
        if decide:
            approve(db.session.get(Order, placed.id), actor="admin:admin@burgerchina.test")
