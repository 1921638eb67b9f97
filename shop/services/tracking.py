"""What the public tracking page shows: the order, its items and its timeline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..errors import NotFound
from ..extensions import db
from ..models import Order, OrderEvent, OrderItem, OrderStatus, Store
from .labels import ORDER_STATUS_LABELS

ORDER_ID = re.compile(r"^c[0-9a-z]{25}$")

#: The path every order walks; optional steps are shown only once they happened.
TIMELINE = (
    (OrderStatus.PENDING, "Pesanan Dibuat", False),
    (OrderStatus.CONFIRMED, "Dikonfirmasi", True),
    (OrderStatus.PROCESSING, "Sedang Diproses", False),
    (OrderStatus.SHIPPED, "Sedang Dikirim", False),
    (OrderStatus.DELIVERED, "Sudah Diterima", True),
    (OrderStatus.COMPLETED, "Selesai", False),
)
ENDINGS = (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED)


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done", "current", "todo", "ended"
    at: datetime | None = None
    note: str | None = None


@dataclass(frozen=True)
class Tracking:
    order: Order
    store: Store
    items: list[OrderItem]
    steps: list[Step]


def load_tracking(order_id: str) -> Tracking:
    """The order behind a tracking link, in three queries. Raises NotFound (same for all)."""
    if not ORDER_ID.match(order_id or ""):
        raise NotFound("Pesanan tidak ditemukan.")
    row = db.session.execute(
        select(Order, Store).join(Store, Store.id == Order.store_id).where(Order.id == order_id)
    ).one_or_none()
    if row is None:
        raise NotFound("Pesanan tidak ditemukan.")
    order, store = row
    items = list(db.session.execute(
        select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.id)
    ).scalars())
    events = list(db.session.execute(
        select(OrderEvent).where(OrderEvent.order_id == order_id,
                                 OrderEvent.kind.in_(("created", "status")))
        .order_by(OrderEvent.id)
    ).scalars())
    return Tracking(order, store, items, build_timeline(order.status, events))


def build_timeline(status: OrderStatus, events: list[OrderEvent]) -> list[Step]:
    """Done steps with their time, the current one marked, the rest grey; endings instead."""
    reached: dict[str, OrderEvent] = {}
    for event in events:
        reached[event.to_status or ""] = event
    ranks = [s for s, _, _ in TIMELINE]
    current_rank = ranks.index(status) if status in ranks else None
    steps: list[Step] = []
    for rank, (step_status, label, optional) in enumerate(TIMELINE):
        event = reached.get(step_status.value)
        if event is not None:
            state = "current" if step_status == status else "done"
            steps.append(Step(label, state, event.created_at, event.note if rank else None))
        elif optional:
            continue
        elif status in ENDINGS or (current_rank is not None and rank < current_rank):
            continue  # skipped on the way (PENDING -> PROCESSING), or never to come
        else:
            steps.append(Step(label, "todo"))
    if status in ENDINGS:
        event = reached.get(status.value)
        steps.append(Step(ORDER_STATUS_LABELS[status], "ended",
                          event.created_at if event else None, event.note if event else None))
    return steps
