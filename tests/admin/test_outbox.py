"""The outbox in the back office: filters by status, template and channel, the text of each
row (as sent, or as it would go out now), masked numbers, and the retry of failed rows, by
the list's action or the detail page's button, only for the admin's stores."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import Notification, NotificationStatus
from shop.services.phones import mask_phone

from .backoffice import follow, text

LIST = "/admin/outbox/"


def rows_of(order_id: str) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(
        Notification.order_id == order_id).order_by(Notification.id)))


def listed_ids(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'name="rowid"[^>]*value="(\d+)"', page)}


@pytest.fixture
def failed_confirmation(make, burger):
    """An order whose confirmation failed (the gateway said 400), its alert still queued."""
    placed = make.order(burger, items=[("BRG-CHEESE", 1)], phone="081234567890")
    confirmation, *alerts = rows_of(placed.id)
    assert confirmation.template == "order_confirmation" and alerts
    confirmation.status = NotificationStatus.FAILED
    confirmation.attempts = 1
    confirmation.last_error = "HTTP 400: nomor tidak terdaftar di WhatsApp"
    db.session.commit()
    return placed, confirmation, alerts


def test_filter_by_status_lists_only_those_rows(login_as, burger, failed_confirmation):
    _placed, failed, queued = failed_confirmation
    admin = login_as("admin", [burger])

    only_failed = text(admin.get(f"{LIST}?flt0_status_equals=failed"))
    only_queued = text(admin.get(f"{LIST}?flt0_status_equals=queued"))
    everything = text(admin.get(LIST))

    assert listed_ids(only_failed) == {failed.id}
    assert "HTTP 400: nomor tidak terdaftar" in only_failed
    assert listed_ids(only_queued) == {row.id for row in queued}
    assert listed_ids(everything) == {failed.id, *(row.id for row in queued)}
    assert listed_ids(text(admin.get(f"{LIST}?flt0_status_equals=bogus"))) == listed_ids(
        everything)  # an unknown status is no filter, not an error


def test_filters_by_template_and_channel(login_as, burger, failed_confirmation):
    _placed, failed, alerts = failed_confirmation
    admin = login_as("admin", [burger])

    confirmations = text(admin.get(f"{LIST}?flt0_template_equals=order_confirmation"))
    email = text(admin.get(f"{LIST}?flt0_kanal_equals=email"))

    assert listed_ids(confirmations) == {failed.id}
    assert listed_ids(email) == set()
    assert listed_ids(text(admin.get(f"{LIST}?flt0_kanal_equals=whatsapp"))) == {
        failed.id, *(row.id for row in alerts)}


def test_the_list_masks_numbers_and_the_detail_shows_the_text(login_as, burger,
                                                               failed_confirmation):
    placed, failed, _alerts = failed_confirmation
    admin = login_as("admin", [burger])

    listing = text(admin.get(LIST))
    detail = text(admin.get(f"{LIST}details/?id={failed.id}"))

    assert mask_phone("6281234567890") in listing and "6281234567890" not in listing
    assert "6281234567890" not in detail
    assert "Teks bila dikirim sekarang" in detail
    assert f"Nomor Pesanan: #{placed.number}" in detail  # rendered from the template now
    assert 'id="retry-button"' in detail


def test_the_retry_action_sends_a_failed_row_and_leaves_others_alone(login_as, burger,
                                                                       failed_confirmation):
    placed, failed, queued = failed_confirmation
    admin = login_as("admin", [burger])

    answer = admin.post(f"{LIST}action/", data={
        "action": "retry", "rowid": [str(failed.id), str(queued[0].id)]})

    page = follow(admin, answer)
    assert "1 pesan dikirim ulang." in page
    sent, *others = rows_of(placed.id)
    assert sent.id == failed.id
    assert (sent.status, sent.attempts) == (NotificationStatus.SENT, 2)
    assert sent.provider_message_id == f"log-n{sent.id}"
    assert f"Nomor Pesanan: #{placed.number}" in sent.body
    assert all(row.status == NotificationStatus.QUEUED for row in others)


def test_the_detail_button_retries_and_then_shows_the_text_sent(login_as, burger,
                                                                  failed_confirmation):
    placed, failed, _alerts = failed_confirmation
    admin = login_as("admin", [burger])

    page = follow(admin, admin.post(f"{LIST}retry/", data={"id": str(failed.id)}))

    assert rows_of(placed.id)[0].status == NotificationStatus.SENT
    assert "Teks yang terkirim" in page and 'id="retry-button"' not in page
    assert f"Nomor Pesanan: #{placed.number}" in page


def test_another_stores_failed_rows_are_neither_shown_nor_retried(login_as, make,
                                                                   failed_confirmation):
    _placed, failed, _alerts = failed_confirmation
    other = login_as("admin", [make.store("lain")])

    assert failed.id not in listed_ids(text(other.get(LIST)))
    assert other.get(f"{LIST}details/?id={failed.id}").status_code in (302, 404)
    other.post(f"{LIST}action/", data={"action": "retry", "rowid": [str(failed.id)]})
    assert other.post(f"{LIST}retry/", data={"id": str(failed.id)}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, failed.id).status == NotificationStatus.FAILED


def test_a_super_admin_sees_every_store_and_retries_by_the_action(login_as, make, burger,
                                                                  failed_confirmation):
    _placed, failed, _alerts = failed_confirmation
    boss = login_as("super_admin")

    assert failed.id in listed_ids(text(boss.get(f"{LIST}?flt0_status_equals=failed")))
    boss.post(f"{LIST}action/", data={"action": "retry", "rowid": [str(failed.id)]})

    db.session.expire_all()
    assert db.session.get(Notification, failed.id).status == NotificationStatus.SENT


def test_a_template_that_fails_on_an_orders_values_shows_no_error_page(login_as, burger,
                                                                       failed_confirmation):
    """A saved text can pass its check on the sample and still fail on a real order (a method
    called on an empty courier): the outbox and the order pages still open."""
    from shop.models import MessageTemplate

    placed, failed, _alerts = failed_confirmation
    db.session.add(MessageTemplate(key="order_confirmation", locale="id",
                                   body="Kurir {{ courier.upper() }} #{{ order_number }}"))
    db.session.commit()
    admin = login_as("admin", [burger])

    detail = admin.get(f"{LIST}details/?id={failed.id}")
    order = admin.get(f"/admin/order/details/?id={placed.id}")

    assert detail.status_code == 200 and order.status_code == 200
    assert "upper" in text(detail)  # the reason is shown instead of the text


def test_a_login_code_waiting_to_go_out_is_masked_for_admins(app, login_as, make,
                                                             monkeypatch):
    from shop.services.otp import request_otp
    from shop.services.otp_limits import MemoryLimits, OtpRules

    monkeypatch.setitem(app.extensions, "shop_otp_limits",
                        MemoryLimits(OtpRules.from_config(app.config)))
    shop = make.dealer_shop()
    request_otp(phone=shop.phone)
    db.session.commit()  # committed, not yet delivered (no unit-of-work callbacks ran)
    row = db.session.scalar(select(Notification).where(Notification.template == "otp"))
    code = row.data["code"]
    assert row.status == NotificationStatus.QUEUED and len(code) == 6

    detail = text(login_as("super_admin").get(f"{LIST}details/?id={row.id}"))

    assert code not in detail and "******" in detail
