"""WhatsApp commands of the store's admin numbers (seed 001): lists, detail with history,
search, status changes through the order machine, completion with a reference, figures;
customers' numbers masked, another store's orders never shown, non-admins refused."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Billing, Notification, Order, OrderEvent, OrderStatus
from shop.services.chat_commands import handle_message
from shop.services.order_status import complete_order
from shop.services.orders import set_payment_status, transition

ADMIN = "081200000001"
ADMIN_E164 = "6281200000001"
BUDI = "081234567890"
SITI = "081298765432"


@pytest.fixture
def store(make, burger):
    """The burger store with an admin number and a monthly server package."""
    burger.admin_whatsapp = [ADMIN_E164]
    make.product(burger, "BRONZE", "25000", name="BRONZE", category="Server",
                 billing=Billing.MONTHLY)
    db.session.commit()
    return burger


def _reply(store, text, phone=ADMIN, locale="id") -> str:
    replies = handle_message(store, phone, text, locale=locale)
    assert len(replies) == 1, replies
    return replies[0]


def _order(make, store, phone=BUDI, name="Budi Santoso", items=(("BRONZE", 3),)) -> Order:
    placed = make.order(store, items=list(items), phone=phone, name=name)
    return db.session.get(Order, placed.id)


def events(order) -> list[OrderEvent]:
    return list(db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                   .order_by(OrderEvent.id)))


def status_messages(order) -> list[str]:
    return list(db.session.scalars(select(Notification.template).where(
        Notification.order_id == order.id, Notification.template.like("order_status_%"))
        .order_by(Notification.id)))


# --- who may --------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["!orders", "!order-detail ORD-1", "!order-stats",
                                  "!pending-orders", "!order-search budi"])
def test_given_a_customer_sending_admin_commands_then_refused_and_shown_nothing(
        make, store, text):
    order = _order(make, store)

    reply = _reply(store, text.replace("ORD-1", order.number), phone=BUDI)

    assert reply.startswith("Perintah !") and "hanya untuk admin toko." in reply
    assert order.number not in reply and "Budi" not in reply


def test_given_a_customer_confirming_an_order_then_nothing_changes(make, store):
    order = _order(make, store)

    reply = _reply(store, f"!order-confirm {order.number}", phone=BUDI)

    assert "hanya untuk admin toko" in reply
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PENDING
    assert len(events(order)) == 1


def test_given_the_admin_asks_for_help_then_the_admin_commands_are_listed(store):
    reply = _reply(store, "!bantuan")

    assert "*!order-complete [nomor] [referensi] [catatan]*" in reply
    assert "*!orders [status] [jumlah]*" in reply
    assert "!order-complete" not in _reply(store, "!bantuan", phone=BUDI)


# --- lists ----------------------------------------------------------------------------

def test_given_orders_then_the_admin_lists_them_newest_first_with_masked_phones(make, store):
    first = _order(make, store)
    second = _order(make, store, phone=SITI, name="Siti Aminah", items=[("FRIES", 1)])

    reply = _reply(store, "!orders")

    assert reply.startswith("*Pesanan (2 dari 2, terbaru dulu)*")
    assert reply.index(second.number) < reply.index(first.number)
    assert "Siti Aminah (0812****5432)" in reply and "Budi Santoso (0812****7890)" in reply
    for phone in ("081298765432", "6281298765432", "081234567890", "6281234567890"):
        assert phone not in reply


def test_given_a_status_and_a_limit_then_only_those_are_listed(make, store):
    orders = [_order(make, store) for _ in range(3)]
    transition(orders[0], OrderStatus.CONFIRMED, actor="test", notify=False)

    pending = _reply(store, "!orders PENDING 1")
    confirmed = _reply(store, "!orders dikonfirmasi", locale="en")

    assert pending.startswith("*Pesanan Menunggu Konfirmasi (1 dari 2, terbaru dulu)*")
    assert orders[2].number in pending and orders[1].number not in pending
    assert confirmed.startswith("*Orders Confirmed (1 of 1, newest first)*")
    assert orders[0].number in confirmed


@pytest.mark.parametrize("text, start", [
    ("!orders 51", "Jumlah harus 1 sampai 50."),
    ("!orders 0", "Jumlah harus 1 sampai 50."),
    ("!orders lunas", 'Status "lunas" tidak dikenal.'),
    ("!orders pending banyak", "Cara pakai: !orders [status] [jumlah]"),
    ("!orders pending 5 lagi", "Cara pakai: !orders [status] [jumlah]"),
])
def test_given_bad_list_arguments_then_a_short_answer(store, text, start):
    assert _reply(store, text).startswith(start)


def test_given_more_orders_than_the_default_then_ten_are_listed_and_50_at_most(make, store):
    for _ in range(12):
        _order(make, store, items=[("FRIES", 1)])

    assert _reply(store, "!orders").startswith("*Pesanan (10 dari 12")
    assert _reply(store, "!orders all 50").startswith("*Pesanan (12 dari 12")


def test_given_no_orders_then_the_lists_say_so(store):
    assert _reply(store, "!orders") == "Tidak ada pesanan."
    assert _reply(store, "!pending-orders") == "Tidak ada pesanan menunggu konfirmasi."


def test_given_another_stores_orders_then_the_admin_never_sees_them(make, store):
    other = make.store("lain", admin_whatsapp=["6281300000009"])
    make.product(other, "TEH", "5000", name="Teh Manis")
    theirs = _order(make, other, items=[("TEH", 1)])

    assert _reply(store, "!orders") == "Tidak ada pesanan."
    assert _reply(store, f"!order-detail {theirs.number}") == (
        f"Pesanan {theirs.number} tidak ditemukan.")
    assert "tidak ditemukan" in _reply(store, f"!order-confirm {theirs.number}")
    assert _reply(store, "!order-search teh").startswith("Tidak ada pesanan")
    db.session.expire_all()
    assert db.session.get(Order, theirs.id).status == OrderStatus.PENDING


def test_given_pending_orders_then_pending_orders_lists_only_them(make, store):
    waiting = _order(make, store)
    done = _order(make, store)
    transition(done, OrderStatus.CANCELLED, actor="test", notify=False)

    reply = _reply(store, "!pending-orders")

    assert reply.startswith("*Pesanan menunggu konfirmasi (1 dari 1)*")
    assert waiting.number in reply and done.number not in reply


# --- detail and search ----------------------------------------------------------------

def test_given_an_order_then_its_detail_shows_items_in_months_and_its_history(make, store):
    order = _order(make, store)
    transition(order, OrderStatus.CONFIRMED, actor="whatsapp:6281200000001",
               note="Pembayaran diterima", notify=False)

    reply = _reply(store, f"!order-detail {order.number.lower()}")

    assert reply.startswith(f"*Pesanan #{order.number}*")
    assert "Pelanggan: Budi Santoso (0812****7890)" in reply
    assert "• BRONZE 3 bulan = Rp 75.000" in reply
    assert "Pengiriman" not in reply  # a subscription ships nothing
    history = reply.split("*Riwayat:*")[1]
    assert "Dibuat (pelanggan)" in history
    assert "Dikonfirmasi (WhatsApp 0812****0001): Pembayaran diterima" in history
    assert "6281200000001" not in reply and "6281234567890" not in reply


def test_given_detail_of_an_unknown_or_malformed_number_then_a_short_answer(store):
    assert _reply(store, "!order-detail ORD-20990101-999") == (
        "Pesanan ORD-20990101-999 tidak ditemukan.")
    assert _reply(store, "!order-detail <x>").startswith("Nomor pesanan tidak valid.")
    assert _reply(store, "!order-detail").startswith("Cara pakai: !order-detail [nomor]")


@pytest.mark.parametrize("query", ["0812-9876-5432", "+62 812 9876 5432", "siti", "fries",
                                   "French"])
def test_given_a_phone_name_or_product_then_search_finds_the_order(make, store, query):
    theirs = _order(make, store, phone=SITI, name="Siti Aminah", items=[("FRIES", 1)])
    mine = _order(make, store)

    reply = _reply(store, f"!order-search {query}")

    assert theirs.number in reply and mine.number not in reply
    assert "6281298765432" not in reply


def test_given_a_number_or_a_status_then_search_finds_those(make, store):
    first = _order(make, store)
    second = _order(make, store)
    transition(second, OrderStatus.PROCESSING, actor="test", notify=False)

    by_number = _reply(store, f"!order-search {first.number}")
    by_status = _reply(store, "!order-search processing")

    assert first.number in by_number and second.number not in by_number
    assert second.number in by_status and first.number not in by_status


def test_given_search_without_or_with_too_short_text_then_a_short_answer(store):
    assert _reply(store, "!order-search").startswith("Cara pakai: !order-search [kata]")
    assert _reply(store, "!order-search x") == "Kata pencarian minimal 2 huruf."
    assert _reply(store, "!order-search zzz%") == (
        'Tidak ada pesanan yang cocok dengan "zzz%".')


# --- status changes -------------------------------------------------------------------

def test_given_the_seed_flow_then_confirm_process_complete_walk_the_order(make, store):
    order = _order(make, store)

    confirmed = _reply(store, f"!order-confirm {order.number} Pembayaran diterima")
    processed = _reply(store, f"!order-process {order.number} Menyiapkan server")
    completed = _reply(store, f"!order-complete {order.number} SERVER123 Server siap")

    assert confirmed.startswith(f"✅ Pesanan {order.number} sekarang *Dikonfirmasi*.")
    assert processed.startswith(f"✅ Pesanan {order.number} sekarang *Sedang Diproses*.")
    assert completed.startswith(f"✅ Pesanan {order.number} sekarang *Selesai*.")
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.reference) == (OrderStatus.COMPLETED, "SERVER123")
    steps = [(e.to_status, e.actor, e.note) for e in events(order)][1:]
    assert steps == [
        ("CONFIRMED", "whatsapp:6281200000001", "Pembayaran diterima"),
        ("PROCESSING", "whatsapp:6281200000001", "Menyiapkan server"),
        ("COMPLETED", "whatsapp:6281200000001", "Referensi: SERVER123\nServer siap"),
    ]
    assert status_messages(order) == ["order_status_confirmed", "order_status_processing",
                                      "order_status_completed"]


def test_given_a_completed_order_then_the_customer_reads_its_reference(make, store):
    order = _order(make, store)
    for status in (OrderStatus.CONFIRMED, OrderStatus.PROCESSING):
        transition(order, status, actor="test", notify=False)
    _reply(store, f"!order-complete {order.number} SRV-42")

    reply = handle_message(store, BUDI, f"!order-status {order.number}")[0]

    assert "Status: *Selesai*" in reply and "Referensi: SRV-42" in reply


def test_given_a_refused_transition_then_it_says_what_is_possible_and_nothing_changes(
        make, store):
    order = _order(make, store)

    reply = _reply(store, f"!order-complete {order.number} SRV1 siap")

    assert reply == (f"Pesanan {order.number} berstatus Menunggu Konfirmasi: tidak bisa "
                     "menjadi Selesai. Yang bisa: Dikonfirmasi, Sedang Diproses, Dibatalkan, "
                     "Ditolak.")
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.reference) == (OrderStatus.PENDING, None)
    assert len(events(order)) == 1 and status_messages(order) == []


def test_given_a_final_order_then_confirming_it_is_refused(make, store):
    order = _order(make, store)
    transition(order, OrderStatus.CANCELLED, actor="test", notify=False)

    reply = _reply(store, f"!order-confirm {order.number}", locale="en")

    assert reply == (f"Order {order.number} is Cancelled: it cannot become Confirmed. "
                     "Possible: none (final status).")


def test_given_cancel_without_a_reason_then_it_is_refused_and_with_one_it_cancels(
        make, store):
    order = _order(make, store, items=[("COLA", 2)])

    refused = _reply(store, f"!order-cancel {order.number}")
    cancelled = _reply(store, f"!order-cancel {order.number} Stok server habis")

    assert refused.startswith("Alasan wajib diisi untuk status Dibatalkan.")
    assert "Cara pakai: !order-cancel [nomor] [alasan]" in refused
    assert cancelled.startswith(f"✅ Pesanan {order.number} sekarang *Dibatalkan*.")
    event = events(order)[-1]
    assert (event.to_status, event.note) == ("CANCELLED", "Stok server habis")
    assert status_messages(order) == ["order_status_cancelled"]


def test_given_complete_without_a_reference_then_usage_and_a_dash_means_none(make, store):
    order = _order(make, store)
    transition(order, OrderStatus.PROCESSING, actor="test", notify=False)

    usage = _reply(store, f"!order-complete {order.number}")
    done = _reply(store, f"!order-complete {order.number} - diserahkan langsung")

    assert usage.startswith("Cara pakai: !order-complete [nomor] [referensi] [catatan]")
    assert done.startswith(f"✅ Pesanan {order.number} sekarang *Selesai*.")
    assert order.reference is None
    assert events(order)[-1].note == "diserahkan langsung"


def test_given_an_order_changed_meanwhile_then_the_admin_is_told_and_nothing_changes(
        make, store):
    order = _order(make, store)
    db.session.execute(Order.__table__.update().where(Order.__table__.c.id == order.id)
                       .values(status="CANCELLED"))

    reply = _reply(store, f"!order-confirm {order.number}")

    assert reply.startswith(f"Pesanan {order.number} baru saja diubah.")
    assert len(events(order)) == 1


def test_complete_order_keeps_the_reference_and_tells_an_english_customer(make, store):
    placed = make.order(store, items=[("BRONZE", 1)], locale="en")
    order = db.session.get(Order, placed.id)
    transition(order, OrderStatus.PROCESSING, actor="test", notify=False)

    complete_order(order, reference="  SRV-9  ", note=None, actor="admin:a@b.test")

    assert order.reference == "SRV-9" and order.status == OrderStatus.COMPLETED
    assert events(order)[-1].note == "Reference: SRV-9"
    row = db.session.scalars(select(Notification).where(
        Notification.template == "order_status_completed")).one()
    assert row.data["reference"] == "SRV-9" and "SRV-9" in row.data["note"]


def test_complete_order_refuses_a_reference_too_long_before_changing_anything(make, store):
    order = _order(make, store)
    transition(order, OrderStatus.PROCESSING, actor="test", notify=False)

    reply = _reply(store, f"!order-complete {order.number} {'X' * 101}")

    assert reply.startswith("Referensi terlalu panjang.")
    assert order.status == OrderStatus.PROCESSING and order.reference is None


# --- figures --------------------------------------------------------------------------

def test_given_orders_then_stats_count_them_and_the_revenue_of_completed_paid_ones(
        make, store):
    paid = _order(make, store)  # BRONZE 3 months: Rp 75.000
    for status in (OrderStatus.CONFIRMED, OrderStatus.PROCESSING, OrderStatus.COMPLETED):
        transition(paid, status, actor="test", notify=False)
    set_payment_status(paid, "PAID", actor="test", notify=False)
    _order(make, store, items=[("FRIES", 2)])  # pending, Rp 30.000
    cancelled = _order(make, store, items=[("FRIES", 1)])
    transition(cancelled, OrderStatus.CANCELLED, actor="test", notify=False)

    reply = _reply(store, "!order-stats")

    assert reply.startswith("*Statistik pesanan Burger China*")
    for line in ("Total pesanan: 3", "Pendapatan (selesai & lunas): Rp 75.000",
                 "Rata-rata per pesanan: Rp 75.000", "Hari ini: 3 pesanan, pendapatan Rp 75.000",
                 "Bulan ini: 3 pesanan, pendapatan Rp 75.000", "• Selesai: 1",
                 "• Menunggu Konfirmasi: 1", "• Dibatalkan: 1",
                 "• BRONZE: 1 pesanan, Rp 75.000", "• French Fries: 1 pesanan, Rp 30.000"):
        assert line in reply, line


def test_given_no_orders_then_stats_are_zero_and_the_average_a_dash(store):
    reply = _reply(store, "!order-stats", locale="en")

    assert "Orders: 0" in reply and "Average order value: -" in reply
    assert "Revenue (completed and paid): Rp 0" in reply


def test_given_another_stores_orders_then_stats_leave_them_out(make, store):
    other = make.store("lain")
    make.product(other, "TEH", "5000")
    _order(make, other, items=[("TEH", 1)])

    assert "Total pesanan: 0" in _reply(store, "!order-stats")
    assert db.session.scalar(select(func.sum(Order.total))) == Decimal("5000.00")
