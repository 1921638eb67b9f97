"""The public tracking page /track/<order id>: no login, the id is the capability (seed 000)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from sqlalchemy import select, update

from shop.extensions import db
from shop.models import Order, OrderEvent, new_order_id
from shop.services.order_edits import edit_order
from shop.services.orders import set_payment_status, transition
from tests.conftest import counted


def place(make, store, **fields) -> Order:
    """Budi's order of seed 000: 2x Burger Cheese and 1x French Fries, Rp 65.000."""
    values = {"name": "Budi Santoso", "phone": "081234567890",
              "address": "Jl. Sudirman No. 123, Jakarta", "courier": "JNE Regular",
              "payment_method": "bank_transfer", "notes": "Tanpa bawang ya"}
    values.update(fields)
    placed = make.order(store, items=[("BRG-CHEESE", 2), ("FRIES", 1)], **values)
    return db.session.get(Order, placed.id)


@pytest.fixture
def order(make, burger) -> Order:
    return place(make, burger)


def move(order: Order, *statuses: str, note: str | None = None) -> None:
    """The admin moves the order along, committing each step like a request would."""
    for status in statuses:
        transition(order, status, actor="admin:owner@burger.test", note=note,
                   base_url="https://shop.test")
        db.session.commit()


def set_event_times(order: Order, *times: datetime) -> None:
    """Pin the timeline's event times (UTC), in the order the events happened."""
    events = db.session.scalars(select(OrderEvent.id).where(OrderEvent.order_id == order.id)
                                .order_by(OrderEvent.id)).all()
    for event_id, at in zip(events, times, strict=True):
        db.session.execute(update(OrderEvent).where(OrderEvent.id == event_id)
                           .values(created_at=at))
    db.session.commit()


def page_of(client, order_id: str) -> str:
    answer = client.get(f"/track/{order_id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def text_of(html: str, element_id: str) -> str:
    """The visible text of the element with this id (nested tags dropped)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"#{element_id} is missing"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def attr(html: str, element_id: str, name: str) -> str:
    tag = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', html).group(0)
    return re.search(rf'\b{name}="([^"]*)"', tag).group(1)


def timeline(html: str) -> list[tuple[str, str]]:
    """Each step as (state, text): done, current, todo or ended."""
    steps = re.findall(r'<li class="(\w+)">(.*?)</li>', html, re.S)
    return [(state, " ".join(re.sub(r"<[^>]+>", " ", body).split())) for state, body in steps]


def without_date(text: str) -> str:
    """A step's text without the date and time after its label ("Pesanan Dibuat 3 Des 2026,
    09.00" -> "Pesanan Dibuat")."""
    return re.sub(r"\s+\d{1,2} \w+ \d{4}.*$", "", text)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- what the shopper sees ------------------------------------------------------------------


def test_tracking_page_shows_number_status_payment_items_total_and_recipient(client, order):
    html = page_of(client, order.id)

    assert text_of(html, "order-number") == f"#{order.number}"
    assert text_of(html, "order-status") == "Status: Menunggu Konfirmasi"
    assert attr(html, "order-status", "data-status") == "PENDING"
    assert text_of(html, "payment-status") == (
        "Pembayaran: Menunggu Pembayaran (Transfer Bank BCA)")
    items = re.findall(r"<tr><td>(\d+x [^<]+)</td><td class=\"num\">([^<]+)</td></tr>", html)
    assert items == [("2x Burger Cheese", "Rp 50.000"), ("1x French Fries", "Rp 15.000")]
    assert text_of(html, "order-total") == "Rp 65.000"
    assert "order-discount" not in html
    assert text_of(html, "recipient") == (
        "Budi Santoso 0812****7890 Jl. Sudirman No. 123, Jakarta Kurir: JNE Regular")


def test_hubungi_toko_opens_a_whatsapp_chat_with_the_store_about_this_order(client, order):
    html = page_of(client, order.id)

    assert text_of(html, "contact-store") == "📱 Hubungi Toko"
    href = attr(html, "contact-store", "href")
    prefix = "https://wa.me/6281111111111?text="
    assert href.startswith(prefix)
    assert unquote(href.removeprefix(prefix)) == (
        f"Halo Burger China, saya mau tanya pesanan #{order.number}.")
    assert "noreferrer" in attr(html, "contact-store", "rel")


def test_phone_is_masked_and_the_full_number_appears_nowhere(client, order):
    answer = client.get(f"/track/{order.id}")

    html = answer.get_data(as_text=True)
    assert text_of(html, "recipient-phone") == "0812****7890"
    everything = html + str(answer.headers)
    for shape in ("081234567890", "6281234567890", "81234567890", "0812-3456-7890",
                  "34567890"):
        assert shape not in everything


def test_foreign_phone_is_masked_too(client, make, burger):
    foreign = place(make, burger, phone="+6591234567")

    html = page_of(client, foreign.id)

    assert text_of(html, "recipient-phone") == "+659***4567"
    assert "91234567" not in html


@pytest.mark.parametrize(("status", "payment", "status_label", "payment_label"), [
    ("CONFIRMED", "AWAITING_CONFIRMATION", "Dikonfirmasi", "Menunggu Verifikasi"),
    ("PROCESSING", "PAID", "Sedang Diproses", "Lunas"),
    ("REJECTED", "FAILED", "Ditolak", "Pembayaran Gagal"),
])
def test_status_and_payment_are_shown_with_indonesian_labels(
    client, order, status, payment, status_label, payment_label
):
    move(order, status)
    set_payment_status(order, payment, actor="admin:owner@burger.test")
    db.session.commit()

    html = page_of(client, order.id)

    assert text_of(html, "order-status") == f"Status: {status_label}"
    assert text_of(html, "payment-status").startswith(f"Pembayaran: {payment_label}")
    assert attr(html, "payment-status", "data-status") == payment


def test_cash_on_delivery_is_named_as_such(client, make, burger):
    cod = place(make, burger, payment_method="cod")

    html = page_of(client, cod.id)

    assert text_of(html, "payment-status") == (
        "Pembayaran: Menunggu Pembayaran (Bayar di Tempat (COD))")


# --- the timeline ---------------------------------------------------------------------------


def test_new_order_timeline_marks_the_first_step_and_greys_the_rest(client, order):
    set_event_times(order, at(2024, 1, 27, 3, 30))

    html = page_of(client, order.id)

    assert timeline(html) == [
        ("current", "Pesanan Dibuat aktif 27 Jan 2024, 10:30"),
        ("todo", "Sedang Diproses"),
        ("todo", "Sedang Dikirim"),
        ("todo", "Selesai"),
    ]


def test_timeline_shows_done_steps_with_times_in_the_stores_time_zone(client, make):
    papua = make.store("papuakopi", name="Kopi Papua", timezone="Asia/Jayapura")
    make.product(papua, "BRG-CHEESE", "25000", name="Burger Cheese")
    make.product(papua, "FRIES", "15000", name="French Fries")
    order = place(make, papua, payment_method=None)
    move(order, "PROCESSING", note="Sedang dimasak")
    # 01:30 and 02:00 UTC are 10:30 and 11:00 in Jayapura (UTC+9), 08:30 / 09:00 in Jakarta.
    set_event_times(order, at(2024, 1, 27, 1, 30), at(2024, 1, 27, 2, 0))

    html = page_of(client, order.id)

    assert timeline(html) == [
        ("done", "Pesanan Dibuat 27 Jan 2024, 10:30"),
        ("current", "Sedang Diproses aktif 27 Jan 2024, 11:00 Sedang dimasak"),
        ("todo", "Sedang Dikirim"),
        ("todo", "Selesai"),
    ]


def test_timeline_date_follows_the_store_clock_past_midnight(client, make):
    papua = make.store("papuakopi", name="Kopi Papua", timezone="Asia/Jayapura")
    make.product(papua, "BRG-CHEESE", "25000", name="Burger Cheese")
    make.product(papua, "FRIES", "15000", name="French Fries")
    order = place(make, papua)
    set_event_times(order, at(2024, 1, 27, 20, 15))

    html = page_of(client, order.id)

    assert timeline(html)[0] == ("current", "Pesanan Dibuat aktif 28 Jan 2024, 05:15")


def test_confirmed_step_appears_once_it_happened(client, order):
    move(order, "CONFIRMED")
    set_event_times(order, at(2024, 1, 27, 3, 30), at(2024, 1, 27, 3, 45))

    html = page_of(client, order.id)

    assert timeline(html) == [
        ("done", "Pesanan Dibuat 27 Jan 2024, 10:30"),
        ("current", "Dikonfirmasi aktif 27 Jan 2024, 10:45"),
        ("todo", "Sedang Diproses"),
        ("todo", "Sedang Dikirim"),
        ("todo", "Selesai"),
    ]


def test_completed_order_has_every_step_done_and_paid(client, order):
    move(order, "PROCESSING", "SHIPPED", "DELIVERED", "COMPLETED")
    set_payment_status(order, "PAID", actor="admin:owner@burger.test")
    db.session.commit()

    html = page_of(client, order.id)

    assert [(state, without_date(text)) for state, text in timeline(html)] == [
        ("done", "Pesanan Dibuat"), ("done", "Sedang Diproses"), ("done", "Sedang Dikirim"),
        ("done", "Sudah Diterima"), ("current", "Selesai aktif"),
    ]
    assert text_of(html, "payment-status").startswith("Pembayaran: Lunas")


@pytest.mark.parametrize(("ending", "label"), [("CANCELLED", "Dibatalkan"),
                                               ("REJECTED", "Ditolak")])
def test_cancelled_or_rejected_order_shows_its_end_instead_of_the_remaining_steps(
    client, order, ending, label
):
    move(order, ending, note="Stok keju habis")
    set_event_times(order, at(2024, 1, 27, 3, 30), at(2024, 1, 27, 4, 0))

    html = page_of(client, order.id)

    assert timeline(html) == [
        ("done", "Pesanan Dibuat 27 Jan 2024, 10:30"),
        ("ended", f"{label} 27 Jan 2024, 11:00 Stok keju habis"),
    ]
    assert text_of(html, "order-status") == f"Status: {label}"
    assert "Sedang Dikirim" not in html and "Selesai" not in html


def test_order_cancelled_while_processing_keeps_the_steps_it_reached(client, order):
    move(order, "PROCESSING", "CANCELLED")

    html = page_of(client, order.id)

    assert [(state, without_date(text)) for state, text in timeline(html)] == [
        ("done", "Pesanan Dibuat"), ("done", "Sedang Diproses"), ("ended", "Dibatalkan")]


# --- after an admin edit --------------------------------------------------------------------


def test_discount_and_new_total_show_after_an_admin_edit(client, order):
    edit_order(order, {"discount": "10000"}, actor="admin:owner@burger.test")
    db.session.commit()

    html = page_of(client, order.id)

    assert "<td>Subtotal</td><td class=\"num\">Rp 65.000</td>" in html
    assert text_of(html, "order-discount") == "-Rp 10.000"
    assert text_of(html, "order-total") == "Rp 55.000"
    assert [state for state, _ in timeline(html)] == ["current", "todo", "todo", "todo"]


def test_edited_items_address_and_shipping_fee_show_on_the_page(client, order):
    edit_order(order, {
        "items": [{"code": "BRG-CHEESE", "qty": 3}, {"code": "COLA", "qty": 2}],
        "discount": "5000", "shipping_fee": "12000", "shipping_address": "Jl. Baru No. 9",
        "courier": "SiCepat REG",
    }, actor="admin:owner@burger.test")
    db.session.commit()

    html = page_of(client, order.id)

    items = re.findall(r"<tr><td>(\d+x [^<]+)</td><td class=\"num\">([^<]+)</td></tr>", html)
    assert items == [("3x Burger Cheese", "Rp 75.000"), ("2x Cola", "Rp 16.000")]
    assert "Rp 91.000" in html and "Rp 12.000" in html
    assert text_of(html, "order-discount") == "-Rp 5.000"
    assert text_of(html, "order-total") == "Rp 98.000"
    assert "Jl. Baru No. 9" in html and "Kurir: SiCepat REG" in html
    assert "Jl. Sudirman" not in html and "French Fries" not in html


# --- privacy headers and the 404 ------------------------------------------------------------


def assert_private(answer) -> None:
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in answer.headers["X-Robots-Tag"]
    assert answer.headers["Cache-Control"] == "no-store"


def test_tracking_page_is_private_not_indexed_and_never_cached(client, order):
    answer = client.get(f"/track/{order.id}")

    assert answer.status_code == 200
    assert_private(answer)
    html = answer.get_data(as_text=True)
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert not re.search(r"<script[^>]+src=\"(https?:)?//", html)


def one_character_changed(order_id: str) -> str:
    last = order_id[-1]
    return order_id[:-1] + ("a" if last != "a" else "b")


def test_unknown_malformed_and_altered_ids_get_the_identical_404(client, order):
    real = order.id
    wrong_ids = [
        new_order_id(),  # well-formed, unknown
        one_character_changed(real),
        "a" + real[1:],  # first character changed
        real.upper(),
        real + "x",
        real[:-1],
        order.number,
        "x",
        "c" + "0" * 25,
        "' OR 1=1 --",
        "%00",
        "x" * 500,
    ]

    answers = [client.get(f"/track/{wrong}") for wrong in wrong_ids]

    bodies = {a.get_data(as_text=True) for a in answers}
    assert [a.status_code for a in answers] == [404] * len(wrong_ids)
    assert len(bodies) == 1
    body = bodies.pop()
    assert "Pesanan tidak ditemukan." in body
    assert order.number not in body and "Budi" not in body
    for answer in answers:
        assert_private(answer)


def test_a_near_miss_and_nonsense_get_the_same_404_body_and_headers(client, order):
    near = client.get(f"/track/{one_character_changed(order.id)}")
    far = client.get("/track/nonsense")

    assert (near.status_code, far.status_code) == (404, 404)
    assert near.get_data() == far.get_data()
    assert dict(near.headers) == dict(far.headers)


def test_store_pages_are_not_marked_private(client, order):
    answer = client.get("/store/burgerchina")

    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert "X-Robots-Tag" not in answer.headers


# --- cost -----------------------------------------------------------------------------------


def test_tracking_page_runs_at_most_three_statements(app, client, order, count_queries):
    move(order, "PROCESSING")
    edit_order(order, {"discount": "10000"}, actor="admin:owner@burger.test")
    db.session.commit()
    db.session.remove()  # nothing cached from setting the order up

    with count_queries() as statements:
        answer = client.get(f"/track/{order.id}")

    assert answer.status_code == 200
    work = counted(statements)
    print(f"\n[{app.config['TEST_BACKEND']}] tracking page: {len(statements)} seen, "
          f"{len(work)} without transaction control")
    assert len(work) <= 3, "\n".join(statements)
    assert all(s.lstrip().upper().startswith("SELECT") for s in work)


def test_unknown_id_costs_at_most_one_statement(client, order, count_queries):
    with count_queries() as statements:
        client.get(f"/track/{new_order_id()}")
        client.get("/track/not-an-id")

    assert len(counted(statements)) <= 1
