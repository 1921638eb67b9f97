"""The boundary's unit of work: one commit, then the side effects registered during the
transaction (enqueueing jobs), in order; a rollback discards them, so no job is ever enqueued
for a transaction that did not commit (DESIGN.md, "Rules of the house").

Every boundary commits through `commit()`: the request's views, the CLI commands, the jobs.
The callbacks run after the commit has returned, outside SQLAlchemy's after_commit event, so
a callback may use the database (in the embedded default a job runs right there). A commit
made some other way (Flask-Admin's own model saving) still has its callbacks run, at the end
of the request (`run_committed`, registered by `init_unit_of_work`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from flask import request
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from .extensions import db
from .services.sql import READ_CONNECTION_OK

log = logging.getLogger(__name__)
_PENDING = "on_commit"
_COMMITTED = "committed_callbacks"


def on_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the current transaction has committed; never if it, or the
    savepoint it was registered in, rolls back."""
    session = db.session()
    if not session.in_transaction():
        session.begin()
    current = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((current, callback))


def commit() -> None:
    """Commit the session, then run the callbacks registered meanwhile, in order."""
    db.session.commit()
    run_committed()


def run_committed() -> None:
    """Run the callbacks of the transactions committed so far (each once). A callback that
    commits runs its own transaction's callbacks then; the rest of this list stays with this
    loop, so a thousand callbacks that each commit do not nest a thousand deep."""
    session = db.session()
    callbacks = session.info.pop(_COMMITTED, None) or []
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the data is committed: a lost side effect is swept up later
            log.exception("after-commit callback %r failed", callback)


def _committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: nothing is committed yet
    callbacks = session.info.pop(_PENDING, [])
    session.info.setdefault(_COMMITTED, []).extend(callback for _t, callback in callbacks)


def _discard_rolled_back(session: Session, rolled_back) -> None:
    """Forget the callbacks of a rolled-back transaction or savepoint (and of savepoints
    inside it); those of the enclosing transaction stay."""
    kept = [(t, c) for t, c in session.info.get(_PENDING, []) if not _within(t, rolled_back)]
    session.info[_PENDING] = kept


def _within(transaction, outer) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def reads_only(view=None, *, methods=("GET", "HEAD"), by_driver=False):
    """For a view that only reads the database when called with these methods, on
    PostgreSQL: its statements run outside a transaction (autocommit), which saves two round
    trips of three on a one-statement page (BEGIN before it, ROLLBACK after it). Under READ
    COMMITTED every statement sees its own snapshot either way. Other methods keep their
    transaction; so does a session already in one (a test's) or bound to a connection.

    `by_driver`: the reads of the view's every request are DriverQuery reads, which then go
    through the thread's read connection (services/sql.py), and the session is not opened
    for them at all; what else the view reads (a cache miss) runs in a transaction."""
    if view is None:
        return lambda inner: reads_only(inner, methods=methods, by_driver=by_driver)

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method not in methods:
            return view(*args, **kwargs)
        if by_driver:
            request.environ[READ_CONNECTION_OK] = True
            return view(*args, **kwargs)
        statement_by_statement()
        return view(*args, **kwargs)

    return wrapper


def statement_by_statement() -> bool:
    """On PostgreSQL, outside a transaction: the session's statements from here to its next
    commit or rollback each commit on their own (autocommit), with no BEGIN and COMMIT round
    trips around them. For work whose every write is one statement that must be durable at
    once anyway (a delivery's claim and outcome). Returns whether it did; a session already
    in a transaction (a test's), bound to a connection or on SQLite is left as it is."""
    session = db.session()
    if session.in_transaction():
        return False
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return True
    return False


def autocommitting() -> bool:
    """Whether the session's statements autocommit now (statement_by_statement)."""
    if not db.session.registry.has():
        return False
    session = db.session()
    return session.in_transaction() and session.connection().get_execution_options().get(
        "isolation_level") == "AUTOCOMMIT"


def init_unit_of_work(app=None) -> None:
    """Attach the after-commit and after-rollback hooks to every session (once), and run
    at the end of each request what a commit outside `commit()` left to run."""
    if not event.contains(Session, "after_commit", _committed):
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_soft_rollback", _discard_rolled_back)
    if app is not None:
        @app.before_request
        def forget_callbacks_of_earlier_work():
            # A request's callbacks are its own: what a commit before it (outside commit(),
            # e.g. a test's setup on a shared session) left is not this request's to run.
            # (A session is made only where one is used: not for a page read by the driver.)
            if db.session.registry.has():
                db.session().info.pop(_COMMITTED, None)

        @app.after_request
        def run_leftover_callbacks(response):
            if db.session.registry.has():
                run_committed()
            return response
