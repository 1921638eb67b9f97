"""The address in parts: the province from the list, the postal code, every refusal at once,
and the one line messages show."""

from __future__ import annotations

import pytest

from shop.errors import InvalidInput
from shop.services.addresses import (
    PROVINCES,
    AddressParts,
    address_line,
    clean_address_parts,
    clean_postal_code,
    clean_province,
)


def test_indonesia_has_38_provinces_each_once():
    assert len(PROVINCES) == len(set(PROVINCES)) == 38


@pytest.mark.parametrize(("typed", "kept"), [
    ("DKI Jakarta", "DKI Jakarta"), ("dki  jakarta", "DKI Jakarta"),
    ("  Jawa barat ", "Jawa Barat"), ("", None), (None, None),
])
def test_a_province_is_kept_as_the_list_writes_it(typed, kept):
    assert clean_province(typed) == kept


@pytest.mark.parametrize("typed", ["Jakarta Raya", "Atlantis", "Jawa\x00Barat", 12])
def test_an_unknown_province_is_refused(typed):
    with pytest.raises(InvalidInput) as refused:
        clean_province(typed)

    assert "province" in refused.value.fields


@pytest.mark.parametrize(("typed", "kept"), [("12190", "12190"), (" 40115 ", "40115"),
                                            ("", None)])
def test_a_postal_code_is_five_digits(typed, kept):
    assert clean_postal_code(typed) == kept


@pytest.mark.parametrize("typed", ["1219", "121900", "01234", "12a90", "١٢١٩٠"])
def test_other_postal_codes_are_refused(typed):
    with pytest.raises(InvalidInput) as refused:
        clean_postal_code(typed)

    assert refused.value.fields == {"postal_code": "Kode pos terdiri dari 5 angka."}


def test_required_parts_are_all_reported_at_once():
    with pytest.raises(InvalidInput) as refused:
        clean_address_parts("", " ", "Narnia", "12", required=True)

    assert set(refused.value.fields) == {"district", "city", "province", "postal_code"}


def test_parts_are_optional_where_a_channel_asks_for_none():
    assert clean_address_parts(None, None, None, None) == AddressParts()


@pytest.mark.parametrize(("parts", "line"), [
    (("Jl. Sudirman 1", "Setiabudi", "Jakarta Selatan", "DKI Jakarta", "12190"),
     "Jl. Sudirman 1, Kec. Setiabudi, Jakarta Selatan, DKI Jakarta 12190"),
    (("Jl. Melati 5\r\nRT 01/RW 02", "Kecamatan Coblong", "Bandung", "Jawa Barat", None),
     "Jl. Melati 5 RT 01/RW 02, Kecamatan Coblong, Bandung, Jawa Barat"),
    (("Jl. Merdeka 10, Jakarta", None, None, None, None), "Jl. Merdeka 10, Jakarta"),
    ((None, None, None, None, None), ""),
])
def test_the_address_on_one_line(parts, line):
    assert address_line(*parts) == line
