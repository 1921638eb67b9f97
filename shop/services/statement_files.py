"""Reading a bank's mutation export (CSV) into credits: the column presets of the Indonesian
internet banks, a custom mapping, and the number and date formats they write.

What each preset is based on (public parsers and samples of the real downloads; no bank
publishes the layout, so each preset finds its table by the header names and tolerates the
variants seen):

- BCA (KlikBCA Individual, "Mutasi Rekening" -> "Download"): a few lines before the table
  ("No. rekening : ...", "Nama : ...", "Periode : ...", "Kode Mata Uang : IDR"), then the
  header `Tanggal Transaksi,Keterangan,Cabang,Jumlah,,Saldo` whose unnamed column after
  Jumlah holds CR or DB; dates `'01/12` (no year) or `'01/12/2026`, "PEND" for pending
  lines; amounts `65,123.00` (or `65,123.00 CR` in one cell, KlikBCA Bisnis); after the
  table "Saldo Awal", "Mutasi Kredit", "Mutasi Debet", "Saldo Akhir". Based on open-source
  KlikBCA CSV parsers (a TypeScript parseBCACSV reading "Tanggal/Keterangan/Jumlah" with
  the CR/DB column after Jumlah and the "'" before the date) and their sample files.
- Mandiri (Livin'/Mandiri Online and Mandiri Cash Management exports): either `Tgl.,Tgl.
  Val.,Rincian Transaksi,No. Referensi,Debit,Kredit,Saldo` or `Account No,Date,Val. Date,
  Transaction Code,Description,Description,Reference No.,Debit,Credit`: separate debit and
  credit columns, sometimes two description columns (both are kept). Based on public
  statement-import mappings and sample files of those two layouts.
- BRI (Internet Banking BRI / BRImo "Mutasi Rekening"): `Tanggal Transaksi,Uraian
  Transaksi,Teller,Debet,Kredit,Saldo` with separate debit and credit columns. Based on
  public BRI statement adapters naming those columns.

Anything else: "custom", each column named by its number (1 = the first) or its header.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from ..errors import InvalidInput
from ..template_i18n import gettext as _

#: The largest file and the most lines read (a month of a busy shop's mutations is far less).
MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 5000
#: The table's header row is looked for in the first rows only.
HEADER_SEARCH_ROWS = 40


@dataclass(frozen=True)
class Preset:
    """Where a bank's export keeps the columns, by header names (any of the aliases)."""

    label: str
    date: tuple[str, ...]
    description: tuple[str, ...]
    amount: tuple[str, ...]
    #: The CR/DB column by name, or None.
    indicator: tuple[str, ...] | None = None
    #: The CR/DB column is the (unnamed) one right after the amount (BCA).
    indicator_after_amount: bool = False


PRESETS: dict[str, Preset] = {
    "bca": Preset("BCA (KlikBCA)", ("tanggal transaksi", "tanggal", "date"),
                  ("keterangan", "description"), ("jumlah", "amount", "mutasi"),
                  indicator_after_amount=True),
    "mandiri": Preset("Mandiri", ("tgl.", "tanggal", "tanggal transaksi", "date",
                                  "posting date"),
                      ("rincian transaksi", "keterangan", "description", "remarks"),
                      ("kredit", "credit")),
    "bri": Preset("BRI", ("tanggal transaksi", "tanggal", "tgl transaksi", "date"),
                  ("uraian transaksi", "keterangan", "uraian", "description"),
                  ("kredit", "credit")),
}
PRESET_CHOICES = (*PRESETS, "custom")
CUSTOM_FIELDS = ("date", "description", "amount", "indicator")


@dataclass(frozen=True)
class Credit:
    """One money-in line of a statement, as read."""

    line_number: int
    posted_on: date
    description: str
    amount: Decimal


@dataclass(frozen=True)
class Columns:
    """Resolved column positions (0-based) of one file, and the row the data starts after."""

    date: int
    description: tuple[int, ...]
    amount: int
    indicator: int | None
    header_row: int | None


def clean_mapping(mapping: dict | None) -> dict:
    """The mapping as it is remembered: a preset, or custom columns. Raises InvalidInput."""
    mapping = mapping or {}
    preset = str(mapping.get("preset") or "").strip().lower()
    if preset not in PRESET_CHOICES:
        raise InvalidInput(_("Pilih format mutasi: BCA, Mandiri, BRI atau kustom."),
                           fields={"preset": _("Pilih salah satu.")})
    if preset != "custom":
        return {"preset": preset}
    cleaned = {"preset": "custom"}
    for name in CUSTOM_FIELDS:
        value = str(mapping.get(name) or "").strip()[:60]
        if not value and name != "indicator":
            raise InvalidInput(_("Kolom tanggal, keterangan dan jumlah kredit wajib diisi "
                                 "untuk format kustom."), fields={name: _("Wajib diisi.")})
        if value:
            cleaned[name] = value
    return cleaned


def read_credits(data: bytes, mapping: dict, *, today: date) -> list[Credit]:
    """The credits of an export (debits left out). Raises InvalidInput."""
    rows = _rows(data)
    columns = _columns(rows, clean_mapping(mapping))
    start = 0 if columns.header_row is None else columns.header_row + 1
    credits = []
    for index in range(start, len(rows)):
        credit = _credit(rows[index], columns, index + 1, today)
        if credit is not None:
            # Kept as the row of the table (1 = the first row under the header); refusals
            # name the file's line, which a spreadsheet shows.
            credits.append(replace(credit, line_number=index - start + 1))
    if not credits:
        raise InvalidInput(_("Tidak ada uang masuk (kredit) yang terbaca di file ini. Periksa "
                             "format atau kolom yang dipilih."))
    return credits


def _rows(data: bytes) -> list[list[str]]:
    if not data or not data.strip():
        raise InvalidInput(_("File mutasi kosong."), fields={"file": _("File kosong.")})
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("File mutasi terlalu besar (paling besar 2 MB)."),
                           fields={"file": _("Terlalu besar.")})
    text = _decode(data)
    if "\x00" in text:
        raise InvalidInput(_("File ini bukan CSV. Unduh mutasi dalam format CSV dari "
                             "internet banking."), fields={"file": _("Bukan CSV.")})
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise InvalidInput(_("File mutasi terlalu panjang (paling banyak %(n)s baris).",
                             n=MAX_LINES), fields={"file": _("Terlalu banyak baris.")})
    sample = "\n".join(lines[:HEADER_SEARCH_ROWS])
    delimiter = max(",;\t|", key=sample.count)
    try:
        return [[cell.strip() for cell in row]
                for row in csv.reader(lines, delimiter=delimiter)]
    except csv.Error:
        raise InvalidInput(_("File CSV ini rusak dan tidak bisa dibaca."),
                           fields={"file": _("Tidak terbaca.")}) from None


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _columns(rows: list[list[str]], mapping: dict) -> Columns:
    preset = PRESETS.get(mapping["preset"])
    if preset is not None:
        return _preset_columns(rows, preset)
    specs = {name: mapping.get(name) for name in CUSTOM_FIELDS}
    named = [v for v in specs.values() if v and not v.isdigit()]
    header_row = _find_header(rows, [(n.lower(),) for n in named]) if named else None
    if named and header_row is None:
        raise InvalidInput(_("Kolom %(names)s tidak ditemukan di baris judul file ini.",
                             names=", ".join(named)), fields={"file": _("Kolom tidak ada.")})
    header = [c.lower() for c in rows[header_row]] if header_row is not None else []

    def position(spec: str | None) -> int | None:
        if not spec:
            return None
        if spec.isdigit():
            if not 1 <= int(spec) <= 100:
                raise InvalidInput(_("Nomor kolom harus antara 1 dan 100."))
            return int(spec) - 1
        return header.index(spec.lower())

    return Columns(position(specs["date"]), (position(specs["description"]),),
                   position(specs["amount"]), position(specs["indicator"]), header_row)


def _preset_columns(rows: list[list[str]], preset: Preset) -> Columns:
    wanted = [preset.date, preset.description, preset.amount]
    header_row = _find_header(rows, wanted)
    if header_row is None:
        raise InvalidInput(_("File ini bukan mutasi %(bank)s: baris judul kolom (%(names)s) "
                             "tidak ditemukan. Pilih format lain atau kustom.",
                             bank=preset.label, names=", ".join(a[0] for a in wanted)),
                           fields={"preset": _("Format tidak cocok.")})
    header = [c.lower() for c in rows[header_row]]
    amount = _index(header, preset.amount)
    indicator = _index(header, preset.indicator) if preset.indicator else None
    if preset.indicator_after_amount:
        indicator = amount + 1
    descriptions = tuple(i for i, name in enumerate(header) if name in preset.description)
    return Columns(_index(header, preset.date), descriptions[:2], amount, indicator,
                   header_row)


def _find_header(rows: list[list[str]], wanted: list[tuple[str, ...]]) -> int | None:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {cell.lower() for cell in row}
        if all(names & set(aliases) for aliases in wanted):
            return index
    return None


def _index(header: list[str], aliases: tuple[str, ...]) -> int:
    return next(i for alias in aliases for i, name in enumerate(header) if name == alias)


def _credit(row: list[str], columns: Columns, number: int, today: date) -> Credit | None:
    """The row as a credit; None for debits, empty amounts and rows that are not
    transactions (titles, totals, BCA's pending "PEND" lines: no digit in the date)."""
    cell = _cell(row, columns.date)
    if not any(ch.isdigit() for ch in cell):
        return None
    posted_on = parse_date(cell, today=today, line=number)
    raw = _cell(row, columns.amount)
    indicator = _cell(row, columns.indicator).upper() if columns.indicator is not None else ""
    mark = re.search(r"\s*\b(CR|DB|D|K|C)\s*$", raw.upper())
    if mark:
        indicator, raw = indicator or mark.group(1), raw[:mark.start()]
    if not raw.strip(" -0.,") or indicator in ("DB", "D", "DEBIT", "DEBET"):
        return None
    amount = parse_amount(raw, line=number)
    if amount <= 0:
        return None
    text = " ".join(" ".join(_cell(row, i) for i in columns.description).split())
    return Credit(number, posted_on, text[:1000], amount)


def _cell(row: list[str], index: int | None) -> str:
    value = row[index] if index is not None and index < len(row) else ""
    return value.lstrip("'").strip()


_CURRENCY = re.compile(r"^(rp\.?|idr)\s*|\s*(idr)$", re.IGNORECASE)


def parse_amount(text: str, *, line: int | None = None) -> Decimal:
    """Rupiah as the banks write it: 65.123,00 / 65,123.00 / Rp 65.123 / 65123. Raises
    InvalidInput."""
    value = _CURRENCY.sub("", text.strip()).replace(" ", "").replace("\u00a0", "")
    negative = value.startswith("-") or (value.startswith("(") and value.endswith(")"))
    value = value.strip("-()+")
    if not re.fullmatch(r"[0-9][0-9.,]*", value or "x"):
        raise _bad(_("jumlah \"%(value)s\" bukan angka", value=text[:40]), line)
    if "," in value and "." in value:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
    elif value.count(",") == 1 and len(value.rsplit(",", 1)[1]) != 3:
        decimal_mark = ","
    elif value.count(".") == 1 and len(value.rsplit(".", 1)[1]) != 3:
        decimal_mark = "."
    else:
        decimal_mark = None  # 65.123 or 1,234,567: only grouping
    grouping = {",", "."} - {decimal_mark}
    whole, _sep, cents = value.rpartition(decimal_mark) if decimal_mark else (value, "", "")
    for mark in grouping:
        whole = whole.replace(mark, "")
    if not whole.isdigit() or len(cents) > 2 or (cents and not cents.isdigit()):
        raise _bad(_("jumlah \"%(value)s\" bukan angka", value=text[:40]), line)
    try:
        amount = Decimal(f"{whole}.{cents or '0'}")
    except InvalidOperation:
        raise _bad(_("jumlah \"%(value)s\" bukan angka", value=text[:40]), line) from None
    return -amount if negative else amount


_MONTHS = {name: number for number, names in enumerate((
    ("jan",), ("feb", "peb"), ("mar",), ("apr",), ("mei", "may"), ("jun",), ("jul",),
    ("agu", "agt", "aug"), ("sep",), ("okt", "oct"), ("nov", "nop"), ("des", "dec")), 1)
    for name in names}


def parse_date(text: str, *, today: date, line: int | None = None) -> date:
    """dd/mm/yyyy, dd/mm/yy, dd-mm-yyyy, yyyy-mm-dd, dd Mon yyyy, or dd/mm (the year of
    `today`, or the year before for a day after today). Raises InvalidInput."""
    value = text.strip().lstrip("'")
    try:
        if match := re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})\b", value):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := re.match(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b", value):
            year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
            return date(year, int(match[2]), int(match[1]))
        if match := re.match(r"(\d{1,2})[ -]([A-Za-z]{3})[A-Za-z]*[ -](\d{4})\b", value):
            return date(int(match[3]), _MONTHS[match[2].lower()], int(match[1]))
        if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})", value):
            day = date(today.year, int(match[2]), int(match[1]))
            return day if day <= today else day.replace(year=today.year - 1)
    except (ValueError, KeyError):
        pass
    raise _bad(_("tanggal \"%(value)s\" tidak dikenali", value=text[:40]), line)


def _bad(reason: str, line: int | None) -> InvalidInput:
    if line is None:
        return InvalidInput(reason)
    return InvalidInput(_("Baris %(line)s: %(reason)s. Periksa format atau kolom yang "
                          "dipilih.", line=line, reason=reason),
                        fields={"file": _("Baris %(line)s tidak terbaca.", line=line)})
