"""QRIS with the order's amount: the store pastes the payload of its printed (static) QRIS
once; each QRIS order shows the dynamic one built from it (EMVCo merchant-presented QR: tag 01
"12", tag 54 the amount, the CRC-16/CCITT-FALSE of tag 63 recomputed), drawn on the server.

The TLV reading, the QRIS rules and the conversion are qriskit's (0.2, MIT, no dependencies):
it parses every tag and template, reports each broken rule with a stable code, refuses to
re-seal a payload whose CRC is wrong, and keeps the tags it does not know in their order.
Here: which of its findings refuse a store's payload, said in the shop's language; the QR
drawn on the server as an SVG of its modules. The symbol is zxing-cpp's (its writer is Zint,
in C: the smallest version for error correction M, the mask chosen by the standard's penalty
rules): the SVG in ~1 ms where segno's pure Python took ~9.5 ms, most of it choosing the
mask, on each first QRIS tracking page (issue 16).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import qriskit
import zxingcpp

from ..errors import InvalidInput
from ..template_i18n import gettext as _

FIELD = "qris_payload"
#: A payload longer than this is no QRIS (the EMVCo limit is 512 characters).
MAX_PAYLOAD = 512
#: Tag 54 holds at most 13 characters ("9999999999.99").
MAX_AMOUNT = Decimal("9999999999.99")


@dataclass(frozen=True)
class StaticQris:
    """A store's static QRIS as read back for the owner to confirm."""

    payload: str
    merchant_name: str
    merchant_city: str
    nmid: str | None
    #: The acquirer of the first merchant account qriskit knows (GoPay, DANA, BCA...).
    acquirer: str | None


def _refuse(reason: str):
    raise InvalidInput(_("QRIS tidak valid: %(reason)s", reason=reason),
                       fields={FIELD: reason})


def _reason(issue: qriskit.Issue) -> str:
    """An error of qriskit's in the owner's words."""
    where = issue.path or ""
    reasons = {
        "crc.missing": _("CRC (tag 63) tidak ada"),
        "crc.not_last": _("CRC (tag 63) harus di akhir"),
        "crc.mismatch": _("CRC QRIS tidak cocok: ada karakter yang berubah atau hilang"),
        "tag.length": _("panjang tag %(tag)s salah", tag=where),
        "tag.format": _("isi tag %(tag)s salah", tag=where),
        "tag.required": _("tag %(tag)s wajib ada", tag=where),
        "tag.duplicate": _("tag %(tag)s muncul dua kali", tag=where),
        "template.malformed": _("isi tag %(tag)s rusak", tag=where),
        "national.missing": _("NMID (tag 51, ID.CO.QRIS.WWW) tidak ada"),
        "currency.invalid": _("mata uang bukan rupiah (tag 53 harus 360)"),
        "country.invalid": _("negara bukan Indonesia (tag 58 harus ID)"),
    }
    return reasons.get(issue.code, _("aturan QRIS dilanggar (%(code)s di tag %(tag)s)",
                                     code=issue.code, tag=where or "-"))


def _parse(payload) -> qriskit.QRIS:
    if not isinstance(payload, str) or not payload.strip():
        _refuse(_("kosong"))
    text = payload.strip()
    if len(text) > MAX_PAYLOAD:
        _refuse(_("lebih dari %(n)s karakter", n=MAX_PAYLOAD))
    try:
        return qriskit.parse(text)
    except (qriskit.QRISParseError, TypeError):
        _refuse(_("bukan susunan tag-panjang-isi QRIS (panjang tag salah atau terpotong)"))


def read_static(payload) -> StaticQris:
    """A pasted static QRIS payload, checked: TLV structure and lengths, CRC, the QRIS rules,
    a merchant name (tag 59) and city (tag 60), and static (tag 01 "11"). Raises
    InvalidInput with the first reason."""
    qris = _parse(payload)
    errors = [issue for issue in qriskit.validate(qris) if issue.severity == "error"]
    crc = [issue for issue in errors if issue.code.startswith("crc.")]
    if crc or errors:
        _refuse(_reason((crc or errors)[0]))
    if not qris.merchant_name:
        _refuse(_("nama merchant (tag 59) tidak ada"))
    if not qris.merchant_city:
        _refuse(_("kota merchant (tag 60) tidak ada"))
    if qris.is_dynamic or qris.amount is not None:
        _refuse(_("ini QRIS dinamis (sekali pakai, dengan nominal); tempel isi QRIS statis "
                  "yang tercetak di toko"))
    acquirer = next((account.acquirer.name for account in qris.merchant_accounts
                     if account.acquirer is not None), None)
    return StaticQris(payload=qris.dumps(), merchant_name=qris.merchant_name,
                      merchant_city=qris.merchant_city, nmid=qris.nmid, acquirer=acquirer)


def dynamic_payload(static_payload: str, amount: Decimal) -> str:
    """The dynamic QRIS of the store's static one for this amount (rupiah), CRC recomputed.
    Raises InvalidInput for a payload that is not a valid static QRIS or an amount that is
    not positive or too large for tag 54."""
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise InvalidInput(_("Nominal QRIS harus lebih dari 0 dan paling besar %(max)s.",
                             max=MAX_AMOUNT), fields={"amount": _("Nominal tidak valid.")})
    read_static(static_payload)
    return qriskit.parse(static_payload.strip()).to_dynamic(amount).dumps()


#: Modules of light margin around the symbol (the standard asks for four).
QUIET_ZONE = 4
#: Pixels per module of the SVG's width and height.
SCALE = 4


#: A run of dark modules in a row of the symbol's pixels (0 dark, 255 light).
DARK_RUN = re.compile(rb"\x00+")


def qr_code(payload: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code of a payload (error correction M, as printed QRIS use): its modules row
    by row, True for dark, without the quiet zone."""
    return tuple(tuple(pixel == 0 for pixel in row) for row in _symbol_rows(payload))


def _symbol_rows(payload: str) -> list[bytes]:
    symbol = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    pixels = memoryview(symbol.to_image(scale=1, add_quiet_zones=False))
    width, data = pixels.shape[1], pixels.tobytes()
    return [data[start:start + width] for start in range(0, len(data), width)]


def qr_svg(payload: str) -> str:
    """The QR code as an inline SVG element (no XML declaration, nothing fetched): a light
    square and one path that draws each row's runs of dark modules as strokes."""
    rows = _symbol_rows(payload)
    side = len(rows) + 2 * QUIET_ZONE
    runs = "".join(f"M{run.start() + QUIET_ZONE} {y + QUIET_ZONE}.5h{run.end() - run.start()}"
                   for y, row in enumerate(rows) for run in DARK_RUN.finditer(row))
    pixels = side * SCALE
    return (f'<svg role="img" aria-label="QRIS" width="{pixels}" height="{pixels}" '
            f'viewBox="0 0 {side} {side}" class="qr"><title>QRIS</title>'
            f'<path fill="#fff" d="M0 0h{side}v{side}h-{side}z"/>'
            f'<path stroke="#000" d="{runs}"/></svg>')


def _sample() -> str:
    """A static QRIS in the EMVCo layout for the demo store (a made-up NMID and merchant
    account), sealed with its CRC."""
    account = qriskit.MerchantAccount.national(nmid="ID1026000000001", criteria="UMI")
    gopay = qriskit.MerchantAccount.create(
        tag="26", guid="ID.CO.GOJEK.WWW", pan="936009140000000001", merchant_id="G000000001",
        criteria="UMI")
    return qriskit.build(merchant_name="BURGER CHINA", merchant_city="MEDAN", mcc="5812",
                         accounts=[gopay, account], postal_code="20111").dumps()


#: The demo store's static QRIS.
SAMPLE_STATIC_QRIS = _sample()
