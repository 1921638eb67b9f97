"""POST /api/bot/chat (issue 13, item 5): the support chat runs the model (a local stand-in
that speaks the Messages API) with the store's FAQ and the bot tools, executes the tool calls
it asks for against the same operations, keeps the conversation and answers the model's text.
The customer's scope is the caller's, never the model's."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import ChatConversation, ChatTurn, FaqEntry, Order, OrderStatus
from tests import seed002
from tests.chat_model import model_standin, text, tool_results, tool_use

CHAT = "/api/bot/chat"


@pytest.fixture
def seed(make):
    return seed002.build(make)


@pytest.fixture
def key(seed):
    return seed002.bot_key(seed.store)


def ask(client, key, **body):
    return client.post(CHAT, json=body, headers=seed002.bearer(key))


def answer_from_tracking(body: dict) -> dict:
    """The model's second answer, written from the tool result it was sent (as a model
    would), so the reply can only carry what track_order really answered."""
    tracking = tool_results(body)[0]["content"]["tracking"]
    return text(f"Pesanan {tracking['orderNumber']} dikirim dengan {tracking['carrierName']}, "
                f"nomor resi {tracking['trackingNumber']}, estimasi tiba "
                f"{tracking['estimatedDelivery'][:10]}.")


def test_seed_002_where_is_my_order_reaches_track_order(app, client, seed, key):
    script = [tool_use("track_order", {"orderNumber": "ORD-2025-001"}), answer_from_tracking]
    with model_standin(app, script) as model:
        answer = ask(client, key, customerId=seed.customer_id,
                     message="Mana pesanan saya ORD-2025-001?")

    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert "JNE" in body["reply"] and "JNE123456789" in body["reply"]
    assert "2025-11-26" in body["reply"]
    assert body["toolCalls"] == [{"name": "track_order", "ok": True}]
    first = model.requests[0]
    assert first["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "Mana pesanan saya ORD-2025-001?"}]}]
    assert {tool["name"] for tool in first["tools"]} >= {
        "track_order", "cancel_order", "get_order_summary", "verify_payment",
        "check_inventory"}
    assert first["model"] == "claude-test" and "UrbanStyle ID" in first["system"]


def test_a_scripted_tool_use_runs_with_its_input_and_the_reply_is_the_scripted_text(
        app, client, make, seed, key):
    placed = make.order(seed.store, items=[("KAOS-001", 2)], phone=seed002.CUSTOMER_PHONE)
    script = [tool_use("cancel_order", {"orderNumber": placed.number, "reason": "salah ukuran"}),
              text("Pesanan Anda sudah dibatalkan.")]
    with model_standin(app, script) as model:
        answer = ask(client, key, phone=seed002.CUSTOMER_PHONE, message="Batalkan pesanan saya")

    assert answer.get_json()["reply"] == "Pesanan Anda sudah dibatalkan."
    db.session.expire_all()
    assert db.session.get(Order, placed.id).status == OrderStatus.CANCELLED
    result = tool_results(model.requests[1])[0]
    assert result["is_error"] is False and result["content"]["orderNumber"] == placed.number


def test_the_model_cannot_reach_another_customers_order(app, client, make, seed, key):
    other = make.order(seed.store, items=[("KAOS-001", 1)], phone="089900001111")
    script = [tool_use("cancel_order", {"orderNumber": other.number, "phone": "089900001111",
                                        "customerId": other.customer.public_id}),
              text("Maaf, pesanan tidak ditemukan.")]
    with model_standin(app, script) as model:
        answer = ask(client, key, customerId=seed.customer_id, message="Batalkan " + other.number)

    assert answer.status_code == 200
    result = tool_results(model.requests[1])[0]
    assert result["is_error"] is True and result["content"]["code"] == "not_found"
    assert answer.get_json()["toolCalls"] == [{"name": "cancel_order", "ok": False}]
    db.session.expire_all()
    assert db.session.get(Order, other.id).status == OrderStatus.PENDING


def test_without_a_customer_the_order_tools_are_refused(app, client, seed, key):
    script = [tool_use("track_order", {"orderNumber": "ORD-2025-001",
                                       "phone": seed002.CUSTOMER_PHONE}),
              text("Silakan buka link pelacakan Anda.")]
    with model_standin(app, script) as model:
        answer = ask(client, key, message="Mana pesanan ORD-2025-001?")

    assert answer.status_code == 200
    result = tool_results(model.requests[1])[0]
    assert result["is_error"] is True and "JNE123456789" not in str(result["content"])
    assert "belum dikenali" in model.requests[0]["system"]


def test_the_conversation_continues_with_its_earlier_turns(app, client, seed, key):
    with model_standin(app, [text("Halo! Ada yang bisa dibantu?"),
                             text("Kami buka jam 9.")]) as model:
        first = ask(client, key, customerId=seed.customer_id, message="Halo").get_json()
        second = ask(client, key, customerId=seed.customer_id, message="Jam buka?",
                     conversationId=first["conversationId"]).get_json()

    assert second["conversationId"] == first["conversationId"]
    assert [m["role"] for m in model.requests[1]["messages"]] == ["user", "assistant", "user"]
    assert model.requests[1]["messages"][1]["content"][0]["text"] == "Halo! Ada yang bisa dibantu?"
    conversation = db.session.scalar(select(ChatConversation).where(
        ChatConversation.public_id == first["conversationId"]))
    assert db.session.scalar(select(func.count()).select_from(ChatTurn).where(
        ChatTurn.conversation_id == conversation.id)) == 4


def test_the_faq_is_in_the_instructions(app, client, seed, key):
    db.session.add_all([
        FaqEntry(store_id=seed.store.id, question="Berapa lama pengiriman?",
                 answer="2-3 hari kerja untuk Jawa.", position=1),
        FaqEntry(store_id=seed.store.id, question="Rahasia?", answer="Tidak tampil.",
                 is_active=False)])
    db.session.commit()
    with model_standin(app, [text("2-3 hari kerja.")]) as model:
        ask(client, key, message="Berapa lama kirim ke Bandung?")

    system = model.requests[0]["system"]
    assert "Berapa lama pengiriman?" in system and "2-3 hari kerja untuk Jawa." in system
    assert "Tidak tampil." not in system


def test_without_a_key_the_chat_answers_503(client, seed, key):
    answer = ask(client, key, message="Halo")
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "chat_unavailable"
    assert db.session.scalar(select(func.count()).select_from(ChatConversation)) == 0


def test_when_the_model_fails_nothing_of_the_exchange_is_kept(app, client, seed, key):
    with model_standin(app, [500]):
        answer = ask(client, key, customerId=seed.customer_id, message="Halo")
    assert answer.status_code == 502 and answer.get_json()["code"] == "chat_failed"
    assert db.session.scalar(select(func.count()).select_from(ChatTurn)) == 0


@pytest.mark.parametrize("body, status, field", [
    ({}, 422, "message"),
    ({"message": "   "}, 422, "message"),
    ({"message": "x" * 2001}, 422, "message"),
    ({"message": 5}, 400, "message"),
])
def test_bad_messages_are_refused(app, client, seed, key, body, status, field):
    with model_standin(app, [text("never")]) as model:
        answer = ask(client, key, **body)
    assert answer.status_code == status and field in answer.get_json()["fields"]
    assert model.requests == []


def test_an_unknown_or_another_stores_conversation_is_not_found(app, client, make, seed, key):
    other = make.store("toko-lain", name="Toko Lain")
    elsewhere = ChatConversation(store_id=other.id, channel="api")
    db.session.add(elsewhere)
    db.session.commit()
    with model_standin(app, [text("never")]) as model:
        for ref in ("cvdoesnotexist", elsewhere.public_id, "x" * 60):
            answer = ask(client, key, message="Halo", conversationId=ref)
            assert answer.status_code in (404, 422), answer.get_data(as_text=True)
    assert model.requests == []


def test_a_conversation_of_one_customer_is_not_continued_for_another(app, client, make, seed,
                                                                     key):
    make.customer(seed.store, phone="089900002222", name="Budi")
    with model_standin(app, [text("Halo Adi")]) as model:
        first = ask(client, key, customerId=seed.customer_id, message="Halo").get_json()
        answer = ask(client, key, phone="089900002222", message="Pesanan saya?",
                     conversationId=first["conversationId"])
    assert answer.status_code == 404 and len(model.requests) == 1


def test_when_the_model_cannot_be_reached_the_chat_answers_502(app, client, seed, key):
    with model_standin(app, []) as model:
        app.config["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9"  # the discard port: refused
        answer = ask(client, key, customerId=seed.customer_id, message="Halo")
    assert answer.status_code == 502 and "tidak bisa dihubungi" in answer.get_json()["error"]
    assert model.requests == []
    assert db.session.scalar(select(func.count()).select_from(ChatConversation)) == 0


def test_a_customers_conversation_is_not_continued_without_naming_the_customer(app, client,
                                                                              seed, key):
    with model_standin(app, [text("Halo Adi")]) as model:
        first = ask(client, key, customerId=seed.customer_id, message="Halo").get_json()
        answer = ask(client, key, message="Pesanan saya?",
                     conversationId=first["conversationId"])
    assert answer.status_code == 404 and len(model.requests) == 1
