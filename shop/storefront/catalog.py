"""The store's catalog pages: the product grid (search, categories) and a product's page."""

from __future__ import annotations

from flask import render_template

from ..services import cart as carts
from ..services.stores import get_store, list_catalog
from . import bp
from .forms import CartForm
from .routes import cart_of


@bp.get("/<slug>")
def store_page(slug: str):
    """The store's products with price, category and stock state, and the cart's summary."""
    store = get_store(slug)
    catalog = list_catalog(store)
    cart = carts.view_cart(store, cart_of(slug), catalog)
    return render_template("storefront/store.html", store=store, catalog=catalog, cart=cart,
                           form=CartForm())
