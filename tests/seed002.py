"""Seed 002's test data ("Seeding Test Data" of the support bot's guide), built with the
factories and the shop's own operations: UrbanStyle ID with its bank accounts and e-wallet;
customer Adi Mulyana (081234567890); order ORD-2025-001 of a Kaos Basic Crewneck and a
Celana Chino Slim Fit (Rp 150.000 with shipping), paid by bank transfer TRX-123456 on
20 November 2025, shipped by JNE JNE123456789 on the 21st, in transit in Jakarta, due on
the 26th; stock KAOS-001 50, CELANA-001 30, DRESS-001 0 (sold out).

Use it from a test module with a fixture of its own (a fixture imported from here would be
flagged by ruff as a redefinition):

    @pytest.fixture
    def seed(make):
        return seed002.build(make)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shop.extensions import db
from shop.models import Customer, Order, OrderStatus, Product, Store
from shop.services.api_keys import create_api_key
from shop.services.order_edits import edit_order
from shop.services.orders import transition
from shop.services.payment_records import record_payment
from shop.services.shipping import add_shipment

from .factories import Factories

STORE_SLUG = "urbanstyle"
STORE_NAME = "UrbanStyle ID"
STORE_WHATSAPP = "6281298765432"
BANK_ACCOUNTS = [{"bank": "BCA", "number": "1234567890", "holder": "UrbanStyle ID"},
                 {"bank": "Mandiri", "number": "1370012345678", "holder": "UrbanStyle ID"}]
E_WALLETS = [{"provider": "GoPay", "number": "081298765432", "holder": "UrbanStyle ID"}]

CUSTOMER_NAME = "Adi Mulyana"
CUSTOMER_PHONE = "081234567890"
ADDRESS = "Jl. Merdeka No. 123, Jakarta"

ORDER_NUMBER = "ORD-2025-001"
ORDER_TOTAL = "150000.00"
SHIPPING_FEE = "12000"
CREATED_AT = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)
PAID_AT = datetime(2025, 11, 20, 15, 30, tzinfo=UTC)
TRANSACTION_ID = "TRX-123456"
SHIPPED_AT = datetime(2025, 11, 21, 9, 0, tzinfo=UTC)
TRACKING_NUMBER = "JNE123456789"
LOCATION = "Jakarta"
ESTIMATED_DELIVERY = datetime(2025, 11, 26, tzinfo=UTC)

#: code, name, price, stock after the order (the seed's inventory).
PRODUCTS = [
    ("KAOS-001", "Kaos Basic Crewneck", "79000", 50),
    ("CELANA-001", "Celana Chino Slim Fit", "59000", 30),
    ("DRESS-001", "Dress Midi Floral", "189000", 0),
]
#: What ORD-2025-001 bought: code, quantity.
ORDER_ITEMS = [("KAOS-001", 1), ("CELANA-001", 1)]


@dataclass(frozen=True)
class Seed002:
    """The rows of seed 002, for tests to call the tools with."""

    store: Store
    customer: Customer
    order: Order
    products: dict[str, Product]

    @property
    def customer_id(self) -> str:
        """The customer's id as the bot is given it (`customerId`)."""
        return self.customer.public_id


def build(make: Factories | None = None) -> Seed002:
    """Make seed 002's store, customer, paid and shipped order and products; committed."""
    make = make or Factories()
    store = make.store(STORE_SLUG, name=STORE_NAME, whatsapp=STORE_WHATSAPP,
                       address="Jl. Kemang Raya 8, Jakarta", bank_accounts=BANK_ACCOUNTS,
                       e_wallets=E_WALLETS, couriers=[])
    products = {code: make.product(store, code, price, name=name, category="Fashion",
                                   stock=stock + dict(ORDER_ITEMS).get(code, 0))
                for code, name, price, stock in PRODUCTS}
    placed = make.order(store, items=ORDER_ITEMS, name=CUSTOMER_NAME, phone=CUSTOMER_PHONE,
                        address=ADDRESS, courier="JNE", payment_method="bank_transfer",
                        placed_at=CREATED_AT)
    order = db.session.get(Order, placed.id)
    order.number = ORDER_NUMBER
    edit_order(order, {"shipping_fee": SHIPPING_FEE}, actor="seed")
    payment = record_payment(order, method="bank_transfer", amount=ORDER_TOTAL,
                             reference=TRANSACTION_ID, actor="seed")
    payment.created_at = payment.decided_at = PAID_AT
    transition(order, OrderStatus.PROCESSING, actor="seed")
    parcel = add_shipment(order, "jne", TRACKING_NUMBER, actor="seed")
    parcel.created_at = parcel.updated_at = SHIPPED_AT
    parcel.current_location = LOCATION
    parcel.estimated_delivery = ESTIMATED_DELIVERY
    db.session.commit()
    db.session.expire_all()  # stock was taken by statements, not through these objects
    customer = db.session.get(Customer, order.customer_id)
    return Seed002(store=store, customer=customer, order=order, products=products)



def bot_key(store: Store) -> str:
    """A new bot API key of the store (committed), for `bearer`."""
    _, key = create_api_key(store, name="Chatbot", actor="test")
    db.session.commit()
    return key


def bearer(key: str) -> dict:
    """The headers of a bot tools call with this key."""
    return {"Authorization": f"Bearer {key}"}
