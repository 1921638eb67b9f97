"""The back office's "sync parts from the ERP" as a job on the `legacy` queue, and the run's
progress for the page that follows it (issue 12, item 7).

A run is a small JSON record under its own random id: the store, the state (queued,
running, finished, failed), the parts done of the total and, at the end, the summary. With
Redis it is kept there for a day (RQ deletes a finished job, and with it the job's meta, at
once: `result_ttl=0`), and copied into the job's meta while it runs, for RQ's own tools.
Without Redis the job runs in the request that committed, right after the commit, and the
record lives in that request's `g`: the page then shows the finished summary directly.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import asdict

from flask import g
from sqlalchemy import func, select

from ..extensions import db
from ..models import LegacyPart, Store
from ..unit_of_work import commit, on_commit
from . import enqueue, redis_connection
from .tasks import _end_of_job

log = logging.getLogger(__name__)
#: How long a run's record is kept in Redis (seconds).
RUN_TTL = 24 * 3600
STATES = ("queued", "running", "finished", "failed")


def _key(run_id: str) -> str:
    return f"shop:parts-sync:{run_id}"


def start_parts_sync(store: Store) -> str:
    """Have the store's parts synced from the ERP by a job once the current transaction
    commits; returns the run's id (its record says `queued` until a worker takes it)."""
    run_id = secrets.token_urlsafe(16)
    on_commit(lambda: save_run(run_id, {"store_id": store.id, "state": "queued",
                                        "done": 0, "total": None}))
    enqueue(sync_parts_job, store.id, run_id, queue_name="legacy")
    return run_id


def save_run(run_id: str, values: dict) -> dict:
    """Merge `values` into the run's record (Redis, or this request's `g`)."""
    connection = redis_connection()
    if connection is None:
        record = g.setdefault("parts_sync_runs", {}).setdefault(run_id, {})
        record.update(values)
        return record
    record = {**(read_run(run_id) or {}), **values}
    connection.set(_key(run_id), json.dumps(record), ex=RUN_TTL)
    _copy_to_job_meta(values)
    return record


def read_run(run_id: str) -> dict | None:
    """The run's record, or None for an unknown (or expired) run."""
    if not isinstance(run_id, str) or not run_id.isascii() or len(run_id) > 64:
        return None
    connection = redis_connection()
    if connection is None:
        return g.get("parts_sync_runs", {}).get(run_id)
    raw = connection.get(_key(run_id))
    return json.loads(raw) if raw else None


def _copy_to_job_meta(values: dict) -> None:
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        job.meta.update(values)
        job.save_meta()


def sync_parts_job(store_id: int, run_id: str) -> dict | None:
    """The job: create or update the store's products from `tblpart_id`
    (shop.services.erp.sync_parts), reporting the parts done after each batch; commits once
    at its end. Returns the summary (None for a store that is gone)."""
    from ..services.erp import sync_parts

    try:
        return _sync(store_id, run_id, sync_parts)
    finally:
        _end_of_job()


def _sync(store_id: int, run_id: str, sync_parts) -> dict | None:
    store = db.session.get(Store, store_id)
    if store is None:
        save_run(run_id, {"state": "failed", "error": "Toko tidak ditemukan."})
        return None
    total = db.session.scalar(select(func.count()).select_from(LegacyPart))
    save_run(run_id, {"state": "running", "done": 0, "total": total})
    done = 0

    def progress(parts: int) -> None:
        nonlocal done
        done += parts
        save_run(run_id, {"done": done})

    try:
        summary = asdict(sync_parts(store, progress=progress))
        commit()
    except Exception as error:
        db.session.rollback()
        save_run(run_id, {"state": "failed", "error": f"{type(error).__name__}: {error}"[:300]})
        raise
    save_run(run_id, {"state": "finished", "done": done, "summary": summary})
    log.info("parts sync of store %s: %s", store_id, summary)
    return summary
