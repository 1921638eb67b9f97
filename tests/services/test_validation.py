"""The shared field cleaners: what every operation refuses before the database sees it."""

from __future__ import annotations

import pytest

from shop.errors import InvalidInput
from shop.services.cart import read_cart
from shop.services.customer_import import import_customers
from shop.services.customers import clean_email, clean_name
from shop.services.phones import normalize_phone
from shop.services.validation import (
    clean_cart,
    clean_code,
    clean_quantity,
    clean_text,
    is_clean_text,
)

CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f"]


@pytest.mark.parametrize("char", [*CONTROL, "\ud800", "\udfff"])
def test_control_characters_and_lone_surrogates_are_not_clean_text(char):
    assert not is_clean_text(f"Jl. {char}Melati")
    assert not is_clean_text(f"Jl. {char}Melati", multiline=True)


@pytest.mark.parametrize("char", ["\n", "\r", "\t"])
def test_line_breaks_and_tabs_are_clean_only_in_multi_line_text(char):
    assert is_clean_text(f"Jl. Melati{char}5", multiline=True)
    assert not is_clean_text(f"Jl. Melati{char}5")


def test_ordinary_indonesian_text_and_emoji_are_clean():
    assert is_clean_text("Bu Tini — Jl. Kenari № 5, café 🍜 ½ porsi")


def test_clean_text_refuses_a_nul_with_the_fields_error():
    with pytest.raises(InvalidInput) as refused:
        clean_text("Jl.\x00Melati", field="address", label="Alamat")

    assert refused.value.message == "Alamat berisi karakter yang tidak diizinkan."
    assert refused.value.fields == {"address": "Berisi karakter yang tidak diizinkan."}


def test_clean_text_keeps_line_breaks_unless_one_line():
    assert clean_text(" Jl. Melati 5\nBandung ", field="address", label="Alamat") == \
        "Jl. Melati 5\nBandung"
    with pytest.raises(InvalidInput):
        clean_text("JNE\nReguler", field="courier", label="Kurir", multiline=False)


@pytest.mark.parametrize("raw", ["1", " 7 ", "0012", "1000", 1, 1000])
def test_quantity_as_int_or_ascii_digits_is_taken(raw):
    assert clean_quantity(raw) == int(raw)


@pytest.mark.parametrize("raw", ["²", "2²", "１", "٣", "1" * 5000, "0" * 5000 + "1", "00001",
                                 "1001", "0", "", "-1", "+1", "1.0", "1_0", 0, -3, 1001, True,
                                 2.0, None, [1], "1\x00"])
def test_anything_else_is_the_quantity_error(raw):
    with pytest.raises(InvalidInput) as refused:
        clean_quantity(raw)

    assert refused.value.fields == {"items": "Jumlah harus 1 sampai 1000."}


@pytest.mark.parametrize("code", ["TE\x00H", "\ud800", "TE\nH", "", "   ", "X" * 51, None, 5])
def test_a_bad_product_code_is_refused(code):
    with pytest.raises(InvalidInput) as refused:
        clean_code(code)

    assert refused.value.fields == {"items": "Kode tidak valid."}


def test_clean_cart_trims_and_merges_codes():
    assert clean_cart([(" TEH ", "2"), ("TEH", 1), ("KOPI", 3)]) == {"TEH": 3, "KOPI": 3}


@pytest.mark.parametrize("clean", [clean_name, clean_email, normalize_phone],
                         ids=["name", "email", "phone"])
@pytest.mark.parametrize("char", ["\x00", "\n", "\t", "\ud800"])
def test_name_email_and_phone_refuse_control_characters(clean, char):
    value = {clean_name: "Sari Dewi", clean_email: "sari@email.com",
             normalize_phone: "6281234567890"}[clean]

    with pytest.raises(InvalidInput) as refused:
        clean(value[:4] + char + value[4:])

    assert list(refused.value.fields.values()) == ["Berisi karakter yang tidak diizinkan."]


def test_read_cart_keeps_only_the_lines_a_cart_can_hold():
    raw = {"TEH": 2, "KOPI": "3", "SUSU": -1, "ROTI": 2.0, "NASI": None, "MIE": [1],
           "ES": True, "TE\x00H": 1, " GULA": 1, "": 1, "KUE": 1000, "JAHE": 1001}

    assert read_cart(raw) == {"TEH": 2, "KUE": 1000}


def test_read_cart_keeps_at_most_the_lines_an_order_takes():
    raw = {f"P{n}": 1 for n in range(80)}

    assert list(read_cart(raw)) == [f"P{n}" for n in range(50)]


@pytest.mark.parametrize("raw", [None, [], ["TEH", 2], "TEH", 3])
def test_read_cart_of_anything_but_a_mapping_is_empty(raw):
    assert read_cart(raw) == {}


def test_import_refuses_rows_with_control_characters_and_keeps_the_others(make):
    store = make.store()

    report = import_customers(store, "name,phone,address\n"
                                     "Bu\x00di,081234567890,Jl. A\n"
                                     "Sari,081311112222,Jl.\x00B\n"
                                     "Ani,081322223333,Jl. C\n")

    assert report.created == 1
    assert dict(report.rejected) == {2: "nama berisi karakter yang tidak diizinkan",
                                     3: "alamat berisi karakter yang tidak diizinkan"}
