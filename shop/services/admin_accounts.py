"""User management by a super admin, on top of shop.services.admin_users: a new account
never overwrites an existing one, an `admin` manages at least one store, and nobody locks
themselves out (demotes or disables their own account)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..errors import DuplicateValue, InvalidInput, NotAllowed
from ..extensions import db
from ..models import AdminRole, AdminUser, Store
from .admin_users import (
    clean_admin_email,
    clean_password,
    clean_role,
    save_admin,
    set_admin_active,
    set_password,
)


def stores_by_ids(ids: Iterable) -> list[Store]:
    """The stores with these ids, in the given order. Raises InvalidInput for unknown ids."""
    wanted = []
    for raw in ids or []:
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 10):
            raise InvalidInput("Toko tidak valid.", fields={"stores": "Pilih dari daftar."})
        if int(text) not in wanted:
            wanted.append(int(text))
    found = {s.id: s for s in db.session.scalars(select(Store).where(Store.id.in_(wanted)))}
    if len(found) != len(wanted):
        raise InvalidInput("Toko tidak ditemukan.", fields={"stores": "Pilih dari daftar."})
    return [found[i] for i in wanted]


def _check_stores(role: AdminRole, stores: list[Store]) -> None:
    if role == AdminRole.ADMIN and not stores:
        raise InvalidInput("Admin harus mengelola minimal satu toko.",
                           fields={"stores": "Pilih minimal satu toko."})


def create_admin(email, *, name, role, stores: list[Store], password) -> AdminUser:
    """A new back-office account. Raises InvalidInput or DuplicateValue (email taken)."""
    address = clean_admin_email(email)
    role = clean_role(role)
    clean_password(password)
    _check_stores(role, stores)
    if db.session.scalar(select(AdminUser.id).where(AdminUser.email == address)) is not None:
        raise DuplicateValue("Email ini sudah dipakai akun lain.",
                             fields={"email": "Sudah dipakai akun lain."})
    user, _ = save_admin(address, password=password, role=role, stores=stores, name=name)
    return user


def update_admin(user: AdminUser, *, name, role, stores: list[Store], by: AdminUser
                 ) -> AdminUser:
    """Change an account's name, role and stores (a super admin cannot demote itself).
    Raises InvalidInput or NotAllowed."""
    role = clean_role(role)
    if user.id == by.id and role != AdminRole.SUPER_ADMIN:
        raise NotAllowed("Anda tidak bisa menurunkan peran akun Anda sendiri.")
    _check_stores(role, stores)
    if not (isinstance(name, str) and name.strip()):
        raise InvalidInput("Nama wajib diisi.", fields={"name": "Wajib diisi."})
    save_admin(user.email, password=None, role=role, stores=stores, name=name)
    return user


def reset_password(user: AdminUser, password) -> AdminUser:
    """A new password chosen by the super admin; the account's sessions end. Raises
    InvalidInput."""
    set_password(user, password)
    db.session.flush()
    return user


def change_active(user: AdminUser, active: bool, *, by: AdminUser) -> AdminUser:
    """Enable or disable an account (disabling ends its sessions at once; nobody disables
    their own account). Raises NotAllowed."""
    if user.id == by.id and not active:
        raise NotAllowed("Anda tidak bisa menonaktifkan akun Anda sendiri.")
    set_admin_active(user, active)
    return user
