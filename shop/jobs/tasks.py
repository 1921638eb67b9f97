"""The job functions: thin, taking ids, committing once at their end (through the unit of
work). Each runs in a worker with the application's context (`flask --app wsgi worker`) or,
without Redis, in the process that committed."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app
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


#: Rounds (of up to 50 rows, or what came while it lingered) one drain job takes, and the
#: longest it runs, before it hands over to a fresh job, so that jobs of other queues of the
#: same worker get their turn; under a steady stream the time ends it first.
DRAIN_ROUNDS = 400
DRAIN_JOB_SECONDS = 10.0
#: While it lingers, a drain job looks this often whether a job waits on some queue.
LINGER_SLICE = 0.1
#: How long a lingering job waits, once a round's first ids came, for more to join them.
GATHER_SECONDS = 0.05


def drain_outbox(queue_name: str = "default", helper: bool = False) -> int:
    """Deliver the rows whose ids wait in the queue's outbox list, 50 at a time, until it is
    empty; then linger for NOTIFY_DRAIN_LINGER seconds, taking the ids of the commits that
    come meanwhile, unless a job waits on some queue. Returns how many ids it took.

    The announcement (the list's `:drain` flag, set by the commit that enqueued this job)
    stays set while this job will look at the list again, so commits leave their ids to it
    instead of each enqueueing a job of its own (RQ costs a few milliseconds per job on
    either side; under a steady stream of checkouts, one job instead of one every ~3 orders).
    It is cleared just before the job's last look, so an id pushed after that look always
    has a new job. A helper (announced by `announce_helper` while a long list waits) only
    drains: it neither keeps nor clears the announcement, and does not linger."""
    from ..jobs import announce_helper, outbox_key, redis_connection
    from ..services import notifications

    connection = redis_connection()
    key = outbox_key(queue_name)
    flag = f"{key}:drain"
    linger = 0.0 if helper else float(current_app.config.get("NOTIFY_DRAIN_LINGER") or 0)
    deadline = time.monotonic() + DRAIN_JOB_SECONDS
    if helper:
        connection.delete(f"{key}:helper")
    taken = 0
    try:
        for _ in range(DRAIN_ROUNDS):
            ids = connection.lpop(key, notifications.BATCH)
            if not ids and linger:
                ids = _linger(connection, key, flag, min(linger, deadline - time.monotonic()))
            if not ids:
                break
            if linger and len(ids) < notifications.BATCH:
                # A lingering job is on a steady stream: a moment more gathers the next
                # commits' ids into this round (one claim, one template read for them all).
                time.sleep(GATHER_SECONDS)
                ids += connection.lpop(key, notifications.BATCH - len(ids)) or []
            if len(ids) == notifications.BATCH and connection.llen(key) >= notifications.BATCH:
                announce_helper(connection, queue_name)
            taken += len(ids)
            notifications.deliver([_entry(i) for i in ids])
            if time.monotonic() >= deadline:
                break
        _hand_over(connection, key, flag, queue_name, helper)
        return taken
    finally:
        _end_of_job()


def _linger(connection, key: str, flag: str, seconds: float) -> list:
    """Wait up to `seconds` for the next ids (holding the announcement meanwhile); give up
    as soon as a job waits on one of the queues. Returns the ids that came (up to a batch)."""
    from ..jobs import DRAIN_FLAG_SECONDS, QUEUES, queue
    from ..services import notifications

    connection.set(flag, 1, ex=DRAIN_FLAG_SECONDS)  # renewed: this job looks again
    waiting = [queue(name).key for name in QUEUES]
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        pipe = connection.pipeline(transaction=False)
        for name in waiting:
            pipe.llen(name)
        if any(pipe.execute()):
            return []
        got = connection.blpop([key], timeout=min(LINGER_SLICE, left))
        if got:
            return [got[1], *(connection.lpop(key, notifications.BATCH - 1) or [])]
    return []


def _hand_over(connection, key: str, flag: str, queue_name: str, helper: bool) -> None:
    """The job stops looking: from here on a commit announces a new job; ids still in the
    list (a bound was reached, or they came just before) get one now."""
    from ..jobs import DRAIN_FLAG_SECONDS, enqueue_drain

    if not helper:
        connection.delete(flag)
    if connection.llen(key) and connection.set(flag, 1, nx=True, ex=DRAIN_FLAG_SECONDS):
        enqueue_drain(queue_name)


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
