"""The store's catalog pages: the product grid (search, categories) and a product's page."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from ..models import Billing
from ..services import cart as carts
from ..services.catalog_page import find_products, get_product
from ..services.checkout import MAX_MONTHS
from ..services.stores import get_store
from ..services.validation import MAX_QTY
from . import bp
from .forms import CartForm
from .routes import cart_of

#: Cards whose photo is in the first screenful on a phone or a desktop: loaded at once, the
#: rest lazily.
EAGER_CARDS = 4


@bp.get("/<slug>")
def store_page(slug: str):
    """One page of the store's products (search `q`, category `kategori`, page `halaman`)
    with photo, price and stock state, the categories, and the cart's summary."""
    store = get_store(slug)
    catalog = find_products(store, search=request.args.get("q", ""),
                            category=request.args.get("kategori"),
                            page=request.args.get("halaman"))
    cart = carts.view_cart(store, cart_of(slug))
    return render_template("storefront/store.html", store=store, catalog=catalog, cart=cart,
                           form=CartForm(), eager_cards=EAGER_CARDS, texts=card_texts())


@bp.get("/<slug>/p/<path:code>")
def product_page(slug: str, code: str):
    """An active product: its photos, description, attributes, price, stock and an add form
    with a quantity. An unknown or inactive product is the not-found page."""
    store = get_store(slug)
    product = get_product(store, code)
    cart = carts.view_cart(store, cart_of(slug))
    max_qty = MAX_MONTHS if product.billing is Billing.MONTHLY else MAX_QTY
    return render_template("storefront/product.html", store=store, product=product, cart=cart,
                           form=CartForm(), max_qty=max_qty, texts=card_texts())


def card_texts() -> dict[str, str]:
    """The texts every card repeats, translated once per page: a gettext call costs about
    0.1 ms, and 24 cards of four each were a fifth of the page's time (bench/store_page.py).
    `left` keeps a {n} for the stock."""
    return {"add": _("Tambah"), "qty": _("Jumlah"), "per_month": _("/bulan"),
            "out": _("Stok habis"), "ok": _("Tersedia"), "made": _("Dibuat saat dipesan"),
            "left": _("Sisa %(n)s", n="{n}")}
