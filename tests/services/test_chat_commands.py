"""WhatsApp !commands everyone may send (seed 001): parsing and replies, customers seeing
only their own orders."""

import pytest
from sqlalchemy import select, update

from shop.extensions import db
from shop.models import Order, OrderEvent, OrderStatus, Product
from shop.services.chat_commands import COMMANDS, Command, handle_message, parse_command
from shop.services.orders import transition

BUDI = "081234567890"  # make.order's default buyer
SITI = "081298765432"


def _reply(store, text, phone=BUDI, locale="id") -> str:
    replies = handle_message(store, phone, text, locale=locale)
    assert len(replies) == 1, replies
    return replies[0]


def _order(make, store, phone=BUDI, name="Budi Santoso", items=None) -> Order:
    placed = make.order(store, items=items or [("BRG-CHEESE", 2)], phone=phone, name=name)
    return db.session.get(Order, placed.id)


# --- parsing --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("!katalog", Command("katalog")),
    ("  !KATALOG  ", Command("katalog")),
    ("!Order-Status  ord-20240127-001 ", Command("order-status", ("ord-20240127-001",),
                                                  "ord-20240127-001")),
    ("!order_status X1", Command("order-status", ("X1",), "X1")),
    ("! harga  Burger   Cheese", Command("harga", ("Burger", "Cheese"), "Burger Cheese")),
    ("!batal ORD-1 salah\npesan", Command("batal", ("ORD-1", "salah", "pesan"),
                                          "ORD-1 salah pesan")),
    ("!xyz", Command("xyz")),
])
def test_parse_command_is_tolerant_of_case_spaces_and_underscores(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["halo", "", None, "   ", "!", "saya mau !katalog"])
def test_parse_command_of_text_that_is_no_command_has_no_name(text):
    assert parse_command(text).name == ""


def test_given_text_that_is_no_command_then_there_is_no_reply(burger):
    assert handle_message(burger, BUDI, "halo kak") == []


def test_the_commands_table_names_every_command_and_which_are_for_admins():
    everyone = {name for name, spec in COMMANDS.items() if not spec.admin}
    admins = {name for name, spec in COMMANDS.items() if spec.admin}

    assert everyone == {"katalog", "harga", "order", "order-status", "my-orders", "batal",
                        "bantuan"}
    assert admins == {"orders", "order-detail", "order-confirm", "order-process",
                      "order-complete", "order-cancel", "order-stats", "order-search",
                      "pending-orders"}


# --- help -----------------------------------------------------------------------------------

def test_given_an_unknown_command_then_a_short_help_names_the_commands(burger):
    reply = _reply(burger, "!foo")

    assert reply.startswith("Perintah !foo tidak dikenal.")
    assert "!katalog" in reply and "!order-status" in reply and "!bantuan" in reply


def test_given_an_unknown_command_in_english_then_the_help_is_english(burger):
    reply = _reply(burger, "!foo", locale="en")

    assert reply.startswith("Unknown command !foo.")
    assert "Send *!bantuan*" in reply


def test_given_an_unknown_command_with_odd_characters_then_it_is_not_echoed(burger):
    reply = _reply(burger, "!*evil*.link")

    assert reply.startswith("Perintah tidak dikenal.")
    assert "evil" not in reply


def test_given_bantuan_then_every_command_is_listed_with_its_usage(burger):
    reply = _reply(burger, "!BANTUAN")

    assert reply.startswith("*Daftar perintah Burger China*")
    for usage in ("!katalog", "!harga [produk]", "!order-status [nomor]", "!my-orders",
                  "!batal [nomor] [alasan]", "!bantuan"):
        assert f"*{usage}*" in reply


def test_given_help_in_english_then_the_usages_are_english(burger):
    reply = _reply(burger, "!help", locale="en")

    assert reply.startswith("*Commands of Burger China*")
    assert "*!order-status [number]*" in reply


# --- !katalog and !harga --------------------------------------------------------------------

def test_given_katalog_then_active_products_are_listed_with_prices(burger):
    reply = _reply(burger, "!katalog")

    assert reply.startswith("*Katalog Burger China*")
    assert "• *Burger Cheese* (BRG-CHEESE) - Rp 25.000" in reply
    assert "• *Sundae* (SUNDAE) - Rp 12.000 (Habis)" in reply
    assert "Menu Lama" not in reply


def test_given_katalog_of_another_store_then_only_its_products_show(make, burger):
    other = make.store("lain", name="Toko Lain")
    make.product(other, "TEH", "5000", name="Teh Manis")

    reply = _reply(other, "!katalog")

    assert "Teh Manis" in reply and "Burger Cheese" not in reply


def test_given_katalog_with_many_products_then_every_reply_fits_whatsapp(make, burger):
    for n in range(80):
        make.product(burger, f"X{n:03d}", "1000", name=f"Produk panjang {n} " + "x" * 40)

    replies = handle_message(burger, BUDI, "!katalog")

    assert len(replies) >= 2
    assert all(len(reply) <= 4096 for reply in replies)


def test_given_harga_with_a_code_in_any_case_then_the_product_detail_answers(burger):
    reply = _reply(burger, "!harga brg-cheese")

    assert reply.startswith("*Burger Cheese*\nKode: BRG-CHEESE\nHarga: *Rp 25.000*")


def test_given_harga_with_part_of_a_name_then_the_one_match_answers(burger):
    reply = _reply(burger, "!harga   french")

    assert reply.startswith("*French Fries*")
    assert "Rp 15.000" in reply


def test_given_harga_matching_several_then_they_are_listed(make, burger):
    make.product(burger, "BRG-BEEF", "30000", name="Burger Beef", category="Burger")

    reply = _reply(burger, "!harga burger")

    assert reply.startswith('Ada beberapa produk yang cocok dengan "burger":')
    assert "Burger Beef" in reply and "Burger Cheese" in reply
    assert "Menu Lama" not in reply  # inactive, though in category Burger


def test_given_harga_of_an_unknown_or_inactive_product_then_not_found(burger):
    assert _reply(burger, "!harga pizza").startswith('Produk "pizza" tidak ditemukan.')
    assert _reply(burger, "!harga OLD").startswith('Produk "OLD" tidak ditemukan.')
    assert _reply(burger, "!harga 100%").startswith('Produk "100%" tidak ditemukan.')


def test_given_harga_without_a_product_then_its_usage_answers(burger):
    assert _reply(burger, "!harga").startswith("Cara pakai: !harga [produk]")
    assert _reply(burger, "!harga", locale="en").startswith("Usage: !harga [product]")


def test_given_harga_in_english_then_the_detail_is_english(burger):
    reply = _reply(burger, "!harga cola", locale="en")

    assert "Code: COLA" in reply and "Price: *Rp 8.000*" in reply and "50 in stock" in reply


# --- !order-status ---------------------------------------------------------------------------

def test_given_my_order_number_then_order_status_shows_the_order(make, burger):
    order = _order(make, burger)

    reply = _reply(burger, f"!order-status {order.number}")

    assert reply.startswith(f"*Pesanan #{order.number}*")
    assert "Status: *Menunggu Konfirmasi*" in reply
    assert "Burger Cheese x2 = Rp 50.000" in reply


def test_given_any_phone_form_and_case_then_the_same_order_answers(make, burger):
    order = _order(make, burger)

    reply = _reply(burger, f"  !ORDER-STATUS   #{order.number.lower()} ", phone="+62 812-3456-7890")

    assert reply.startswith(f"*Pesanan #{order.number}*")


def test_given_order_status_in_english_then_the_reply_is_english(make, burger):
    order = _order(make, burger)

    reply = _reply(burger, f"!order-status {order.number}", locale="en")

    assert reply.startswith(f"*Order #{order.number}*")
    assert "Status: *Awaiting confirmation*" in reply


def test_given_another_customers_order_number_then_it_is_not_found_and_nothing_shows(
        make, burger):
    theirs = _order(make, burger, phone=SITI, name="Siti Aminah",
                    items=[("NUGGET", 2), ("FRIES", 1)])
    _order(make, burger)  # Budi is a customer too

    reply = _reply(burger, f"!order-status {theirs.number}")
    unknown = _reply(burger, "!order-status ORD-20990101-999")

    assert reply == f"Pesanan {theirs.number} tidak ditemukan."
    assert unknown == "Pesanan ORD-20990101-999 tidak ditemukan."
    for secret in ("Siti", "Nugget", "French", "51.000", "Rp", "0812", "Menunggu"):
        assert secret not in reply


def test_given_a_sender_who_is_no_customer_then_any_order_is_not_found(make, burger):
    order = _order(make, burger)

    reply = _reply(burger, f"!order-status {order.number}", phone="081311112222")

    assert reply == f"Pesanan {order.number} tidak ditemukan."


def test_given_an_order_of_another_store_then_it_is_not_found(make, burger):
    other = make.store("lain")
    make.product(other, "TEH", "5000")
    theirs = _order(make, other, items=[("TEH", 1)])  # same phone, other store

    assert _reply(burger, f"!order-status {theirs.number}") == (
        f"Pesanan {theirs.number} tidak ditemukan.")


def test_given_an_invalid_sender_phone_then_orders_are_not_found(make, burger):
    order = _order(make, burger)

    assert _reply(burger, f"!order-status {order.number}", phone="abc") == (
        f"Pesanan {order.number} tidak ditemukan.")


def test_given_order_status_without_a_number_then_its_usage_answers(burger):
    assert _reply(burger, "!order-status").startswith("Cara pakai: !order-status [nomor]")
    assert _reply(burger, "!order-status A B").startswith("Cara pakai: !order-status [nomor]")


def test_given_a_malformed_order_number_then_it_is_refused_with_the_usage(burger):
    reply = _reply(burger, "!order-status <script>")

    assert reply.startswith("Nomor pesanan tidak valid.")
    assert "Cara pakai: !order-status [nomor]" in reply
    assert "<script>" not in reply


# --- !my-orders ------------------------------------------------------------------------------

def test_given_my_orders_then_only_my_orders_are_listed_newest_first(make, burger):
    first = _order(make, burger)
    second = _order(make, burger, items=[("COLA", 3)])
    theirs = _order(make, burger, phone=SITI, name="Siti Aminah")

    reply = _reply(burger, "!my-orders")

    assert reply.startswith("*Pesanan Anda (2 terbaru)*")
    assert reply.index(second.number) < reply.index(first.number)
    assert theirs.number not in reply
    assert "Rp 24.000" in reply and "Rp 50.000" in reply


def test_given_no_orders_then_my_orders_says_so(make, burger):
    _order(make, burger, phone=SITI, name="Siti Aminah")

    assert _reply(burger, "!my-orders") == "Anda belum punya pesanan di Burger China."
    assert _reply(burger, "!MY-ORDERS", locale="en") == "You have no orders at Burger China yet."


def test_given_more_than_ten_orders_then_my_orders_shows_the_last_ten(make, burger):
    numbers = [_order(make, burger, items=[("FRIES", 1)]).number for _ in range(11)]

    reply = _reply(burger, "!my-orders")

    assert "(10 terbaru)" in reply
    assert numbers[0] not in reply and numbers[-1] in reply


def test_given_my_orders_with_arguments_then_its_usage_answers(burger):
    assert _reply(burger, "!my-orders semua").startswith("Cara pakai: !my-orders")


# --- !batal ----------------------------------------------------------------------------------

def test_given_my_pending_order_then_batal_cancels_it_with_the_reason(make, burger):
    order = _order(make, burger, items=[("COLA", 2)])
    cola = db.session.scalar(select(Product).filter_by(store_id=burger.id, code="COLA"))
    assert cola.stock == 48

    reply = _reply(burger, f"!batal {order.number} salah pesan")

    assert reply.startswith(f"Pesanan {order.number} sudah dibatalkan.")
    assert "Status: *Dibatalkan*" in reply
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.CANCELLED
    event = db.session.scalars(select(OrderEvent).filter_by(
        order_id=order.id, to_status="CANCELLED")).one()
    assert event.actor == "whatsapp:6281234567890"
    assert event.note == "Dibatalkan pelanggan lewat WhatsApp: salah pesan"
    assert db.session.get(Product, cola.id).stock == 50  # stock returned by the transition


def test_given_batal_without_a_reason_then_the_note_says_who_cancelled(make, burger):
    order = _order(make, burger)

    reply = _reply(burger, f"!Batal {order.number.lower()}", locale="en")

    assert reply.startswith(f"Order {order.number} has been cancelled.")
    event = db.session.scalars(select(OrderEvent).filter_by(
        order_id=order.id, to_status="CANCELLED")).one()
    assert event.note == "Cancelled by the customer on WhatsApp"


@pytest.mark.parametrize("route, label", [
    (["PROCESSING", "SHIPPED"], "Sedang Dikirim"),
    (["PROCESSING", "COMPLETED"], "Selesai"),
    (["CANCELLED"], "Dibatalkan"),
])
def test_given_a_status_that_allows_no_cancel_then_batal_is_refused_and_nothing_changes(
        make, burger, route, label):
    order = _order(make, burger)
    for status in route:
        transition(order, status, actor="test", notify=False)
    db.session.commit()
    events = db.session.scalars(select(OrderEvent.id).filter_by(order_id=order.id)).all()

    reply = _reply(burger, f"!batal {order.number} berubah pikiran")

    assert reply == (f"Pesanan {order.number} tidak bisa dibatalkan lagi: statusnya {label}. "
                     "Silakan hubungi toko.")
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus(route[-1])
    assert db.session.scalars(select(OrderEvent.id).filter_by(order_id=order.id)).all() == events


def test_given_a_confirmed_order_then_batal_still_cancels_it(make, burger):
    order = _order(make, burger)
    transition(order, "CONFIRMED", actor="test", notify=False)

    reply = _reply(burger, f"!batal {order.number}")

    assert reply.startswith(f"Pesanan {order.number} sudah dibatalkan.")
    assert order.status == OrderStatus.CANCELLED


def test_given_another_customers_order_then_batal_says_not_found_and_changes_nothing(
        make, burger):
    theirs = _order(make, burger, phone=SITI, name="Siti Aminah")
    _order(make, burger)

    reply = _reply(burger, f"!batal {theirs.number}")

    assert reply == f"Pesanan {theirs.number} tidak ditemukan."
    assert "Siti" not in reply
    db.session.expire_all()
    assert db.session.get(Order, theirs.id).status == OrderStatus.PENDING


def test_given_batal_without_a_number_then_its_usage_answers(burger):
    assert _reply(burger, "!batal").startswith("Cara pakai: !batal [nomor] [alasan]")
    assert _reply(burger, "!batal", locale="en").startswith("Usage: !batal [number] [reason]")


def test_given_a_long_or_formatted_reason_then_it_is_flattened_and_bounded(make, burger):
    order = _order(make, burger)

    _reply(burger, f"!batal {order.number} *tebal* " + "x" * 400)

    event = db.session.scalars(select(OrderEvent).filter_by(
        order_id=order.id, to_status="CANCELLED")).one()
    assert "*" not in event.note
    assert len(event.note) <= len("Dibatalkan pelanggan lewat WhatsApp: ") + 300


def test_given_an_order_changed_meanwhile_then_batal_says_so_and_changes_nothing(make, burger):
    order = _order(make, burger)
    assert order.status == OrderStatus.PENDING  # the session keeps this copy
    db.session.execute(update(Order).where(Order.id == order.id).values(status="PROCESSING"),
                       execution_options={"synchronize_session": False})

    reply = _reply(burger, f"!batal {order.number}")

    assert reply == f"Pesanan {order.number} baru saja diubah. Coba lagi sebentar lagi."
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PROCESSING
    assert not db.session.scalars(select(OrderEvent).filter_by(
        order_id=order.id, to_status="CANCELLED")).all()


def test_given_more_products_than_the_catalog_shows_then_it_says_how_to_search(make, burger,
                                                                                 monkeypatch):
    monkeypatch.setattr("shop.services.chat_commands.CATALOG_LIMIT", 3)

    reply = _reply(burger, "!katalog")

    assert reply.count("• ") == 3
    assert "Hanya 3 produk pertama yang ditampilkan" in reply
