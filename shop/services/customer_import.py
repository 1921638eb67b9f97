"""Bulk import of a store's existing customers from CSV (name,phone,email,address)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select

from ..errors import InvalidInput
from ..extensions import db
from ..models import Customer, Store, utcnow
from .customers import clean_email, clean_name
from .phones import normalize_phone
from .validation import clean_text

COLUMNS = ("name", "phone", "email", "address")
MAX_ROWS = 50_000


@dataclass
class ImportReport:
    """What an import did: counts and every refused row with its reason."""

    created: int = 0
    merged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.merged + len(self.rejected)


def import_customers(store: Store, text: str) -> ImportReport:
    """Add the CSV's customers to the store, normalized and de-duplicated by phone.

    A known phone keeps its data and only gets blanks filled (the checkout data is newer).
    Raises InvalidInput when the file itself is unusable.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "name" not in header or "phone" not in header:
        raise InvalidInput("Header CSV harus: name,phone,email,address")
    reader.fieldnames = header
    existing = {
        c.phone: c for c in db.session.execute(
            select(Customer).where(Customer.store_id == store.id)).scalars()
    }
    report, seen = ImportReport(), {}
    now = utcnow()
    for line_no, row in enumerate(reader, start=2):
        if line_no - 1 > MAX_ROWS:
            raise InvalidInput(f"Maksimal {MAX_ROWS} baris per impor.")
        if not any((v or "").strip() for k, v in row.items() if k in COLUMNS):
            continue
        try:
            values = _clean_row(row)
        except InvalidInput as error:
            report.rejected.append((line_no, error.message))
            continue
        phone = values["phone"]
        if phone in seen:
            report.rejected.append((line_no, f"nomor {phone} sudah ada di baris {seen[phone]}"))
            continue
        seen[phone] = line_no
        customer = existing.get(phone)
        if customer is None:
            db.session.add(Customer(store_id=store.id, created_at=now, updated_at=now, **values))
            report.created += 1
        else:
            for name in ("email", "address"):
                if values[name] and not getattr(customer, name):
                    setattr(customer, name, values[name])
            report.merged += 1
    db.session.flush()
    return report


def _clean_row(row: dict) -> dict:
    try:
        name = clean_name(row.get("name"))
    except InvalidInput as error:
        raise InvalidInput(error.message.rstrip(".").lower()) from None
    try:
        phone = normalize_phone(row.get("phone"))
    except InvalidInput:
        raise InvalidInput(f"nomor HP tidak valid: {(row.get('phone') or '').strip()!r}") from None
    try:
        email = clean_email(row.get("email"))
    except InvalidInput:
        raise InvalidInput(f"email tidak valid: {(row.get('email') or '').strip()!r}") from None
    try:
        address = clean_text(row.get("address"), field="address", label="Alamat")
    except InvalidInput as error:
        raise InvalidInput(error.message.rstrip(".").lower()) from None
    return {"name": name, "phone": phone, "email": email, "address": address}
