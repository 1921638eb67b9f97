"""Products to and from CSV: the export the back office downloads, and the import that reads
it back (a round trip changes nothing), with a report of every row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from ..errors import InvalidInput, ShopError
from ..extensions import db
from ..models import Product, Store
from .catalog import adjust_stock, clean_product, clean_stock, save_product
from .csv_export import FORMULA_STARTS

HEADER = ("store", "code", "name", "description", "category", "price", "stock",
          "low_stock_threshold", "is_active", "attributes")
REQUIRED = ("code", "name", "price")
MAX_ROWS = 10_000
TRUE_WORDS = {"1", "true", "ya", "yes", "y", "aktif"}
FALSE_WORDS = {"0", "false", "tidak", "no", "n", "nonaktif", ""}
IMPORT_REASON = "Impor CSV"


@dataclass
class ProductImportReport:
    """What an import did: counts, and every refused row with its line and reason."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)


def export_rows(products: Iterable[Product]) -> Iterable[list]:
    """One row per product, in HEADER's order (the caller neutralises the cells)."""
    products = list(products)
    slugs = dict(db.session.execute(select(Store.id, Store.slug).where(
        Store.id.in_({p.store_id for p in products}))).all()) if products else {}
    for p in products:
        yield [slugs[p.store_id], p.code, p.name, p.description or "", p.category or "",
               f"{p.price:f}", "" if p.stock is None else p.stock, p.low_stock_threshold,
               1 if p.is_active else 0,
               json.dumps(p.attributes or {}, ensure_ascii=False) if p.attributes else ""]


def import_product_file(store: Store, data: bytes, *, actor: str) -> ProductImportReport:
    """Import an uploaded CSV file (UTF-8) with import_products. Raises InvalidInput."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("File harus berupa CSV UTF-8.",
                           fields={"file": "Simpan ulang sebagai CSV UTF-8."}) from None
    if "\x00" in text:
        raise InvalidInput("File berisi karakter yang tidak diizinkan.",
                           fields={"file": "Bukan file CSV teks."})
    try:
        return import_products(store, text, actor=actor)
    except csv.Error as error:
        raise InvalidInput(f"File CSV tidak bisa dibaca: {error}.",
                           fields={"file": "Format CSV rusak."}) from None


def import_products(store: Store, csv_text: str, *, actor: str) -> ProductImportReport:
    """Create or update the store's products from CSV (columns of HEADER; code, name and
    price required, "store" ignored). A known code is updated; a stock column changes stock
    through adjust_stock with the reason "Impor CSV" (empty: not tracked). Raises
    InvalidInput when the file itself is unusable."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InvalidInput("Kolom CSV wajib: code, name, price (tidak ada: "
                           + ", ".join(missing) + ").")
    reader.fieldnames = header
    existing = {p.code: p for p in db.session.scalars(
        select(Product).where(Product.store_id == store.id))}
    report, seen = ProductImportReport(), {}
    for line_no, row in enumerate(reader, start=2):
        if line_no - 1 > MAX_ROWS:
            raise InvalidInput(f"Maksimal {MAX_ROWS} baris per impor.")
        cells = {name: _cell(row.get(name)) for name in HEADER if name in header}
        if not any(value.strip() for value in cells.values()):
            continue
        code = cells["code"].strip()
        if code in seen:
            report.rejected.append((line_no, f"kode {code} sudah ada di baris {seen[code]}"))
            continue
        seen[code] = line_no
        try:
            _import_row(store, existing, cells, actor, report)
        except ShopError as error:
            report.rejected.append((line_no, error.message))
    db.session.flush()
    return report


def _import_row(store: Store, existing: dict, cells: dict, actor: str,
                report: ProductImportReport) -> None:
    """Create or update one product in a savepoint, so a refused row leaves nothing."""
    values = _values(cells)
    product = existing.get(values["code"].strip())
    with db.session.begin_nested():
        if product is None:
            product = save_product(store, None, values, actor=actor,
                                   initial_stock=cells.get("stock"))
            existing[product.code] = product
            report.created += 1
            return
        changed = _differs(product, values)
        stock_changed = "stock" in cells and clean_stock(cells["stock"]) != product.stock
        if changed:
            save_product(store, product, values, actor=actor)
        if stock_changed:
            adjust_stock(product, cells["stock"], reason=IMPORT_REASON, actor=actor)
    if changed or stock_changed:
        report.updated += 1
    else:
        report.unchanged += 1


def _values(cells: dict) -> dict:
    values = {name: cells[name] for name in ("code", "name", "description", "category", "price",
                                              "low_stock_threshold") if name in cells}
    if "is_active" in cells:
        values["is_active"] = _flag(cells["is_active"])
    if "attributes" in cells:
        values["attributes"] = _attributes(cells["attributes"])
    return values


def _differs(product: Product, values: dict) -> bool:
    cleaned = clean_product(values)
    return any(getattr(product, name) != value for name, value in cleaned.items())


def _cell(value) -> str:
    """The cell's text, with the quote the export put before a formula-like cell removed."""
    text = value if isinstance(value, str) else ""
    if len(text) > 1 and text[0] == "'" and text[1] in "".join(FORMULA_STARTS):
        return text[1:]
    return text


def _flag(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidInput(f"is_active tidak valid: {text!r} (pakai 1 atau 0).")


def _attributes(text: str) -> dict:
    """Attributes as the export writes them: a JSON object of texts (empty: none)."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, str | int | float)
                                             and not isinstance(v, bool)
                                             for v in data.values()):
        raise InvalidInput('attributes harus objek JSON, mis. {"RAM": "1GB"}.')
    return {key: str(value) for key, value in data.items()}
