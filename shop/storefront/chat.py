"""The storefront's support chat, /store/<slug>/chat (issue 13, item 5): the same operation
as POST /api/bot/chat, as a page that works without JavaScript (the message is posted, the
answer shown after a 303, so Reload never sends it again).

The shopper on the web is not known: nothing they type proves whose orders they may see, so
this chat has no customer and offers only the tools that need none (the stock check); for
their orders the model sends them to the tracking link of their confirmation or to the
store's WhatsApp, where the sender's number is the proof."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, session, url_for

from ..errors import ChatUnavailable, NotFound, ShopError
from ..extensions import db, limiter
from ..models import ChatConversation
from ..services import cart as carts
from ..services.stores import get_store, list_catalog
from ..services.support_chat import answer_message, open_conversation, visible_turns
from ..template_i18n import gettext as _
from ..unit_of_work import commit
from . import bp
from .forms import ChatForm
from .routes import cart_of

#: The tools a shopper who is not signed in may have the model run.
WEB_TOOLS = ("check_inventory",)


def _chat_limit() -> str:
    return current_app.config["CHAT_RATE_LIMIT"]


def _conversations() -> dict:
    chats = session.get("chats")
    return chats if isinstance(chats, dict) else {}


def _conversation(store) -> ChatConversation | None:
    ref = _conversations().get(store.slug)
    if not isinstance(ref, str):
        return None
    try:
        return open_conversation(store, ref, customer=None, channel="web")
    except NotFound:
        return None


def _page(store, form: ChatForm, conversation: ChatConversation | None, status: int = 200):
    cart = carts.view_cart(store, cart_of(store.slug), list_catalog(store))
    turns = visible_turns(conversation) if conversation is not None else []
    return render_template("storefront/chat.html", store=store, cart=cart, form=form,
                           turns=turns), status


@bp.get("/<slug>/chat")
def chat_page(slug: str):
    """The conversation so far and the message box."""
    store = get_store(slug)
    return _page(store, ChatForm(), _conversation(store))


@bp.post("/<slug>/chat")
@limiter.limit(_chat_limit)
def send_chat(slug: str):
    """Send the shopper's message, keep the answer, show it (303 back to the page)."""
    from ..api.bot import TOOLS
    from ..api.bot_chat import chat_settings

    store = get_store(slug)
    form = ChatForm()
    if not form.validate_on_submit():
        return _page(store, form, _conversation(store), 422)
    conversation = _conversation(store) or open_conversation(store, None, customer=None,
                                                             channel="web")
    tools = [TOOLS[name].definition() for name in WEB_TOOLS]
    try:
        answer_message(conversation, form.message.data.strip(), settings=chat_settings(),
                       tools=tools, run_tool=lambda name, args: _web_tool(store, name, args))
    except ShopError as error:  # no model, the model failed, a refused message
        db.session.rollback()
        form.message.errors = [_unavailable() if isinstance(error, ChatUnavailable)
                               else error.message]
        return _page(store, form, _conversation(store), error.status)
    commit()
    session["chats"] = {**_conversations(), store.slug: conversation.public_id}
    return redirect(url_for("storefront.chat_page", slug=slug, _anchor="latest"), code=303)


@bp.post("/<slug>/chat/new")
def new_chat(slug: str):
    """Start over: forget this store's conversation in the session."""
    get_store(slug)  # its CSRF token was checked before the view (CSRFProtect)
    session["chats"] = {k: v for k, v in _conversations().items() if k != slug}
    flash(_("Percakapan baru dimulai."))
    return redirect(url_for("storefront.chat_page", slug=slug), code=303)


def _web_tool(store, name: str, arguments: dict):
    from ..api.bot import run_tool

    if name not in WEB_TOOLS:
        return False, {"success": False, "code": "not_allowed",
                       "error": "Tool ini tidak tersedia di chat web."}
    return run_tool(store, name, arguments)


def _unavailable() -> str:
    return _("Chat bantuan belum aktif untuk toko ini. Silakan hubungi toko lewat WhatsApp.")
