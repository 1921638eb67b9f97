"""The tracking page: no login, no referrer, not indexed, never cached."""

from __future__ import annotations

from flask import render_template, request

from ..services.messages import store_question_text, whatsapp_link
from ..services.payments import transfer_instructions
from ..services.tracking import load_tracking
from . import bp

PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


@bp.get("/track/<order_id>")
def track_order(order_id: str):
    """Status, payment, timeline, items and recipient of one order."""
    view = load_tracking(order_id)
    contact = whatsapp_link(view.store.whatsapp,
                            store_question_text(view.store.name, view.order.number))
    order = view.order
    transfer = transfer_instructions(
        view.store, number=order.number, total=order.total, payment_method=order.payment_method,
        payment_status=order.payment_status, status=order.status)
    return render_template("tracking/track.html", view=view, order=order, store=view.store,
                           contact_url=contact, transfer=transfer)


@bp.after_app_request
def private_headers(response):
    """Tracking pages (and the 404 of unknown ids) keep the capability out of logs elsewhere."""
    if request.path.startswith("/track/"):
        response.headers.update(PRIVATE_HEADERS)
    return response
