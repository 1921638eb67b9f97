"""The support chat of seed 002 (issue 13, item 5): a customer's message, the store's FAQ and
the bot tools go to the model through the official `anthropic` SDK; the tool calls it asks
for run against the same operations as the tools API, and the conversation is kept, turn by
turn, so that the next message continues it.

The caller decides whose orders the tools may reach (the conversation's customer), never the
model: whatever customerId or phone the model writes into a tool call is replaced by the
conversation's, or removed when the conversation has no customer. Each tool call runs in a
savepoint, so a refused one leaves nothing behind. An operation: it flushes, the caller
commits; when the model fails, nothing of the exchange is kept (the caller rolls back).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from ..errors import ChatFailed, ChatUnavailable, InvalidInput, NotFound
from ..extensions import db
from ..models import ChatConversation, ChatTurn, Customer, FaqEntry, Store
from ..template_i18n import gettext
from .labels import N_
from .validation import is_clean_text

log = logging.getLogger(__name__)

MAX_MESSAGE = 2000
#: Model calls for one message: enough for a look-up and a second one, and bounded.
MAX_ROUNDS = 5
#: Turns of the conversation sent back to the model (the newest).
HISTORY_TURNS = 30
MAX_FAQ = 50
CONVERSATION_NOT_FOUND = N_("Percakapan tidak ditemukan.")
NOT_CONFIGURED = N_("Chat bantuan belum dikonfigurasi untuk toko ini. Silakan hubungi toko "
                    "lewat WhatsApp.")
MODEL_FAILED = N_("Asisten chat sedang tidak bisa dihubungi. Coba lagi sebentar lagi.")
NO_ANSWER = N_("Maaf, saya belum bisa menjawab itu. Silakan hubungi toko lewat WhatsApp.")
#: Scope fields of the bot tools; only the caller sets them.
SCOPE_FIELDS = ("customerId", "phone")

RunTool = Callable[[str, dict], tuple[bool, dict]]


@dataclass(frozen=True)
class ChatSettings:
    """What the chat needs from the settings: a Messages API client (None without a key)."""

    client: object | None
    model: str
    max_tokens: int


@dataclass(frozen=True)
class ToolCall:
    name: str
    ok: bool


@dataclass(frozen=True)
class ChatAnswer:
    conversation_id: str
    reply: str
    tool_calls: list[ToolCall]


def chat_client(config: dict):
    """An `anthropic.Anthropic` client from the settings, or None without a key."""
    if not config.get("ANTHROPIC_API_KEY"):
        return None
    import anthropic

    return anthropic.Anthropic(api_key=config["ANTHROPIC_API_KEY"],
                               base_url=config.get("ANTHROPIC_BASE_URL") or None,
                               max_retries=1, timeout=30.0)


def open_conversation(store: Store, conversation_ref: str | None, *,
                      customer: Customer | None, channel: str) -> ChatConversation:
    """The store's conversation `conversation_ref` (locked, so two messages to it take turns),
    or a new one. A conversation of another store, or one bound to a customer the caller
    does not name, is NotFound."""
    if conversation_ref:
        conversation = None
        if len(conversation_ref) <= 32 and is_clean_text(conversation_ref):
            conversation = db.session.scalar(select(ChatConversation).where(
                ChatConversation.public_id == conversation_ref,
                ChatConversation.store_id == store.id).with_for_update())
        bound = conversation.customer_id if conversation is not None else None
        if conversation is None or (bound is not None and (customer is None
                                                           or customer.id != bound)):
            raise NotFound(gettext(CONVERSATION_NOT_FOUND))
        if customer is not None:
            conversation.customer_id = customer.id
        return conversation
    conversation = ChatConversation(store_id=store.id, channel=channel,
                                    customer_id=customer.id if customer else None)
    db.session.add(conversation)
    db.session.flush()
    return conversation


def clean_message(text) -> str:
    """The customer's message, stripped. Raises InvalidInput (empty, too long)."""
    message = text.strip() if isinstance(text, str) else ""
    if not message:
        raise InvalidInput(gettext("Pesan wajib diisi."),
                           fields={"message": gettext("Wajib diisi.")})
    if len(message) > MAX_MESSAGE:
        raise InvalidInput(
            gettext("Pesan terlalu panjang (maks. %(max)s karakter).", max=MAX_MESSAGE),
            fields={"message": gettext("Maks. %(max)s karakter.", max=MAX_MESSAGE)})
    return message


def answer_message(conversation: ChatConversation, message: str, *, settings: ChatSettings,
                   tools: list[dict], run_tool: RunTool) -> ChatAnswer:
    """Add the customer's message, let the model answer with the tools, keep every turn.
    Raises ChatUnavailable (no key), ChatFailed (the model's API failed)."""
    if settings.client is None:
        raise ChatUnavailable(gettext(NOT_CONFIGURED))
    store = db.session.get(Store, conversation.store_id)
    customer = (db.session.get(Customer, conversation.customer_id)
                if conversation.customer_id else None)
    turns = _history(conversation)
    turns.append(_add_turn(conversation, "user", [{"type": "text", "text": message}]))
    system = system_prompt(store, customer, faq_entries(store))
    calls: list[ToolCall] = []
    for _ in range(MAX_ROUNDS):
        reply = _ask(settings, system, turns, tools)
        content = [_block(block) for block in reply.content]
        turns.append(_add_turn(conversation, "assistant", content))
        uses = [block for block in content if block["type"] == "tool_use"]
        if reply.stop_reason != "tool_use" or not uses:
            text = "\n".join(b["text"] for b in content if b["type"] == "text").strip()
            return ChatAnswer(conversation.public_id, text or gettext(NO_ANSWER), calls)
        results = [_run(use, customer, run_tool, calls) for use in uses]
        turns.append(_add_turn(conversation, "user", results))
    no_answer = gettext(NO_ANSWER)
    turns.append(_add_turn(conversation, "assistant", [{"type": "text", "text": no_answer}]))
    return ChatAnswer(conversation.public_id, no_answer, calls)


def _ask(settings: ChatSettings, system: str, turns: list[ChatTurn], tools: list[dict]):
    import anthropic

    try:
        return settings.client.messages.create(
            model=settings.model, max_tokens=settings.max_tokens, system=system,
            messages=[{"role": t.role, "content": t.content} for t in turns], tools=tools)
    except anthropic.APIError as error:
        log.warning("support chat: the model's API failed: %s", error)
        raise ChatFailed(gettext(MODEL_FAILED)) from None


def _run(use: dict, customer: Customer | None, run_tool: RunTool,
         calls: list[ToolCall]) -> dict:
    """One tool call with the conversation's scope, in a savepoint; its tool_result block."""
    import json

    arguments = {k: v for k, v in (use.get("input") or {}).items() if k not in SCOPE_FIELDS}
    if customer is not None:
        arguments["customerId"] = customer.public_id
    savepoint = db.session.begin_nested()
    ok, answer = run_tool(use["name"], arguments)
    if ok:
        savepoint.commit()
    else:
        savepoint.rollback()
    calls.append(ToolCall(use["name"], ok))
    return {"type": "tool_result", "tool_use_id": use["id"],
            "content": json.dumps(answer, ensure_ascii=False, default=str),
            "is_error": not ok}


def _block(block) -> dict:
    """A content block of the model's answer as the Messages API takes it back."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name,
                "input": dict(block.input or {})}
    return {"type": "text", "text": ""}


def _history(conversation: ChatConversation) -> list[ChatTurn]:
    """The newest turns, starting at a message the customer wrote (never at a tool result,
    which would answer a call the model no longer sees)."""
    turns = list(db.session.scalars(
        select(ChatTurn).where(ChatTurn.conversation_id == conversation.id)
        .order_by(ChatTurn.position.desc()).limit(HISTORY_TURNS)))[::-1]
    while turns and not (turns[0].role == "user" and _is_text(turns[0].content)):
        turns.pop(0)
    return turns


def _is_text(content: Iterable[dict]) -> bool:
    return all(block.get("type") == "text" for block in content)


def _add_turn(conversation: ChatConversation, role: str, content: list[dict]) -> ChatTurn:
    position = db.session.scalar(select(func.coalesce(func.max(ChatTurn.position), 0))
                                 .where(ChatTurn.conversation_id == conversation.id)) + 1
    turn = ChatTurn(conversation_id=conversation.id, position=position, role=role,
                    content=content)
    db.session.add(turn)
    db.session.flush()
    return turn


def faq_entries(store: Store) -> list[FaqEntry]:
    """The store's active FAQ, in its order."""
    return list(db.session.scalars(
        select(FaqEntry).where(FaqEntry.store_id == store.id, FaqEntry.is_active.is_(True))
        .order_by(FaqEntry.position, FaqEntry.id).limit(MAX_FAQ)))


def visible_turns(conversation: ChatConversation) -> list[tuple[str, str]]:
    """(role, text) of the turns a person reads: the customer's messages and the answers."""
    shown = []
    for turn in db.session.scalars(select(ChatTurn).where(
            ChatTurn.conversation_id == conversation.id).order_by(ChatTurn.position)):
        text = "\n".join(b.get("text", "") for b in turn.content
                         if b.get("type") == "text").strip()
        if text:
            shown.append((turn.role, text))
    return shown


def system_prompt(store: Store, customer: Customer | None, faq: list[FaqEntry]) -> str:
    """The model's instructions: who it speaks for, the rules, the FAQ."""
    lines = [
        f"Kamu adalah asisten layanan pelanggan toko {store.name}. Jawab singkat, ramah, "
        "dalam bahasa pelanggan (Indonesia, kecuali pelanggan menulis dalam bahasa lain).",
        "Aturan: pakai tools untuk data pesanan, pembayaran, pengiriman dan stok; jangan "
        "pernah mengarang nomor pesanan, status, resi atau harga. Data pesanan hanya milik "
        "pelanggan ini; tools sudah dibatasi untuknya.",
        f"Jika tool menolak atau kamu tidak tahu jawabannya, arahkan ke admin toko lewat "
        f"WhatsApp {store.whatsapp or ''}.".replace(" .", "."),
    ]
    if customer is None:
        lines.append("Pelanggan ini belum dikenali: untuk pertanyaan tentang pesanannya, minta "
                     "ia membuka link pelacakan di pesan konfirmasi atau menghubungi toko lewat "
                     "WhatsApp.")
    else:
        lines.append(f"Nama pelanggan: {customer.name}.")
    if faq:
        lines.append("FAQ toko (pakai jawaban ini bila cocok):")
        lines += [f"T: {entry.question}\nJ: {entry.answer}" for entry in faq]
    return "\n\n".join(lines)
