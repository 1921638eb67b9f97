"""The back office's orders (issue 10, point 3): seed 000's owner workflow through the pages:
review, edit, update the status, mark as paid, ship, notify; the list, its search, filters,
export and bulk change; the manual order."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import (
    Channel,
    EventKind,
    Order,
    OrderEvent,
    OrderStatus,
    Payment,
    PaymentStatus,
    Shipment,
)
from shop.services.orders import transition

from .html_forms import form_fields


def seed_order(make, store, **fields):
    """Seed 000's order: 2 x Burger Cheese Rp 25.000 + 1 x French Fries Rp 15.000."""
    return make.order(store, items=[("BRG-CHEESE", 2), ("FRIES", 1)], **fields)


def row(order_id: str) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def move(order_id: str, *statuses: str) -> None:
    order = db.session.get(Order, order_id)
    for status in statuses:
        transition(order, status, actor="test")
    db.session.commit()


def fill(form, **values) -> None:
    """Type into the form's fields (replacing what the page put there)."""
    for name, value in values.items():
        assert name in form, name
        form[name] = value


def text(answer) -> str:
    return answer.get_data(as_text=True)


def detail(admin, order_id: str) -> str:
    page = admin.get(f"/admin/order/details/?id={order_id}")
    assert page.status_code == 200
    return text(page)


# --- seed 000: "Customer nego via WhatsApp" ------------------------------------------------


def test_seed_000_discount_story_through_the_admin_pages(login_as, burger, make, client):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    assert "Rp 65.000" in detail(admin, placed.id)

    # the owner opens the order, clicks Edit, adds a Rp 10.000 discount and saves
    edit_page = admin.get(f"/admin/order/{placed.id}/edit")
    form = form_fields(text(edit_page), "edit-form")
    assert form["discount"] == "0" and form.getlist("item_code")[:2] == ["BRG-CHEESE", "FRIES"]
    form["discount"] = "10000"
    saved = admin.post(f"/admin/order/{placed.id}/edit", data=form)

    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/admin/order/details/?id={placed.id}")
    page = detail(admin, placed.id)
    assert '<td class="text-right font-weight-bold" id="order-total">Rp 55.000</td>' in page
    assert "Rp 55.000" in text(client.get(f"/track/{placed.id}"))
    edit = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == placed.id, OrderEvent.kind == EventKind.EDITED)).one()
    assert edit.data == {"discount": ["0.00", "10000.00"], "total": ["65000.00", "55000.00"]}
    assert edit.actor == f"admin:{admin.admin.email}"
    assert "Diskon: Rp 0 → Rp 10.000" in page  # the timeline shows old and new values


def test_items_fee_address_and_notes_are_edited_and_totals_recomputed(login_as, burger, make):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    form = form_fields(text(admin.get(f"/admin/order/{placed.id}/edit")), "edit-form")
    codes = form.getlist("item_code")
    qtys, discounts = form.getlist("item_qty"), form.getlist("item_discount")
    qtys[0], discounts[0] = "3", "5000"          # 3 x Burger Cheese, Rp 5.000 off the line
    codes[2], qtys[2] = "COLA", "2"              # add 2 x Cola in the first empty line
    form.setlist("item_qty", qtys)
    form.setlist("item_discount", discounts)
    form.setlist("item_code", codes)
    form.add("item_remove", "FRIES")             # and remove the fries
    fill(form, shipping_fee="12.000", shipping_address="Jl. Baru 9, Jakarta",
         admin_notes="Nego via WA", courier="SiCepat REG")

    assert admin.post(f"/admin/order/{placed.id}/edit", data=form).status_code == 302

    order = row(placed.id)
    assert [(i.code, i.qty, i.discount, i.subtotal) for i in order.items] == [
        ("BRG-CHEESE", 3, 5000, 70000), ("COLA", 2, 0, 16000)]
    assert (order.subtotal, order.shipping_fee, order.total) == (86000, 12000, 98000)
    assert (order.shipping_address, order.admin_notes, order.courier) == (
        "Jl. Baru 9, Jakarta", "Nego via WA", "SiCepat REG")
    edit = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == placed.id, OrderEvent.kind == EventKind.EDITED)).one()
    assert edit.data["items"] == [{"BRG-CHEESE": 2, "FRIES": 1}, {"BRG-CHEESE": 3, "COLA": 2}]
    assert edit.data["shipping_fee"] == ["0.00", "12000.00"]


def test_a_refused_edit_shows_the_field_error_and_changes_nothing(login_as, burger, make):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    form = form_fields(text(admin.get(f"/admin/order/{placed.id}/edit")), "edit-form")
    fill(form, discount="70000", shipping_address="Jl. Lain 1")

    answer = admin.post(f"/admin/order/{placed.id}/edit", data=form)

    assert answer.status_code == 422
    assert 'data-field-error="discount">Maksimal Rp 65.000.' in text(answer)
    assert 'value="70000"' in text(answer)  # what the admin typed stays in the form
    order = row(placed.id)
    assert (order.discount, order.total, order.shipping_address) == (0, 65000, "Jl. Sudirman 123")


def test_a_final_order_only_takes_admin_notes(login_as, burger, make):
    placed = seed_order(make, burger)
    move(placed.id, "CANCELLED")
    admin = login_as("admin", [burger])
    page = text(admin.get(f"/admin/order/{placed.id}/edit"))
    form = form_fields(page, "edit-form")
    assert set(form) == {"csrf_token", "admin_notes"}
    form["admin_notes"] = "Pelanggan batal via telepon"

    assert admin.post(f"/admin/order/{placed.id}/edit", data=form).status_code == 302
    assert row(placed.id).admin_notes == "Pelanggan batal via telepon"


def test_the_order_can_be_given_to_another_customer_of_the_store(login_as, burger, make):
    placed = seed_order(make, burger)
    sari = make.customer(burger, phone="6281399998888", name="Sari Dewi")
    admin = login_as("admin", [burger])

    page = text(admin.get(f"/admin/order/{placed.id}/edit?customer_q=0813-9999-8888"))
    assert "Sari Dewi" in page
    answer = admin.post(f"/admin/order/{placed.id}/customer", data={"customer_id": sari.id})

    assert answer.status_code == 302
    order = row(placed.id)
    assert (order.customer_id, order.recipient_name, order.recipient_phone) == (
        sari.id, "Sari Dewi", "6281399998888")


# --- status, payment, shipment, notify ----------------------------------------------------


def test_only_the_allowed_status_changes_have_buttons(login_as, burger, make):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    page = detail(admin, placed.id)
    offered = {s.value for s in OrderStatus if f'data-status="{s.value}"' in page}
    assert offered == {"CONFIRMED", "PROCESSING", "CANCELLED", "REJECTED"}

    move(placed.id, "PROCESSING", "COMPLETED")
    page = detail(admin, placed.id)
    assert {s.value for s in OrderStatus if f'data-status="{s.value}"' in page} == {"REFUNDED"}


def test_pending_to_processing_is_recorded_and_the_customer_told(login_as, burger, make):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])

    answer = admin.post(f"/admin/order/{placed.id}/status",
                        data={"status": "PROCESSING", "expected": "PENDING", "note": "Dapur"},
                        follow_redirects=True)

    assert f"Status {placed.number} sekarang Sedang Diproses." in text(answer)
    assert row(placed.id).status == OrderStatus.PROCESSING
    event = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == placed.id, OrderEvent.kind == EventKind.STATUS)).one()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        "PENDING", "PROCESSING", f"admin:{admin.admin.email}", "Dapur")


def test_a_refused_transition_shows_the_allowed_ones_and_changes_nothing(login_as, burger,
                                                                        make):
    placed = seed_order(make, burger)
    move(placed.id, "PROCESSING", "COMPLETED")
    events_before = len(row(placed.id).events)
    admin = login_as("admin", [burger])

    answer = admin.post(f"/admin/order/{placed.id}/status",
                        data={"status": "PENDING", "expected": "COMPLETED"},
                        follow_redirects=True)

    page = text(answer)
    assert "Status COMPLETED tidak bisa diubah ke PENDING." in page
    assert "Yang diizinkan: REFUNDED (Dana Dikembalikan)." in page
    order = row(placed.id)
    assert order.status == OrderStatus.COMPLETED and len(order.events) == events_before


def test_a_change_from_a_stale_page_is_refused(login_as, burger, make):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    move(placed.id, "CONFIRMED")  # someone else, while the page showed PENDING

    answer = admin.post(f"/admin/order/{placed.id}/status",
                        data={"status": "PROCESSING", "expected": "PENDING"},
                        follow_redirects=True)

    assert "statusnya sekarang CONFIRMED. Yang diizinkan: PROCESSING, CANCELLED." in text(answer)
    assert row(placed.id).status == OrderStatus.CONFIRMED


@pytest.mark.parametrize("target", ["CANCELLED", "REJECTED"])
def test_cancel_and_reject_need_a_reason(login_as, burger, make, target):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    assert f'id="reason-{target}" name="note" maxlength="500" required' in detail(admin, placed.id)

    refused = admin.post(f"/admin/order/{placed.id}/status",
                         data={"status": target, "expected": "PENDING", "note": " "},
                         follow_redirects=True)
    assert "Alasan wajib diisi" in text(refused)
    assert row(placed.id).status == OrderStatus.PENDING

    admin.post(f"/admin/order/{placed.id}/status",
               data={"status": target, "expected": "PENDING", "note": "Stok habis"})
    order = row(placed.id)
    assert order.status == OrderStatus(target) and order.events[-1].note == "Stok habis"


def test_mark_as_paid_records_the_payment(login_as, burger, make):
    placed = seed_order(make, burger, payment_method="bank_transfer")
    admin = login_as("admin", [burger])
    form = form_fields(detail(admin, placed.id), "payment-form")
    assert (form["method"], form["amount"]) == ("bank_transfer", "65000")  # the total
    form["reference"] = "BCA 0099"

    answer = admin.post(f"/admin/order/{placed.id}/payment", data=form, follow_redirects=True)

    assert "Pembayaran Rp 65.000 dicatat" in text(answer)
    assert row(placed.id).payment_status == PaymentStatus.PAID
    payment = db.session.scalars(select(Payment).where(Payment.order_id == placed.id)).one()
    assert (payment.amount, payment.reference, payment.actor) == (
        65000, "BCA 0099", f"admin:{admin.admin.email}")
    assert 'id="payment-form"' not in text(answer)  # nothing left to pay


def test_mark_as_paid_refuses_nothing_paid(login_as, burger, make):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    answer = admin.post(f"/admin/order/{placed.id}/payment",
                        data={"method": "cod", "amount": "0"}, follow_redirects=True)
    assert "Jumlah harus lebih dari 0." in text(answer)
    assert row(placed.id).payment_status == PaymentStatus.PENDING


def test_a_shipment_ships_the_order_and_links_to_the_carrier(login_as, burger, make):
    placed = seed_order(make, burger)
    move(placed.id, "PROCESSING")
    admin = login_as("admin", [burger])

    answer = admin.post(f"/admin/order/{placed.id}/shipment",
                        data={"carrier": "sicepat", "tracking_number": "00123 4567"},
                        follow_redirects=True)

    assert row(placed.id).status == OrderStatus.SHIPPED
    shipment = db.session.scalars(select(Shipment).where(Shipment.order_id == placed.id)).one()
    assert shipment.tracking_number == "001234567"
    assert 'href="https://www.sicepat.com/checkAwb/001234567"' in text(answer)


def test_notify_customer_is_a_wa_me_link_with_the_current_status(login_as, burger, make):
    placed = seed_order(make, burger)
    move(placed.id, "PROCESSING")
    admin = login_as("admin", [burger])
    page = detail(admin, placed.id)

    start = page.index('href="https://wa.me/') + len('href="')
    link = page[start:page.index('"', start)]

    assert link.startswith("https://wa.me/6281234567890?text=")
    message = unquote(link.split("text=", 1)[1].replace("&amp;", "&"))
    assert f"Pesanan #{placed.number}" in message
    assert "Status: *Sedang Diproses*" in message
    assert f"https://shop.test/track/{placed.id}" in message


# --- list, search, filters, export, bulk ---------------------------------------------------


def test_the_list_shows_badges_and_finds_a_phone_written_any_way(login_as, burger, make):
    budi = seed_order(make, burger)
    sari = seed_order(make, burger, name="Sari Dewi", phone="0813 9999 8888")
    admin = login_as("admin", [burger])

    page = text(admin.get("/admin/order/"))
    assert budi.number in page and sari.number in page
    assert 'badge-warning badge-status" title="PENDING">Menunggu Konfirmasi' in page
    assert 'title="storefront">Toko online' in page

    found = text(admin.get("/admin/order/", query_string={"search": "+62 813-9999-8888"}))
    assert sari.number in found and budi.number not in found
    by_id = text(admin.get("/admin/order/", query_string={"search": budi.id}))
    assert budi.number in by_id and sari.number not in by_id


def test_filters_and_pages_keep_each_other(login_as, burger, make):
    placed = [seed_order(make, burger) for _ in range(27)]
    move(placed[0].id, "CONFIRMED")
    admin = login_as("admin", [burger])

    confirmed = text(admin.get("/admin/order/?status=CONFIRMED"))
    assert placed[0].number in confirmed and placed[1].number not in confirmed
    first = text(admin.get("/admin/order/?payment_status=PENDING"))
    assert "27 pesanan" in first
    assert 'href="/admin/order/?page=2&amp;per_page=25&amp;payment_status=PENDING"' in first
    second = text(admin.get("/admin/order/?page=2&per_page=25&payment_status=PENDING"))
    assert second.count('name="ids"') == 2


def test_export_has_the_business_columns_in_the_stores_time_zone(login_as, burger, make):
    placed = seed_order(make, burger, payment_method="cod")
    admin = login_as("admin", [burger])

    answer = admin.get("/admin/order/export.csv")

    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="pesanan.csv"'
    rows = list(csv.reader(io.StringIO(text(answer).lstrip("\ufeff"))))
    assert rows[0] == ["number", "id", "date", "store", "channel", "customer", "phone",
                       "status", "payment_status", "payment_method", "subtotal", "discount",
                       "shipping_fee", "total"]
    order = row(placed.id)
    local = order.created_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Jakarta"))
    assert rows[1] == [placed.number, placed.id, f"{local:%Y-%m-%d %H:%M}", "Burger China",
                       "storefront", "Budi Santoso", "6281234567890", "PENDING", "PENDING",
                       "cod", "65000.00", "0.00", "0.00", "65000.00"]


def test_bulk_change_moves_what_it_may_and_reports_the_rest(login_as, burger, make):
    first, done, last = (seed_order(make, burger) for _ in range(3))
    move(done.id, "PROCESSING", "COMPLETED")
    admin = login_as("admin", [burger])

    answer = admin.post("/admin/order/bulk", data={
        "ids": [first.id, done.id, last.id], "status": "CONFIRMED", "note": "",
        "back": "/admin/order/?status=PENDING"})

    assert answer.headers["Location"] == "/admin/order/?status=PENDING"
    page = text(admin.get("/admin/order/"))
    assert "2 pesanan diubah ke CONFIRMED" in page
    assert f"{done.number} tidak diubah: Status COMPLETED tidak bisa diubah ke CONFIRMED." in page
    assert [row(o.id).status for o in (first, done, last)] == [
        OrderStatus.CONFIRMED, OrderStatus.COMPLETED, OrderStatus.CONFIRMED]


def test_bulk_cancel_without_a_reason_changes_nothing(login_as, burger, make):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    answer = admin.post("/admin/order/bulk", data={"ids": [placed.id], "status": "CANCELLED"},
                        follow_redirects=True)
    assert "Alasan wajib diisi" in text(answer)
    assert row(placed.id).status == OrderStatus.PENDING


# --- manual order --------------------------------------------------------------------------


def test_a_phone_sale_is_placed_like_a_checkout_by_the_admin(login_as, burger, make):
    admin = login_as("admin", [burger])
    form = form_fields(text(admin.get("/admin/order/manual/")), "manual-form")
    assert form["store_id"] == str(burger.id)  # the admin's only store is chosen
    form.setlist("item_code", ["BRG-CHEESE", "FRIES"] + [""] * 4)
    form.setlist("item_qty", ["2", ""] + [""] * 4)
    fill(form, name="Pak Joko", phone="0811-2222-333", address="Ambil di toko",
         payment_method="cod", notes="Telepon jam 10")

    answer = admin.post("/admin/order/manual/", data=form)

    assert answer.status_code == 302
    order = db.session.scalars(select(Order).where(Order.recipient_name == "Pak Joko")).one()
    assert answer.headers["Location"].endswith(f"/admin/order/details/?id={order.id}")
    assert (order.channel, order.total, order.recipient_phone, order.payment_method) == (
        Channel.ADMIN, 65000, "628112222333", "cod")
    assert order.events[0].actor == f"admin:{admin.admin.email}"
    # the same form sent twice (double click) is one order
    assert admin.post("/admin/order/manual/", data=form).status_code == 302
    assert len(db.session.scalars(select(Order).where(
        Order.recipient_name == "Pak Joko")).all()) == 1


def test_a_manual_order_with_errors_shows_them_and_creates_nothing(login_as, burger, make):
    admin = login_as("admin", [burger])
    answer = admin.post("/admin/order/manual/", data={
        "store_id": burger.id, "name": "Pak Joko", "phone": "12", "address": "",
        "item_code": ["SUNDAE"], "item_qty": ["1"]})

    assert answer.status_code == 422
    page = text(answer)
    assert 'data-field-error="phone"' in page and 'data-field-error="address"' in page
    assert db.session.scalars(select(Order)).all() == []


# --- Flask-Admin's own saving --------------------------------------------------------------


def test_flask_admins_own_forms_never_change_an_order(login_as, burger, make):
    placed = seed_order(make, burger)
    admin = login_as("super_admin")
    forged = {"status": "COMPLETED", "payment_status": "PAID", "total": "1", "discount": "0",
              "number": "HACKED-1", "admin_notes": "x"}

    edit = admin.post(f"/admin/order/edit/?id={placed.id}", data=forged)
    create = admin.post("/admin/order/new/", data=forged)
    delete = admin.post("/admin/order/delete/", data={"id": placed.id})
    export = admin.get("/admin/order/export/csv/")
    inline = admin.post("/admin/order/ajax/update/",
                        data={"list_form_pk": placed.id, "status": "COMPLETED"})
    bulk_delete = admin.post("/admin/order/action/", data={"action": "delete",
                                                           "rowid": placed.id})

    assert {edit.status_code, create.status_code, delete.status_code, export.status_code,
            bulk_delete.status_code} == {302}
    assert inline.status_code == 404
    order = row(placed.id)
    assert (order.status, order.payment_status, order.total, order.number, order.admin_notes) \
        == (OrderStatus.PENDING, PaymentStatus.PENDING, 65000, placed.number, None)
    assert len(db.session.scalars(select(Order)).all()) == 1
