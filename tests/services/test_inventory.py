"""reserve_stock / release_stock: one statement whatever the cart, never below zero."""

import pytest
from sqlalchemy import select, update

from shop.errors import OutOfStock
from shop.extensions import db
from shop.models import OrderItem, Product
from shop.services.inventory import release_stock, reserve_stock

from ..conftest import counted


def stock(product) -> int | None:
    return db.session.scalar(select(Product.stock).where(Product.id == product.id))


@pytest.fixture
def shelf(make):
    store = make.store()
    return (make.product(store, "COLA", name="Cola", stock=5),
            make.product(store, "TEH", name="Teh", stock=2),
            make.product(store, "KUE", name="Kue"))


def test_reserving_several_products_takes_each_quantity(shelf):
    cola, teh, _ = shelf
    reserve_stock([(cola.id, 3, "Cola"), (teh.id, 2, "Teh")])
    assert (stock(cola), stock(teh)) == (2, 0)


def test_the_same_product_twice_is_reserved_as_its_sum(shelf):
    cola, _, _ = shelf
    reserve_stock([(cola.id, 2, "Cola"), (cola.id, 3, "Cola")])
    assert stock(cola) == 0


def test_too_little_of_one_product_reserves_nothing_and_names_it(shelf):
    cola, teh, _ = shelf
    with pytest.raises(OutOfStock) as raised:
        reserve_stock([(cola.id, 1, "Cola"), (teh.id, 3, "Teh")])
    db.session.rollback()
    assert raised.value.details["items"] == ["Teh"]
    assert (stock(cola), stock(teh)) == (5, 2)


def test_a_product_that_stopped_tracking_stock_is_unlimited_and_its_line_holds_nothing(make):
    store = make.store()
    kue = make.product(store, "KUE", name="Kue", stock=10)
    placed = make.order(store, [("KUE", 2)])  # holds 2
    # Meanwhile the product became made to order; a second order reserves "nothing".
    db.session.execute(update(Product).where(Product.id == kue.id).values(stock=None))
    other = make.order(store, [("KUE", 1)])
    reserve_stock([(kue.id, 3, "Kue")], order_id=placed.id)
    db.session.commit()
    assert stock(kue) is None
    held = dict(db.session.execute(select(OrderItem.order_id, OrderItem.reserved_qty)).all())
    assert held == {placed.id: 0, other.id: 0}


def test_reserving_any_number_of_lines_is_one_statement(shelf, count_queries):
    cola, teh, _ = shelf
    with count_queries() as statements:
        reserve_stock([(cola.id, 1, "Cola"), (teh.id, 1, "Teh")])
    assert len(counted(statements)) == 1


def test_release_gives_back_only_to_products_that_track_stock(shelf):
    cola, _, kue = shelf
    release_stock([(cola.id, 4), (kue.id, 2)])
    assert (stock(cola), stock(kue)) == (9, None)
