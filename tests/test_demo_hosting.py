"""The demo hosting shop of seed 001: server packages BRONZE to DIAMOND billed per month,
added once by seed-demo, and ordered by WhatsApp `!order`."""

from decimal import Decimal

from sqlalchemy import func, select

from shop.demo_hosting import PACKAGES, seed_hosting_demo
from shop.extensions import db
from shop.models import Billing, Channel, Order, OrderItem, PaymentMethod, Product, Store
from shop.services.chat_commands import handle_message
from shop.services.inbound import store_of_number


def products_of(store) -> dict[str, Product]:
    return {p.code: p for p in db.session.scalars(
        select(Product).where(Product.store_id == store.id))}


def test_the_hosting_demo_has_five_monthly_packages_with_their_specs(database):
    store, added = seed_hosting_demo()
    db.session.commit()

    assert (store.slug, added) == ("ptero", 5)
    assert store.admin_whatsapp and store.bank_accounts[0]["bank"] == "BCA"
    packages = products_of(store)
    assert list(packages) == ["BRONZE", "SILVER", "GOLD", "PLATINUM", "DIAMOND"]
    bronze = packages["BRONZE"]
    assert (bronze.price, bronze.billing, bronze.stock) == (
        Decimal("25000.00"), Billing.MONTHLY, None)
    assert bronze.attributes == {"RAM": "1GB", "CPU": "1 CPU", "Storage": "Unlimited SSD",
                                 "Bandwidth": "Unlimited"}
    prices = [packages[code].price for code, *_ in PACKAGES]
    assert prices == sorted(prices) and len(set(prices)) == 5
    assert all(p.billing == Billing.MONTHLY and p.stock is None and p.is_active
               for p in packages.values())


def test_seeding_the_hosting_demo_twice_adds_nothing(database):
    first, _ = seed_hosting_demo()
    again, added = seed_hosting_demo()
    db.session.commit()

    assert (again.id, added) == (first.id, 0)
    assert db.session.scalar(select(func.count()).select_from(Store)
                             .where(Store.slug == "ptero")) == 1
    assert len(products_of(first)) == 5


def test_given_the_demo_when_a_customer_orders_bronze_for_3_months_then_rp_75000(database):
    store, _ = seed_hosting_demo()
    db.session.commit()
    assert store_of_number(store.whatsapp).id == store.id  # the webhook finds the shop

    catalog = handle_message(store, "081234567890", "!katalog")[0]
    reply = handle_message(store, "081234567890", "!order bronze 3", sender_name="Andi")[0]
    db.session.commit()

    assert "• *BRONZE* (BRONZE) - Rp 25.000/bulan" in catalog
    order = db.session.scalars(select(Order).where(Order.store_id == store.id)).one()
    item = db.session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).one()
    assert (order.total, item.qty, order.channel) == (Decimal("75000.00"), 3, Channel.WHATSAPP)
    assert order.payment_method == PaymentMethod.BANK_TRANSFER
    assert "BRONZE 3 bulan, total *Rp 75.000*" in reply
    assert "BCA 5550001234 a.n. PT Ptero Hosting" in reply


def test_given_the_demo_admin_number_then_admin_commands_answer(database):
    store, _ = seed_hosting_demo()
    handle_message(store, "081234567890", "!order gold 2")

    reply = handle_message(store, store.admin_whatsapp[0], "!pending-orders")[0]

    assert reply.startswith("*Pesanan menunggu konfirmasi (1 dari 1)*")
    assert "Rp 160.000" in reply and "0812****7890" in reply
