"""One status change applied to many orders (seed 001's "batch operations for bulk updates"):
each order moves where its machine allows it, the others are reported with the reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import InvalidInput, ShopError
from ..extensions import db
from ..models import Order
from .order_status import change_status, clean_status_change

#: At most this many orders per bulk change (a list page holds at most 100).
MAX_BULK = 200


@dataclass
class BulkReport:
    """What a bulk change did: numbers moved, and (number, reason) of those refused."""

    status: str
    moved: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def bulk_transition(orders: Iterable[Order], status, *, actor: str, note: str | None = None,
                    base_url: str | None = None) -> BulkReport:
    """Move each order to `status` in its own savepoint, so one refusal keeps the others.
    Raises InvalidInput or TransitionRefused (bad target, missing reason) before any change."""
    target, text = clean_status_change(status, note)
    orders = list(orders)
    if not orders:
        raise InvalidInput("Pilih minimal satu pesanan.", fields={"ids": "Belum ada yang dipilih."})
    if len(orders) > MAX_BULK:
        raise InvalidInput(f"Maksimal {MAX_BULK} pesanan sekaligus.")
    report = BulkReport(target.value)
    for order in sorted(orders, key=lambda o: o.id):  # one lock order for parallel bulks
        try:
            with db.session.begin_nested():
                change_status(order, target, actor=actor, note=text, base_url=base_url)
        except ShopError as error:
            db.session.expire(order)
            report.refused.append((order.number, error.message))
        else:
            report.moved.append(order.number)
    return report
