"""Customers of a store: the upsert done by checkout and small lookups."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from ..errors import CustomerBlocked, InvalidInput, NotFound
from ..extensions import db
from ..models import Customer, CustomerStatus, Store
from ..template_i18n import gettext as _
from .addresses import AddressParts
from .sql import upsert
from .validation import check_characters

MAX_NAME = 255
MAX_EMAIL = 255


@dataclass(frozen=True)
class CustomerSummary:
    """What checkout tells the shopper about the customer record it used."""

    id: int
    name: str
    phone: str
    total_orders: int
    #: The opaque id a public answer may show (never the sequential one).
    public_id: str = ""


def clean_name(raw: str | None, *, field: str = "name") -> str:
    """A trimmed, required one-line name of sane length. Raises InvalidInput."""
    name = " ".join(check_characters(raw or "", field=field, label=_("Nama")).split())
    if not name:
        raise InvalidInput(_("Nama wajib diisi."), fields={field: _("Wajib diisi.")})
    if len(name) > MAX_NAME:
        raise InvalidInput(_("Nama terlalu panjang."),
                           fields={field: _("Maksimal %(limit)s huruf.", limit=MAX_NAME)})
    return name


def clean_email(raw: str | None, *, field: str = "email") -> str | None:
    """A valid email address in lower case, or None when empty. Raises InvalidInput."""
    text = check_characters(raw or "", field=field, label=_("Email")).strip()
    if not text:
        return None
    normalized = _normalized_email(text) if len(text) <= 4 * MAX_EMAIL else None
    if normalized is None:
        raise InvalidInput(_("Email tidak valid."), fields={field: _("Email tidak valid.")})
    if len(normalized) > MAX_EMAIL:
        raise InvalidInput(_("Email terlalu panjang."),
                           fields={field: _("Email terlalu panjang.")})
    return normalized.lower()


@functools.lru_cache(maxsize=4096)
def _normalized_email(text: str) -> str | None:
    """email-validator's normal form of an address, or None if it is not one; kept per text
    (a form's validator and the checkout both read it, ~50 us each)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


_UPSERTS: dict[str, object] = {}
#: The customer's address as the last checkout with an address gave it.
ADDRESS_COLUMNS = ("address", "district", "city", "province", "postal_code")


def _checkout_upsert():
    """The checkout's customer upsert for the session's dialect, built once."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in _UPSERTS:
        table = Customer.__table__
        stmt = upsert(Customer)
        _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["store_id", "phone"],
            set_={
                "name": stmt.excluded.name,
                # An order without an address (a WhatsApp !order) keeps the known one; an
                # address replaces every part, so no part of an old one stays beside it.
                **{column: case((stmt.excluded.address.is_(None), table.c[column]),
                                else_=stmt.excluded[column])
                   for column in ADDRESS_COLUMNS},
                "email": func.coalesce(stmt.excluded.email, table.c.email),
                "total_orders": table.c.total_orders + 1,
                "last_visit": stmt.excluded.last_visit,
                "updated_at": stmt.excluded.updated_at,
                "is_active": True,
            },
            where=table.c.status != CustomerStatus.BLOCKED.value,
        ).returning(table.c.id, table.c.name, table.c.phone, table.c.total_orders,
                    table.c.public_id)
    return _UPSERTS[dialect]


def upsert_checkout_customer(
    store: Store, *, name: str, phone: str, address: str | None, email: str | None,
    now: datetime, parts: AddressParts | None = None,
) -> CustomerSummary:
    """Create the customer or refresh the known one, and count the order. Raises CustomerBlocked.

    One statement: concurrent checkouts of a new number meet on the unique (store, phone)
    and end up with one row; the row stays locked until commit.
    """
    row = db.session.connection().execute(_checkout_upsert(), {
        "store_id": store.id, "name": name, "phone": phone, "address": address, "email": email,
        "district": parts and parts.district, "city": parts and parts.city,
        "province": parts and parts.province, "postal_code": parts and parts.postal_code,
        "total_orders": 1, "last_visit": now, "created_at": now, "updated_at": now,
    }).one_or_none()
    if row is None:
        raise CustomerBlocked(
            _("Nomor ini tidak dapat memesan di toko ini. Silakan hubungi toko."),
            fields={"phone": _("Nomor diblokir oleh toko.")},
        )
    return CustomerSummary(id=row.id, name=row.name, phone=row.phone,
                           total_orders=row.total_orders, public_id=row.public_id)


def find_customer_by_phone(store: Store, phone: str) -> Customer | None:
    """The store's customer with this normalized phone, if any."""
    return db.session.execute(
        select(Customer).where(Customer.store_id == store.id, Customer.phone == phone)
    ).scalar_one_or_none()


def get_store_customer(store_id: int, customer_id: int) -> Customer:
    """A customer of the given store. Raises NotFound."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.store_id != store_id:
        raise NotFound(_("Pelanggan tidak ditemukan."))
    return customer
