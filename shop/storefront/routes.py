"""Storefront pages: parse, call one operation, commit, render."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale

from ..errors import ShopError, wants_json
from ..extensions import db, limiter
from ..services import cart as carts
from ..services.checkout import CheckoutRequest, PlacedOrder, place_order
from ..services.money import format_rupiah, money_json
from ..services.shipping_fees import shipping_options
from ..services.stores import get_store
from ..services.validation import is_clean_text, is_product_code
from ..template_i18n import gettext as _
from ..unit_of_work import commit, reads_only
from ..web import public_base_url, remember_placed
from . import bp
from .forms import CartForm, CheckoutForm


def _carts() -> dict:
    """The session's carts by store slug (empty when the cookie holds anything else)."""
    carts_by_store = session.get("carts")
    return carts_by_store if isinstance(carts_by_store, dict) else {}


def cart_of(slug: str) -> dict[str, int]:
    """This store's cart from the session, without the lines no cart can hold."""
    return carts.read_cart(_carts().get(slug))


def _save_cart(slug: str, cart: dict[str, int]) -> None:
    carts_by_store = dict(_carts())
    carts_by_store[slug] = cart
    session["carts"] = {k: v for k, v in carts_by_store.items() if v}


#: The store page's query a form may come back to: the search, the category, the page.
GRID_QUERY = ("q", "kategori", "halaman")


def _checkout_limit() -> str:
    return current_app.config["CHECKOUT_RATE_LIMIT"]


@bp.post("/<slug>/cart")
@reads_only(methods=("POST",), by_driver=True)  # the cart lives in the session's cookie
def update_cart(slug: str):
    """Add, change or remove a cart line; JSON for scripts, a redirect for plain forms."""
    store = get_store(slug)
    form = CartForm()
    back = _safe_next(form.next.data, slug)
    try:
        if not form.validate():
            raise _form_error(form)
        cart = carts.change_cart(store, cart_of(slug), form.action.data, form.code.data,
                                 form.qty.data)
    except ShopError as error:
        if wants_json():
            return jsonify(error.to_json()), error.status
        flash(error.message, "error")
        return redirect(back, code=303)
    _save_cart(slug, cart)
    summary = carts.cart_totals(store, cart)
    if wants_json():
        return jsonify({"success": True, "count": summary.count, "total": money_json(summary.total),
                        "total_text": format_rupiah(summary.total)})
    flash(_("Keranjang: %(count)s item, %(total)s", count=summary.count,
            total=format_rupiah(summary.total)), "ok")
    return redirect(back, code=303)


@bp.route("/<slug>/checkout", methods=["GET", "POST"])
@limiter.limit(_checkout_limit, methods=["POST"])
@reads_only(by_driver=True)
def checkout(slug: str):
    """The cart (quantities editable) above the checkout form; on success, the success page."""
    store = get_store(slug)
    wanted = cart_of(slug)
    if request.method == "GET":
        from .checkout_page import fresh_checkout_page  # catalog.py, which it uses, imports us

        page = fresh_checkout_page(store, _cart_page(slug, store, wanted))
        return page, 200, {"Cache-Control": "no-store"}
    form = CheckoutForm().offer(store)
    if form.validate_on_submit():
        # The checkout prices the cart itself and refuses what can't be sold: the page's
        # view of the cart is needed only when the form comes back.
        placed = _place_order(store, form, wanted)
        if placed is not None:
            _save_cart(slug, {})
            remember_placed(placed.id)
            # Post/Redirect/Get: Back and Reload show pages, never the form posted again.
            return redirect(url_for("tracking.track_order", order_id=placed.id), code=303)
    cart = _cart_page(slug, store, wanted)
    page = render_template("storefront/checkout.html", store=store, cart=cart, form=form,
                           shipping=shipping_options(store, cart))
    return page, 422 if form.errors else 200, {"Cache-Control": "no-store"}


def _cart_page(slug: str, store, wanted: dict[str, int]) -> carts.CartView:
    """The cart as the checkout page shows it; the lines that can no longer be bought are
    listed on this page once, then dropped, so a resubmit can succeed."""
    cart = carts.view_cart(store, wanted)
    if cart.unavailable:
        _save_cart(slug, carts.without_unavailable(wanted, cart))
    return cart


def _place_order(store, form: CheckoutForm, wanted: dict[str, int]) -> PlacedOrder | None:
    """Checkout with the whole cart (place_order refuses what can't be sold) and commit; on a
    refusal, the reasons go onto the form and nothing is written."""
    try:
        placed = place_order(store, CheckoutRequest(
            name=form.name.data, phone=form.phone.data, address=form.address.data,
            district=form.district.data, city=form.city.data, province=form.province.data,
            postal_code=form.postal_code.data,
            email=form.email.data, courier=form.courier.data,
            payment_method=form.payment_method.data, notes=form.notes.data,
            items=list(wanted.items()), idempotency_key=form.idempotency_key.data or None,
            locale=str(get_locale() or "id"),
        ), base_url=public_base_url())
    except ShopError as error:
        db.session.rollback()
        _show_errors(form, error)
        return None
    commit()
    return placed


def _show_errors(form: CheckoutForm, error: ShopError) -> None:
    """Put an operation's field errors on the visible fields, the rest at the top."""
    placed = False
    for name, message in (error.fields or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors") and field.type != "HiddenField":
            field.errors = [*field.errors, message]
            placed = True
    if "idempotency_key" in (error.fields or {}):
        # The page's key belongs to an order already placed with other data: this is a new
        # checkout, so it gets a new key (a plain resubmit is answered with the first order).
        form.idempotency_key.data = secrets.token_urlsafe(18)
    if not placed or "items" in (error.fields or {}):
        form.form_errors.append(error.message)


def _form_error(form) -> ShopError:
    from ..errors import InvalidInput

    fields = {name: str(messages[0]) for name, messages in form.errors.items()}
    if "csrf_token" in fields:
        return InvalidInput(_("Sesi halaman habis. Muat ulang halaman lalu coba lagi."),
                            fields=fields)
    if "code" in fields:
        return InvalidInput(_("Produk tidak tersedia."), fields=fields)
    return InvalidInput(_("Jumlah harus antara 1 dan 1.000."), fields=fields)


def _safe_next(target: str | None, slug: str) -> str:
    """Back to where the form was: this store's page (with its search, category and page),
    one of its product pages, or its checkout; nothing else, so no link leads off the shop."""
    store = url_for("storefront.store_page", slug=slug)
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or "\\" in (target or "") or not is_clean_text(target or ""):
        return store
    if parts.path == url_for("storefront.checkout", slug=slug) and not parts.query:
        return parts.path
    if parts.path == store:
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k in GRID_QUERY])
        return f"{store}?{query}" if query else store
    product = parts.path.removeprefix(f"{store}/p/")
    walks = any(seg in ("", ".", "..") for seg in unquote(product).split("/"))
    if product != parts.path and is_product_code(unquote(product)) and not walks \
            and not parts.query:
        return parts.path
    return store
