"""Self-service on the tracking page: "Minta perubahan" and "Batalkan pesanan", each confirmed
with the last four digits of the order's WhatsApp number, SELF_SERVICE_RATE_LIMIT posts per
client address and order (both forms share the budget: guessing the four digits is slow)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_limiter.util import get_remote_address

from ..errors import ShopError
from ..extensions import db, limiter
from ..services.order_requests import (
    REQUEST_STATUS_LABELS,
    TOPIC_LABELS,
    cancel_by_customer,
    request_change,
    self_service_of,
)
from ..services.orders import get_order
from ..services.tracking import load_tracking
from ..template_i18n import gettext as _
from ..unit_of_work import commit
from ..web import own_pages_only, public_base_url
from . import bp


def self_service_context(order, requests=None) -> dict:
    """What track_order passes to templates/tracking/_self_service.html."""
    return {"self_service": self_service_of(order.id, order.status, order.payment_status,
                                            requests),
            "TOPIC_LABELS": TOPIC_LABELS, "REQUEST_STATUS_LABELS": REQUEST_STATUS_LABELS}


def _limit() -> str:
    return current_app.config["SELF_SERVICE_RATE_LIMIT"]


def _key() -> str:
    return f"{get_remote_address()}:{(request.view_args or {}).get('order_id', '')}"


self_service_limit = limiter.shared_limit(_limit, scope="tracking_self_service", key_func=_key)


@bp.post("/track/<order_id>/request-change")
@self_service_limit
@own_pages_only
def request_order_change(order_id: str):
    """"Minta perubahan": a request the store's admins answer in the back office."""
    form = request.form
    return _run(order_id, lambda order: request_change(
        order, topic=form.get("topic"), message=form.get("message"),
        last_four=form.get("last_four"), base_url=public_base_url()),
        _("Permintaan Anda terkirim. Toko akan menjawab lewat WhatsApp."))


@bp.post("/track/<order_id>/cancel")
@self_service_limit
@own_pages_only
def cancel_order(order_id: str):
    """"Batalkan pesanan": only while PENDING and unpaid."""
    form = request.form
    return _run(order_id, lambda order: cancel_by_customer(
        order, last_four=form.get("last_four"), reason=form.get("reason"),
        base_url=public_base_url()),
        _("Pesanan Anda sudah dibatalkan."))


def _run(order_id: str, operation, success: str):
    load_tracking(order_id)  # the same 404 as the page for unknown ids
    try:
        operation(get_order(order_id))
    except ShopError as error:
        db.session.rollback()
        flash(_(error.message), "error")
    else:
        commit()
        flash(success, "ok")
    return redirect(url_for("tracking.track_order", order_id=order_id), code=303)
