"""POST /api/whatsapp/webhook (issue 13, item 1): the generic gateway's message with its
Bearer token and the WhatsApp Cloud API's signed webhook (and its GET handshake) reach the
`!command` handler; each provider message id is answered once, the replies are outbox rows
to the sender, and a message for no known store is ignored."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import InboundMessage, Notification
from tests.messages import text_of

URL = "/api/whatsapp/webhook"
TOKEN = "gateway-token-123"  # noqa: S105 - a test value
VERIFY = "verify-me"
SECRET = "app-secret-xyz"  # noqa: S105 - a test value
CUSTOMER = "6281234567890"
STORE_NUMBER = "6281111111111"  # the burger store's


@pytest.fixture(autouse=True)
def settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "WHATSAPP_WEBHOOK_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "WHATSAPP_VERIFY_TOKEN", VERIFY)
    monkeypatch.setitem(app.config, "WHATSAPP_APP_SECRET", SECRET)


def bearer(token: str = TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


def generic(text="!katalog", message_id="gw-1", sender=CUSTOMER, to=STORE_NUMBER) -> dict:
    return {"from": sender, "text": text, "id": message_id, "to": to}


def cloud(*messages, display=STORE_NUMBER) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": display, "phone_number_id": "111"},
            "messages": list(messages)}}]}]}).encode()


def cloud_text(text="!katalog", message_id="wamid.A1", sender=CUSTOMER) -> dict:
    return {"from": sender, "id": message_id, "timestamp": "1700000000", "type": "text",
            "text": {"body": text}}


def signed(raw: bytes, secret: str = SECRET) -> dict:
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def outbox() -> list[Notification]:
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def inbound_count() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundMessage))


# --- the generic gateway ---------------------------------------------------------------


def test_given_the_token_when_a_customer_sends_katalog_then_one_reply_lists_the_products(
        client, burger):
    answer = client.post(URL, json=generic(), headers=bearer())

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"success": True, "handled": 1}
    rows = outbox()
    assert len(rows) == 1
    assert rows[0].recipient == CUSTOMER and rows[0].store_id == burger.id
    assert rows[0].template == "chat_reply" and rows[0].channel.value == "whatsapp"
    text = text_of(rows[0])
    for name in ("Burger Cheese", "French Fries", "Cola"):
        assert name in text
    assert "Menu Lama" not in text  # inactive
    assert inbound_count() == 1


def test_given_a_redelivered_message_id_then_nothing_more_is_queued(client, burger):
    first = client.post(URL, json=generic(message_id="gw-7"), headers=bearer())
    again = client.post(URL, json=generic(message_id="gw-7"), headers=bearer())

    assert first.get_json()["handled"] == 1
    assert again.status_code == 200 and again.get_json() == {"success": True, "handled": 0}
    assert len(outbox()) == 1 and inbound_count() == 1


def test_given_a_new_message_id_then_it_is_answered_too(client, burger):
    client.post(URL, json=generic(message_id="gw-1"), headers=bearer())
    client.post(URL, json=generic(message_id="gw-2", text="!bantuan"), headers=bearer())

    assert len(outbox()) == 2 and inbound_count() == 2


@pytest.mark.parametrize("headers,status", [({}, 401), (bearer("wrong-token"), 403)])
def test_given_a_missing_or_wrong_token_then_nothing_is_handled(client, burger, headers,
                                                                 status):
    answer = client.post(URL, json=generic(), headers=headers)

    assert answer.status_code == status
    assert outbox() == [] and inbound_count() == 0


def test_given_no_token_setting_then_the_generic_format_is_refused(client, burger, app,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "WHATSAPP_WEBHOOK_TOKEN", "")

    answer = client.post(URL, json=generic(), headers=bearer(""))
    with_any = client.post(URL, json=generic(), headers=bearer("anything"))

    assert answer.status_code in (401, 403) and with_any.status_code == 403
    assert outbox() == []


def test_given_a_message_to_an_unknown_store_number_then_it_is_ignored(client, burger):
    answer = client.post(URL, json=generic(to="6289999999999"), headers=bearer())
    no_to = client.post(URL, json={"from": CUSTOMER, "text": "!katalog", "id": "gw-9"},
                        headers=bearer())

    assert answer.status_code == 200 and answer.get_json() == {"success": True, "handled": 0}
    assert no_to.status_code == 200 and no_to.get_json()["handled"] == 0
    assert outbox() == [] and inbound_count() == 0


def test_given_text_that_is_no_command_then_it_is_recorded_but_not_answered(client, burger):
    answer = client.post(URL, json=generic(text="halo kak"), headers=bearer())

    assert answer.get_json() == {"success": True, "handled": 0}
    assert outbox() == [] and inbound_count() == 1


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'{"text": "!katalog"}'])
def test_given_bad_json_then_400(client, burger, raw):
    answer = client.post(URL, data=raw, headers={**bearer(), "Content-Type": "application/json"})

    assert answer.status_code == 400
    assert outbox() == []


# --- the WhatsApp Cloud API ------------------------------------------------------------


def test_given_the_verify_token_then_the_handshake_echoes_the_challenge(client):
    answer = client.get(URL, query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY,
                                           "hub.challenge": "1158201444"})

    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == "1158201444"


@pytest.mark.parametrize("query", [
    {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"},
    {"hub.challenge": "42"},
])
def test_given_a_bad_handshake_then_403(client, query):
    answer = client.get(URL, query_string=query)

    assert answer.status_code == 403
    assert "42" not in answer.get_data(as_text=True)


def test_given_no_verify_token_setting_then_the_handshake_is_refused(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WHATSAPP_VERIFY_TOKEN", "")

    answer = client.get(URL, query_string={"hub.mode": "subscribe", "hub.verify_token": "",
                                           "hub.challenge": "42"})

    assert answer.status_code == 403


def test_given_a_good_signature_then_the_cloud_message_is_answered(client, burger):
    raw = cloud(cloud_text())

    answer = client.post(URL, data=raw, headers=signed(raw))

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"success": True, "handled": 1}
    rows = outbox()
    assert len(rows) == 1 and rows[0].recipient == CUSTOMER
    assert "Burger Cheese" in text_of(rows[0])


def test_given_a_redelivered_cloud_webhook_then_nothing_more_is_queued(client, burger):
    raw = cloud(cloud_text(message_id="wamid.SAME"))
    client.post(URL, data=raw, headers=signed(raw))

    again = client.post(URL, data=raw, headers=signed(raw))

    assert again.status_code == 200 and again.get_json()["handled"] == 0
    assert len(outbox()) == 1


def test_given_a_display_number_with_plus_and_spaces_then_the_store_is_found(client, burger):
    raw = cloud(cloud_text(), display="+62 811-1111-1111")

    answer = client.post(URL, data=raw, headers=signed(raw))

    assert answer.get_json()["handled"] == 1


@pytest.mark.parametrize("headers,status", [
    ({"Content-Type": "application/json"}, 401),
    ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, 403),
    ({"X-Hub-Signature-256": "garbage"}, 403),
])
def test_given_a_missing_or_wrong_signature_then_nothing_is_handled(client, burger, headers,
                                                                     status):
    raw = cloud(cloud_text())

    answer = client.post(URL, data=raw, headers=headers)

    assert answer.status_code == status
    assert outbox() == [] and inbound_count() == 0


def test_given_a_body_changed_after_signing_then_403(client, burger):
    raw = cloud(cloud_text())
    headers = signed(raw)

    answer = client.post(URL, data=raw.replace(b"!katalog", b"!bantuan"), headers=headers)

    assert answer.status_code == 403 and outbox() == []


def test_given_a_signature_with_another_secret_then_403(client, burger):
    raw = cloud(cloud_text())

    answer = client.post(URL, data=raw, headers=signed(raw, secret="other"))

    assert answer.status_code == 403 and outbox() == []


def test_given_non_text_cloud_messages_then_they_are_ignored(client, burger):
    image = {"from": CUSTOMER, "id": "wamid.IMG", "type": "image",
             "image": {"id": "m1", "mime_type": "image/jpeg"}}
    raw = cloud(image, cloud_text(message_id="wamid.TXT"))

    answer = client.post(URL, data=raw, headers=signed(raw))

    assert answer.get_json()["handled"] == 1
    assert inbound_count() == 1
    assert db.session.scalar(select(InboundMessage.provider_message_id)) == "wamid.TXT"


def test_given_a_status_update_webhook_then_200_and_nothing(client, burger):
    raw = json.dumps({"object": "whatsapp_business_account", "entry": [{"changes": [{
        "value": {"metadata": {"display_phone_number": STORE_NUMBER},
                  "statuses": [{"id": "wamid.X", "status": "delivered"}]}}]}]}).encode()

    answer = client.post(URL, data=raw, headers=signed(raw))

    assert answer.status_code == 200 and answer.get_json()["handled"] == 0
    assert outbox() == []


def test_given_a_cloud_message_to_an_unknown_number_then_it_is_ignored(client, burger):
    raw = cloud(cloud_text(), display="6289999999999")

    answer = client.post(URL, data=raw, headers=signed(raw))

    assert answer.status_code == 200 and answer.get_json()["handled"] == 0
    assert outbox() == [] and inbound_count() == 0


def test_given_signed_bad_json_then_400(client, burger):
    raw = b"{oops"

    answer = client.post(URL, data=raw, headers=signed(raw))

    assert answer.status_code == 400


# --- !order over the webhook: the sender's profile name ----------------------------------


def _customer_of(phone: str):
    from shop.models import Customer

    return db.session.scalars(select(Customer).where(Customer.phone == phone)).one()


def test_given_a_gateway_order_with_a_name_then_the_new_customer_gets_it(client, burger):
    body = {**generic(text="!order fries 2", message_id="gw-o1"), "name": "Rina *WA*"}

    answer = client.post(URL, json=body, headers=bearer())

    assert answer.get_json() == {"success": True, "handled": 1}
    assert _customer_of(CUSTOMER).name == "Rina WA"
    templates = [row.template for row in outbox()]
    assert templates.count("chat_reply") == 1 and "order_confirmation" in templates
    reply = next(row for row in outbox() if row.template == "chat_reply")
    assert "dibuat: French Fries x2, total *Rp 30.000*" in text_of(reply)


def test_given_a_cloud_order_then_the_contacts_profile_name_names_the_customer(client,
                                                                                burger):
    payload = json.loads(cloud(cloud_text(text="!order fries", message_id="wamid.O1")))
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Someone Else"}, "wa_id": "6281299999999"},
                         {"profile": {"name": "Dewi Lestari"}, "wa_id": CUSTOMER}]
    raw = json.dumps(payload).encode()

    answer = client.post(URL, data=raw, headers=signed(raw))

    assert answer.get_json()["handled"] == 1
    assert _customer_of(CUSTOMER).name == "Dewi Lestari"


def test_given_a_redelivered_order_message_then_one_order_is_placed(client, burger):
    from shop.models import Order

    body = generic(text="!order fries", message_id="gw-o2")
    client.post(URL, json=body, headers=bearer())
    again = client.post(URL, json=body, headers=bearer())

    assert again.get_json()["handled"] == 0
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_given_a_refused_order_over_the_webhook_then_only_the_reply_is_kept(client, burger):
    from shop.models import Order

    answer = client.post(URL, json=generic(text="!order sundae", message_id="gw-o3"),
                         headers=bearer())

    assert answer.get_json()["handled"] == 1
    assert [row.template for row in outbox()] == ["chat_reply"]
    assert text_of(outbox()[0]) == "Stok tidak cukup untuk: Sundae."
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert inbound_count() == 1
