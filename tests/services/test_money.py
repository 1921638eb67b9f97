"""Order totals and Rupiah formatting, with properties over random carts."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.errors import InvalidInput
from shop.services.money import Line, compute_totals, format_rupiah, money_json, to_money

amounts = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False)
lines = st.lists(
    st.builds(lambda price, qty: Line("X", "X", price, qty), amounts, st.integers(1, 1000)),
    min_size=1, max_size=20,
)


@given(lines, st.data())
def test_total_is_subtotal_minus_discount_plus_shipping(cart, data):
    subtotal = sum((ln.unit_price * ln.qty for ln in cart), Decimal("0"))
    discount = data.draw(st.decimals(min_value=0, max_value=subtotal, places=2))
    fee = data.draw(amounts)
    totals = compute_totals(cart, discount, fee)
    assert totals.subtotal == subtotal
    assert totals.total == subtotal - discount + fee
    assert totals.total >= fee >= 0


@given(lines, st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2))
def test_a_discount_above_the_subtotal_is_refused(cart, excess):
    subtotal = sum((ln.unit_price * ln.qty for ln in cart), Decimal("0"))
    with pytest.raises(InvalidInput) as raised:
        compute_totals(cart, subtotal + excess)
    assert "discount" in raised.value.fields


def test_line_discount_counts_in_the_line_subtotal():
    totals = compute_totals([Line("A", "A", Decimal("25000"), 2, Decimal("5000"))])
    assert totals.subtotal == Decimal("45000.00")


def test_negative_shipping_fee_is_refused():
    with pytest.raises(InvalidInput):
        compute_totals([Line("A", "A", Decimal("1000"), 1)], Decimal("0"), Decimal("-1"))


@pytest.mark.parametrize(("amount", "text"), [
    (Decimal("25000"), "Rp 25.000"), (Decimal("65000.00"), "Rp 65.000"), (0, "Rp 0"),
    (Decimal("1500.50"), "Rp 1.500,50"), (Decimal("10000000"), "Rp 10.000.000"),
])
def test_rupiah_is_shown_the_indonesian_way(amount, text):
    assert format_rupiah(amount) == text


def test_money_in_json_is_a_string_with_two_decimals():
    assert money_json(Decimal("65000")) == "65000.00"


@pytest.mark.parametrize("raw", [1.5, "abc", "-1", "1e20", True])
def test_amounts_that_are_not_money_are_refused(raw):
    with pytest.raises(InvalidInput):
        to_money(raw)


@pytest.mark.parametrize(("raw", "amount"), [
    ("10000", "10000.00"), ("Rp 10000", "10000.00"), ("Rp 10.000", "10000.00"),
    ("10.000", "10000.00"), ("1.500.000", "1500000.00"), ("1.500,50", "1500.50"),
    ("1500,5", "1500.50"), ("10000.50", "10000.50"), ("2.5", "2.50"), (25000, "25000.00"),
    (Decimal("7.1"), "7.10"),
])
def test_amounts_are_parsed_as_indonesians_write_them(raw, amount):
    assert to_money(raw) == Decimal(amount)
