"""The back office's figures of dealer (B2B) orders (seed 004's admin dashboard): orders
waiting for approval, approved today, and where approved orders stand with the legacy ERP,
and the shops; counted inside the admin's stores in one statement."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Channel, LegacyState, Order, OrderStatus, Shop
from .access import Scope
from .dashboard import StoreChoice, dashboard_stores, reference_zone


def _count(condition):
    return func.count(Order.id).filter(condition)


def b2b_dashboard(scope: Scope, *, now: datetime,
                  stores: list[StoreChoice] | None = None) -> dict:
    """Counts of the scope's dealer orders and shops: pending_b2b (waiting for approval),
    approved_today (the stores' local day), not_sent (never handed to the ERP: waiting,
    rejected or cancelled), queued, submitted and failed (legacy ERP states), rejected,
    total_b2b, shops and active_shops; and the zone of "today". `stores`: the scope's
    stores when the caller has them already (dashboard_stores)."""
    zone = reference_zone(scope, stores if stores is not None else dashboard_stores(scope))
    local = now.astimezone(ZoneInfo(zone))
    today = datetime.combine(local.date(), time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    not_sent = or_(Order.legacy_state.is_(None), Order.legacy_state == LegacyState.NOT_SENT)
    shops = (select(func.count(Shop.id)).where(scope.where(Shop.store_id))
             .scalar_subquery())
    active = (select(func.count(Shop.id)).where(scope.where(Shop.store_id),
                                                 Shop.is_active.is_(True)).scalar_subquery())
    orders = db.session.execute(
        select(
            func.count(Order.id).label("total_b2b"),
            _count(Order.status == OrderStatus.PENDING).label("pending_b2b"),
            _count(Order.approved_at >= today).label("approved_today"),
            _count(not_sent).label("not_sent"),
            _count(Order.legacy_state == LegacyState.QUEUED).label("queued"),
            _count(Order.legacy_state == LegacyState.SUBMITTED).label("submitted"),
            _count(Order.legacy_state == LegacyState.FAILED).label("failed"),
            _count(Order.status == OrderStatus.REJECTED).label("rejected"),
            shops.label("shops"), active.label("active_shops"),
        ).where(Order.channel == Channel.B2B, scope.where(Order.store_id))
    ).one()
    return {**orders._asdict(), "timezone": zone}
