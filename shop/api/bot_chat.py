"""POST /api/bot/chat (issue 13, item 5): the support chat for a store's own front end, with
the bot key. The caller says whom it talks to (customerId or phone, as for every tool); the
model answers with the store's FAQ and the bot tools, scoped to that customer."""

from __future__ import annotations

from flask import current_app, jsonify
from pydantic import Field

from ..services.bot_tools import customer_of
from ..services.support_chat import (
    MAX_MESSAGE,
    ChatSettings,
    answer_message,
    chat_client,
    clean_message,
    open_conversation,
)
from ..unit_of_work import commit
from .bot import TOOLS, bp, current_key, run_tool
from .bot_answers import CustomerScope
from .schema import Schema, documented, parse_body


class ChatInput(CustomerScope):
    conversationId: str | None = Field(
        None, max_length=64, description="The id of an earlier answer, to continue it.")
    message: str = Field(..., max_length=MAX_MESSAGE, description="The customer's message.")


class ToolCallJson(Schema):
    name: str
    ok: bool


class ChatAnswerJson(Schema):
    """The model's reply and the tools it used."""

    success: bool
    conversationId: str
    reply: str
    toolCalls: list[ToolCallJson]


def chat_settings() -> ChatSettings:
    """The app's chat settings, with one Messages API client per process."""
    extensions = current_app.extensions
    if "shop_chat" not in extensions:
        config = current_app.config
        extensions["shop_chat"] = ChatSettings(
            client=chat_client(config), model=config["CHAT_MODEL"],
            max_tokens=config["CHAT_MAX_TOKENS"])
    return extensions["shop_chat"]


def tool_definitions() -> list[dict]:
    return [tool.definition() for tool in TOOLS.values()]


@bp.post("/chat")
@documented(answer=ChatAnswerJson, body=ChatInput, security="botKey",
            errors=(400, 404, 422, 429, 502, 503))
def chat():
    """The support chat: the customer's message in, the model's reply out."""
    payload = parse_body(ChatInput)
    store = current_key().store
    message = clean_message(payload.message)
    customer = (customer_of(store, customer_ref=payload.customerId, phone=payload.phone)
                if payload.customerId or payload.phone else None)
    conversation = open_conversation(store, payload.conversationId, customer=customer,
                                     channel="api")
    answer = answer_message(conversation, message, settings=chat_settings(),
                            tools=tool_definitions(),
                            run_tool=lambda name, args: run_tool(store, name, args))
    commit()
    return jsonify({"success": True, "conversationId": answer.conversation_id,
                    "reply": answer.reply,
                    "toolCalls": [{"name": c.name, "ok": c.ok} for c in answer.tool_calls]})
