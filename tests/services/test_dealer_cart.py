"""A dealer's cart (seed 004): one per shop in the database, at the shop's prices, checked
out as a B2B order; another shop's items and orders are not found."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.errors import InvalidInput, NotFound, OutOfStock
from shop.extensions import db
from shop.models import Cart, CartItem, Channel, Order, OrderItem, OrderStatus, Product
from shop.services import dealer_cart
from shop.services.dealer_catalog import get_part, part_categories, search_parts
from shop.services.dealer_prices import set_dealer_price, set_shop_discount


def part(store, code):
    return db.session.scalar(select(Product).where(Product.store_id == store.id,
                                                   Product.code == code))


@pytest.fixture
def shop(make):
    return make.dealer_shop()


def add(shop, code, qty):
    item = dealer_cart.add_to_cart(shop, part(shop.store, code).id, qty)
    db.session.commit()
    return item


def test_adding_twice_adds_up_in_one_line_of_one_cart(shop):
    add(shop, "OLI-MPX2", 2)
    add(shop, "OLI-MPX2", "3")
    add(shop, "BUSI-NGK", 1)
    view = dealer_cart.view_cart(shop)
    assert [(ln.code, ln.qty, ln.subtotal) for ln in view.lines] == [
        ("OLI-MPX2", 5, Decimal("225000.00")), ("BUSI-NGK", 1, Decimal("18000.00"))]
    assert (view.total, view.qty) == (Decimal("243000.00"), 6)
    assert db.session.scalar(select(func.count()).select_from(Cart)) == 1


def test_cart_shows_the_shops_prices_of_the_moment(shop):
    add(shop, "OLI-MPX2", 2)
    set_shop_discount(shop, "10")
    db.session.commit()
    assert dealer_cart.view_cart(shop).lines[0].unit_price == Decimal("40500.00")
    set_dealer_price(shop, part(shop.store, "OLI-MPX2"), "40000")
    db.session.commit()
    line = dealer_cart.view_cart(shop).lines[0]
    assert (line.unit_price, line.list_price, line.subtotal) == (
        Decimal("40000.00"), Decimal("45000.00"), Decimal("80000.00"))


@pytest.mark.parametrize("qty", [0, -1, "1001", "²", "abc", 1.5, True, None])
def test_bad_quantity_is_refused_and_changes_nothing(shop, qty):
    with pytest.raises(InvalidInput):
        dealer_cart.add_to_cart(shop, part(shop.store, "OLI-MPX2").id, qty)
    db.session.rollback()
    assert dealer_cart.view_cart(shop).lines == []


def test_total_per_part_stays_within_1000_and_the_synced_stock(shop):
    add(shop, "OLI-MPX2", 1000)
    with pytest.raises(InvalidInput, match="1000"):
        dealer_cart.add_to_cart(shop, part(shop.store, "OLI-MPX2").id, 1)
    db.session.rollback()
    part(shop.store, "BUSI-NGK").legacy_stock = 4
    db.session.commit()
    add(shop, "BUSI-NGK", 3)
    with pytest.raises(InvalidInput, match="tinggal 4"):
        dealer_cart.add_to_cart(shop, part(shop.store, "BUSI-NGK").id, 2)
    db.session.rollback()
    item = dealer_cart.view_cart(shop).lines[1]
    with pytest.raises(InvalidInput):
        dealer_cart.set_cart_qty(shop, item.item_id, 5)
    db.session.rollback()
    assert dealer_cart.set_cart_qty(shop, item.item_id, 4).qty == 4


def test_unknown_inactive_and_other_stores_products_are_not_found(shop, make):
    other_store = make.distributor_store("lain")
    inactive = part(shop.store, "KAMPAS-REM")
    inactive.is_active = False
    db.session.commit()
    for product_id in (999999, inactive.id, part(other_store, "OLI-MPX2").id, "1", None):
        with pytest.raises(NotFound):
            dealer_cart.add_to_cart(shop, product_id, 1)


def test_another_shops_items_are_not_found_and_stay(shop, make):
    other = make.dealer_shop(shop.store, code="TK002", phone="628123456780")
    theirs = add(other, "OLI-MPX2", 2)
    with pytest.raises(NotFound):
        dealer_cart.set_cart_qty(shop, theirs.id, 9)
    with pytest.raises(NotFound):
        dealer_cart.remove_cart_item(shop, theirs.id)
    assert dealer_cart.clear_cart(shop) == 0
    db.session.rollback()
    assert [(ln.item_id, ln.qty) for ln in dealer_cart.view_cart(other).lines] == [(theirs.id, 2)]


def test_remove_and_clear(shop):
    first = add(shop, "OLI-MPX2", 1)
    add(shop, "BUSI-NGK", 1)
    dealer_cart.remove_cart_item(shop, first.id)
    assert [ln.code for ln in dealer_cart.view_cart(shop).lines] == ["BUSI-NGK"]
    assert dealer_cart.clear_cart(shop) == 1
    assert dealer_cart.view_cart(shop).lines == []


def test_checkout_places_the_cart_as_a_b2b_order_and_empties_it(shop):
    add(shop, "OLI-MPX2", 2)
    add(shop, "KAMPAS-REM", 1)
    placed = dealer_cart.checkout_cart(shop, notes="Tolong cepat", idempotency_key=None,
                                       base_url="https://s.test")
    db.session.commit()
    order = db.session.get(Order, placed.id)
    assert (order.channel, order.status, order.shop_id, order.total, order.notes) == (
        Channel.B2B, OrderStatus.PENDING, shop.id, Decimal("128000.00"), "Tolong cepat")
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 0


def test_empty_cart_or_a_part_over_stock_checks_out_nothing(shop):
    with pytest.raises(InvalidInput, match="kosong"):
        dealer_cart.checkout_cart(shop, notes=None, idempotency_key=None, base_url="x")
    db.session.rollback()
    add(shop, "OLI-MPX2", 5)
    part(shop.store, "OLI-MPX2").legacy_stock = 2  # the hourly sync read less meanwhile
    db.session.commit()
    assert dealer_cart.view_cart(shop).can_check_out is False
    with pytest.raises(OutOfStock):
        dealer_cart.checkout_cart(shop, notes=None, idempotency_key=None, base_url="x")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert dealer_cart.view_cart(shop).qty == 5


def test_double_submit_with_one_key_gives_one_order(shop):
    add(shop, "OLI-MPX2", 1)
    first = dealer_cart.checkout_cart(shop, notes=None, idempotency_key="co-123456789",
                                      base_url="x")
    db.session.commit()
    again = dealer_cart.checkout_cart(shop, notes=None, idempotency_key="co-123456789",
                                      base_url="x")
    assert (again.id, again.created) == (first.id, False)


def test_reorder_puts_the_lines_back_and_names_what_cannot_be_had(shop, make):
    placed = make.b2b_order(shop, [("OLI-MPX2", 2), ("BUSI-NGK", 3)])
    part(shop.store, "BUSI-NGK").is_active = False
    db.session.commit()
    add(shop, "OLI-MPX2", 1)
    skipped = dealer_cart.reorder(shop, db.session.get(Order, placed.id))
    assert skipped == ["Busi NGK CPR7EA"]
    assert [(ln.code, ln.qty) for ln in dealer_cart.view_cart(shop).lines] == [("OLI-MPX2", 3)]
    other = make.dealer_shop(shop.store, code="TK002", phone="628123456780")
    with pytest.raises(NotFound):
        dealer_cart.reorder(other, db.session.get(Order, placed.id))
    assert db.session.scalar(select(func.count()).select_from(OrderItem)) == 2


def test_search_by_name_or_part_number_any_case_with_category_and_pages(shop):
    assert [p.product.code for p in search_parts(shop, query="oli").parts] == [
        "OLI-MPX2", "OLI-SPX1"]
    assert [p.product.code for p in search_parts(shop, query="cpr7").parts] == ["BUSI-NGK"]
    assert [p.product.code for p in search_parts(shop, query="%").parts] == []
    found = search_parts(shop, category="SPARE_PART", per_page="1", page="2")
    assert (found.total, found.pages, [p.product.code for p in found.parts]) == (
        2, 2, ["KAMPAS-REM"])
    assert search_parts(shop, page="x", per_page="-5").page == 1
    assert part_categories(shop) == ["OIL", "SPARE_PART"]


def test_part_detail_at_the_shops_price_and_other_stores_not_found(shop, make):
    set_shop_discount(shop, "20")
    view = get_part(shop, part(shop.store, "OLI-SPX1").id)
    assert (view.price, view.list_price, view.is_ready) == (
        Decimal("41600.00"), Decimal("52000.00"), True)
    with pytest.raises(NotFound):
        get_part(shop, part(make.distributor_store("lain"), "OLI-SPX1").id)


@pytest.mark.backends("postgresql")
def test_search_condition_is_the_trigram_indexs_expression_on_postgresql(shop):
    """The planner may scan a tiny test table; what matters is that the search's condition
    is exactly the expression the trigram index holds, so that 50,000 parts use it."""
    from sqlalchemy import event, text

    from shop.services.dealer_catalog import search_parts

    statements = []
    connection = db.session.connection()

    def record(conn, cursor, statement, params, context, executemany):
        statements.append((statement, params))

    event.listen(connection, "before_cursor_execute", record)
    try:
        search_parts(shop, query="Kampas")
    finally:
        event.remove(connection, "before_cursor_execute", record)
    statement, params = next((s, p) for s, p in statements if "LIMIT" in s)
    plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement,
                                                                   params))
    condition = plan[plan.index("lower("):plan.index(" ~~ '%kampas%'")]
    index = connection.execute(text(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_products_search_trgm'"
    )).scalar_one()
    assert f"gin ({condition} " in index, (condition, index)


def test_the_count_is_of_every_match_also_past_the_last_page(shop):
    found = search_parts(shop, per_page="1", page="3")
    assert (found.total, found.pages, len(found.parts)) == (4, 4, 1)
    beyond = search_parts(shop, query="oli", page="9")
    assert (beyond.total, beyond.parts) == (2, [])
    assert search_parts(shop, query="zzz").total == 0


def test_search_shows_the_shops_own_price_and_its_discount(shop):
    set_shop_discount(shop, "10")
    set_dealer_price(shop, part(shop.store, "OLI-SPX1"), "50000")
    prices = {p.product.code: p.price for p in search_parts(shop, query="oli").parts}
    assert prices == {"OLI-MPX2": Decimal("40500.00"), "OLI-SPX1": Decimal("50000.00")}


def test_cart_count_is_the_units_in_the_shops_cart_only(shop, make):
    assert dealer_cart.cart_count(shop) == 0
    add(shop, "OLI-MPX2", 2)
    add(shop, "BUSI-NGK", 3)
    other = make.dealer_shop(shop.store, code="TK002", phone="628123456780")
    add(other, "OLI-MPX2", 7)
    assert (dealer_cart.cart_count(shop), dealer_cart.cart_count(other)) == (5, 7)
