"""shop.services.dealer_orders: a shop's own orders, and its cancel while PENDING that
loses cleanly to an admin deciding at the same moment."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from shop.errors import InvalidInput, NotFound, TransitionRefused
from shop.extensions import db
from shop.models import Order, OrderEvent, OrderStatus
from shop.services.dealer_orders import (
    can_cancel,
    cancel_dealer_order,
    dealer_order,
    dealer_orders,
)


def test_an_admin_deciding_first_makes_the_shops_cancel_say_what_was_decided(shop, make):
    placed = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    order = dealer_order(shop, placed.id)
    assert can_cancel(order)
    # the admin's approval lands between the shop's read and its cancel
    db.session.execute(update(Order).where(Order.id == placed.id)
                       .values(status=OrderStatus.CONFIRMED.value)
                       .execution_options(synchronize_session=False))

    with pytest.raises(TransitionRefused) as refused:
        cancel_dealer_order(shop, placed.id)

    assert refused.value.details["status"] == "CONFIRMED"
    assert "Dikonfirmasi" in refused.value.message
    assert db.session.scalar(select(OrderEvent.id).where(
        OrderEvent.order_id == placed.id, OrderEvent.to_status == "CANCELLED")) is None


def test_a_reason_is_one_line_of_at_most_500_characters(shop, make):
    placed = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    for reason in ("x" * 501, "baris\x00nol"):
        with pytest.raises(InvalidInput):
            cancel_dealer_order(shop, placed.id, reason=reason)
    assert dealer_order(shop, placed.id).status == OrderStatus.PENDING


@pytest.mark.parametrize("order_id", [None, "", 42, "x" * 33, "tidak-ada"])
def test_ids_that_are_no_order_of_the_shop_are_not_found(shop, order_id):
    with pytest.raises(NotFound):
        dealer_order(shop, order_id)


def test_pages_of_orders_read_unreadable_page_numbers_as_the_first(shop, make):
    make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    for page in (None, "0", "abc", "²", "-1"):
        listing = dealer_orders(shop, page)
        assert (listing.page, listing.total, len(listing.orders)) == (1, 1, 1)
    assert dealer_orders(shop, "3").orders == [] and dealer_orders(shop, "3").pages == 1
