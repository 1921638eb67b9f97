"""The store's catalog pages: the product grid (search, categories) and a product's page."""

from __future__ import annotations

import re

from flask import current_app, get_flashed_messages, render_template, request, session, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from ..models import Billing
from ..services import cart as carts
from ..services.catalog_page import find_products, get_product
from ..services.checkout import MAX_MONTHS
from ..services.money import format_rupiah
from ..services.process_cache import process_cache
from ..services.stores import get_store
from ..services.validation import MAX_QTY
from ..template_i18n import gettext as _
from ..unit_of_work import reads_only
from ..web import CSRF_MARK, csrf_token
from . import bp
from .routes import cart_of

#: Cards whose photo is in the first screenful on a phone or a desktop: loaded at once, the
#: rest lazily.
EAGER_CARDS = 4
#: Rendered cards kept per process (a few KB each): far more than a store page shows.
CARD_CACHE_SIZE = 4096
#: Rendered store pages kept per process (up to ~35 KB each).
PAGE_CACHE_SIZE = 256
#: Stand-ins for what differs per shopper inside a cached page or card: the CSRF token, the
#: page to come back to, the cart's count, total, "n item" and whether its bar is hidden.
TOKEN_MARK, BACK_MARK = CSRF_MARK, "\x00next\x00"
SHOPPER_MARKS = re.compile("\x00(csrf|count|total|summary|hidden|flash)\x00")
FLASH_MARK = Markup("\x00flash\x00")


@bp.get("/<slug>")
@reads_only(by_driver=True)
def store_page(slug: str):
    """One page of the store's products (search `q`, category `kategori`, page `halaman`)
    with photo, price and stock state, the categories, and the cart's summary.

    The page is rendered once per catalog version, store details, language and address
    asked for, and then served from this process's cache without reading the products:
    the database raises the store's version with every change a shopper would see (a price,
    a product added or turned off, a photo, a stock state; models/catalog.py), and the
    version comes with the store's row on every request, so no process ever serves a stale
    page. What is the shopper's own (CSRF token, cart, flashed messages) is put in
    afterwards."""
    store = get_store(slug)
    totals = carts.cart_totals(store, cart_of(slug))
    key = (store.id, store.catalog_version, store.slug, store.name, store.address,
           store.whatsapp, store.logo, str(get_locale() or "id"), request.full_path)
    pages = process_cache("pages", PAGE_CACHE_SIZE)
    page = pages.get(key)
    if page is None:
        catalog = find_products(store, search=request.args.get("q", ""),
                                category=request.args.get("kategori"),
                                page=request.args.get("halaman"))
        page = render_template("storefront/store.html", store=store, catalog=catalog,
                               cart=SHOPPER_CART, shared_page=True,
                               cards=render_cards(store, catalog.products, token=TOKEN_MARK))
        pages.put(key, page)
    return fill_shopper_marks(page, cart_bits(totals))


class ShopperCart:
    """Stands in for the shopper's cart in a page rendered for every shopper."""


SHOPPER_CART = ShopperCart()


@bp.app_template_global()
def cart_bits(cart) -> dict[str, str]:
    """What the header and the cart bar show of the cart, as escaped text; for the stand-in
    cart, the marks that fill_shopper_marks replaces."""
    if isinstance(cart, ShopperCart):
        return {name: Markup(f"\x00{name}\x00")  # noqa: S704 (no markup in them)
                for name in ("count", "total", "summary", "hidden")}
    count = cart.count
    return {"count": escape(count), "total": escape(format_rupiah(cart.total)),
            "summary": escape(_("%(count)s item", count=count)),
            "hidden": Markup("") if count else Markup(" hidden")}


def fill_shopper_marks(page: str, bits: dict[str, str]) -> str:
    """The page with the shopper's CSRF token, cart and flashed messages in place of their
    stand-ins."""
    values = dict(bits, csrf=str(escape(csrf_token())))
    if "_flashes" in session:
        values["flash"] = str(_flash_macro()(get_flashed_messages(with_categories=True)))
    return SHOPPER_MARKS.sub(lambda found: values.get(found.group(1), ""), page)


@bp.app_template_global()
def shopper_flash_mark() -> Markup:
    """Where a page rendered for every shopper gets the shopper's flashed messages."""
    return FLASH_MARK


def _flash_macro():
    return current_app.jinja_env.get_template("_flashes.html").make_module({}).flashes


@bp.get("/<slug>/p/<path:code>")
@reads_only
def product_page(slug: str, code: str):
    """An active product: its photos, description, attributes, price, stock and an add form
    with a quantity. An unknown or inactive product is the not-found page."""
    store = get_store(slug)
    product = get_product(store, code)
    cart = carts.cart_totals(store, cart_of(slug))
    max_qty = MAX_MONTHS if product.billing is Billing.MONTHLY else MAX_QTY
    return render_template("storefront/product.html", store=store, product=product, cart=cart,
                           max_qty=max_qty, texts=card_texts())


def card_texts() -> dict[str, str]:
    """The texts every card repeats, translated once per page: a gettext call costs about
    0.1 ms, and 24 cards of four each were a fifth of the page's time (bench/store_page.py).
    `left` keeps a {n} for the stock."""
    return {"add": _("Tambah"), "qty": _("Jumlah"), "per_month": _("/bulan"),
            "out": _("Stok habis"), "ok": _("Tersedia"), "made": _("Dibuat saat dipesan"),
            "left": _("Sisa %(n)s", n="{n}")}


def render_cards(store, products, token: str | None = None) -> list[Markup]:
    """The grid's cards as HTML, rendered once per product state and language and then
    taken from the cache; the CSRF token (the shopper's, or the given stand-in) and the page
    to come back to are put in afterwards. A card rendered by Jinja costs ~0.15 ms; a cached
    one a dict lookup."""
    cache = process_cache("cards", CARD_CACHE_SIZE)
    locale = str(get_locale() or "id")
    token = token if token is not None else str(escape(csrf_token()))
    back = str(escape(request.full_path.rstrip("?")))
    page = None
    cards = []
    for position, product in enumerate(products, start=1):
        key = (store.id, store.slug, product, locale, position > EAGER_CARDS)
        card = cache.get(key)
        if card is None:
            page = page or _card_page(store)
            card = str(_card_macro()(product, position, page))
            cache.put(key, card)
        # The card is Jinja's autoescaped output and both stand-ins are escaped above.
        cards.append(Markup(card.replace(TOKEN_MARK, token).replace(BACK_MARK, back)))  # noqa: S704
    return cards


def _card_page(store) -> dict:
    """What every card of a page shares, with stand-ins for the per-shopper parts."""
    store_url = url_for("storefront.store_page", slug=store.slug)
    return {"texts": card_texts(), "token": TOKEN_MARK, "eager": EAGER_CARDS,
            "store_url": BACK_MARK, "product_root": store_url + "/p/",
            "cart_url": url_for("storefront.update_cart", slug=store.slug)}


def _card_macro():
    return current_app.jinja_env.get_template(
        "storefront/_product_card.html").make_module({}).product_card
