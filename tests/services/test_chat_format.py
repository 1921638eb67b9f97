"""chat_format: one way of writing an order and a product for a chat, Indonesian and English."""

from datetime import UTC, datetime
from decimal import Decimal

from shop.extensions import db
from shop.models import Billing, Carrier, Order, OrderStatus, Product, Shipment
from shop.services.chat_format import (
    MAX_MESSAGE,
    actor_text,
    format_catalog,
    format_history,
    format_order,
    format_order_line,
    format_product,
    format_product_line,
    plain,
    split_message,
    status_label,
)
from shop.services.orders import transition


def _order(make, burger, **fields) -> Order:
    placed = make.order(burger, items=[("BRG-CHEESE", 2), ("COLA", 1)],
                        payment_method="bank_transfer", **fields)
    return db.session.get(Order, placed.id)


def test_given_an_order_when_formatted_then_it_shows_number_date_status_items_total_payment(
        make, burger):
    order = _order(make, burger)
    order.created_at = datetime(2024, 1, 27, 7, 30, tzinfo=UTC)

    text = format_order(order)

    assert text.startswith(f"*Pesanan #{order.number}*\n")
    assert "Tanggal: 27/01/2024 14:30" in text  # Asia/Jakarta, UTC+7
    assert "Status: *Menunggu Konfirmasi*" in text
    assert "• Burger Cheese x2 = Rp 50.000" in text
    assert "• Cola x1 = Rp 8.000" in text
    assert "*Total: Rp 58.000*" in text
    assert "Pembayaran: Transfer Bank BCA (Menunggu Pembayaran)" in text
    assert "Pengiriman: Belum dikirim" in text
    assert "6281234567890" not in text and "Budi" not in text


def test_given_english_when_formatted_then_every_label_is_english(make, burger):
    order = _order(make, burger)

    text = format_order(order, locale="en")

    assert text.startswith(f"*Order #{order.number}*\n")
    assert "Status: *Awaiting confirmation*" in text
    assert "Payment: Bank transfer BCA (Awaiting payment)" in text
    assert "Shipment: Not shipped yet" in text
    assert "*Total: Rp 58.000*" in text
    assert "Pesanan" not in text and "Menunggu" not in text


def test_given_a_shipped_order_when_formatted_then_carrier_number_and_link_show(make, burger):
    order = _order(make, burger)
    transition(order, OrderStatus.PROCESSING, actor="test", notify=False)
    db.session.add(Shipment(order_id=order.id, carrier=Carrier.JNE,
                            tracking_number="JNE123456789"))
    transition(order, OrderStatus.SHIPPED, actor="test", notify=False)
    db.session.flush()

    text = format_order(order)

    assert "Status: *Sedang Dikirim*" in text
    assert ("Pengiriman: JNE, resi JNE123456789: "
            "https://www.jne.co.id/tracking-package?awb=JNE123456789") in text


def test_given_an_admin_view_then_the_customer_shows_with_a_masked_phone(make, burger):
    order = _order(make, burger, name="Siti *Aminah*", phone="081298767890")

    text = format_order(order, admin=True)

    assert "Pelanggan: Siti Aminah (0812****7890)" in text
    assert "081298767890" not in text and "6281298767890" not in text


def test_given_a_discount_and_shipping_fee_then_subtotal_and_both_lines_show(make, burger):
    order = _order(make, burger)
    order.discount, order.shipping_fee = Decimal("3000"), Decimal("10000")

    text = format_order(order)

    assert "Subtotal: Rp 58.000" in text
    assert "Diskon: -Rp 3.000" in text
    assert "Ongkir: Rp 10.000" in text


def test_given_an_order_line_then_number_status_and_total_are_on_one_line(make, burger):
    order = _order(make, burger)

    line = format_order_line(order, locale="en")

    assert "\n" not in line
    assert line.startswith(f"• *{order.number}* ")
    assert line.endswith(" - Awaiting confirmation - Rp 58.000")


def test_given_products_then_stock_is_shown_only_where_kept(burger):
    products = {p.code: p for p in db.session.query(Product).filter_by(store_id=burger.id)}

    assert format_product_line(products["BRG-CHEESE"]) == (
        "• *Burger Cheese* (BRG-CHEESE) - Rp 25.000")
    assert format_product_line(products["COLA"]) == "• *Cola* (COLA) - Rp 8.000 (stok 50)"
    assert format_product_line(products["SUNDAE"], locale="en").endswith("(Sold out)")


def test_given_a_product_with_attributes_then_its_detail_lists_them(make, burger):
    product = make.product(burger, "BRONZE", "25000", name="BRONZE", category="Server",
                           attributes={"RAM": "1GB", "CPU": "1 CPU"}, description="Paket *hemat*")

    text = format_product(product)

    assert text.split("\n")[:4] == ["*BRONZE*", "Kode: BRONZE", "Harga: *Rp 25.000*",
                                    "Kategori: Server"]
    assert "RAM: 1GB" in text and "CPU: 1 CPU" in text
    assert "Paket hemat" in text


def test_given_a_catalog_then_products_are_grouped_by_category(burger):
    products = db.session.query(Product).filter_by(store_id=burger.id, is_active=True) \
        .order_by(Product.category, Product.name).all()

    text = format_catalog(burger, products)

    assert text.startswith("*Katalog Burger China*")
    assert text.index("*Burger*") < text.index("Burger Cheese") < text.index("*Minuman*")
    assert "Menu Lama" not in text


def test_given_no_products_then_the_catalog_says_so_in_the_locale(burger):
    assert "Belum ada produk." in format_catalog(burger, [])
    assert "No products yet." in format_catalog(burger, [], locale="en")


def test_status_labels_follow_the_locale():
    assert status_label("CANCELLED") == "Dibatalkan"
    assert status_label(OrderStatus.CANCELLED, "en") == "Cancelled"
    assert status_label("CANCELLED", "en_US") == "Cancelled"


def test_plain_flattens_formatting_and_control_characters():
    assert plain("a\n*b*\u200b _c_ ~d~ `e`") == "a b c d e"
    assert plain("x" * 300, limit=10) == "x" * 9 + "…"


def test_split_message_cuts_long_replies_at_line_breaks():
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(100))

    parts = split_message(text)

    assert len(parts) > 1
    assert all(len(part) <= MAX_MESSAGE for part in parts)
    assert "\n".join(parts) == text
    assert split_message("short") == ["short"]
    assert all(len(p) <= 10 for p in split_message("y" * 25, limit=10))


def _server_order(make, burger, months=3) -> Order:
    make.product(burger, "BRONZE", "25000", name="BRONZE", category="Server",
                 billing=Billing.MONTHLY)
    placed = make.order(burger, items=[("BRONZE", months)], payment_method="bank_transfer")
    return db.session.get(Order, placed.id)


def test_given_a_monthly_product_then_its_price_is_per_month(make, burger):
    product = make.product(burger, "GOLD", "100000", name="GOLD", billing=Billing.MONTHLY)

    assert format_product_line(product) == "• *GOLD* (GOLD) - Rp 100.000/bulan"
    assert "Price: *Rp 100.000/month*" in format_product(product, locale="en")


def test_given_a_subscription_order_then_lines_count_months_and_nothing_ships(make, burger):
    order = _server_order(make, burger)

    text = format_order(order)

    assert "• BRONZE 3 bulan = Rp 75.000" in text
    assert "Pengiriman" not in text
    assert "• BRONZE 3 months = Rp 75.000" in format_order(order, locale="en")


def test_given_a_reference_then_the_order_shows_it(make, burger):
    order = _server_order(make, burger)
    order.reference = "SRV-*123*"

    assert format_order(order).endswith("\nReferensi: SRV-123")
    assert format_order(order, locale="en").endswith("\nReference: SRV-123")


def test_given_an_admin_list_line_then_name_and_masked_phone_follow(make, burger):
    order = _order(make, burger, name="Siti", phone="081298767890")

    line = format_order_line(order, admin=True)

    assert line.endswith(" - Rp 58.000 - Siti (0812****7890)")
    assert "081298767890" not in line


def test_given_events_then_the_history_masks_whatsapp_numbers(make, burger):
    order = _order(make, burger)
    transition(order, OrderStatus.CONFIRMED, actor="whatsapp:6281200000001", note="*ok*",
               notify=False)
    transition(order, OrderStatus.PROCESSING, actor="admin:ani@toko.test", notify=False)

    lines = format_history(order, locale="en").split("\n")

    assert lines[0] == "*History:*"
    assert lines[1].endswith(" Placed (customer): Pesanan dibuat dari storefront")
    assert lines[2].endswith(" Confirmed (WhatsApp 0812****0001): ok")
    assert lines[3].endswith(" Processing (admin:ani@toko.test)")
    assert "6281200000001" not in "\n".join(lines)


def test_given_an_order_actor_then_it_is_shown_as_who_did_it():
    assert actor_text("whatsapp:6281234567890") == "WhatsApp 0812****7890"
    assert actor_text("customer", "en") == "customer"
    assert actor_text(None) == "system"
