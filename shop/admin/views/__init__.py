"""Every back-office view, registered in the order of the menu."""

from __future__ import annotations

from flask_admin import Admin

from . import (
    api_keys,
    catalog,
    customers,
    dealers,
    faq,
    order_requests,
    orders,
    payments,
    statements,
    stores,
    users,
)


def register_views(admin: Admin) -> None:
    """Add the views of orders, customers, catalog, stores, dealers, payments and users."""
    for area in (orders, order_requests, payments, statements, customers, catalog, dealers,
                 stores, api_keys, faq, users):
        area.register(admin)
