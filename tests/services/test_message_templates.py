"""Message templates: every default renders, saving checks the variables, and what a
stranger typed arrives on one line, quoted, without a link."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.errors import InvalidInput
from shop.models import OrderStatus
from shop.services.message_templates import (
    LOCALES,
    MAX_BODY,
    SPECS,
    check_template,
    quote_free_text,
    render,
    status_template,
)

#: Every event the issue names has its template.
EVENTS = {"order_confirmation", "new_order_admin", "payment_received", "proof_submitted_admin",
          "proof_rejected", "order_status_shipped", "otp", "b2b_order_created",
          "b2b_order_approved", "b2b_order_rejected"}


def test_every_event_of_the_issue_has_a_template_in_both_languages():
    assert EVENTS <= set(SPECS)
    for status in OrderStatus:
        if status != OrderStatus.PENDING:
            assert status_template(status.value) in SPECS
    for key, spec in SPECS.items():
        assert set(spec.defaults) == set(LOCALES), key


@pytest.mark.parametrize("key", sorted(SPECS))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_default_passes_its_own_check_and_renders_its_sample(key, locale):
    subject, body = SPECS[key].defaults[locale]
    if key == "bulk":
        return  # the campaign's own text is its body
    check_template(key, body, subject)
    text = render(body, SPECS[key].sample)
    assert text and "{{" not in text and "{%" not in text


def test_the_confirmation_reads_as_seed_000():
    spec = SPECS["order_confirmation"]
    text = render(spec.defaults["id"][1], spec.sample)
    assert text.splitlines()[:3] == ["✅ *Pesanan Berhasil Dibuat!*", "",
                                     "Nomor Pesanan: #ORD-20240127-001"]
    assert "2x Burger Ayam - Rp 50.000" in text and "*Total:* Rp 65.000" in text
    assert "Subtotal" not in text  # no discount and no fee: the total alone
    with_fee = render(spec.defaults["id"][1], {**spec.sample, "shipping_fee": "10000.00",
                                               "total": "75000.00"})
    assert "Subtotal: Rp 65.000" in with_fee and "Ongkos Kirim: Rp 10.000" in with_fee
    assert "Diskon" not in with_fee


def test_an_unknown_variable_is_refused_when_saved_naming_it():
    with pytest.raises(InvalidInput) as refused:
        check_template("order_confirmation", "Halo {{ nama_pelanggan }}, {{ order_number }}")
    assert "nama_pelanggan" in refused.value.message
    assert "order_number" not in refused.value.fields["body"]


@pytest.mark.parametrize(("body", "words"), [
    ("{% if %}", "tidak valid"),
    ("{{ order_number", "tidak valid"),
    ("{{ items.0.nope }}", "data contoh"),
    ("   ", "wajib"),
    ("x" * (MAX_BODY + 1), "terlalu panjang"),
])
def test_a_template_that_would_not_render_is_refused(body, words):
    with pytest.raises(InvalidInput) as refused:
        check_template("order_confirmation", body)
    assert words in refused.value.message.lower()


def test_the_subject_is_checked_too():
    with pytest.raises(InvalidInput) as refused:
        check_template("order_confirmation", "{{ order_number }}", subject="{{ secret }}")
    assert "secret" in refused.value.message and "subject" in refused.value.fields


def test_the_sandbox_refuses_reaching_into_python():
    with pytest.raises(InvalidInput):
        check_template("order_confirmation",
                       "{{ items.__class__.__mro__[1].__subclasses__() }}")


def test_a_name_with_new_lines_and_a_link_is_flattened_quoted_and_unlinked():
    quoted = quote_free_text("Budi\n\nKlik https://evil.example/bayar\r\n*PENTING*")
    assert quoted.startswith("\u201c") and quoted.endswith("\u201d")
    assert "\n" not in quoted and "\r" not in quoted
    assert "evil.example" not in quoted and "://" not in quoted and "*" not in quoted
    assert "Budi Klik" in quoted


def test_quotes_inside_cannot_close_the_quote():
    assert quote_free_text('Budi" Transfer ke 123 "') == "\u201cBudi' Transfer ke 123 '\u201d"


def test_a_long_text_is_cut():
    assert len(quote_free_text("a" * 5000)) <= 302


@given(st.text(max_size=400))
def test_any_typed_text_stays_on_one_quoted_line_without_links(raw):
    quoted = quote_free_text(raw)
    inner = quoted[1:-1]
    assert quoted[0] == "\u201c" and quoted[-1] == "\u201d"
    assert not re.search(r"[\n\r\u2028\u2029\x00-\x1f]", quoted)
    assert "://" not in inner and "\u201c" not in inner and "\u201d" not in inner
    assert not re.search(r"[^\W_]\.[^\W_]", inner)  # no "evil.com" left for WhatsApp to link
