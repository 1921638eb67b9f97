"""The unit of work: side effects run after the commit, in order, and never after a rollback."""

from __future__ import annotations

import pytest

from shop.extensions import db
from shop.models import Store
from shop.unit_of_work import commit, on_commit


def a_store(name: str) -> Store:
    store = Store(slug=name, name=name, whatsapp="6281111111111")
    db.session.add(store)
    return store


def test_callbacks_run_after_the_commit_in_the_order_registered(database):
    ran = []
    a_store("satu")
    on_commit(lambda: ran.append("first"))
    on_commit(lambda: ran.append("second"))
    assert ran == []

    commit()

    assert ran == ["first", "second"]
    commit()  # a later commit does not run them again
    assert ran == ["first", "second"]


def test_a_rollback_discards_the_callbacks(database):
    ran = []
    a_store("dua")
    on_commit(lambda: ran.append("enqueued"))
    db.session.rollback()
    a_store("tiga")
    commit()
    assert ran == []


def test_a_rolled_back_savepoint_drops_only_its_own_callbacks(database):
    ran = []
    on_commit(lambda: ran.append("outer"))
    savepoint = db.session.begin_nested()
    on_commit(lambda: ran.append("inner"))
    savepoint.rollback()
    with db.session.begin_nested():
        on_commit(lambda: ran.append("kept inner"))
    assert ran == []  # a released savepoint is no commit
    commit()
    assert ran == ["outer", "kept inner"]


def test_a_failing_callback_does_not_undo_the_commit_or_stop_the_others(database):
    ran = []
    a_store("empat")
    on_commit(lambda: 1 / 0)
    on_commit(lambda: ran.append("after the failure"))
    commit()
    assert ran == ["after the failure"]
    assert db.session.query(Store).filter_by(slug="empat").count() == 1


def test_an_error_in_a_request_runs_no_callback(tmp_path):
    """A view that registers a side effect and then fails: the error handler rolls back,
    and the side effect never runs (an app of its own: routes can't be added to the shared
    one once it has served requests)."""
    from .conftest import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / 'uow.db'}", PROPAGATE_EXCEPTIONS=False)
    ran = []

    @app.get("/_uow_boom")
    def boom():
        on_commit(lambda: ran.append("enqueued"))
        raise RuntimeError("the operation failed")

    with app.app_context():
        db.create_all()
    assert app.test_client().get("/_uow_boom").status_code == 500
    with app.app_context():
        a_store("lima")
        commit()
        db.engine.dispose()
    assert ran == []


@pytest.fixture(autouse=True)
def _nothing_left_over(database):
    yield
    assert not db.session().info.get("on_commit")


def test_many_callbacks_that_commit_run_in_order_without_nesting(database, caplog):
    """seed-demo's hundreds of orders: each callback (a delivery) commits on its own."""
    import inspect

    ran, depths = [], []

    def delivery(n):
        def run():
            ran.append(n)
            depths.append(len(inspect.stack(0)))
            commit()  # the job's own transaction
        return run

    for n in range(300):
        on_commit(delivery(n))
    commit()

    assert ran == list(range(300))
    assert max(depths) - min(depths) == 0  # each runs at the same depth: no nesting
    assert "failed" not in caplog.text
