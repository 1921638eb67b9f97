"""What the messages say, as the gateway and the mail server receive them: edited templates,
a stranger's text made harmless, the limit on confirmations, rollbacks that send nothing,
and the email channel."""

from __future__ import annotations

import os
import re

import pytest

from shop import clock
from shop.errors import InvalidInput
from shop.extensions import db
from shop.models import MessageTemplate
from shop.services import message_templates
from shop.services.notifications import Message, queue_messages
from shop.unit_of_work import commit

from .conftest import (
    CUSTOMER,
    STORE_PHONE,
    burger_with_admins,
    checkout,
    outbox,
    queue_lengths,
    work,
)

EDITED = ("Halo {{ customer_name }}, pesanan #{{ order_number }} sudah kami terima.\n"
          "Total: {{ total|rupiah }}\nLacak: {{ tracking_url }}")
HOSTILE = "Klik http://evil.example/x"
LINK = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*")


def save_template(key: str, body: str, locale: str = "id") -> None:
    """What the back office's editor does on save: check, then store."""
    message_templates.check_template(key, body)
    db.session.add(MessageTemplate(key=key, locale=locale, body=body))
    db.session.commit()
    db.session.remove()


def test_an_edited_template_changes_the_next_message_and_not_the_sent_one(
        queued_app, committed, gateway):
    burger_with_admins(committed)
    _, first = checkout(queued_app)
    work(queued_app)

    save_template("order_confirmation", EDITED)
    _, second = checkout(queued_app)
    work(queued_app)

    before, after = gateway.to(CUSTOMER)
    assert before.text.startswith("✅ *Pesanan Berhasil Dibuat!*")
    order = second["order"]
    assert after.text == (f"Halo “Budi Santoso”, pesanan #{order['number']} sudah kami "
                          f"terima.\nTotal: Rp 65.000\nLacak: https://shop.test/track/"
                          f"{order['id']}")
    sent_first, sent_second = outbox(recipient=CUSTOMER)
    assert sent_first.body == before.text and sent_second.body == after.text


def test_a_template_with_an_unknown_variable_is_refused_when_saved():
    with pytest.raises(InvalidInput) as refused:
        message_templates.check_template(
            "order_confirmation", "Halo {{ customer_name }}, kode {{ secret_key }}")

    assert "secret_key" in refused.value.message
    assert "secret_key" in refused.value.fields["body"]
    with pytest.raises(InvalidInput) as in_subject:
        message_templates.check_template("order_confirmation", EDITED,
                                         subject="Pesanan {{ nomor_pesanan }}")
    assert "nomor_pesanan" in in_subject.value.fields["subject"]
    message_templates.check_template("order_confirmation", EDITED)  # the known ones pass


def test_a_template_failing_on_a_real_orders_values_fails_its_row_not_the_job(
        queued_app, committed, gateway):
    burger_with_admins(committed)
    # Valid on the sample (which has a courier); this order has none.
    save_template("order_confirmation", "Kurir: {{ courier.upper() }}")

    status, _ = checkout(queued_app, courier=None)
    work(queued_app)  # fails the test if the job itself raised

    assert status == 201
    (row,) = outbox(recipient=CUSTOMER)
    assert row.status == "failed" and "cannot render" in row.last_error
    assert gateway.to(CUSTOMER) == []
    assert {r.status for r in outbox(template="new_order_admin")} == {"sent"}


def test_a_rollback_enqueues_nothing(queued_app, committed, gateway):
    burger_with_admins(committed)
    with queued_app.app_context():
        queue_messages([Message(CUSTOMER, "otp", {"code": "111222", "minutes": 5,
                                                  "store_name": "Burger China"})],
                       store_id=None, order_id=None, now=clock.now())
        db.session.rollback()
        commit()  # a later commit does not run what the rollback dropped

    status, refused = checkout(queued_app, items=[{"code": "SUNDAE", "qty": 1}])  # sold out

    assert status >= 400 and refused["success"] is False
    assert queue_lengths(queued_app) == {"high": 0, "default": 0, "legacy": 0}
    assert outbox() == []
    assert checkout(queued_app)[0] == 201  # the control: a commit does enqueue
    assert queue_lengths(queued_app)["default"] == 1


def test_a_strangers_text_arrives_on_one_line_quoted_and_without_a_link(
        queued_app, committed, gateway):
    burger_with_admins(committed)
    assert checkout(queued_app, name=f"Budi\n{HOSTILE}")[0] == 422  # names are one line
    status, answer = checkout(queued_app, name=f"Budi {HOSTILE}",
                              address=f"Jl. Sudirman 1\n\n{HOSTILE}",
                              notes=f"*PROMO*\r\n{HOSTILE}\u202e")
    assert status == 201
    with queued_app.app_context():  # a name with line breaks from elsewhere (an import)
        queue_messages([Message(STORE_PHONE, "new_order_admin", {
            "customer_name": f"Budi\n{HOSTILE}\n\n*Transfer ke 0812*", "customer_phone": CUSTOMER,
            "total": "65000.00", "item_count": 3, "store_name": "Burger China"})],
            store_id=None, order_id=answer["order"]["id"], now=clock.now())
        commit()

    work(queued_app)

    flat = "“Budi Klik http: //evil\u2024example/x”"
    (confirmation,) = gateway.to(CUSTOMER)
    lines = confirmation.text.splitlines()
    assert f"Nama: {flat}" in lines
    assert "Alamat: “Jl. Sudirman 1 Klik http: //evil\u2024example/x”" in lines
    assert "Catatan: “PROMO Klik http: //evil\u2024example/x”" in lines
    alerts = gateway.to(STORE_PHONE)
    assert len(alerts) == 2
    assert f"Pelanggan: {flat} (081234567890)" in alerts[0].text.splitlines()
    assert ("Pelanggan: “Budi Klik http: //evil\u2024example/x Transfer ke 0812” "
            "(081234567890)") in alerts[1].text.splitlines()
    for request in gateway.requests:
        assert "evil.example" not in request.text and "\u202e" not in request.text
        assert all(link.startswith("https://shop.test/") for link in LINK.findall(request.text))


def test_the_sixth_confirmation_in_an_hour_to_one_number_is_suppressed(
        queued_app, committed, gateway):
    burger_with_admins(committed)
    for n in range(6):
        assert checkout(queued_app, notes=f"pesanan ke-{n + 1}")[0] == 201

    work(queued_app)

    rows = outbox(template="order_confirmation")
    assert [r.status for r in rows] == ["sent"] * 5 + ["suppressed"]
    assert "5 confirmations in an hour" in rows[-1].last_error
    assert rows[-1].provider_message_id is None
    assert len(gateway.to(CUSTOMER)) == 5
    assert len(gateway.to(STORE_PHONE)) == 6  # the store's own alerts are not limited


@pytest.fixture
def mailing_app(shop_app, redis_db, committed, gateway, mailbox):
    """The shop on Redis, sending email through the local SMTP server."""
    return shop_app(REDIS_URL=os.environ["TEST_REDIS_URL"], SMTP_URL=mailbox.url,
                    SMTP_SENDER="Burger China <toko@shop.test>")


def test_a_shopper_who_gave_an_email_gets_the_confirmation_by_email_too(
        mailing_app, committed, gateway, mailbox):
    burger_with_admins(committed)

    status, answer = checkout(mailing_app, email="Budi@Email.com")
    work(mailing_app)

    assert status == 201
    (message,) = mailbox.messages
    number = answer["order"]["number"]
    assert mailbox.envelopes == [("toko@shop.test", ["budi@email.com"])]
    assert message["Subject"] == f"Pesanan #{number} di Burger China"
    body = message.get_content().strip()
    (whatsapp,) = gateway.to(CUSTOMER)
    assert "*" in whatsapp.text and "*" not in body
    assert body.splitlines() == whatsapp.text.replace("*", "").splitlines()  # MIME's CRLF
    assert f"Nomor Pesanan: #{number}" in body and "Total: Rp 65.000" in body
    (row,) = outbox(channel="email")
    assert (row.status, row.recipient) == ("sent", "budi@email.com")
    assert row.provider_message_id == message["Message-ID"]
    assert len(gateway.requests) == 4  # the email is a channel beside WhatsApp


def test_a_mail_server_refusing_the_address_with_550_fails_the_email(
        mailing_app, committed, gateway, mailbox):
    burger_with_admins(committed)
    mailbox.refuse("budi@email.com")

    assert checkout(mailing_app, email="budi@email.com")[0] == 201
    work(mailing_app)

    (row,) = outbox(channel="email")
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in row.last_error
    assert mailbox.messages == []
    assert {r.status for r in outbox(channel="whatsapp")} == {"sent"}

