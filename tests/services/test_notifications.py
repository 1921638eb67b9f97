"""Delivery of the outbox, here in the embedded default (no Redis: jobs run in the process
after the commit) through the `log` provider. The same code under RQ workers, a real
gateway and parallel workers is tested in tests/jobs/."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from shop import clock
from shop.extensions import db
from shop.models import MessageTemplate, Notification, NotificationChannel, NotificationStatus
from shop.services import notifications
from shop.services.notifications import Message, queue_messages, retry_wait
from shop.unit_of_work import commit

from ..messages import text_of


def forget_jobs() -> None:
    """Drop the deliveries a plain db.session.commit() (the factories') left to run, so the
    test decides when rows are delivered."""
    db.session().info.pop("committed_callbacks", None)


def rows(**where) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).filter_by(**where)
                                   .order_by(Notification.id)))


def test_the_checkout_writes_values_not_text_and_no_number(make, burger):
    placed = make.order(burger, items=[("FRIES", 2)], notes="Pedas")
    forget_jobs()

    confirmation = rows(template="order_confirmation")[0]
    assert confirmation.body is None and confirmation.status == NotificationStatus.QUEUED
    assert confirmation.data["customer_name"] == "Budi Santoso"
    assert confirmation.data["total"] == "30000.00"
    kept = json.dumps(confirmation.data)
    assert placed.number not in kept and placed.id not in kept  # read when it is sent
    assert f"Nomor Pesanan: #{placed.number}" in text_of(confirmation)


def test_delivery_sends_once_and_keeps_the_text_and_the_provider_id(make, burger, caplog):
    make.order(burger, items=[("FRIES", 1)])
    forget_jobs()
    ids = [row.id for row in rows()]

    with caplog.at_level("INFO", logger="shop.messages"):
        counts = notifications.deliver(ids)
    again = notifications.deliver(ids)

    assert counts["sent"] == len(ids) and again == {"sent": 0, "retry": 0, "failed": 0,
                                                    "suppressed": 0}
    for row in rows():
        assert row.status == NotificationStatus.SENT and row.attempts == 1
        assert row.provider_message_id == f"log-n{row.id}" and row.sent_at is not None
        assert row.body and row.body in caplog.text


def test_a_row_not_yet_due_is_not_claimed(make, burger):
    make.order(burger, items=[("FRIES", 1)])
    forget_jobs()
    row = rows()[0]
    row.next_attempt_at = clock.now() + timedelta(minutes=5)
    db.session.commit()

    assert notifications.claim([row.id]) == []
    assert rows(id=row.id)[0].status == NotificationStatus.QUEUED


def test_the_embedded_default_delivers_right_after_the_commit(make, burger):
    store_id = burger.id
    queue_messages([Message("6281298765432", "otp",
                            {"code": "424242", "minutes": 5, "store_name": "PMO"})],
                   store_id=store_id, order_id=None, now=clock.now())
    commit()

    otp = rows(template="otp")[0]
    assert otp.status == NotificationStatus.SENT and "Kode masuk PMO" in otp.body
    assert "424242" not in otp.body  # a login code is not kept once sent (test_otp.py)


def test_a_rollback_delivers_nothing_and_leaves_nothing(make, burger):
    queue_messages([Message("6281298765432", "otp",
                            {"code": "111111", "minutes": 5, "store_name": "PMO"})],
                   store_id=burger.id, order_id=None, now=clock.now())
    db.session.rollback()
    commit()

    assert rows(template="otp") == []


def test_the_sixth_confirmation_in_an_hour_to_one_number_is_suppressed(make, burger):
    for _ in range(6):
        make.order(burger, items=[("FRIES", 1)], phone="081299990000")
    forget_jobs()
    ids = [row.id for row in rows(template="order_confirmation")]

    counts = notifications.deliver(ids)

    statuses = [row.status for row in rows(template="order_confirmation")]
    assert statuses == [NotificationStatus.SENT] * 5 + [NotificationStatus.SUPPRESSED]
    assert counts["suppressed"] == 1
    assert "5 confirmations" in rows(template="order_confirmation")[-1].last_error


def test_an_edited_template_replaces_the_default_in_the_next_message(make, burger):
    make.order(burger, items=[("FRIES", 1)])
    forget_jobs()
    db.session.add(MessageTemplate(key="order_confirmation", locale="id",
                                   body="Terima kasih {{ customer_name }}! #{{ order_number }}"))
    db.session.commit()

    row = rows(template="order_confirmation")[0]
    notifications.deliver([row.id])

    sent = rows(id=row.id)[0]
    assert sent.body.startswith("Terima kasih \u201cBudi Santoso\u201d! #ORD-")


def test_english_shoppers_get_english_messages(make, burger):
    make.order(burger, items=[("FRIES", 1)], locale="en")
    forget_jobs()

    row = rows(template="order_confirmation")[0]
    assert row.locale == "en" and text_of(row).startswith("✅ *Order placed!*")
    admin = rows(template="new_order_admin")[0]
    assert admin.locale == "id" and "Order baru" in text_of(admin)


def test_waits_between_attempts_grow_and_are_bounded():
    waits = [retry_wait(n, 30).total_seconds() for n in range(1, 8)]
    assert waits[:4] == [30, 120, 480, 1920]
    assert waits == sorted(waits) and waits[-1] == 6 * 3600


def test_a_failed_row_is_sent_again_by_retry(make, burger):
    make.order(burger, items=[("FRIES", 1)])
    forget_jobs()
    row = rows(template="order_confirmation")[0]
    row.status, row.last_error, row.attempts = NotificationStatus.FAILED, "gateway 400", 6
    db.session.commit()

    assert notifications.retry_failed([row.id]) == 1
    commit()  # embedded default: the retry is delivered right after the commit

    again = rows(id=row.id)[0]
    assert again.status == NotificationStatus.SENT and again.attempts == 7


def test_the_sweep_hands_out_stuck_and_forgotten_rows_keeping_their_attempts(app, make, burger):
    make.order(burger, items=[("FRIES", 1)])
    forget_jobs()
    stuck, forgotten = rows()[:2]
    long_ago = clock.now() - timedelta(hours=1)
    stuck.status, stuck.attempts, stuck.claimed_at = NotificationStatus.SENDING, 1, long_ago
    forgotten.next_attempt_at = long_ago
    db.session.commit()

    result = notifications.sweep()

    assert result == {"queued": 1, "stuck": 1}
    swept = {row.id: row for row in rows()}
    assert swept[stuck.id].status == NotificationStatus.SENT and swept[stuck.id].attempts == 2
    assert "sent again" in swept[stuck.id].last_error
    assert swept[forgotten.id].status == NotificationStatus.SENT


def test_email_goes_out_only_when_smtp_is_set_and_the_customer_gave_one(app, make, burger):
    make.order(burger, items=[("FRIES", 1)], email="budi@contoh.id")
    assert rows(channel=NotificationChannel.EMAIL) == []
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    try:
        make.order(burger, items=[("FRIES", 1)], email="budi@contoh.id", phone="081200001111")
    finally:
        app.config["SMTP_URL"] = ""
    forget_jobs()
    email = rows(channel=NotificationChannel.EMAIL)
    assert [(row.recipient, row.template) for row in email] == [
        ("budi@contoh.id", "order_confirmation")]
