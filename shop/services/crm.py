"""The CRM of seed 003: customers created, edited and soft-deleted by admins, and the
filtered, searched customer lists of the back office and its JSON API."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..errors import DuplicateValue, InvalidInput, NotFound
from ..extensions import db
from ..models import (
    Customer,
    CustomerStatus,
    CustomerType,
    MembershipLevel,
    Order,
    OrderStatus,
    Store,
)
from .access import Scope
from .customer_fields import EDITABLE, READ_ONLY, clean_customer_values, parse_choice
from .customer_import import ImportReport, import_customers
from .order_edits import edit_order
from .stats import LEVEL_DISCOUNTS
from .validation import check_characters

#: Orders not shipped yet: a new customer address still reaches them.
UNSHIPPED = (OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PROCESSING)
MAX_PAGE_SIZE = 100


@dataclass
class CustomerUpdate:
    """What an update did: the fields changed ([old, new]) and the orders given the address."""

    customer: Customer
    changed: dict[str, list] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)


def create_customer(store: Store, values: dict, *, now: datetime) -> Customer:
    """Add a customer to the store; stats start at zero. Raises InvalidInput, DuplicateValue."""
    _refuse_fields(values)
    values = _without_blank_discount(values)
    clean = clean_customer_values(values, required=("name", "phone"), today=now.date())
    _check_unique(store.id, phone=clean["phone"], email=clean.get("email"))
    if "membership_level" in clean and "discount" not in clean:
        clean["discount"] = LEVEL_DISCOUNTS[clean["membership_level"]]
    customer = Customer(store_id=store.id, created_at=now, updated_at=now, **clean)
    db.session.add(customer)
    _flush_unique(customer.phone)
    return customer


def update_customer(customer: Customer, changes: dict, *, actor: str,
                    now: datetime) -> CustomerUpdate:
    """Change a customer's fields; a new address is copied to its unshipped orders.
    Raises InvalidInput, DuplicateValue, StaleChange."""
    _refuse_fields(changes)
    changes = _without_blank_discount(changes)
    # Locked like checkout's upsert locks it (no key change: order edits may key-share it).
    db.session.execute(select(Customer).where(Customer.id == customer.id)
                       .with_for_update(key_share=True)
                       .execution_options(populate_existing=True)).scalar_one()
    clean = clean_customer_values(changes, today=now.date())
    if "membership_level" in clean and "discount" not in clean \
            and clean["membership_level"] != customer.membership_level:
        clean["discount"] = LEVEL_DISCOUNTS[clean["membership_level"]]
    changed = {name: [getattr(customer, name), value] for name, value in clean.items()
               if getattr(customer, name) != value}
    # Only a changed phone or email is checked: checkout may have left two customers with
    # one email, and an unrelated edit of one of them must still go through.
    _check_unique(customer.store_id, phone=clean.get("phone") if "phone" in changed else None,
                  email=clean.get("email") if "email" in changed else None,
                  exclude=customer.id)
    result = CustomerUpdate(customer, changed)
    if not changed:
        return result
    for name, (_, value) in changed.items():
        setattr(customer, name, value)
    customer.updated_at = now
    _flush_unique(customer.phone)
    if "address" in changed and customer.address:
        result.orders = copy_address_to_orders(customer, actor=actor)
    return result


def copy_address_to_orders(customer: Customer, *, actor: str) -> list[Order]:
    """Give the customer's address to its orders not shipped yet (each edit an event).
    Raises InvalidInput, StaleChange."""
    orders = db.session.execute(
        select(Order).where(Order.customer_id == customer.id,
                            Order.store_id == customer.store_id,
                            Order.status.in_(UNSHIPPED))
        .order_by(Order.id)  # one lock order for every writer of these rows
    ).scalars().all()
    changed = []
    for order in orders:
        if order.shipping_address != customer.address:
            edit_order(order, {"shipping_address": customer.address}, actor=actor)
            changed.append(order)
    return changed


def delete_customer(customer: Customer, *, now: datetime) -> Customer:
    """Seed 003's soft delete: is_active False and status inactive. A blocked customer stays
    blocked: deleting must not let a blocked number order again."""
    customer.is_active = False
    if customer.status != CustomerStatus.BLOCKED:
        customer.status = CustomerStatus.INACTIVE
    customer.updated_at = now
    db.session.flush()
    return customer


def restore_customer(customer: Customer, *, now: datetime) -> Customer:
    """Undo a soft delete: active again (a blocked customer stays blocked)."""
    customer.is_active = True
    if customer.status == CustomerStatus.INACTIVE:
        customer.status = CustomerStatus.ACTIVE
    customer.updated_at = now
    db.session.flush()
    return customer


def _without_blank_discount(values: dict) -> dict:
    """An empty discount means "the level's": the tier's on creation or a level change."""
    return {name: value for name, value in values.items()
            if not (name == "discount" and value in (None, ""))}


def _refuse_fields(values: dict) -> None:
    """Stats, ids and the store cannot be written; unknown names are refused too.
    Raises InvalidInput."""
    if not isinstance(values, dict):
        raise InvalidInput("Data pelanggan tidak valid.")
    refused = sorted(set(values) & READ_ONLY)
    unknown = sorted(set(values) - READ_ONLY - EDITABLE)
    if refused or unknown:
        raise InvalidInput(
            "Tidak bisa diubah: " + ", ".join(refused + unknown) + ".",
            fields={**{n: "Tidak bisa diubah." for n in refused},
                    **{n: "Kolom tidak dikenal." for n in unknown}})


def _check_unique(store_id: int, *, phone: str | None, email: str | None,
                  exclude: int | None = None) -> None:
    """Refuse a phone or email another customer of the store has. Raises DuplicateValue."""
    errors = {}
    for name, value in (("phone", phone), ("email", email)):
        if value is None:
            continue
        column = getattr(Customer, name)
        query = select(Customer.name).where(Customer.store_id == store_id, column == value)
        if exclude is not None:
            query = query.where(Customer.id != exclude)
        other = db.session.execute(query.limit(1)).scalar_one_or_none()
        if other is not None:
            label = "Nomor HP" if name == "phone" else "Email"
            errors[name] = f"{label} sudah dipakai pelanggan lain ({other})."
    if errors:
        raise DuplicateValue(" ".join(errors.values()), fields=errors)


def _flush_unique(phone: str) -> None:
    """Flush; a phone taken meanwhile by a concurrent checkout is a DuplicateValue."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        message = "Nomor HP sudah dipakai pelanggan lain."
        raise DuplicateValue(message, fields={"phone": message}) from None


# --- lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerFilters:
    """The list's filters, parsed: None means "any"."""

    search: str | None = None
    type: CustomerType | None = None
    status: CustomerStatus | None = None
    membership_level: MembershipLevel | None = None
    store_id: int | None = None
    include_deleted: bool = False


@dataclass(frozen=True)
class CustomerPage:
    customers: list[Customer]
    total: int
    page: int
    limit: int

    @property
    def total_pages(self) -> int:
        return (self.total + self.limit - 1) // self.limit


def parse_filters(*, search=None, type=None, status=None, membership_level=None,
                  store_id: int | None = None, include_deleted: bool = False) -> CustomerFilters:
    """Filters from text (a query string). Raises InvalidInput."""
    if search is not None and not isinstance(search, str):
        raise InvalidInput("Pencarian tidak valid.", fields={"search": "Harus berupa teks."})
    check_characters(search or "", field="search", label="Pencarian")
    return CustomerFilters(
        search=(search or "").strip()[:100] or None,
        type=parse_choice(CustomerType, type, "type", "Tipe"),
        status=parse_choice(CustomerStatus, status, "status", "Status"),
        membership_level=parse_choice(MembershipLevel, membership_level, "membership_level",
                                      "Level"),
        store_id=store_id, include_deleted=include_deleted)


def customer_conditions(scope: Scope, filters: CustomerFilters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a customer list: the admin's stores, then the filters."""
    conditions = [scope.where(Customer.store_id)]
    if not filters.include_deleted:
        conditions.append(Customer.is_active.is_(True))
    for name in ("type", "status", "membership_level", "store_id"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(Customer, name) == value)
    if filters.search:
        conditions.append(search_condition(filters.search))
    return conditions


def search_condition(text: str) -> ColumnElement[bool]:
    """Name or email containing the text, or a phone matching it however it was written
    (0812-3456-7890, +62 812..., 62812...) or a run of its digits."""
    text = text.strip()
    options = [Customer.name.icontains(text, autoescape=True),
               Customer.email.icontains(text, autoescape=True)]
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if len(digits) >= 4:
        options.append(Customer.phone.contains(digits, autoescape=True))
        if digits.startswith("0"):  # local form: 0812... is stored as 62812...
            options.append(Customer.phone.startswith("62" + digits[1:], autoescape=True))
    return or_(*options)


def list_customers(scope: Scope, filters: CustomerFilters, *, page: int = 1,
                   limit: int = 10) -> CustomerPage:
    """One page of the admin's customers, newest first, with the total count."""
    if page < 1 or not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput("Halaman tidak valid.", fields={
            "page" if page < 1 else "limit": f"page >= 1, limit 1-{MAX_PAGE_SIZE}."})
    where = and_(*customer_conditions(scope, filters))
    total = db.session.execute(select(func.count()).select_from(Customer).where(where)).scalar()
    customers = db.session.execute(
        select(Customer).where(where).order_by(Customer.id.desc())
        .limit(limit).offset((page - 1) * limit)
    ).scalars().all()
    return CustomerPage(list(customers), total, page, limit)


# --- lookups in the admin's scope -----------------------------------------------------------

MAX_ID = 2**31 - 1  # an INTEGER column: a bigger id cannot exist (PostgreSQL would refuse it)


def get_customer(scope: Scope, customer_id: int) -> Customer:
    """A customer of the admin's stores; another store's reads as missing. Raises NotFound."""
    customer = db.session.get(Customer, customer_id) if 0 < customer_id <= MAX_ID else None
    if customer is None or not scope.allows(customer.store_id):
        raise NotFound("Pelanggan tidak ditemukan.")
    return customer


def scope_stores(scope: Scope) -> list[Store]:
    """The stores the admin manages (every store for a super admin), by name."""
    return list(db.session.execute(
        select(Store).where(scope.where(Store.id)).order_by(Store.name, Store.id)).scalars())


def choose_store(scope: Scope, ref, *, field: str = "store_id") -> Store:
    """The admin's store named by id or slug, or its only store when none is named.
    Raises InvalidInput, NotFound."""
    if ref is None or ref == "":
        stores = scope_stores(scope)
        if len(stores) == 1:
            return stores[0]
        raise InvalidInput("Pilih toko.", fields={field: "Wajib diisi (id atau slug toko)."})
    if isinstance(ref, bool) or not isinstance(ref, int | str):
        raise InvalidInput("Toko tidak valid.", fields={field: "Id atau slug toko."})
    text = check_characters(str(ref), field=field, label="Toko").strip()
    if text.isascii() and text.isdigit() and len(text) <= 10:
        store = db.session.get(Store, int(text)) if int(text) <= MAX_ID else None
    else:
        store = db.session.execute(
            select(Store).where(Store.slug == text[:64])).scalar_one_or_none()
    if store is None or not scope.allows(store.id):
        raise NotFound("Toko tidak ditemukan.", fields={field: "Toko tidak ditemukan."})
    return store


def import_customer_file(store: Store, data: bytes) -> ImportReport:
    """Import an uploaded CSV file (UTF-8) with the command line's import_customers.
    Raises InvalidInput."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("File harus berupa CSV UTF-8.",
                           fields={"file": "Simpan ulang sebagai CSV UTF-8."}) from None
    if "\x00" in text:
        raise InvalidInput("File berisi karakter yang tidak diizinkan.",
                           fields={"file": "Bukan file CSV teks."})
    try:
        return import_customers(store, text)
    except csv.Error as error:
        raise InvalidInput(f"File CSV tidak bisa dibaca: {error}.",
                           fields={"file": "Format CSV rusak."}) from None
