"""Which stores an admin may see and change: a super admin every store, an admin its own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, true

from ..errors import NotAllowed, NotFound
from ..models import AdminUser


@dataclass(frozen=True)
class Scope:
    """The stores one admin manages; `store_ids` is None for every store (super admin)."""

    store_ids: frozenset[int] | None
    super_admin: bool
    actor: str

    def allows(self, store_id: int | None) -> bool:
        """Whether rows of this store are visible to the admin."""
        return self.store_ids is None or store_id in self.store_ids

    def check(self, store_id: int | None, what: str = "Data") -> None:
        """Refuse a row of another store as if it did not exist. Raises NotFound."""
        if not self.allows(store_id):
            raise NotFound(f"{what} tidak ditemukan.")

    def where(self, store_column):
        """A WHERE clause keeping only rows of the admin's stores."""
        if self.store_ids is None:
            return true()
        if not self.store_ids:
            return false()
        return store_column.in_(sorted(self.store_ids))

    def require_super_admin(self) -> None:
        """Raises NotAllowed unless the admin is a super admin."""
        if not self.super_admin:
            raise NotAllowed("Hanya super admin yang boleh melakukan ini.")


def scope_of(user: AdminUser) -> Scope:
    """The scope of a signed-in admin."""
    actor = f"admin:{user.email}"
    if user.is_super_admin():
        return Scope(None, True, actor)
    return Scope(frozenset(store.id for store in user.stores), False, actor)
