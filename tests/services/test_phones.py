"""Phone normalization: every way a shopper writes a number gives one customer (seed 000)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.errors import InvalidInput
from shop.services.phones import local_phone, mask_phone, normalize_phone


@pytest.mark.parametrize("raw", ["081234567890", "81234567890", "+6281234567890",
                                 "6281234567890", "0812-3456-7890", " 0812 3456 7890 ",
                                 "(0812) 3456-7890", "+62 812 3456 7890"])
def test_seed_formats_all_become_the_same_number(raw):
    assert normalize_phone(raw) == "6281234567890"


def test_digits_of_another_script_are_the_same_number():
    assert normalize_phone("０８１２３４５６７８９０") == "6281234567890"


def test_foreign_numbers_need_the_plus():
    assert normalize_phone("+65 9123 4567") == "6591234567"
    assert normalize_phone("+1 650 253 0000") == "16502530000"  # US: mobile or fixed alike


@pytest.mark.parametrize("raw", ["+62 21 555 1234", "021 5551234", "(021) 555-1234",
                                 "+65 6123 4567", "0800 1234567"])
def test_a_landline_is_refused_as_no_whatsapp_number(raw):
    with pytest.raises(InvalidInput) as raised:
        normalize_phone(raw)
    assert "nomor HP" in raised.value.message and "phone" in raised.value.fields


@pytest.mark.parametrize("raw", ["0812ABCD7890", "0812-3456-789O", "+62 812 3456 7890 ext 1",
                                 "0812.3456.7890#", "0812/3456/7890"])
def test_letters_or_other_signs_in_a_number_are_refused(raw):
    with pytest.raises(InvalidInput) as raised:
        normalize_phone(raw)
    assert raised.value.fields["phone"]


@pytest.mark.parametrize("raw", ["", "   ", None, "12345", "abc", "0812", "+99 123",
                                 "081234567890123456789012345678901234"])
def test_invalid_numbers_are_a_clear_error(raw):
    with pytest.raises(InvalidInput) as raised:
        normalize_phone(raw)
    assert "phone" in raised.value.fields and raised.value.message


def test_mask_hides_the_middle_and_local_form_reads_like_a_shopper_writes():
    assert local_phone("6281234567890") == "081234567890"
    assert mask_phone("6281234567890") == "0812****7890"
    assert "34567" not in mask_phone("6281234567890")


# Indonesian mobile numbers: 8 + operator digit + 7 to 10 more digits.
mobile_subscriber = st.builds(
    lambda op, rest: f"8{op}{rest}",
    st.sampled_from(["11", "12", "13", "21", "22", "52", "53", "14", "15", "16", "55", "56",
                     "57", "58", "17", "18", "19", "59", "77", "78", "38", "31", "32", "33",
                     "95", "96", "97", "98", "99", "81", "82", "83", "84", "85", "86", "87",
                     "88", "89"]),
    st.text("0123456789", min_size=7, max_size=8),
)


def _spellings(subscriber: str):
    grouped = f"0{subscriber[:3]}-{subscriber[3:7]}-{subscriber[7:]}"
    return [f"0{subscriber}", subscriber, f"+62{subscriber}", f"62{subscriber}", grouped,
            f"+62 {subscriber[:3]} {subscriber[3:]}"]


@given(mobile_subscriber)
def test_every_spelling_of_a_valid_number_normalizes_to_one_value(subscriber):
    results = set()
    for raw in _spellings(subscriber):
        try:
            results.add(normalize_phone(raw))
        except InvalidInput:
            results.add("invalid")
    assert len(results) == 1
    (value,) = results
    if value != "invalid":
        assert value == "62" + subscriber and value.isdigit()


@given(st.text(max_size=40))
def test_normalization_either_refuses_or_gives_digits_that_normalize_to_themselves(raw):
    try:
        value = normalize_phone(raw)
    except InvalidInput:
        return
    assert value.isdigit() and 8 <= len(value) <= 15
    assert normalize_phone("+" + value) == value
    assert normalize_phone(value) == value


def test_a_stores_own_whatsapp_business_may_be_a_landline():
    assert normalize_phone("021 5551234", field="whatsapp", mobile=False) == "62215551234"
    with pytest.raises(InvalidInput):
        normalize_phone("0812ABCD7890", mobile=False)
