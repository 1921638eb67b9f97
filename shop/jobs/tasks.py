"""The job functions: thin, taking ids, committing once at their end (through the unit of
work). Each runs in a worker with the application's context (`flask --app wsgi worker`) or,
without Redis, in the process that committed."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from .. import clock
from ..extensions import db
from ..unit_of_work import commit

log = logging.getLogger(__name__)
#: Tables whose expired rows the daily purge deletes: (model path, timestamp column, days
#: kept). The B2B portal adds its OTP codes and sessions here.
PURGES: list[tuple[str, str, int]] = [
    ("shop.models:LoginAttempt", "created_at", 30),
    ("shop.models:ShopOtp", "expires_at", 1),
    ("shop.models:ShopSession", "expires_at", 1),
]


def deliver_notifications(ids: list[int]) -> dict:
    """Send these outbox rows (the ones still due and not taken by another worker)."""
    from ..services import notifications

    try:
        return notifications.deliver(ids)
    finally:
        _end_of_job()


#: Rounds of 50 rows one drain job takes before it hands over to a fresh job (so jobs of
#: other queues of the same worker get their turn).
DRAIN_ROUNDS = 40


def drain_outbox(queue_name: str = "default") -> int:
    """Deliver the rows whose ids wait in the queue's outbox list, 50 at a time, until it is
    empty. Returns how many ids it took."""
    from ..jobs import announce_helper, deliver_soon, outbox_key, redis_connection
    from ..services import notifications

    connection = redis_connection()
    key = outbox_key(queue_name)
    # From here on a commit announces a new drain job: an id pushed after this job's last
    # look is never left without one.
    connection.delete(f"{key}:drain")
    taken = 0
    try:
        for _ in range(DRAIN_ROUNDS):
            ids = connection.lpop(key, notifications.BATCH)
            if not ids:
                return taken
            if len(ids) == notifications.BATCH and connection.llen(key) >= notifications.BATCH:
                announce_helper(connection, queue_name)
            taken += len(ids)
            notifications.deliver([_entry(i) for i in ids])
        more = connection.lpop(key, notifications.BATCH)
        if more:  # hand the rest to a fresh job
            deliver_soon([_entry(i) for i in more], queue_name)
        return taken
    finally:
        _end_of_job()


def sweep_outbox() -> dict:
    """Every minute: hand out again rows left queued or stuck in sending."""
    from ..services import notifications

    try:
        result = notifications.sweep()
        if result["queued"] or result["stuck"]:
            log.info("outbox sweep: %(queued)d queued and %(stuck)d stuck rows again", result)
        return result
    finally:
        _end_of_job()


def purge_expired() -> dict:
    """Every day: delete what has expired (old login attempts; OTP codes and sessions)."""
    from importlib import import_module

    removed = {}
    try:
        now = clock.now()
        for path, column, days in PURGES:
            module, _, name = path.partition(":")
            model = getattr(import_module(module), name)
            result = db.session.execute(
                delete(model).where(getattr(model, column) < now - timedelta(days=days)))
            removed[name] = result.rowcount
        commit()
        return removed
    finally:
        _end_of_job()


def submit_to_erp(order_id: str, attempt: int = 1) -> str | None:
    """An approved B2B order written into the legacy ERP as a sales order, exactly once in
    effect (shop.services.erp); `attempt` counts the automatic retries."""
    from ..services import erp

    try:
        state = erp.submit_to_erp(order_id, attempt=attempt)
        return state.value if state is not None else None
    finally:
        _end_of_job()


def sync_legacy_stock() -> dict:
    """Every hour: the ERP's stock of this month into the products' cached stock."""
    from ..services import erp

    try:
        result = erp.sync_legacy_stock()
        commit()
        return result
    finally:
        _end_of_job()


def resubmit_stalled_orders() -> int:
    """Every 10 minutes: ERP submissions left queued (no job, or its worker died) again."""
    from ..services import erp

    try:
        count = erp.resubmit_stalled_orders()
        commit()
        if count:
            log.info("legacy submission: %d stalled orders queued again", count)
        return count
    finally:
        _end_of_job()


def _entry(raw: bytes) -> int | str:
    """An entry of an outbox list: a row id, or "o:<order id>" for an order's rows."""
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return text if not text.isdigit() else int(text)


def _end_of_job() -> None:
    """In a worker each job starts with a fresh session; inline (embedded default) the job
    shares the committing request's session, which stays."""
    from flask import g

    if not g.get("inline_job_depth"):
        db.session.rollback()
        db.session.remove()
