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
]


def deliver_notifications(ids: list[int]) -> dict:
    """Send these outbox rows (the ones still due and not taken by another worker)."""
    from ..services import notifications

    try:
        return notifications.deliver(ids)
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


def _end_of_job() -> None:
    """In a worker each job starts with a fresh session; inline (embedded default) the job
    shares the committing request's session, which stays."""
    from flask import g

    if not g.get("inline_job_depth"):
        db.session.rollback()
        db.session.remove()
