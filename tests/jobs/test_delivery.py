"""A checkout's messages, delivered by real RQ workers to a local gateway: seed 000's text to
the shopper, the alert to each admin number, retries on 5xx, failure on 4xx, the Cloud API,
and the embedded default (no Redis) through the log provider."""

from __future__ import annotations

import logging
import os
import time

from shop import clock
from shop.services import notifications
from shop.unit_of_work import commit

from .conftest import (
    ADMIN_PHONES,
    CUSTOMER,
    STORE_PHONE,
    TOKEN,
    Reply,
    burger_with_admins,
    burst,
    checkout,
    outbox,
    queue_lengths,
    scheduled_jobs,
    work,
)

#: Seed 000's confirmation ("Contoh WhatsApp Message"), for Budi's order of the seed; the
#: shopper's free text arrives quoted.
SEED_000_CONFIRMATION = """\
✅ *Pesanan Berhasil Dibuat!*

Nomor Pesanan: #{number}
Order ID: {id}

Track pesanan Anda di:
https://shop.test/track/{id}

---

*Detail Pesanan:*
2x Burger Cheese - Rp 50.000
1x French Fries - Rp 15.000

*Total:* Rp 65.000

*Informasi Pengiriman:*
Nama: “Budi Santoso”
No. WhatsApp: 081234567890
Alamat: “Jl. Sudirman No. 123, Jakarta”
Kurir: JNE Regular (ongkir dikonfirmasi admin)

*Pembayaran:* Transfer Bank BCA

Catatan: “Tanpa bawang ya”

---

Terima kasih sudah berbelanja! 🙏"""


def test_a_checkout_sends_seed_000s_confirmation_once_and_alerts_each_admin_number(
        queued_app, committed, gateway, workers):
    burger_with_admins(committed)

    status, answer = checkout(queued_app)
    assert status == 201
    order = answer["order"]
    assert gateway.requests == []  # nothing is sent from the checkout itself
    assert queue_lengths(queued_app)["default"] == 1
    burst(workers, queued_app)

    assert len(gateway.requests) == 4
    to_shopper = gateway.to(CUSTOMER)
    assert len(to_shopper) == 1
    assert to_shopper[0].text == SEED_000_CONFIRMATION.format(number=order["number"],
                                                              id=order["id"])
    assert {r.phone for r in gateway.requests} == {CUSTOMER, STORE_PHONE, *ADMIN_PHONES}
    for admin in (STORE_PHONE, *ADMIN_PHONES):
        (alert,) = gateway.to(admin)
        assert f"Order: {order['number']}" in alert.text and "Rp 65.000" in alert.text
        assert "https://shop.test/admin/" in alert.text
    for request in gateway.requests:
        assert request.path == "/send" and request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert set(request.payload) == {"phone", "message"}
    ids_by_phone = {r.phone: r.answer["id"] for r in gateway.requests}
    rows = outbox()
    assert len(rows) == 4
    for row in rows:
        assert (row.status, row.attempts) == ("sent", 1)
        assert row.provider_message_id == ids_by_phone[row.recipient]
        assert row.body == gateway.to(row.recipient)[0].text
    assert queue_lengths(queued_app) == {"high": 0, "default": 0, "legacy": 0}


def test_a_gateway_failing_twice_with_500_delivers_once_on_the_third_attempt(
        queued_app, committed, gateway):
    burger_with_admins(committed)
    gateway.script(500, 500, phone=CUSTOMER)

    assert checkout(queued_app)[0] == 201
    work(queued_app)  # NOTIFY_RETRY_SECONDS=0: each retry is queued at once, in this burst

    attempts = gateway.to(CUSTOMER)
    assert [r.status for r in attempts] == [500, 500, 200]
    assert len({r.text for r in attempts}) == 1
    (row,) = outbox(recipient=CUSTOMER)
    assert (row.status, row.attempts) == ("sent", 3)
    assert row.provider_message_id == attempts[-1].answer["id"]
    assert all(r.status == "sent" and r.attempts == 1 for r in outbox(template="new_order_admin"))


def test_a_retry_waits_in_rqs_schedule_and_goes_out_once_due(
        shop_app, redis_db, committed, gateway):
    later = shop_app(REDIS_URL=os.environ["TEST_REDIS_URL"], NOTIFY_RETRY_SECONDS=1.0)
    burger_with_admins(committed)
    gateway.script(503, phone=CUSTOMER)
    assert checkout(later)[0] == 201

    work(later)

    (row,) = outbox(recipient=CUSTOMER)
    assert (row.status, row.attempts) == ("queued", 1) and "503" in row.last_error
    ((_job, enqueued_at),) = scheduled_jobs(later)
    assert enqueued_at >= row.next_attempt_at  # never handed out before the row is due
    assert queue_lengths(later)["default"] == 0
    wait = (enqueued_at - clock.now()).total_seconds()
    assert wait < 3
    time.sleep(max(wait, 0) + 0.05)
    work(later, scheduler=True)

    (row,) = outbox(recipient=CUSTOMER)
    assert (row.status, row.attempts) == ("sent", 2)
    assert [r.status for r in gateway.to(CUSTOMER)] == [503, 200]
    assert scheduled_jobs(later) == []


def test_a_gateway_refusing_with_400_fails_the_row_and_retry_sends_it(
        queued_app, committed, gateway):
    burger_with_admins(committed)
    gateway.script(Reply(400, {"error": "invalid phone number"}), phone=CUSTOMER)
    assert checkout(queued_app)[0] == 201

    work(queued_app)

    (row,) = outbox(recipient=CUSTOMER)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "400" in row.last_error and "invalid phone number" in row.last_error
    assert len(gateway.to(CUSTOMER)) == 1  # a 4xx is not retried by itself
    assert queue_lengths(queued_app)["default"] == 0

    with queued_app.app_context():  # the back office's retry action
        assert notifications.retry_failed([row.id]) == 1
        commit()
    work(queued_app)

    (row,) = outbox(recipient=CUSTOMER)
    assert (row.status, row.attempts) == ("sent", 2)
    assert [r.status for r in gateway.to(CUSTOMER)] == [400, 200]
    assert row.provider_message_id == gateway.to(CUSTOMER)[-1].answer["id"]


def test_the_cloud_api_gets_its_text_message_request_and_its_id_is_kept(
        shop_app, redis_db, committed, gateway):
    cloud = shop_app(REDIS_URL=os.environ["TEST_REDIS_URL"], WHATSAPP_PROVIDER="cloudapi",
                     WHATSAPP_CLOUD_API_URL=f"{gateway.url}/v21.0/",
                     WHATSAPP_CLOUD_PHONE_NUMBER_ID="109876543210")
    burger_with_admins(committed)
    gateway.script(*[Reply(json=lambda n, payload: {
        "messaging_product": "whatsapp",
        "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
        "messages": [{"id": f"wamid.HBgM{n:04d}"}]})] * 4)

    status, answer = checkout(cloud)
    work(cloud)

    assert status == 201 and len(gateway.requests) == 4
    for request in gateway.requests:
        assert request.path == "/v21.0/109876543210/messages"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Content-Type"] == "application/json"
        payload = request.payload
        assert (payload["messaging_product"], payload["type"]) == ("whatsapp", "text")
        assert payload["to"] in {CUSTOMER, STORE_PHONE, *ADMIN_PHONES}
        assert payload["text"]["body"] and payload["text"]["preview_url"] is False
    (to_shopper,) = gateway.to(CUSTOMER)
    assert f"Nomor Pesanan: #{answer['order']['number']}" in to_shopper.text
    ids = {r.phone: f"wamid.HBgM{r.number:04d}" for r in gateway.requests}
    for row in outbox():
        assert row.status == "sent" and row.provider_message_id == ids[row.recipient]


def test_without_redis_the_checkout_delivers_through_the_log_right_after_its_commit(
        shop_app, committed, gateway, caplog):
    embedded = shop_app(WHATSAPP_PROVIDER="log")
    burger_with_admins(committed)
    caplog.set_level(logging.INFO, logger="shop.messages")

    status, answer = checkout(embedded)

    assert status == 201
    rows = outbox()
    assert len(rows) == 4
    for row in rows:
        assert (row.status, row.attempts) == ("sent", 1)
        assert row.provider_message_id == f"log-n{row.id}"
    order = answer["order"]
    confirmation = SEED_000_CONFIRMATION.format(number=order["number"], id=order["id"])
    logged = [r.getMessage() for r in caplog.records if r.name == "shop.messages"]
    assert len(logged) == 4
    assert any(message.endswith(confirmation) and CUSTOMER in message for message in logged)
    assert gateway.requests == []
