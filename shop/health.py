"""`GET /healthz`: whether the parts this process needs answer, for a load balancer or a
monitor. 200 when all required parts are up, 503 when one is down (the database always; Redis
when REDIS_URL is set). It reports queue lengths and the age of the oldest waiting message,
which tell a stuck worker or a dead gateway long before a shopper complains."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db, limiter
from .jobs import QUEUES, redis_connection

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    report: dict = {"database": _database(), "redis": _redis()}
    if report["database"]["ok"]:
        from .services.notifications import oldest_queued_age

        try:
            report["outbox"] = {"oldest_queued_seconds": oldest_queued_age()}
        except Exception as error:  # a broken table is a broken database
            report["database"] = {"ok": False, "error": type(error).__name__}
        finally:
            db.session.rollback()
    down = [name for name in ("database", "redis") if report[name].get("ok") is False]
    report["status"] = "down" if down else "ok"
    answer = jsonify(report)
    answer.status_code = 503 if down else 200
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as error:
        log.warning("healthz: database down: %s", error)
        db.session.rollback()
        return {"ok": False, "error": type(error).__name__}


def _redis() -> dict:
    connection = redis_connection(current_app)
    if connection is None:
        return {"configured": False, "ok": None,
                "note": "embedded mode: jobs run in the web process after each commit"}
    try:
        connection.ping()
        from rq import Queue

        queues = {name: Queue(name, connection=connection).count for name in QUEUES}
        from rq import Worker

        workers = len(Worker.all(connection=connection))
        return {"configured": True, "ok": True, "queues": queues, "workers": workers}
    except Exception as error:
        log.warning("healthz: Redis down: %s", error)
        return {"configured": True, "ok": False, "error": type(error).__name__}
