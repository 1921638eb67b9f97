"""Dealer shops (toko) of a distributor store and its sales staff (seed 004): a shop has one
salesman, a salesman may have a supervisor (spv) of the same store."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..errors import DuplicateValue, InvalidInput, NotAllowed
from ..extensions import db
from ..models import SalesStaff, Shop, StaffPosition, Store
from .dealer_prices import clean_discount_percent
from .phones import normalize_phone
from .validation import clean_text

SHOP_CODE = re.compile(r"TK[0-9]{3,10}")
MAX_REF = 2**31 - 1
SHOP_FIELDS = ("code", "name", "phone", "address", "city", "province", "ref_toko_id",
               "salesman_id", "discount_percent", "is_active")
STAFF_FIELDS = ("name", "phone", "position", "supervisor_id", "ref_salesman_id", "is_active")


def clean_shop_code(raw) -> str:
    """TK and 3 to 10 digits (TK001), upper case. Raises InvalidInput."""
    code = (clean_text(raw, field="code", label="Kode toko", required=True, limit=20,
                       multiline=False) or "").upper()
    if not SHOP_CODE.fullmatch(code):
        raise InvalidInput("Kode toko harus TK diikuti angka, mis. TK001.",
                           fields={"code": "TK diikuti 3-10 angka, mis. TK001."})
    return code


def clean_ref(raw, *, field: str, label: str = "Id toko lama") -> int | None:
    """An optional positive id (empty: none). Raises InvalidInput."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_REF):
        raise InvalidInput(f"{label} harus angka positif.", fields={field: "Angka positif."})
    return int(text)


def _staff_id(raw, field: str) -> int | None:
    """An optional staff id from a form (empty: none)."""
    return clean_ref(raw, field=field, label="Pilihan staf")


def _optional_phone(raw) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return normalize_phone(raw, field="phone")


def _one_line(raw, field: str, label: str, limit: int, required: bool = False):
    return clean_text(raw, field=field, label=label, required=required, limit=limit,
                      multiline=False)


def save_shop(store: Store, shop: Shop | None, values: dict) -> Shop:
    """Create a dealer shop of the store or update one: code TK + digits and phone unique,
    the salesman a `sales` of the same store. Raises InvalidInput or DuplicateValue."""
    if shop is not None and shop.store_id != store.id:
        raise NotAllowed("Toko dealer ini milik toko lain.")
    if shop is None:
        for name in ("code", "name", "phone"):
            values.setdefault(name, None)
    cleaned = _clean_shop(values)
    _check_shop_unique(cleaned, shop)
    if "salesman_id" in cleaned and cleaned["salesman_id"] is not None:
        _check_salesman(store, cleaned["salesman_id"])
    if shop is None:
        shop = Shop(store_id=store.id)
        db.session.add(shop)
    for name, value in cleaned.items():
        setattr(shop, name, value)
    _flush_unique(DuplicateValue("Kode atau nomor toko sudah dipakai.",
                                 fields={"code": "Periksa kode.", "phone": "Periksa nomor."}))
    if cleaned.get("is_active") is False:
        from .otp import end_shop_sessions  # otp reads shop codes from here

        end_shop_sessions(shop.id)  # a disabled shop is signed out everywhere
    return shop


def _clean_shop(values: dict) -> dict:
    cleaners = {
        "code": clean_shop_code,
        "name": lambda v: _one_line(v, "name", "Nama toko", 100, required=True),
        "phone": lambda v: normalize_phone(v, field="phone"),
        "address": lambda v: clean_text(v, field="address", label="Alamat"),
        "city": lambda v: _one_line(v, "city", "Kota", 50),
        "province": lambda v: _one_line(v, "province", "Provinsi", 50),
        "ref_toko_id": lambda v: clean_ref(v, field="ref_toko_id"),
        "salesman_id": lambda v: _staff_id(v, "salesman_id"),
        "discount_percent": clean_discount_percent,
        "is_active": bool,
    }
    return {name: cleaners[name](values[name]) for name in SHOP_FIELDS if name in values}


def _check_shop_unique(cleaned: dict, shop: Shop | None) -> None:
    for name, message in (("code", "Kode toko sudah dipakai."),
                          ("phone", "Nomor ini sudah dipakai toko lain.")):
        if name not in cleaned:
            continue
        taken = select(Shop.id).where(getattr(Shop, name) == cleaned[name])
        if shop is not None and shop.id is not None:
            taken = taken.where(Shop.id != shop.id)
        if db.session.scalar(taken) is not None:
            raise DuplicateValue(message, fields={name: message})


def _check_salesman(store: Store, staff_id: int) -> None:
    staff = db.session.get(SalesStaff, staff_id)
    if staff is None or staff.store_id != store.id:
        raise InvalidInput("Salesman tidak ditemukan di toko ini.",
                           fields={"salesman_id": "Pilih salesman toko ini."})
    if staff.position != StaffPosition.SALES:
        raise InvalidInput(f"{staff.name} bukan salesman (jabatan spv).",
                           fields={"salesman_id": "Pilih staf berjabatan sales."})


def _flush_unique(error: DuplicateValue) -> None:
    """Flush in a savepoint: a value taken meanwhile is the given DuplicateValue."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise error from None


def delete_shop(shop: Shop) -> None:
    """Remove a dealer shop, its sessions ended first."""
    from .otp import end_shop_sessions

    end_shop_sessions(shop.id)
    db.session.delete(shop)
    db.session.flush()


# --- sales staff ---------------------------------------------------------------------------


def save_sales_staff(store: Store, staff: SalesStaff | None, values: dict) -> SalesStaff:
    """Create a salesman or supervisor of the store or update one. Only a salesman has a
    supervisor, an spv of the same store (never itself); an spv who supervises salesmen, or
    a salesman who serves shops, keeps the position. Raises InvalidInput."""
    if staff is not None and staff.store_id != store.id:
        raise NotAllowed("Staf ini milik toko lain.")
    if staff is None:
        values.setdefault("name", None)
        values.setdefault("position", StaffPosition.SALES.value)
    cleaned = _clean_staff(values)
    position = cleaned.get("position", staff.position if staff else StaffPosition.SALES)
    supervisor_id = cleaned.get("supervisor_id", staff.supervisor_id if staff else None)
    if supervisor_id is not None:
        _check_supervisor(store, staff, position, supervisor_id)
    if staff is not None and position != staff.position:
        _check_position_change(staff, position)
    if staff is None:
        staff = SalesStaff(store_id=store.id)
        db.session.add(staff)
    for name, value in cleaned.items():
        setattr(staff, name, value)
    db.session.flush()
    return staff


def _clean_staff(values: dict) -> dict:
    cleaners = {
        "name": lambda v: _one_line(v, "name", "Nama", 100, required=True),
        "phone": _optional_phone,
        "position": _clean_position,
        "supervisor_id": lambda v: _staff_id(v, "supervisor_id"),
        "ref_salesman_id": lambda v: clean_ref(v, field="ref_salesman_id",
                                               label="Id salesman lama"),
        "is_active": bool,
    }
    return {name: cleaners[name](values[name]) for name in STAFF_FIELDS if name in values}


def _clean_position(raw) -> StaffPosition:
    try:
        return StaffPosition(raw)
    except ValueError:
        raise InvalidInput("Jabatan harus sales atau spv.",
                           fields={"position": "sales atau spv."}) from None


def _check_supervisor(store: Store, staff: SalesStaff | None, position: StaffPosition,
                      supervisor_id: int) -> None:
    if position != StaffPosition.SALES:
        raise _supervisor_error("Hanya sales yang punya supervisor.")
    if staff is not None and supervisor_id == staff.id:
        raise _supervisor_error("Supervisor tidak boleh dirinya sendiri.")
    supervisor = db.session.get(SalesStaff, supervisor_id)
    if supervisor is None or supervisor.store_id != store.id:
        raise _supervisor_error("Supervisor tidak ditemukan di toko ini.")
    if supervisor.position != StaffPosition.SUPERVISOR:
        raise _supervisor_error(f"{supervisor.name} bukan spv.")


def _supervisor_error(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"supervisor_id": message})


def _check_position_change(staff: SalesStaff, position: StaffPosition) -> None:
    if position == StaffPosition.SALES:
        count = db.session.scalar(select(func.count()).where(SalesStaff.supervisor_id == staff.id))
        if count:
            raise InvalidInput(f"{staff.name} masih supervisor dari {count} sales; pindahkan "
                               "dulu sales-nya.", fields={"position": "Masih punya bawahan."})
    else:
        count = db.session.scalar(select(func.count()).where(Shop.salesman_id == staff.id))
        if count:
            raise InvalidInput(f"{staff.name} masih salesman dari {count} toko; pindahkan "
                               "dulu tokonya.", fields={"position": "Masih memegang toko."})


def delete_sales_staff(staff: SalesStaff) -> None:
    """Remove a staff member who serves no shop and supervises nobody. Raises InvalidInput."""
    shops = db.session.scalar(select(func.count()).where(Shop.salesman_id == staff.id))
    team = db.session.scalar(select(func.count()).where(SalesStaff.supervisor_id == staff.id))
    if shops or team:
        raise InvalidInput(f"{staff.name} masih memegang {shops} toko dan {team} sales; "
                           "pindahkan dulu, atau nonaktifkan saja.")
    db.session.delete(staff)
    db.session.flush()


def staff_choices(store_ids, position: StaffPosition) -> list[SalesStaff]:
    """Staff of these stores (None: every store) in one position, by name, for a form."""
    query = select(SalesStaff).where(SalesStaff.position == position)
    if store_ids is not None:
        query = query.where(SalesStaff.store_id.in_(sorted(store_ids)))
    return list(db.session.scalars(query.order_by(SalesStaff.name, SalesStaff.id)))
