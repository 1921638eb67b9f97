"""The storefront's support chat, /store/<slug>/chat: a plain form (no JavaScript needed)
posts the shopper's message, the model (a local stand-in) answers, the page shows it after a
303, and Reload never sends it twice. The web shopper is unknown: only the stock tool runs."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import ChatConversation, ChatTurn
from tests import seed002
from tests.chat_model import model_standin, text, tool_results, tool_use


def chat_url(store) -> str:
    return f"/store/{store.slug}/chat"


def turns() -> int:
    return db.session.scalar(select(func.count()).select_from(ChatTurn))


def test_a_message_is_answered_and_shown_after_a_redirect(app, client, burger):
    with model_standin(app, [text("Kami buka setiap hari jam 10-22.")]) as model:
        sent = client.post(chat_url(burger), data={"message": "Jam buka?"})

        assert sent.status_code == 303 and sent.headers["Location"].endswith("/chat#latest")
        page = client.get(chat_url(burger)).get_data(as_text=True)
        again = client.get(chat_url(burger)).get_data(as_text=True)  # Reload: a GET, no post

    assert "Jam buka?" in page and "Kami buka setiap hari jam 10-22." in page
    assert again.count("Kami buka setiap hari jam 10-22.") == 1
    assert len(model.requests) == 1 and turns() == 2
    conversation = db.session.scalar(select(ChatConversation))
    assert conversation.channel == "web" and conversation.customer_id is None


def test_the_web_chat_offers_only_the_stock_tool(app, client, make):
    seed = seed002.build(make)
    script = [tool_use("check_inventory", {"productIds": ["KAOS-001"]}),
              lambda body: text("Stok: " + str(
                  tool_results(body)[0]["content"]["stocks"][0]["quantity"]))]
    with model_standin(app, script) as model:
        client.post(chat_url(seed.store), data={"message": "Kaos Basic ada?"})
        page = client.get(chat_url(seed.store)).get_data(as_text=True)

    assert [tool["name"] for tool in model.requests[0]["tools"]] == ["check_inventory"]
    assert "Stok: 50" in page


def test_an_order_tool_the_model_asks_for_anyway_is_refused(app, client, make):
    seed = seed002.build(make)
    script = [tool_use("track_order", {"orderNumber": seed002.ORDER_NUMBER,
                                       "phone": seed002.CUSTOMER_PHONE}),
              text("Silakan buka link pelacakan Anda.")]
    with model_standin(app, script) as model:
        client.post(chat_url(seed.store), data={"message": "Mana ORD-2025-001?"})

    result = tool_results(model.requests[1])[0]
    assert result["is_error"] is True and "JNE123456789" not in str(result["content"])


def test_the_conversation_continues_and_can_be_started_over(app, client, burger):
    with model_standin(app, [text("Halo!"), text("Tentu."), text("Halo lagi!")]) as model:
        client.post(chat_url(burger), data={"message": "Halo"})
        client.post(chat_url(burger), data={"message": "Bisa antar?"})
        assert len(model.requests[1]["messages"]) == 3
        client.post(chat_url(burger) + "/new")
        page = client.get(chat_url(burger)).get_data(as_text=True)
        assert "Tentu." not in page
        client.post(chat_url(burger), data={"message": "Halo"})
        assert len(model.requests[2]["messages"]) == 1
    assert db.session.scalar(select(func.count()).select_from(ChatConversation)) == 2


def test_without_a_model_the_page_says_so_and_keeps_nothing(client, burger):
    answer = client.post(chat_url(burger), data={"message": "Halo"})
    assert answer.status_code == 503
    assert "belum aktif" in answer.get_data(as_text=True)
    assert turns() == 0


def test_an_empty_or_too_long_message_is_refused_with_its_field_error(app, client, burger):
    with model_standin(app, [text("never")]) as model:
        empty = client.post(chat_url(burger), data={"message": ""})
        long = client.post(chat_url(burger), data={"message": "x" * 2001})
    assert empty.status_code == 422 and long.status_code == 422
    assert "Tulis pesan Anda dulu." in empty.get_data(as_text=True)
    assert "Pesan terlalu panjang (maksimal 2.000 huruf)." in long.get_data(as_text=True)
    assert model.requests == [] and turns() == 0


def test_the_model_failing_keeps_the_typed_message_and_stores_nothing(app, client, burger):
    with model_standin(app, [500]):
        answer = client.post(chat_url(burger), data={"message": "Ongkir ke Bandung?"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 502 and "Ongkir ke Bandung?" in html
    assert turns() == 0


def test_with_csrf_on_the_form_carries_its_token_and_a_post_without_is_refused(app, client,
                                                                               burger):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        with model_standin(app, [text("Halo!")]) as model:
            refused = client.post(chat_url(burger), data={"message": "Halo"})
            html = client.get(chat_url(burger)).get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
            sent = client.post(chat_url(burger), data={"message": "Halo", "csrf_token": token})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code in (400, 422) and sent.status_code == 303
    assert len(model.requests) == 1


def test_the_store_page_links_to_the_chat(client, burger):
    html = client.get(f"/store/{burger.slug}").get_data(as_text=True)
    assert f'href="/store/{burger.slug}/chat"' in html
