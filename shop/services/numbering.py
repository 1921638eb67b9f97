"""Human-readable numbers from counters in the serials table, never duplicated."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..extensions import db
from ..models import Channel, Serial, Store
from .sql import upsert


def next_serial(name: str, period: str) -> int:
    """Take the next number of a counter in one atomic statement (row lock until commit)."""
    stmt = (
        upsert(Serial)
        .values(name=name, period=period, last_number=1)
        .on_conflict_do_update(
            index_elements=["name", "period"],
            set_={"last_number": Serial.__table__.c.last_number + 1},
        )
        .returning(Serial.__table__.c.last_number)
    )
    return db.session.execute(stmt).scalar_one()


def store_local_time(store: Store, when: datetime) -> datetime:
    """The moment as the store's clock shows it. Raises ValueError for a naive datetime."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given; use shop.models.utcnow()")
    return when.astimezone(ZoneInfo(store.timezone))


def next_order_number(store: Store, channel: Channel, now: datetime) -> str:
    """ORD-YYYYMMDD-NNN per store day (B2C) or ORD-YYYY-NNNNNN per store year (B2B)."""
    local = store_local_time(store, now)
    if channel == Channel.B2B:
        year = local.strftime("%Y")
        return f"ORD-{year}-{next_serial(f'b2b-order:{store.id}', year):06d}"
    day = local.strftime("%Y%m%d")
    return f"ORD-{day}-{next_serial(f'order:{store.id}', day):03d}"


def next_legacy_so_number(now: datetime, tz: str = "Asia/Jakarta") -> str:
    """The legacy ERP's sales-order number: YYYY/NNNNNN/POD-PD, counted per year."""
    year = now.astimezone(ZoneInfo(tz)).strftime("%Y")
    return f"{year}/{next_serial('legacy-so', year):06d}/POD-PD"
