"""Factories: create_*(...) helpers that commit, like the request boundary would."""

from __future__ import annotations

import itertools
from decimal import Decimal

from shop.extensions import db
from shop.models import Channel, Customer, Product, SalesStaff, Shop, StaffPosition, Store
from shop.services.checkout import CheckoutRequest, PlacedOrder, place_order

_seq = itertools.count(1)

#: Burger China's menu in the tests: code, name, category, price, stock (None: made to
#: order), active.
BURGER_MENU = [
    ("BRG-CHEESE", "Burger Cheese", "Burger", "25000", None, True),
    ("FRIES", "French Fries", "Snack", "15000", None, True),
    ("COLA", "Cola", "Minuman", "8000", 50, True),
    ("NUGGET", "Nugget", "Snack", "18000", 3, True),
    ("SUNDAE", "Sundae", "Dessert", "12000", 0, True),
    ("OLD", "Menu Lama", "Burger", "5000", None, False),
]

#: The distributor's parts in the tests: code, name, category, list price, legacy part id.
PARTS = [
    ("OLI-MPX2", "Oli AHM MPX2 0.8L", "OIL", "45000", 101),
    ("OLI-SPX1", "Oli AHM SPX1 1L", "OIL", "52000", 102),
    ("KAMPAS-REM", "Kampas Rem Depan Beat", "SPARE_PART", "38000", 201),
    ("BUSI-NGK", "Busi NGK CPR7EA", "SPARE_PART", "18000", 202),
]


class Factories:
    def store(self, slug: str | None = None, **fields) -> Store:
        n = next(_seq)
        values = {
            "slug": slug or f"toko{n}", "name": f"Toko {n}", "whatsapp": "6281111111111",
            "timezone": "Asia/Jakarta",
            "bank_accounts": [{"bank": "BCA", "number": "8800112233", "holder": "Toko"}],
            "couriers": ["JNE Regular", "SiCepat REG"],
        }
        values.update(fields)
        store = Store(**values)
        db.session.add(store)
        db.session.commit()
        return store

    def burger_store(self) -> Store:
        """Burger China of seed 000 ("burgerchina"), with the menu the tests order from:
        made-to-order burger and fries, Cola (50 in stock), Nugget (3, below the low-stock
        threshold), Sundae (sold out) and an inactive old menu item."""
        store = self.store("burgerchina", name="Burger China", whatsapp="6281111111111",
                           address="Jl. Gajah Mada 1, Jakarta", timezone="Asia/Jakarta")
        for code, name, category, price, stock, active in BURGER_MENU:
            self.product(store, code, price, name=name, category=category, stock=stock,
                         is_active=active)
        return store

    def product(self, store: Store, code: str | None = None, price="25000", **fields) -> Product:
        n = next(_seq)
        values = {"code": code or f"P{n}", "name": fields.pop("name", f"Produk {n}"),
                  "category": "Umum", "price": Decimal(str(price))}
        values.update(fields)
        product = Product(store_id=store.id, **values)
        db.session.add(product)
        db.session.commit()
        return product

    def customer(self, store: Store, phone: str = "6281234567890", **fields) -> Customer:
        values = {"name": "Budi Santoso", "address": "Jl. Sudirman 123"}
        values.update(fields)
        customer = Customer(store_id=store.id, phone=phone, **values)
        db.session.add(customer)
        db.session.commit()
        return customer

    def order(self, store: Store, items=None, **fields) -> PlacedOrder:
        """Place an order through checkout (the only way orders are born) and commit."""
        if items is None:
            items = [(self.product(store).code, 1)]
        values = {"name": "Budi Santoso", "phone": "081234567890", "address": "Jl. Sudirman 123"}
        values.update(fields)
        placed = place_order(store, CheckoutRequest(items=items, **values),
                             base_url="https://shop.test")
        db.session.commit()
        return placed

    def distributor_store(self, slug: str = "pmo") -> Store:
        """A parts distributor (seed 004) with the PARTS, each linked to its legacy part."""
        store = self.store(slug, name="PMO Distributor", whatsapp="6281300000000",
                           admin_whatsapp=["6281300000001"], couriers=[])
        for code, name, category, price, ref in PARTS:
            self.product(store, code, price, name=name, category=category, ref_part_id=ref)
        return store

    def dealer_shop(self, store: Store | None = None, code: str = "TK001",
                    phone: str = "628123456789", **fields) -> Shop:
        """A dealer shop of the distributor (Toko Jaya Motor of seed 004 by default), with a
        salesman who has a legacy id."""
        store = store or self.distributor_store()
        salesman = SalesStaff(store_id=store.id, name=f"Sales {code}", phone=None,
                              position=StaffPosition.SALES, ref_salesman_id=7)
        db.session.add(salesman)
        db.session.flush()
        values = {"name": "Toko Jaya Motor", "address": "Jl. Raya Bogor 12", "city": "Depok",
                  "province": "Jawa Barat", "ref_toko_id": 501, "salesman_id": salesman.id}
        values.update(fields)
        shop = Shop(store_id=store.id, code=code, phone=phone, **values)
        db.session.add(shop)
        db.session.commit()
        return shop

    def b2b_order(self, shop: Shop, items=None, **fields) -> PlacedOrder:
        """A dealer's order through checkout (channel b2b, PENDING), committed."""
        store = db.session.get(Store, shop.store_id)
        placed = place_order(store, CheckoutRequest(
            name=None, phone=None, address=None, items=items or [("OLI-MPX2", 2)],
            channel=Channel.B2B, actor=f"shop:{shop.code}", shop=shop, **fields,
        ), base_url="https://shop.test")
        db.session.commit()
        return placed
