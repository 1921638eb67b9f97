"""The checkout page: the cart above the form, "Kirim Pesanan", then the order's tracking page
with its thank-you banner (seed 000)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    Customer,
    Notification,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    PaymentStatus,
    Product,
    Serial,
)
from tests.messages import text_of

CHECKOUT = "/store/burgerchina/checkout"
BUDI = {
    "name": "Budi Santoso", "phone": "081234567890", "address": "Jl. Sudirman No. 123",
    "district": "Setiabudi", "city": "Jakarta Selatan", "province": "DKI Jakarta",
    "postal_code": "12190", "email": "", "courier": "JNE Regular",
    "payment_method": "bank_transfer", "notes": "Tanpa bawang ya",
}
BUDI_ADDRESS = "Jl. Sudirman No. 123, Kec. Setiabudi, Jakarta Selatan, DKI Jakarta 12190"
FIELDS = ("name", "phone", "address", "district", "city", "province", "postal_code", "email",
          "courier", "payment_method", "notes")


def add(client, code, qty):
    answer = client.post("/store/burgerchina/cart", data={"code": code, "qty": qty},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_json()


def session_cart(client) -> dict:
    with client.session_transaction() as session:
        return dict(session.get("carts", {}).get("burgerchina", {}))


def submit(client, **changes):
    return client.post(CHECKOUT, data={**BUDI, **changes})


def placed(client, **changes):
    """Submit the checkout, expect the redirect to the order's page, and open it."""
    answer = submit(client, **changes)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    assert answer.headers["Location"].startswith("/track/")
    return client.get(answer.headers["Location"])


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def written() -> tuple[int, ...]:
    return tuple(rows(m) for m in (Order, OrderItem, OrderEvent, Customer, Notification, Serial))


NOTHING = (0, 0, 0, 0, 0, 0)


def stock(code: str) -> int | None:
    return db.session.scalar(select(Product.stock).where(Product.code == code))


class Page(HTMLParser):
    """What a test reads from a page: elements by id, the form's inputs and its errors."""

    VOID = {"br", "input", "img", "meta", "link", "hr"}

    def __init__(self, html: str):
        super().__init__()
        self.ids: dict[str, dict] = {}
        self.text: dict[str, list[str]] = {}
        self.open: list[tuple[str, int]] = []  # (id, depth) of elements being read
        self.depth = 0
        self.last_field: str | None = None
        self.reading: str | None = None
        self.field_errors: dict[str, list[str]] = {}
        self.form_errors: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids[a["id"]] = {"tag": tag, **a}
            self.text[a["id"]] = []
            if tag not in self.VOID:
                self.open.append((a["id"], self.depth))
        if tag in ("input", "textarea", "select", "fieldset") and a.get("id") in FIELDS:
            self.last_field = a["id"]
        if tag == "p" and a.get("class") == "field-error":
            self.reading = "field"
        elif tag == "p" and a.get("class") == "errors" and a.get("role") == "alert":
            self.reading = "form"
        if tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        self.depth -= 1
        while self.open and self.open[-1][1] >= self.depth:
            self.open.pop()
        if tag == "p":
            self.reading = None

    def handle_data(self, data):
        for element_id, _ in self.open:
            self.text[element_id].append(data)
        if self.reading == "field":
            self.field_errors.setdefault(self.last_field, []).append(data.strip())
        elif self.reading == "form":
            self.form_errors.append(data.strip())

    def text_of(self, element_id: str) -> str:
        return " ".join("".join(self.text[element_id]).split())


def seed_confirmation(order: Order) -> str:
    """The confirmation text of seed 000, for this order (what the shopper typed is quoted)."""
    return "\n".join([
        "✅ *Pesanan Berhasil Dibuat!*", "",
        f"Nomor Pesanan: #{order.number}", f"Order ID: {order.id}", "",
        "Track pesanan Anda di:", f"https://shop.test/track/{order.id}", "",
        "---", "",
        "*Detail Pesanan:*", "2x Burger Cheese - Rp 50.000", "1x French Fries - Rp 15.000", "",
        "*Total:* Rp 65.000", "",
        "*Informasi Pengiriman:*", "Nama: \u201cBudi Santoso\u201d",
        "No. WhatsApp: 081234567890", f"Alamat: \u201c{BUDI_ADDRESS}\u201d",
        "Kurir: JNE Regular (ongkir dikonfirmasi admin)", "",
        "*Pembayaran:* Transfer Bank BCA", "",
        "Catatan: \u201cTanpa bawang ya\u201d", "",
        "---", "",
        "Terima kasih sudah berbelanja! 🙏",
    ])


# --- the page -------------------------------------------------------------------------------


def test_checkout_page_shows_the_cart_with_editable_quantities_above_the_form(client, burger):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)

    answer = client.get(CHECKOUT)

    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    lines = re.findall(r'<tr class="cart-line" data-code="([^"]+)">(.*?)</tr>', html, re.S)
    assert [code for code, _ in lines] == ["BRG-CHEESE", "FRIES"]
    for (code, line), qty in zip(lines, ("2", "1"), strict=True):
        assert re.search(rf'<input type="hidden" name="code" value="{code}">\s*'
                         r'<input type="hidden" name="action" value="set">', line)
        assert f'name="qty" value="{qty}"' in line and "Ubah" in line
        assert '<input type="hidden" name="action" value="remove">' in line
    assert "Rp 50.000" in lines[0][1] and "Rp 15.000" in lines[1][1]
    page = Page(html)
    assert page.text_of("checkout-total") == "Rp 65.000"
    assert html.index('class="cart-line"') < html.index('<form method="post" class="card"')


def test_checkout_form_has_the_seed_fields_and_the_kirim_pesanan_button(client, burger):
    add(client, "COLA", 1)

    html = client.get(CHECKOUT).get_data(as_text=True)
    page = Page(html)

    labels = dict(re.findall(r'<label for="(\w+)">([^<]+?)\s*(?:<|$)', html, re.M))
    assert labels == {"name": "Nama", "phone": "Nomor WhatsApp",
                      "address": "Alamat (jalan, nomor rumah, RT/RW)", "district": "Kecamatan",
                      "city": "Kota/Kabupaten", "province": "Provinsi",
                      "postal_code": "Kode pos", "email": "Email", "notes": "Catatan"}
    legends = re.findall(r"<legend>([^<]+)</legend>", html)
    assert legends == ["Kurir", "Metode Bayar"]
    assert all(field in page.ids for field in FIELDS)
    assert [f for f in FIELDS if "required" in page.ids[f]] == [
        "name", "phone", "address", "district", "city", "province"]
    assert page.ids["phone"]["type"] == "tel"
    provinces = re.findall(r'<option value="([^"]*)"', html)
    assert len(provinces) == 39 and provinces[:2] == ["", "Aceh"] and "DKI Jakarta" in provinces
    assert re.findall(r'name="courier" value="([^"]*)"', html) == ["JNE Regular", "SiCepat REG"]
    assert re.findall(r'name="payment_method" value="([^"]*)"', html) == [
        "bank_transfer", "cod"]
    assert "Transfer Bank BCA" in html
    assert len(page.ids["idempotency_key"]["value"]) >= 16
    assert re.search(r'<button type="submit" class="wide" >Kirim Pesanan</button>', html)


def test_every_checkout_page_gets_a_fresh_idempotency_key(client, burger):
    add(client, "COLA", 1)

    first = Page(client.get(CHECKOUT).get_data(as_text=True)).ids["idempotency_key"]["value"]
    second = Page(client.get(CHECKOUT).get_data(as_text=True)).ids["idempotency_key"]["value"]

    assert first != second


def test_checkout_page_of_an_empty_cart_says_so_and_disables_the_button(client, burger):
    html = client.get(CHECKOUT).get_data(as_text=True)

    assert "Keranjang masih kosong." in html
    assert re.search(r'<button type="submit" class="wide" disabled>Kirim Pesanan</button>', html)


def test_quantity_changed_on_the_checkout_page_comes_back_to_it(client, burger):
    add(client, "BRG-CHEESE", 2)

    answer = client.post("/store/burgerchina/cart", data={
        "code": "BRG-CHEESE", "action": "set", "qty": "3", "next": CHECKOUT})
    page = Page(client.get(answer.headers["Location"]).get_data(as_text=True))

    assert answer.status_code == 303 and answer.headers["Location"].endswith(CHECKOUT)
    assert page.text_of("checkout-total") == "Rp 75.000"
    assert page.text_of("cart-count") == "3"


# --- a successful checkout ------------------------------------------------------------------


def test_checkout_creates_the_order_and_redirects_to_its_tracking_page(client, burger):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)

    answer = submit(client)

    assert answer.status_code == 303
    order = db.session.scalar(select(Order))
    assert answer.headers["Location"] == f"/track/{order.id}"
    assert answer.headers["Cache-Control"] == "no-store"
    page = Page(client.get(answer.headers["Location"]).get_data(as_text=True))
    assert page.text_of("order-number") == f"#{order.number}"
    assert re.fullmatch(r"ORD-\d{8}-\d{3}", order.number)
    assert page.text_of("order-total") == "Rp 65.000"
    assert "Terima kasih! Pesanan Anda sudah kami terima." in page.text_of("thanks")
    tracking_url = f"https://shop.test/track/{order.id}"
    assert page.ids["tracking-link"]["value"] == tracking_url
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    assert (order.courier, order.payment_method, order.notes) == (
        "JNE Regular", "bank_transfer", "Tanpa bawang ya")
    assert (order.shipping_address, order.shipping_district, order.shipping_city,
            order.shipping_province, order.shipping_postal_code) == (
        "Jl. Sudirman No. 123", "Setiabudi", "Jakarta Selatan", "DKI Jakarta", "12190")
    assert page.text_of("recipient-address") == BUDI_ADDRESS
    customer = db.session.get(Customer, order.customer_id)
    assert (customer.name, customer.phone, customer.total_orders) == (
        "Budi Santoso", "6281234567890", 1)
    assert (customer.address, customer.district, customer.city, customer.province,
            customer.postal_code) == (
        "Jl. Sudirman No. 123", "Setiabudi", "Jakarta Selatan", "DKI Jakarta", "12190")


def test_the_thank_you_banner_is_only_for_the_browser_that_ordered(app, client, burger):
    add(client, "FRIES", 1)
    mine = Page(placed(client).get_data(as_text=True))
    order = db.session.scalar(select(Order))

    other = Page(app.test_client().get(f"/track/{order.id}").get_data(as_text=True))

    assert "thanks" in mine.ids and "whatsapp-button" in mine.ids
    assert "thanks" not in other.ids and "whatsapp-button" not in other.ids
    assert other.text_of("order-number") == f"#{order.number}"


def test_whatsapp_button_carries_the_shoppers_own_message_to_the_store(client, burger):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)

    page = Page(placed(client).get_data(as_text=True))

    href = page.ids["whatsapp-button"]["href"]
    prefix = "https://wa.me/6281111111111?text="
    assert href.startswith(prefix)
    assert " " not in href and "\n" not in href
    order = db.session.scalar(select(Order))
    assert unquote(href.removeprefix(prefix)) == "\n".join([
        f"Halo Burger China, saya sudah memesan #{order.number}.", "",
        "2x Burger Cheese - Rp 50.000", "1x French Fries - Rp 15.000",
        "Ongkir: menunggu konfirmasi toko", "Total: Rp 65.000", "",
        "Atas nama: Budi Santoso (081234567890)", f"Alamat: {BUDI_ADDRESS}",
        "Kurir: JNE Regular", "Pembayaran: Transfer Bank BCA", "",
        f"Lacak pesanan: https://shop.test/track/{order.id}", "",
        "Mohon dikonfirmasi ya. Terima kasih!",
    ])


def test_the_customers_confirmation_keeps_seed_000s_text(client, burger):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)
    placed(client)
    order = db.session.scalar(select(Order))

    confirmation = db.session.scalar(select(Notification).where(
        Notification.order_id == order.id, Notification.recipient == "6281234567890"))

    assert text_of(confirmation) == seed_confirmation(order)


def test_cart_is_empty_after_checkout(client, burger):
    add(client, "COLA", 2)

    placed(client)

    assert session_cart(client) == {}
    store_page = Page(client.get("/store/burgerchina").get_data(as_text=True))
    assert (store_page.text_of("cart-count"), store_page.text_of("cart-total")) == ("0", "Rp 0")
    assert stock("COLA") == 48


def test_back_and_reload_after_an_order_never_post_again(client, burger):
    add(client, "FRIES", 1)
    tracking = placed(client)

    back = client.get(CHECKOUT)  # Back: the checkout page is fetched again (no-store)
    reload = client.get(tracking.request.path)

    assert back.status_code == 200 and back.headers["Cache-Control"] == "no-store"
    assert "Keranjang masih kosong." in back.get_data(as_text=True)
    assert reload.status_code == 200 and reload.headers["Cache-Control"] == "no-store"
    assert rows(Order) == 1


def test_checkout_charges_todays_price_not_the_price_when_added(client, burger):
    add(client, "COLA", 2)
    db.session.execute(db.update(Product).where(Product.code == "COLA").values(price=9000))
    db.session.commit()

    page = Page(placed(client).get_data(as_text=True))

    assert page.text_of("order-total") == "Rp 18.000"


def test_repeat_customer_is_found_by_phone_in_another_format(client, burger):
    add(client, "FRIES", 1)
    submit(client)
    add(client, "FRIES", 1)

    submit(client, phone="+62 812-3456-7890", address="Jl. Baru 2")

    assert rows(Customer) == 1 and rows(Order) == 2
    customer = db.session.scalar(select(Customer))
    assert (customer.total_orders, customer.address) == (2, "Jl. Baru 2")
    assert customer.city == "Jakarta Selatan"


# --- refusals -------------------------------------------------------------------------------


REFUSALS = [
    ("invalid phone", {"phone": "12345"}, "phone",
     "Nomor WhatsApp tidak valid. Contoh: 081234567890"),
    ("phone of letters", {"phone": "nomor saya"}, "phone",
     "Nomor WhatsApp hanya boleh berisi angka (spasi, +, - dan tanda kurung boleh). "
     "Contoh: 081234567890"),
    ("letters in a number", {"phone": "0812ABCD7890"}, "phone",
     "Nomor WhatsApp hanya boleh berisi angka (spasi, +, - dan tanda kurung boleh). "
     "Contoh: 081234567890"),
    ("a landline", {"phone": "+62 21 555 1234"}, "phone",
     "Nomor WhatsApp harus nomor HP, bukan telepon rumah atau kantor. Contoh: 081234567890"),
    ("missing phone", {"phone": ""}, "phone", "Wajib diisi."),
    ("missing name", {"name": ""}, "name", "Wajib diisi."),
    ("blank name", {"name": "   "}, "name", "Wajib diisi."),
    ("missing address", {"address": ""}, "address", "Wajib diisi."),
    ("bad email", {"email": "budi@"}, "email", "Email tidak valid."),
    ("unknown courier", {"courier": "Kuda Express"}, "courier", "Pilih kurir dari daftar."),
    ("unknown payment method", {"payment_method": "bitcoin"}, "payment_method",
     "Pilih metode dari daftar."),
]


@pytest.mark.parametrize(("case", "changes", "field", "message"), REFUSALS,
                         ids=[c[0] for c in REFUSALS])
def test_bad_input_re_renders_the_form_with_a_field_error_and_writes_nothing(
    client, burger, case, changes, field, message
):
    add(client, "BRG-CHEESE", 2)
    add(client, "COLA", 3)

    answer = submit(client, **changes)

    assert answer.status_code == 422
    page = Page(answer.get_data(as_text=True))
    assert page.field_errors == {field: [message]}
    assert page.ids[field].get("aria-invalid") == "true"
    assert "order-number" not in page.ids and "Kirim Pesanan" in answer.get_data(as_text=True)
    assert written() == NOTHING
    assert stock("COLA") == 50
    assert session_cart(client) == {"BRG-CHEESE": 2, "COLA": 3}


def test_refused_form_keeps_what_the_shopper_typed(client, burger):
    add(client, "FRIES", 1)

    page = Page(submit(client, phone="12345").get_data(as_text=True))

    assert page.ids["name"]["value"] == "Budi Santoso"
    assert page.ids["phone"]["value"] == "12345"
    assert page.text_of("address") == "Jl. Sudirman No. 123"
    assert page.ids["city"]["value"] == "Jakarta Selatan"
    html = submit(client, phone="1").get_data(as_text=True)
    assert re.search(r'<option selected value="DKI Jakarta">', html)
    assert re.search(r'name="courier" value="JNE Regular" checked', html)


def test_empty_cart_is_a_form_error_and_writes_nothing(client, burger):
    answer = submit(client)

    assert answer.status_code == 422
    page = Page(answer.get_data(as_text=True))
    assert page.form_errors == ["Keranjang masih kosong."]
    assert written() == NOTHING


def test_product_deactivated_between_add_and_checkout_is_refused_and_writes_nothing(
    client, burger
):
    add(client, "BRG-CHEESE", 2)
    add(client, "COLA", 1)
    client.get(CHECKOUT)
    db.session.execute(db.update(Product).where(Product.code == "BRG-CHEESE")
                       .values(is_active=False))
    db.session.commit()

    answer = submit(client)

    assert answer.status_code == 422
    page = Page(answer.get_data(as_text=True))
    assert page.form_errors == ["Produk tidak lagi dijual: Burger Cheese."]
    assert written() == NOTHING
    assert stock("COLA") == 50
    # The refusal showed what is left; sending again orders only that.
    notice = "Tidak lagi dijual dan tidak ikut dipesan: Burger Cheese"
    assert notice in answer.get_data(as_text=True)
    assert page.text_of("checkout-total") == "Rp 8.000"
    again = Page(placed(client).get_data(as_text=True))
    assert again.text_of("order-total") == "Rp 8.000"
    assert rows(Order) == 1


def test_product_deactivated_before_the_checkout_page_is_listed_and_left_out(client, burger):
    add(client, "BRG-CHEESE", 2)
    add(client, "COLA", 1)
    db.session.execute(db.update(Product).where(Product.code == "BRG-CHEESE")
                       .values(is_active=False))
    db.session.commit()

    html = client.get(CHECKOUT).get_data(as_text=True)
    answer = submit(client)

    assert "Tidak lagi dijual dan tidak ikut dipesan: Burger Cheese" in html
    assert answer.status_code == 303
    order = db.session.scalar(select(Order))
    assert order.total == 8000
    assert db.session.scalars(select(OrderItem.code)).all() == ["COLA"]


def test_product_sold_out_between_add_and_checkout_is_refused_and_writes_nothing(client, burger):
    add(client, "FRIES", 1)
    add(client, "COLA", 5)
    db.session.execute(db.update(Product).where(Product.code == "COLA").values(stock=2))
    db.session.commit()

    answer = submit(client)

    assert answer.status_code == 422
    page = Page(answer.get_data(as_text=True))
    assert page.form_errors == ["Stok tidak cukup untuk: Cola."]
    assert written() == NOTHING
    assert stock("COLA") == 2
    assert session_cart(client) == {"FRIES": 1, "COLA": 5}


def test_blocked_number_is_refused_on_the_phone_field(client, burger, make):
    make.customer(burger, phone="6281234567890", status="blocked")
    add(client, "FRIES", 1)

    answer = submit(client)

    assert answer.status_code == 422
    assert Page(answer.get_data(as_text=True)).field_errors == {
        "phone": ["Nomor diblokir oleh toko."]}
    assert rows(Order) == 0 and rows(Notification) == 0


# --- resubmits and CSRF ---------------------------------------------------------------------


def cookie(client) -> str:
    return client.get_cookie("session").value


def test_double_submit_with_the_same_key_creates_one_order(client, burger):
    add(client, "BRG-CHEESE", 2)
    add(client, "COLA", 1)
    key = Page(client.get(CHECKOUT).get_data(as_text=True)).ids["idempotency_key"]["value"]
    before_submit = cookie(client)

    first = submit(client, idempotency_key=key)
    # A double click: the second request left with the same cookie, cart and key.
    client.set_cookie("session", before_submit)
    second = submit(client, idempotency_key=key)

    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["Location"] == second.headers["Location"]
    assert rows(Order) == 1 and rows(Notification) == 2
    assert stock("COLA") == 49
    assert db.session.scalar(select(Customer.total_orders)) == 1
    # Back button and "send again" once the cart is gone: still one order.
    submit(client, idempotency_key=key)
    assert rows(Order) == 1


def test_a_new_key_is_a_new_order(client, burger):
    add(client, "COLA", 1)
    before_submit = cookie(client)
    submit(client, idempotency_key="first-key-123456")
    client.set_cookie("session", before_submit)

    submit(client, idempotency_key="second-key-123456")

    assert rows(Order) == 2 and stock("COLA") == 48


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_with_csrf_on_a_post_without_the_token_is_refused_and_creates_nothing(
    app, client, burger
):
    add(client, "BRG-CHEESE", 2)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        html = client.get(CHECKOUT).get_data(as_text=True)
        token = csrf_token(html)
        forged = submit(client)
        forged_cart = client.post("/store/burgerchina/cart", data={"code": "FRIES", "qty": 1},
                                  headers={"Accept": "application/json"})
        state = (written(), session_cart(client))
        real = submit(client, csrf_token=token)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert (forged.status_code, forged_cart.status_code) == (400, 400)
    assert forged_cart.get_json()["success"] is False
    assert state == (NOTHING, {"BRG-CHEESE": 2})
    assert real.status_code == 303 and rows(Order) == 1


def test_in_english_the_shoppers_whatsapp_text_is_english(client, burger):
    client.get(CHECKOUT + "?lang=en")
    add(client, "FRIES", 1)

    page = Page(placed(client).get_data(as_text=True))

    text = unquote(page.ids["whatsapp-button"]["href"].split("?text=", 1)[1])
    order = db.session.scalar(select(Order))
    assert text.splitlines()[0] == f"Hello Burger China, I have just placed order #{order.number}."
    for line in ("Shipping: to be confirmed by the store", "Total: Rp 15.000",
                 f"Address: {BUDI_ADDRESS}", "Courier: JNE Regular",
                 f"Track the order: https://shop.test/track/{order.id}"):
        assert line in text.splitlines(), line
    assert "Thank you! We have received your order." in page.text_of("thanks")
    assert order.locale == "en"


def idempotency_key(html: str) -> str:
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)


def test_the_kept_checkout_page_is_every_shoppers_own(app, burger):
    # Given two shoppers with different carts, the page kept after the first one's visit
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        pages = []
        for code, qty in (("BRG-CHEESE", 2), ("COLA", 1)):
            with app.test_client() as shopper:
                token = csrf_token(shopper.get(CHECKOUT).get_data(as_text=True))
                answer = shopper.post("/store/burgerchina/cart", data={
                    "csrf_token": token, "code": code, "qty": qty},
                    headers={"Accept": "application/json"})
                assert answer.status_code == 200, answer.get_json()
                pages.append(shopper.get(CHECKOUT).get_data(as_text=True))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    first, second = pages
    # Then each page has its own cart, CSRF token and idempotency key, and nothing of the other
    assert 'data-code="BRG-CHEESE"' in first and 'data-code="COLA"' not in first
    assert 'data-code="COLA"' in second and 'data-code="BRG-CHEESE"' not in second
    assert csrf_token(first) != csrf_token(second)
    assert csrf_token(first) not in second
    assert idempotency_key(first) != idempotency_key(second)
    assert "\x00" not in first + second


def test_a_new_payment_method_is_on_the_very_next_checkout_page(client, burger):
    # Given the checkout page seen once (kept by this process) without e-wallets
    add(client, "COLA", 1)
    assert 'value="e_wallet"' not in client.get(CHECKOUT).get_data(as_text=True)
    # When the store adds an e-wallet
    burger.e_wallets = [{"name": "OVO", "number": "081234567890", "holder": "Toko"}]
    db.session.commit()
    # Then the next page offers it, and two pages in a row each get a fresh key
    page = client.get(CHECKOUT).get_data(as_text=True)
    assert 'value="e_wallet"' in page
    assert idempotency_key(page) != idempotency_key(client.get(CHECKOUT).get_data(as_text=True))


def test_a_new_price_is_in_the_very_next_checkout_page(client, burger):
    add(client, "COLA", 2)
    assert "Rp 16.000" in client.get(CHECKOUT).get_data(as_text=True)
    db.session.execute(Product.__table__.update().where(Product.code == "COLA")
                       .values(price=9000))
    db.session.commit()
    assert "Rp 18.000" in client.get(CHECKOUT).get_data(as_text=True)
