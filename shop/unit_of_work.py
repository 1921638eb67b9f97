"""The boundary's unit of work: one commit, then the side effects registered during the
transaction (enqueueing jobs), in order; a rollback discards them, so no job is ever enqueued
for a transaction that did not commit (DESIGN.md, "Rules of the house")."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db

log = logging.getLogger(__name__)
_KEY = "on_commit"


def on_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the current transaction has committed; never if it, or the
    savepoint it was registered in, rolls back."""
    session = db.session()
    if not session.in_transaction():
        session.begin()
    current = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_KEY, []).append((current, callback))


def commit() -> None:
    """Commit the session; the callbacks registered meanwhile run after it, in order."""
    db.session.commit()


def _run_callbacks(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: nothing is committed yet
    callbacks = session.info.pop(_KEY, [])
    for _transaction, callback in callbacks:
        try:
            callback()
        except Exception:  # the data is committed: a lost side effect is swept up later
            log.exception("after-commit callback %r failed", callback)


def _discard_rolled_back(session: Session, rolled_back) -> None:
    """Forget the callbacks of a rolled-back transaction or savepoint (and of savepoints
    inside it); those of the enclosing transaction stay."""
    kept = [(t, c) for t, c in session.info.get(_KEY, []) if not _within(t, rolled_back)]
    session.info[_KEY] = kept


def _within(transaction, outer) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def init_unit_of_work() -> None:
    """Attach the after-commit and after-rollback hooks to every session (once)."""
    if not event.contains(Session, "after_commit", _run_callbacks):
        event.listen(Session, "after_commit", _run_callbacks)
        event.listen(Session, "after_soft_rollback", _discard_rolled_back)
