"""QRIS (services/qris.py): static payloads of several issuers, assembled here by hand in the
EMVCo merchant-presented layout (with a CRC computed here, not by the library under test),
turn into dynamic ones whose TLV parses, whose tag 54 is the amount and whose CRC checks;
broken payloads are refused with their reason; the SVG drawn is the payload's QR code."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from shop.errors import InvalidInput
from shop.services.qris import (
    SAMPLE_STATIC_QRIS,
    dynamic_payload,
    qr_code,
    qr_svg,
    read_static,
)


def crc16(text: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), written out here."""
    crc = 0xFFFF
    for byte in text.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def parse_tlv(text: str) -> dict[str, str]:
    found, at = {}, 0
    while at < len(text):
        tag, length = text[at:at + 2], int(text[at + 2:at + 4])
        found[tag] = text[at + 4:at + 4 + length]
        at += 4 + length
    assert at == len(text)
    return found


def sealed(body: str) -> str:
    body += "6304"
    return body + crc16(body)


def static(account_tag: str, guid: str, pan: str, *, name="TOKO MAJU JAYA", city="BANDUNG",
           extra: str = "") -> str:
    account = tlv("00", guid) + tlv("01", pan) + tlv("02", "M" + pan[-9:]) + tlv("03", "UMI")
    national = tlv("00", "ID.CO.QRIS.WWW") + tlv("02", "ID1020012345678") + tlv("03", "UMI")
    return sealed(tlv("00", "01") + tlv("01", "11") + tlv(account_tag, account)
                  + tlv("51", national) + tlv("52", "5411") + tlv("53", "360")
                  + tlv("58", "ID") + (tlv("59", name) if name else "")
                  + (tlv("60", city) if city else "") + tlv("61", "40111") + extra)


ISSUERS = {
    "gopay": static("26", "ID.CO.GOJEK.WWW", "936009140123456789"),
    "dana": static("26", "ID.DANA.WWW", "936009150123456789"),
    "shopeepay": static("26", "ID.CO.SHOPEE.WWW", "936009180123456789"),
    "bca": static("27", "ID.CO.BCA.WWW", "936000140123456789"),
    "with-tag-62": static("26", "ID.CO.GOJEK.WWW", "936009140123456789",
                          extra=tlv("62", tlv("07", "A01"))),
}


@pytest.mark.parametrize("issuer", ISSUERS)
def test_a_static_qris_becomes_a_dynamic_one_with_the_amount(issuer):
    payload = ISSUERS[issuer]

    shown = read_static("  " + payload + "\n")
    dynamic = dynamic_payload(payload, Decimal("65123"))

    assert (shown.merchant_name, shown.merchant_city) == ("TOKO MAJU JAYA", "BANDUNG")
    assert shown.nmid == "ID1020012345678"
    tags = parse_tlv(dynamic)
    assert tags["01"] == "12" and tags["54"] == "65123"
    assert dynamic[-4:] == crc16(dynamic[:-4]) and dynamic[-8:-4] == "6304"
    assert {t: v for t, v in tags.items() if t not in ("01", "54", "63")} == \
        {t: v for t, v in parse_tlv(payload).items() if t not in ("01", "63")}


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=10**9))
def test_any_amount_due_is_in_tag_54_with_a_good_crc(amount):
    dynamic = dynamic_payload(ISSUERS["gopay"], Decimal(amount))

    assert parse_tlv(dynamic)["54"] == str(amount)
    assert dynamic[-4:] == crc16(dynamic[:-4])


def test_a_wrong_crc_is_refused_with_its_reason():
    payload = ISSUERS["dana"]
    wrong = payload[:-4] + ("0000" if payload[-4:] != "0000" else "1111")

    with pytest.raises(InvalidInput) as refused:
        read_static(wrong)

    assert "CRC QRIS tidak cocok" in refused.value.message
    assert refused.value.fields["qris_payload"].startswith("CRC QRIS tidak cocok")


def test_a_wrong_length_field_is_refused():
    payload = ISSUERS["gopay"].replace("5914TOKO MAJU JAYA", "5940TOKO MAJU JAYA")
    assert payload != ISSUERS["gopay"]

    with pytest.raises(InvalidInput) as refused:
        read_static(payload)

    assert "tag-panjang-isi" in refused.value.message or "panjang" in refused.value.message


def test_no_merchant_name_is_refused():
    with pytest.raises(InvalidInput) as refused:
        read_static(static("26", "ID.CO.GOJEK.WWW", "936009140123456789", name=""))

    assert "59" in refused.value.message


@pytest.mark.parametrize("payload", ["", "   ", "hello world", "0002", "x" * 600])
def test_text_that_is_no_qris_is_refused(payload):
    with pytest.raises(InvalidInput) as refused:
        read_static(payload)

    assert refused.value.message.startswith("QRIS tidak valid")


def test_a_dynamic_qris_pasted_by_mistake_is_refused():
    dynamic = dynamic_payload(ISSUERS["bca"], Decimal("10000"))

    with pytest.raises(InvalidInput) as refused:
        read_static(dynamic)

    assert "dinamis" in refused.value.message


@pytest.mark.parametrize("amount", ["0", "-5", "10000000000"])
def test_an_amount_tag_54_cannot_hold_is_refused(amount):
    with pytest.raises(InvalidInput):
        dynamic_payload(ISSUERS["gopay"], Decimal(amount))


def test_the_sample_for_the_demo_is_a_valid_static_qris():
    shown = read_static(SAMPLE_STATIC_QRIS)

    assert (shown.merchant_name, shown.merchant_city, shown.acquirer) == \
        ("BURGER CHINA", "MEDAN", "GoPay")
    assert SAMPLE_STATIC_QRIS[-4:] == crc16(SAMPLE_STATIC_QRIS[:-4])


def svg_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The side (in modules) of an SVG drawn by qr_svg and its dark modules, read back from
    its path of horizontal strokes ("M<x> <y>.5h<length>", one module tall)."""
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    strokes = re.search(r'<path stroke="#000" d="([^"]*)"', svg).group(1)
    dark = set()
    for x, y, length in re.findall(r"M(\d+) (\d+)\.5h(\d+)", strokes):
        dark |= {(int(x) + i, int(y)) for i in range(int(length))}
    assert re.sub(r"M\d+ \d+\.5h\d+", "", strokes) == ""  # nothing else is drawn
    return side, dark


def picture(modules, scale: int = 6, border: int = 4) -> Image.Image:
    """The modules as a black-on-white picture with its quiet zone."""
    side = len(modules) + 2 * border
    image = Image.new("L", (side, side), 255)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x + border, y + border), 0)
    return image.resize((side * scale, side * scale), Image.NEAREST)


def test_the_svg_is_the_payloads_qr_code():
    payload = dynamic_payload(ISSUERS["shopeepay"], Decimal("25000"))

    svg = qr_svg(payload)
    modules = qr_code(payload)
    found = zxingcpp.read_barcodes(picture(modules))

    assert [code.text for code in found] == [payload]
    assert [code.ec_level for code in found] == ["M"]
    assert svg.startswith('<svg role="img" aria-label="QRIS"') and "<?xml" not in svg
    side, dark = svg_modules(svg)
    assert side == len(modules) + 8  # the quiet zone of four modules on each side
    assert dark == {(x + 4, y + 4) for y, row in enumerate(modules)
                    for x, is_dark in enumerate(row) if is_dark}
    assert re.search(rf'width="{side * 4}" height="{side * 4}"', svg)
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing external


@settings(max_examples=25, deadline=None)
@given(amount=st.integers(min_value=1, max_value=10**10 - 1))
def test_every_amounts_qr_code_reads_back_as_its_payload(amount):
    payload = dynamic_payload(ISSUERS["gopay"], Decimal(amount))

    found = zxingcpp.read_barcodes(picture(qr_code(payload), scale=3))

    assert [code.text for code in found] == [payload]