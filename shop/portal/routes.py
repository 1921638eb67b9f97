"""The portal's pages: parse the form, call one operation, commit, then render or redirect
(303). Every page but the login's authenticates the session of the cookie first."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale

from ..errors import IdempotencyKeyReused, InvalidInput, NotSignedIn, ShopError
from ..extensions import db
from ..services import dealer_cart
from ..services.dealer_catalog import get_part, part_categories, search_parts
from ..services.dealer_orders import (
    can_cancel,
    cancel_dealer_order,
    dealer_order,
    dealer_orders,
    order_lines,
)
from ..template_i18n import gettext as _
from ..unit_of_work import commit
from ..web import public_base_url
from . import bp
from .auth import cookie_token, drop_cookie, forget_session, keep_cookie, page_session
from .forms import ActionForm, AddToCartForm, CancelForm, CheckoutForm, QuantityForm
from .labels import LEGACY_STATE_LABELS
from .signin import SIGN_IN_ENDPOINTS

bp.teardown_request(forget_session)


@bp.before_request
def require_dealer():
    """Every page but the login's needs a valid session; an expired or revoked one goes
    back to the login page (the NotSignedIn handler below)."""
    if request.endpoint not in SIGN_IN_ENDPOINTS:
        page_session()


@bp.errorhandler(NotSignedIn)
def to_login(_error):
    """Back to the login page, the stale cookie removed; it returns here after signing in."""
    if cookie_token():
        flash(_("Sesi Anda berakhir. Silakan masuk lagi."), "error")
    if request.method == "GET":
        session["portal_next"] = request.full_path.rstrip("?")
    return drop_cookie(redirect(url_for("portal.login"), 303))


@bp.after_request
def renew_cookie(response):
    """The cookie lives as long as the session, which is extended while it is used; pages
    with a dealer's data are never stored by a browser or proxy."""
    current = g.get("portal_session")
    token = cookie_token()
    if current is not None and token and not g.get("portal_signed_out"):
        keep_cookie(response, token, current.expires_at)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def portal_globals() -> dict:
    """The signed-in shop and its cart badge (counted only by pages that show no cart), for
    the portal's header; a form for the buttons that only need a CSRF token."""
    current = g.get("portal_session")
    if current is None:
        return {"action_form": ActionForm()}
    return {"shop": current.shop, "action_form": ActionForm(),
            "cart_count": lambda: dealer_cart.cart_count(current.shop),
            "LEGACY_STATE_LABELS": LEGACY_STATE_LABELS}


@bp.get("/")
def home():
    """The distributor's parts: search by name or part number, a category, pages."""
    shop = page_session().shop
    try:
        parts = search_parts(shop, query=request.args.get("q"),
                             category=request.args.get("category"),
                             page=request.args.get("page"))
    except InvalidInput as error:
        flash(error.message, "error")
        parts = search_parts(shop)
    return render_template("portal/home.html", parts=parts,
                           categories=part_categories(shop), form=AddToCartForm())


@bp.get("/parts/<int:product_id>")
def part(product_id: int):
    """One part: price, stock and when it was read, and the quantity to add."""
    view = get_part(page_session().shop, product_id)
    return render_template("portal/part.html", part=view, form=AddToCartForm())


@bp.post("/cart/add")
def add_to_cart():
    """Add a part to the cart, then back to where the form was."""
    form = AddToCartForm()
    back = _safe_next(form.next.data)
    if not form.validate():
        _flash_form_errors(form)
        return redirect(back, 303)
    with _refusals_flashed():
        item = dealer_cart.add_to_cart(page_session().shop, form.product_id.data, form.qty.data)
        commit()
        flash(_("%(name)s masuk keranjang (%(qty)s).", name=item.product.name, qty=item.qty),
              "ok")
    return redirect(back, 303)


@bp.get("/cart")
def cart():
    """The cart: quantities, removal, totals and warnings, then the review step."""
    view = dealer_cart.view_cart(page_session().shop)
    return render_template("portal/cart.html", cart=view, qty_form=QuantityForm())


@bp.post("/cart/items/<int:item_id>")
def change_quantity(item_id: int):
    """Change one line's quantity."""
    form = QuantityForm()
    if not form.validate():
        _flash_form_errors(form)
        return redirect(url_for("portal.cart"), 303)
    with _refusals_flashed():
        dealer_cart.set_cart_qty(page_session().shop, item_id, form.qty.data)
        commit()
    return redirect(url_for("portal.cart"), 303)


@bp.post("/cart/items/<int:item_id>/remove")
def remove_item(item_id: int):
    """Take one line out of the cart."""
    dealer_cart.remove_cart_item(page_session().shop, item_id)
    commit()
    flash(_("Produk dihapus dari keranjang."), "ok")
    return redirect(url_for("portal.cart"), 303)


@bp.post("/cart/clear")
def clear_cart():
    """Empty the cart."""
    dealer_cart.clear_cart(page_session().shop)
    commit()
    flash(_("Keranjang dikosongkan."), "ok")
    return redirect(url_for("portal.cart"), 303)


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    """The review step (lines, total, notes); confirming places the order once, however
    often the form is sent, and goes to the order's page."""
    shop = page_session().shop
    form, status = CheckoutForm(), 200
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(18)
    elif not form.validate_on_submit():
        status = 422
    else:
        try:
            placed = dealer_cart.checkout_cart(
                shop, notes=form.notes.data, idempotency_key=form.idempotency_key.data or None,
                base_url=public_base_url(), locale=str(get_locale() or "id"))
        except ShopError as error:
            db.session.rollback()
            status = _show_refusal(form, error)
        else:
            commit()
            return redirect(url_for("portal.order", order_id=placed.id), 303)
    view = dealer_cart.view_cart(shop)
    return render_template("portal/checkout.html", cart=view, form=form), status


@bp.get("/orders")
def orders():
    """The shop's orders: number, date, total, status, the SO number once in the ERP."""
    listing = dealer_orders(page_session().shop, request.args.get("page"))
    return render_template("portal/orders.html", listing=listing)


@bp.get("/orders/<order_id>")
def order(order_id: str):
    """One order: lines, totals, status, the ERP's SO; cancel while pending, reorder."""
    found = dealer_order(page_session().shop, order_id)
    return render_template("portal/order.html", order=found, lines=order_lines(found),
                           can_cancel=can_cancel(found), cancel_form=CancelForm())


@bp.post("/orders/<order_id>/cancel")
def cancel_order(order_id: str):
    """Cancel a pending order of the shop."""
    form = CancelForm()
    if not form.validate():
        _flash_form_errors(form)
        return redirect(url_for("portal.order", order_id=order_id), 303)
    with _refusals_flashed():
        cancelled = cancel_dealer_order(page_session().shop, order_id, reason=form.reason.data)
        commit()
        flash(_("Pesanan %(number)s dibatalkan.", number=cancelled.number), "ok")
    return redirect(url_for("portal.order", order_id=order_id), 303)


@bp.post("/orders/<order_id>/reorder")
def reorder(order_id: str):
    """Put a past order's parts back in the cart, then show the cart."""
    shop = page_session().shop
    skipped = dealer_cart.reorder(shop, dealer_order(shop, order_id))
    commit()
    if skipped:
        flash(_("Tidak bisa dipesan lagi: %(names)s.", names=", ".join(skipped)), "error")
    else:
        flash(_("Produk pesanan ini masuk keranjang."), "ok")
    return redirect(url_for("portal.cart"), 303)


@contextmanager
def _refusals_flashed() -> Iterator[None]:
    """A refusal of the operation inside becomes a flash message and nothing of it is kept;
    not found stays a 404."""
    try:
        yield
    except ShopError as error:
        if error.status == 404:
            raise
        db.session.rollback()
        flash(error.message, "error")


def _flash_form_errors(form) -> None:
    for messages in form.errors.values():
        flash(str(messages[0]), "error")


def _show_refusal(form: CheckoutForm, error: ShopError) -> int:
    """A refused checkout: the reason at the top (its status for the page); a key used for
    another cart is renewed."""
    if isinstance(error, IdempotencyKeyReused):
        form.idempotency_key.data = secrets.token_urlsafe(18)
    form.form_errors.append(error.message)
    return error.status


def _safe_next(target: str | None) -> str:
    """Back to a portal page the form came from, never anywhere else."""
    if target and target.startswith("/portal/") and "//" not in target and "\\" not in target:
        return target
    return url_for("portal.home")
