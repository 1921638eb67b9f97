"""The tracking page: no login, no referrer, not indexed, never cached; the shopper may send
a transfer proof from it."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from markupsafe import Markup

from ..errors import InvalidInput, ShopError
from ..extensions import db, limiter
from ..services.messages import shopper_order_text, store_question_text, whatsapp_link
from ..services.orders import get_order
from ..services.payments import order_payment_instructions
from ..services.process_cache import cached, process_cache
from ..services.tracking import load_tracking, page_versions
from ..services.transfer_proofs import (
    can_submit_proof,
    proof_folder,
    proof_under_review,
    submit_transfer_proof,
)
from ..services.uploads import delete_image, save_image
from ..template_i18n import gettext as _
from ..unit_of_work import commit, reads_only
from ..web import just_placed, own_pages_only, page_payment_label, public_base_url
from . import bp
from .front import ALIKE_FOR_ALL
from .self_service import self_service_context

PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


@bp.get("/track/<order_id>")
@reads_only(by_driver=True)
def track_order(order_id: str):
    """Status, payment, timeline, items and recipient of one order.

    The order's row is read on every request; the page is rendered once per everything that
    row holds (the order, its store, items, events and requests), language and address, and
    then kept in this process: its forms carry no session token (own_pages_only), so it is
    the same for every visitor (and front.py answers it before Flask next time). The browser
    that placed the order gets the kept thank-you in it; a flashed message makes a page of
    the shopper's own."""
    view = load_tracking(order_id)
    if "_flashes" in session:
        return _render(view, _thanks(view) if just_placed(view.order.id) else None)
    key = (repr(tuple(view.order)), str(get_locale() or "id"), request.full_path)
    placed = just_placed(view.order.id)
    pages = process_cache("tracking_pages", TRACKING_CACHE_SIZE)
    # The thank-you is the same for every browser that placed this order (at this address).
    banner_key = (*key, public_base_url())
    kept = pages.get(key)
    if kept is None:
        parts = _render(view, _thanks(view) if placed else None, THANKS_STAND_IN).encode(
            ).split(THANKS_MARK.encode())
        kept = parts[0], parts[-1]
        pages.put(key, kept)
        if placed:
            pages.put(banner_key, parts[1])
    head, tail = kept
    if not placed:
        # The front may keep the whole response, under the versions of the page's row.
        request.environ[ALIKE_FOR_ALL] = page_versions(view)
        return head + tail
    banner = cached(pages, banner_key, lambda: render_template(
        "tracking/_thanks.html", thanks=_thanks(view), store=view.store,
        order=view.order).encode())
    return head + banner + tail


#: Rendered tracking pages kept per process, as UTF-8 (~7 KB each: as text, with an emoji
#: in it, 4 bytes a character), and their thank-yous: the orders a busy shop's shoppers
#: follow at once.
TRACKING_CACHE_SIZE = 2048
#: Where a kept page has the thank-you of the browser that placed the order (rendered for
#: that browser, the mark stands on both sides of it).
THANKS_MARK = "\x00thanks\x00"
THANKS_STAND_IN = Markup(THANKS_MARK)  # noqa: S704 (a constant of ours)


def _render(view, thanks, thanks_mark=None) -> str:
    order = view.order
    contact = whatsapp_link(view.store.whatsapp,
                            store_question_text(view.store.name, order.number))
    payment = order_payment_instructions(view.store, order)
    return render_template("tracking/track.html", view=view, order=order, store=view.store,
                           contact_url=contact, payment=payment, thanks=thanks,
                           thanks_mark=thanks_mark, qr_svg=_qr(payment),
                           can_send_proof=can_submit_proof(order.status, order.payment_status),
                           proof_waiting=proof_under_review(order.payment_status),
                           **self_service_context(order, view.requests))


def _qr(payment) -> Markup | None:
    """The QRIS to scan, drawn on the server (qr_svg: no text of anyone's in it)."""
    if payment is None or not payment.qris:
        return None
    from ..services.qris import qr_svg

    return Markup(qr_svg(payment.qris))  # noqa: S704


def _thanks(view) -> dict:
    """For the browser that just placed the order: the thank-you banner's tracking link and
    the shopper's WhatsApp to the store."""
    url = f"{public_base_url()}/track/{view.order.id}"
    text = shopper_order_text(
        view.order, store_name=view.store.name, items=view.items, address=view.address,
        payment_label=page_payment_label(view.order.payment_method, view.store), tracking_url=url)
    return {"tracking_url": url, "whatsapp_url": whatsapp_link(view.store.whatsapp, text)}


def _proof_limit() -> str:
    return current_app.config["PROOF_RATE_LIMIT"]


@bp.post("/track/<order_id>/payment-proof")
@limiter.limit(_proof_limit)
@own_pages_only
def send_payment_proof(order_id: str):
    """"Saya sudah bayar": store the proof image and tell the store's admins."""
    load_tracking(order_id)  # the same 404 as the page for unknown ids
    order = get_order(order_id)
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    stored = None
    try:
        upload = request.files.get("proof")
        if upload is None or not upload.filename:
            raise InvalidInput(_("Pilih foto bukti transfer."),
                               fields={"proof": _("Wajib diisi.")})
        stored = save_image(upload, folder=proof_folder(), max_bytes=limit, field="proof")
        submit_transfer_proof(order, stored.filename,
                              base_url=public_base_url())
    except ShopError as error:
        db.session.rollback()
        if stored is not None:
            delete_image(stored.filename, folder=proof_folder())
        flash(error.message, "error")
    else:
        commit()
        flash(_("Terima kasih! Bukti transfer sedang diperiksa toko."), "ok")
    return redirect(url_for("tracking.track_order", order_id=order_id), code=303)


@bp.after_app_request
def private_headers(response):
    """Tracking pages (and the 404 of unknown ids) keep the capability out of logs elsewhere."""
    if request.path.startswith("/track/"):
        response.headers.update(PRIVATE_HEADERS)
    return response
