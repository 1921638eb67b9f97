"""Background jobs: RQ queues on Redis, or in the process right after the commit.

Jobs take ids, never ORM objects, are idempotent and commit once at their end (DESIGN.md).
`enqueue` never sends anything itself: it registers the job with the unit of work, so a job
exists only for a transaction that committed. With REDIS_URL set the job goes to its RQ
queue; in the embedded default (no Redis) it runs in this process once the commit is done.
If Redis cannot be reached at that moment, the outbox rows stay `queued` and the sweep
(shop.jobs.tasks.sweep_outbox, every minute) hands them out again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app

from .. import clock
from ..unit_of_work import on_commit

log = logging.getLogger(__name__)
#: high: what a person is waiting for (OTP); default: notifications; legacy: ERP work.
QUEUES = ("high", "default", "legacy")
#: A job that runs longer than this is stopped by its worker (a send has its own timeouts).
JOB_TIMEOUT = 300
#: Failed jobs stay visible (rq-dashboard, `rq info`) for a week.
FAILURE_TTL = 7 * 24 * 3600


def redis_connection(app=None):
    """The app's Redis client (one per process), or None in the embedded default."""
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("shop_redis")
    if client is None:
        import redis

        # Short timeouts: a checkout must not wait long for a Redis that is down; the sweep
        # delivers what could not be enqueued.
        client = app.extensions["shop_redis"] = redis.Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=5, health_check_interval=30)
    return client


def queue(name: str, app=None):
    """The RQ queue of this name. Raises ValueError for an unknown name."""
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}; the queues are {', '.join(QUEUES)}")
    from rq import Queue

    return Queue(name, connection=redis_connection(app))


def enqueue(func: Callable, *args, queue_name: str = "default",
            at: datetime | None = None) -> None:
    """Run `func(*args)` as a job once the current transaction has committed (never if it
    rolls back), on `queue_name`, not before `at`."""
    app = current_app._get_current_object()
    on_commit(lambda: dispatch(app, func, args, queue_name, at))


def dispatch(app, func: Callable, args: tuple, queue_name: str, at: datetime | None) -> None:
    """Hand a job to its queue now (after the commit), or run it here without Redis."""
    if redis_connection(app) is None:
        if at is None or at <= clock.now():
            run_inline(func, args)
        return  # due later: the sweep (flask outbox-sweep) sends it then
    options = {"job_timeout": JOB_TIMEOUT, "result_ttl": 0, "failure_ttl": FAILURE_TTL}
    target = queue(queue_name, app)
    if at is not None and at > clock.now():
        target.enqueue_at(_whole_second_after(at), func, *args, **options)
    else:
        target.enqueue(func, *args, **options)


def outbox_key(queue_name: str) -> str:
    """The Redis list of outbox row ids waiting for the drain job of `queue_name`."""
    return f"shop:outbox:{queue_name}"


#: How long a drain job may be announced without running before a commit announces another
#: (a job lost with its worker); the sweep picks up what it left anyway.
DRAIN_FLAG_SECONDS = 60


def deliver_soon(ids: list[int], queue_name: str = "default") -> None:
    """Have these (committed) outbox rows delivered now. With Redis, the ids go to the
    queue's outbox list, and one drain job is enqueued unless one is already waiting: RQ
    costs a few milliseconds per job on either side, which a checkout's two or three rows
    each would pay, while one drain job takes the rows of many commits, 50 at a time.
    Without Redis, they are delivered here and now."""
    from .tasks import deliver_notifications

    app = current_app._get_current_object()
    connection = redis_connection(app)
    if connection is None:
        run_inline(deliver_notifications, (ids,))
        return
    key = outbox_key(queue_name)
    pipe = connection.pipeline(transaction=False)
    pipe.rpush(key, *ids)
    pipe.set(f"{key}:drain", 1, nx=True, ex=DRAIN_FLAG_SECONDS)
    _, announced = pipe.execute()
    if announced:
        enqueue_drain(queue_name, app)


def enqueue_drain(queue_name: str, app=None, *, helper: bool = False) -> None:
    """Put one drain job on the queue (its announcement flag is already set)."""
    from .tasks import drain_outbox

    queue(queue_name, app).enqueue(drain_outbox, queue_name, *((True,) if helper else ()),
                                   job_timeout=JOB_TIMEOUT, result_ttl=0,
                                   failure_ttl=FAILURE_TTL)


def announce_helper(connection, queue_name: str) -> bool:
    """While a long list waits, a running drain job keeps one helper job waiting, so that
    every free worker joins in (each helper clears its flag as it starts). Returns whether
    it enqueued one."""
    key = outbox_key(queue_name)
    if connection.set(f"{key}:helper", 1, nx=True, ex=DRAIN_FLAG_SECONDS):
        enqueue_drain(queue_name, helper=True)
        return True
    return False


def _whole_second_after(at: datetime) -> datetime:
    """`at` rounded up to the second: RQ's schedule keeps whole seconds, rounded down, and a
    job handed out before its row is due finds nothing to claim (the row would wait for the
    sweep)."""
    return at if not at.microsecond else at.replace(microsecond=0) + timedelta(seconds=1)


def run_inline(func: Callable, args: tuple) -> None:
    """The embedded default: the job runs in this process; its failure is logged, and what
    it did not finish stays in the outbox for the sweep."""
    from flask import g

    g.inline_job_depth = g.get("inline_job_depth", 0) + 1
    try:
        func(*args)
    except Exception:
        log.exception("job %s%r failed", getattr(func, "__name__", func), args)
    finally:
        g.inline_job_depth -= 1
