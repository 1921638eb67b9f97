"""The checkout page as a shopper opens it: the same for every shopper of the store but for
the cart, the couriers' totals, the summary and the tokens. The rest (the header, the address
form and its provinces, the payment methods, the footer) is rendered once per store version,
language and address, and kept in this process; the shopper's parts are rendered into it.

The store's version comes with its row on every request and rises with every change the page
shows (models/catalog.py), so no process keeps an old page: 10.7 -> 5.0 M instructions a page
(bench/cpu_per_request.py, "checkout page")."""

from __future__ import annotations

import re
import secrets

from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from ..services.process_cache import process_cache
from ..services.shipping_fees import shipping_options
from ..web import csrf_stand_in, csrf_token
from .catalog import SHOPPER_CART, cart_bits, fill_shopper_marks
from .forms import CheckoutForm, preset_courier

#: Kept checkout pages per process (~12 KB each): a few per store and language.
PAGE_CACHE_SIZE = 64
#: Where the shopper's parts go in a kept page.
PARTS = {name: Markup(f"\x00co_{name}\x00")  # noqa: S704 (no markup in them)
         for name in ("cart", "couriers", "summary")}
KEY_MARK = "\x00co_key\x00"
PART_MARKS = re.compile("\x00co_(cart|couriers|summary|key)\x00")


def fresh_checkout_page(store, cart) -> str:
    """The checkout page of a shopper who has not sent the form yet: the kept page with the
    cart (a view_cart), its couriers and summary, a new idempotency key and the shopper's
    CSRF token, cart bar and flashed messages."""
    key = (store.id, store.catalog_version, str(get_locale() or "id"), request.full_path)
    pages = process_cache("checkout_pages", PAGE_CACHE_SIZE)
    page = pages.get(key)
    if page is None:
        page = _render_kept(store)
        pages.put(key, page)
    parts = _parts()
    shipping = shipping_options(store, cart)
    token = csrf_token()
    chosen = preset_courier(store)
    values = {"cart": parts.cart_section(store, cart, token),
              "couriers": parts.couriers(shipping, chosen, ()),
              "summary": parts.summary(cart, shipping, chosen),
              "key": str(escape(secrets.token_urlsafe(18)))}
    page = PART_MARKS.sub(lambda found: str(values[found.group(1)]), page)
    return fill_shopper_marks(page, cart_bits(cart))


def _render_kept(store) -> str:
    with csrf_stand_in():
        form = CheckoutForm().offer(store)
        form.idempotency_key.data = KEY_MARK
        return render_template("storefront/checkout.html", store=store, cart=SHOPPER_CART,
                               form=form, shared_page=True, shopper_parts=PARTS)


def _parts():
    """The macros of the shopper's parts (storefront/_checkout_parts.html)."""
    template = current_app.jinja_env.get_template("storefront/_checkout_parts.html")
    modules = process_cache("checkout_parts", 1)
    found = modules.get(("parts",))
    if found is None or found[0] is not template:  # made, or the template was reloaded
        found = (template, template.make_module({}))
        modules.put(("parts",), found)
    return found[1]
