"""Reading bank mutation exports: the BCA, Mandiri and BRI presets and custom columns, the
number and date formats, refusals that change nothing, the mapping remembered per store, and
the date window of a match."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from shop.errors import InvalidInput
from shop.extensions import db
from shop.models import Order, StatementImport, StatementLine
from shop.models.statements import LineStatus
from shop.services.statement_files import parse_amount, parse_date, read_credits
from shop.services.statements import import_statement, line_window

from ..statement_samples import (
    DAY,
    ROWS,
    bca_csv,
    bri_csv,
    mandiri_csv,
    mandiri_mcm_csv,
)

TODAY = date(2026, 12, 7)
CREDITS = [(DAY, ROWS[0][1], Decimal("65123.00")),
           (date(2026, 12, 2), ROWS[2][1], Decimal("40150.50"))]


def read(data: bytes, **mapping):
    return [(c.posted_on, c.description, c.amount)
            for c in read_credits(data, mapping, today=TODAY)]


@pytest.mark.parametrize("data", [bca_csv(ROWS), bca_csv(ROWS, with_year=True),
                                  bca_csv(ROWS, one_cell=True)],
                         ids=["klikbca", "klikbca-with-year", "klikbca-bisnis-one-cell"])
def test_bca_export_gives_its_credits_without_debits_pending_lines_or_totals(data):
    assert read(data, preset="bca") == CREDITS


def test_mandiri_livin_export_with_indonesian_numbers_gives_its_credits():
    assert read(mandiri_csv(ROWS), preset="mandiri") == CREDITS


def test_mandiri_cash_management_export_keeps_both_description_columns():
    credits = read(mandiri_mcm_csv(ROWS), preset="mandiri")
    assert [(d, a) for d, _t, a in credits] == [(d, a) for d, _t, a in CREDITS]
    assert credits[1][1] == "TRSF E-BANKING CR 0212/FTSCY/WS95032 SITI AMINAH"


def test_bri_export_with_two_digit_years_and_times_gives_its_credits():
    assert read(bri_csv(ROWS), preset="bri") == CREDITS


def test_custom_columns_by_number_skip_the_header_and_read_the_indicator():
    data = (b"Tanggal;Catatan;Nominal;Jenis\n01/12/2026;DARI BUDI;Rp 65.123;CR\n"
            b"01/12/2026;BAYAR LISTRIK;Rp 250.000;DB\n")
    assert read(data, preset="custom", date="1", description="2", amount="3",
                indicator="4") == [(DAY, "DARI BUDI", Decimal("65123"))]


def test_custom_columns_by_header_name_find_the_table_below_other_lines():
    data = b"Laporan mutasi\n\nWaktu,Berita,Masuk,Keluar\n2026-12-01,DARI BUDI,65123,\n" \
           b"2026-12-01,TARIK TUNAI,,50000\n"
    assert read(data, preset="custom", date="waktu", description="Berita",
                amount="MASUK") == [(DAY, "DARI BUDI", Decimal("65123"))]


@pytest.mark.parametrize(("text", "amount"), [
    ("65.123,00", "65123.00"), ("65,123.00", "65123.00"), ("Rp 65.123", "65123"),
    ("Rp65.123", "65123"), ("65123", "65123"), ("65123.00", "65123.00"),
    ("1.234.567", "1234567"), ("1,234,567.89", "1234567.89"), ("IDR 65.123,50", "65123.50"),
    ("65123,5", "65123.5"), ("-20,000.00", "-20000.00"),
])
def test_indonesian_and_english_number_formats(text, amount):
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["abc", "12abc", "1,2345", "Rp", "65.123,00,00"])
def test_a_number_that_is_not_one_is_refused(text):
    with pytest.raises(InvalidInput):
        parse_amount(text)


@pytest.mark.parametrize(("text", "today", "day"), [
    ("01/12/2026", TODAY, DAY), ("2026-12-01", TODAY, DAY), ("'01/12", TODAY, DAY),
    ("01/12", TODAY, DAY), ("31/12", date(2027, 1, 2), date(2026, 12, 31)),
    ("01/12/26", TODAY, DAY), ("01-12-2026", TODAY, DAY), ("01 Des 2026", TODAY, DAY),
    ("01 Dec 2026", TODAY, DAY), ("01/12/2026 10:15:32", TODAY, DAY),
])
def test_date_formats_and_the_year_of_a_day_without_one(text, today, day):
    assert parse_date(text, today=today) == day


@pytest.mark.parametrize("text", ["32/12/2026", "01/13/2026", "12-2026", "31/02"])
def test_a_date_that_is_not_one_is_refused(text):
    with pytest.raises(InvalidInput):
        parse_date(text, today=TODAY)


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(StatementImport)),
            db.session.scalar(select(func.count()).select_from(StatementLine)))


@pytest.mark.parametrize(("data", "mapping", "message"), [
    (b"", {"preset": "bca"}, "kosong"),
    (b"\n \n", {"preset": "bca"}, "kosong"),
    (b"x" * (2 * 1024 * 1024 + 1), {"preset": "bca"}, "terlalu besar"),
    (b"01/12/2026,A,1\n" * 5001, {"preset": "custom", "date": "1", "description": "2",
                                  "amount": "3"}, "terlalu panjang"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", {"preset": "bca"}, "bukan CSV"),
    (mandiri_csv(ROWS), {"preset": "bca"}, "bukan mutasi BCA"),
    (bca_csv(ROWS), {"preset": "bni"}, "Pilih format"),
    (bca_csv(ROWS), {"preset": "custom", "date": "1"}, "wajib diisi"),
    (bca_csv(ROWS), {"preset": "custom", "date": "Tanggal", "description": "Berita",
                     "amount": "Jumlah"}, "Berita"),
    (bca_csv(ROWS), {"preset": "custom", "date": "2", "description": "1", "amount": "4"},
     "tanggal"),
    (b"Tanggal,Keterangan,Jumlah\n01/12/2026,A,enam puluh\n",
     {"preset": "custom", "date": "1", "description": "2", "amount": "3"}, "Baris 2"),
    (bca_csv([(DAY, "BAYAR", Decimal("1000"), "DB")]), {"preset": "bca"}, "Tidak ada uang"),
], ids=["empty", "blank", "too-big", "too-many-lines", "binary", "other-bank",
        "unknown-preset", "custom-missing-columns", "custom-unknown-header",
        "custom-wrong-columns", "bad-amount", "debits-only"])
def test_a_bad_file_or_mapping_is_refused_with_a_message_and_nothing_changes(
        make, data, mapping, message):
    store = make.store(statement_mapping={"preset": "bri"})

    with pytest.raises(InvalidInput) as refused:
        import_statement(store, data, mapping, filename="mutasi.csv", actor="admin:a@t")

    assert message.lower() in refused.value.message.lower()
    db.session.rollback()
    assert counts() == (0, 0)
    assert db.session.get(type(store), store.id).statement_mapping == {"preset": "bri"}


def test_the_mapping_chosen_is_remembered_on_the_store(make):
    store = make.store()
    mapping = {"preset": "custom", "date": "1", "description": "2", "amount": "3",
               "indicator": "", "extra": "ignored"}
    data = b"01/12/2026,DARI BUDI,65123\n"

    import_statement(store, data, mapping, filename="a.csv", actor="admin:a@t")
    db.session.commit()

    assert store.statement_mapping == {"preset": "custom", "date": "1", "description": "2",
                                       "amount": "3"}


def test_the_window_is_the_week_before_the_line_to_its_end_in_the_store_time_zone(make):
    store = make.store(timezone="Asia/Jayapura")  # UTC+9
    start, end = line_window(store, DAY)
    assert start == datetime(2026, 11, 23, 15, tzinfo=UTC)
    assert end == datetime(2026, 12, 1, 15, tzinfo=UTC)


def test_an_order_placed_before_the_window_or_after_the_line_does_not_match(make):
    store = make.store()
    product = make.product(store, price="65000")
    old, late, fits = (make.order(store, items=[(product.code, 1)], phone=f"08131111000{i}")
                       for i in range(3))
    placed = {old.id: datetime(2026, 11, 23, 16, 59, tzinfo=UTC),  # 23:59 WIB, 8 days before
              late.id: datetime(2026, 12, 1, 17, 0, tzinfo=UTC),  # 00:00 WIB the day after
              fits.id: datetime(2026, 11, 23, 17, 0, tzinfo=UTC)}  # 00:00 WIB, 7 days before
    for order_id, when in placed.items():
        db.session.execute(update(Order).where(Order.id == order_id)
                           .values(created_at=when, unique_code=123))
    db.session.commit()

    statement = import_statement(store, bca_csv(ROWS[:1], with_year=True), {"preset": "bca"},
                                 filename="a.csv", actor="admin:a@t")

    (line,) = statement.lines
    assert (line.status, line.order_id) == (LineStatus.PROPOSED, fits.id)


def test_a_credit_keeps_its_row_under_the_header_and_a_refusal_names_the_file_line():
    credits = read_credits(bca_csv(ROWS), {"preset": "bca"}, today=TODAY)
    assert [c.line_number for c in credits] == [1, 3]  # row 2 is the debit

    data = b"Laporan\nTanggal,Keterangan,Jumlah\n01/12/2026,A,1000\n02/12/2026,B,enam\n"
    with pytest.raises(InvalidInput, match="Baris 4:"):
        read_credits(data, {"preset": "custom", "date": "Tanggal", "description": "2",
                            "amount": "3"}, today=TODAY)
