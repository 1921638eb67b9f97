"""Sample mutation exports of BCA, Mandiri and BRI internet banking, in their own layouts
(see shop/services/statement_files.py for what each is based on), built from
(date, description, amount, "CR" or "DB") rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal


def _en(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _id(amount: Decimal) -> str:
    return _en(amount).replace(",", "_").replace(".", ",").replace("_", ".")


def bca_csv(rows, *, with_year: bool = False, one_cell: bool = False) -> bytes:
    """KlikBCA: account lines, the table (date '01/12, CR/DB after Jumlah), totals."""
    out = ["No. rekening : 8800112233", "Nama : TOKO MAJU", "Periode : 01/12/2026 - 07/12/2026",
           "Kode Mata Uang : IDR", ""]
    out.append("Tanggal Transaksi,Keterangan,Cabang,Jumlah,,Saldo")
    balance = Decimal("1000000")
    for day, text, amount, kind in rows:
        balance += amount if kind == "CR" else -amount
        shown = f"'{day:%d/%m/%Y}" if with_year else f"'{day:%d/%m}"
        money = f'"{_en(amount)} {kind}",' if one_cell else f'"{_en(amount)}",{kind}'
        out.append(f'{shown},{text},\'0998,{money},"{_en(balance)}"')
    out.append('PEND,TRSF E-BANKING CR 0712/FTSCY/WS95051 99000.00 PENDING,\'0000,'
               '"99,000.00",CR,')
    out += ['Saldo Awal,=,"1,000,000.00"', 'Mutasi Kredit,=,"0.00",0',
            'Mutasi Debet,=,"0.00",0', f'Saldo Akhir,=,"{_en(balance)}"']
    return ("\r\n".join(out) + "\r\n").encode()


def mandiri_csv(rows) -> bytes:
    """Livin' by Mandiri: Tgl., Tgl. Val., Rincian Transaksi, ..., Debit, Kredit, Saldo with
    Indonesian numbers, separated by semicolons."""
    out = ["Tgl.;Tgl. Val.;Rincian Transaksi;No. Referensi;Debit;Kredit;Saldo"]
    for n, (day, text, amount, kind) in enumerate(rows):
        debit, credit = (_id(amount), "0,00") if kind == "DB" else ("0,00", _id(amount))
        out.append(f"{day:%d/%m/%Y};{day:%d/%m/%Y};{text};REF{n:05d};{debit};{credit};0,00")
    return ("\n".join(out) + "\n").encode()


def mandiri_mcm_csv(rows) -> bytes:
    """Mandiri Cash Management: two description columns, English numbers."""
    out = ["Account No,Date,Val. Date,Transaction Code,Description,Description,"
           "Reference No.,Debit,Credit"]
    for day, text, amount, kind in rows:
        first, _sep, second = text.partition(" / ")
        debit, credit = (_en(amount), ".00") if kind == "DB" else (".00", _en(amount))
        out.append(f'1230009876543,{day:%d/%m/%y},{day:%d/%m/%y},7001,{first},{second},,'
                   f'"{debit}","{credit}"')
    return ("\n".join(out) + "\n").encode()


def bri_csv(rows) -> bytes:
    """Internet Banking BRI: Tanggal Transaksi (with the time), Uraian Transaksi, Teller,
    Debet, Kredit, Saldo."""
    out = ["Tanggal Transaksi,Uraian Transaksi,Teller,Debet,Kredit,Saldo"]
    for day, text, amount, kind in rows:
        debit, credit = (f"{amount:.2f}", "0.00") if kind == "DB" else ("0.00", f"{amount:.2f}")
        out.append(f"{day:%d/%m/%y} 10:15:32,{text},8888,{debit},{credit},0.00")
    return ("\n".join(out) + "\n").encode()


DAY = date(2026, 12, 1)
#: A statement day: two credits, a debit.
ROWS = [
    (DAY, "TRSF E-BANKING CR 0112/FTSCY/WS95031 65123.00 BUDI SANTOSO", Decimal("65123"), "CR"),
    (DAY, "BYR VIA E-BANKING LISTRIK", Decimal("250000"), "DB"),
    (date(2026, 12, 2), "TRSF E-BANKING CR 0212/FTSCY/WS95032 / SITI AMINAH",
     Decimal("40150.50"), "CR"),
]
