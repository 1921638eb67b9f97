"""WhatsApp `!order` (seed 001): the product as !harga finds it, the customer by the sender's
phone, the order through the checkout (channel whatsapp), the months of a MONTHLY product
checked by the checkout for every channel, and a refusal that leaves nothing behind."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.errors import InvalidInput, OutOfStock
from shop.extensions import db
from shop.models import (
    Billing,
    Channel,
    Customer,
    CustomerStatus,
    Notification,
    Order,
    OrderItem,
    PaymentMethod,
)
from shop.services.chat_base import BadArguments
from shop.services.chat_commands import handle_message
from shop.services.chat_order import order_arguments
from shop.services.checkout import CheckoutRequest, place_order
from tests.messages import texts

BUDI = "081234567890"
BUDI_E164 = "6281234567890"
ADMIN = "6281200000001"


@pytest.fixture
def hosting(make, burger):
    """The burger store selling a monthly server package too, with an admin number."""
    burger.admin_whatsapp = [ADMIN]
    make.product(burger, "BRONZE", "25000", name="BRONZE", category="Server",
                 billing=Billing.MONTHLY, attributes={"RAM": "1GB", "CPU": "1 CPU"})
    return burger


def _reply(store, text, phone=BUDI, **kwargs) -> str:
    replies = handle_message(store, phone, text, **kwargs)
    assert len(replies) == 1, replies
    return replies[0]


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def only_order() -> Order:
    return db.session.scalars(select(Order)).one()


# --- the arguments ----------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    (("bronze",), ("bronze", "1")),
    (("bronze", "3"), ("bronze", "3")),
    (("gold", "6", "bulan"), ("gold", "6")),
    (("burger", "cheese", "2"), ("burger cheese", "2")),
    (("burger", "cheese"), ("burger cheese", "1")),
    (("bronze", "99999999999"), ("bronze", "99999999999")),  # the checkout refuses it
    (("7",), ("7", "1")),  # a product code of digits
])
def test_order_arguments_are_the_product_then_an_optional_quantity(args, expected):
    assert order_arguments(args) == expected


def test_order_without_a_product_is_bad_arguments():
    with pytest.raises(BadArguments):
        order_arguments(())


# --- a monthly package ------------------------------------------------------------------

def test_given_bronze_for_3_months_then_one_order_of_75000_is_placed_on_whatsapp(hosting):
    reply = _reply(hosting, "!order bronze 3", sender_name="Budi WA")

    order = only_order()
    assert (order.channel, order.total, order.recipient_phone) == (
        Channel.WHATSAPP, Decimal("75000.00"), BUDI_E164)
    assert order.payment_method == PaymentMethod.BANK_TRANSFER  # the store has a BCA account
    assert order.shipping_address is None and order.courier is None
    item = db.session.scalars(select(OrderItem)).one()
    assert (item.code, item.qty, item.unit_price) == ("BRONZE", 3, Decimal("25000.00"))
    customer = db.session.scalars(select(Customer)).one()
    assert (customer.name, customer.phone) == ("Budi WA", BUDI_E164)
    assert reply.startswith(f"✅ Pesanan *{order.number}* dibuat: BRONZE 3 bulan, "
                            "total *Rp 75.000*.")
    assert "transfer Rp 75.000 ke BCA 8800112233 a.n. Toko" in reply
    assert f"*!order-status {order.number}*" in reply


def test_given_an_order_then_the_confirmation_and_the_admin_alert_are_queued_once(hosting):
    reply = _reply(hosting, "!order bronze 3")

    order = only_order()
    assert count(Notification, Notification.template == "order_confirmation",
                 Notification.recipient == BUDI_E164) == 1
    assert count(Notification, Notification.template == "new_order_admin",
                 Notification.recipient == ADMIN) == 1
    confirmation = texts(template="order_confirmation")[0]
    assert order.number in confirmation and order.id in confirmation
    # The reply does not repeat the confirmation: no item list, no tracking link.
    assert "/track/" not in reply and order.id not in reply
    assert len(reply) < len(confirmation)


def test_given_the_months_as_a_word_then_the_order_counts_them(hosting):
    reply = _reply(hosting, "!ORDER Bronze 6 bulan", locale="en")

    assert only_order().total == Decimal("150000.00")
    assert "BRONZE 6 months, total *Rp 150.000*" in reply
    assert "Please transfer Rp 150.000" in reply


def test_given_no_number_then_one_month_is_ordered(hosting):
    _reply(hosting, "!order BRONZE")

    assert db.session.scalars(select(OrderItem.qty)).one() == 1


@pytest.mark.parametrize("months", ["13", "24"])
def test_given_more_than_12_months_then_it_is_refused_and_nothing_is_created(hosting, months):
    reply = _reply(hosting, f"!order bronze {months}")

    assert reply.startswith("Durasi BRONZE harus 1 sampai 12 bulan.")
    assert "Cara pakai: !order [produk] [jumlah | durasi bulan 1-12]" in reply
    assert count(Order) == 0 and count(Customer) == 0 and count(Notification) == 0


def test_given_zero_months_then_it_is_refused_and_nothing_is_created(hosting):
    reply = _reply(hosting, "!order bronze 0")

    assert reply.startswith("Jumlah harus antara 1 dan 1.000.")
    assert "durasi bulan 1-12" in reply  # the usage says the range
    assert count(Order) == 0 and count(Customer) == 0


def test_given_too_many_months_in_english_then_the_refusal_is_english(hosting):
    reply = _reply(hosting, "!order bronze 13", locale="en")

    assert reply.startswith("The duration of BRONZE must be 1 to 12 months.")
    assert count(Order) == 0


# --- the customer -----------------------------------------------------------------------

def test_given_a_known_customer_then_their_name_and_address_are_kept(make, hosting):
    make.customer(hosting, phone=BUDI_E164, name="Budi Santoso", address="Jl. Sudirman 123")

    _reply(hosting, "!order bronze 1", sender_name="Someone Else")

    order = only_order()
    assert (order.recipient_name, order.shipping_address) == ("Budi Santoso", "Jl. Sudirman 123")
    customer = db.session.scalars(select(Customer)).one()
    db.session.refresh(customer)
    assert (customer.name, customer.address, customer.total_orders) == (
        "Budi Santoso", "Jl. Sudirman 123", 1)


def test_given_no_customer_and_no_profile_name_then_a_neutral_name_is_used(hosting):
    _reply(hosting, "!order bronze 2")

    assert only_order().recipient_name == "Pelanggan WhatsApp"


def test_given_a_profile_name_with_formatting_then_it_is_flattened(hosting):
    _reply(hosting, "!order bronze 2", sender_name="  *Siti*\u200b\n_A_ ")

    assert only_order().recipient_name == "Siti A"


def test_given_a_blocked_customer_then_the_refusal_is_the_reply_and_nothing_is_created(
        make, hosting):
    make.customer(hosting, phone=BUDI_E164, status=CustomerStatus.BLOCKED)

    reply = _reply(hosting, "!order bronze 1")

    assert reply == "Nomor ini tidak dapat memesan di toko ini. Silakan hubungi toko."
    assert count(Order) == 0 and count(Notification) == 0


# --- products ---------------------------------------------------------------------------

def test_given_a_product_by_part_of_its_name_and_a_quantity_then_it_is_ordered(hosting):
    reply = _reply(hosting, "!order burger cheese 2")

    order = only_order()
    assert order.total == Decimal("50000.00")
    assert f"Pesanan *{order.number}* dibuat: Burger Cheese x2" in reply


def test_given_a_sold_out_product_then_the_stock_refusal_is_the_reply(hosting):
    assert _reply(hosting, "!order sundae") == "Stok tidak cukup untuk: Sundae."
    assert _reply(hosting, "!order nugget 4") == "Stok tidak cukup untuk: Nugget."
    assert _reply(hosting, "!order nugget 4", locale="en") == (
        "Sorry, there is not enough stock of Nugget.")
    assert count(Order) == 0 and count(Customer) == 0


def test_given_an_inactive_or_unknown_product_then_it_is_not_found(make, hosting):
    other = make.store("lain")
    make.product(other, "TEH", "5000", name="Teh Manis")

    for query in ("OLD", "menu lama", "teh", "pizza"):
        assert "tidak ditemukan" in _reply(hosting, f"!order {query}")
    assert count(Order) == 0


def test_given_several_matching_products_then_they_are_listed_and_nothing_is_ordered(
        make, hosting):
    make.product(hosting, "BRG-BEEF", "30000", name="Burger Beef", category="Burger")

    reply = _reply(hosting, "!order burger 2")

    assert reply.startswith('Ada beberapa produk yang cocok dengan "burger":')
    assert count(Order) == 0


def test_given_a_bad_quantity_then_the_checkout_refusal_and_usage_answer(hosting):
    reply = _reply(hosting, "!order fries 5000")

    assert reply.startswith("Jumlah harus antara 1 dan 1.000.")
    assert "Cara pakai: !order" in reply
    assert count(Order) == 0


def test_given_a_refusal_late_in_the_checkout_then_nothing_of_the_order_stays(
        hosting, monkeypatch):
    def sold_meanwhile(*_args, **_kwargs):
        raise OutOfStock("Stok tidak cukup untuk: BRONZE.", items=["BRONZE"])

    monkeypatch.setattr("shop.services.checkout.reserve_stock", sold_meanwhile)
    monkeypatch.setattr("shop.services.checkout.assign_order_number", sold_meanwhile)

    reply = _reply(hosting, "!order bronze 1")
    db.session.commit()  # as the webhook does after the reply

    assert reply == "Stok tidak cukup untuk: BRONZE."
    assert count(Order) == 0 and count(Customer) == 0 and count(Notification) == 0


def test_given_a_sender_that_is_no_phone_then_no_order_is_placed(hosting):
    reply = _reply(hosting, "!order bronze 1", phone="abc")

    assert reply == "Nomor pengirim tidak valid, pesanan tidak bisa dibuat."
    assert count(Order) == 0


# --- the months rule in every channel ---------------------------------------------------

def test_given_a_storefront_checkout_of_13_months_then_the_checkout_refuses_it(hosting):
    request = CheckoutRequest(name="Budi", phone=BUDI, address="Jl. Sudirman 1",
                              items=[("BRONZE", 13)])

    with pytest.raises(InvalidInput) as refused:
        place_order(hosting, request, base_url="https://shop.test")

    assert refused.value.message == "Durasi BRONZE harus 1 sampai 12 bulan."
    assert refused.value.details == {"max_months": 12, "products": ["BRONZE"]}


def test_given_12_months_and_other_lines_then_the_storefront_checkout_takes_them(hosting):
    placed = place_order(hosting, CheckoutRequest(
        name="Budi", phone=BUDI, address="Jl. Sudirman 1",
        items=[("BRONZE", 12), ("FRIES", 20)]), base_url="https://shop.test")

    assert placed.totals.total == Decimal("600000.00")


def test_given_the_json_checkout_of_13_months_then_422_with_the_rule(client, hosting):
    answer = client.post("/api/orders/create-from-checkout", json={
        "store": hosting.slug, "name": "Budi", "phone": BUDI, "address": "Jl. Sudirman 1",
        "items": [{"code": "BRONZE", "qty": 13}]})

    assert answer.status_code == 422
    body = answer.get_json()
    assert body["code"] == "invalid_input" and body["max_months"] == 12
    assert count(Order) == 0


def test_given_a_storefront_checkout_without_an_address_then_it_is_still_required(hosting):
    with pytest.raises(InvalidInput) as refused:
        place_order(hosting, CheckoutRequest(name="Budi", phone=BUDI, address=None,
                                             items=[("BRONZE", 1)]), base_url="")

    assert "address" in refused.value.fields
