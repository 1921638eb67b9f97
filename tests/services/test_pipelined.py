"""Statements sent in one round trip (services/sql.py run_pipelined), as the checkout's tail
uses them: the rows of each in order, driver errors raised as SQLAlchemy's, and a statement
after a lock reading what the lock's holder committed before letting go."""

from __future__ import annotations

import threading

import psycopg
import pytest
from sqlalchemy import exc, text

from shop.extensions import db
from shop.services.sql import run_pipelined

pytestmark = pytest.mark.backends("postgresql")
LOCK = text("SELECT pg_advisory_xact_lock(:space, :key)")


def plain_url(app) -> str:
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def waits_for_lock(url: str, *, space: int, key: int) -> bool:
    """Whether a backend comes to wait for this advisory lock within 10 s."""
    with psycopg.connect(url, autocommit=True) as probe:
        for _ in range(200):
            waiting = probe.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND classid = %s AND objid = %s", (space, key)).fetchone()[0]
            if waiting:
                return True
            threading.Event().wait(0.05)
    return False


def test_each_statements_rows_come_back_in_order(app, database):
    connection = db.session.connection()
    first, nothing, second = run_pipelined(connection, [
        (text("SELECT :a + 1"), {"a": 1}),
        (text("SET LOCAL statement_timeout = '5s'"), {}),
        (text("SELECT generate_series(1, :n)"), {"n": 3}),
    ])
    assert first == [(2,)] and nothing is None and second == [(1,), (2,), (3,)]


def test_a_refused_statement_is_raised_as_sqlalchemy_raises_it(app, database, burger):
    connection = db.session.connection()
    with pytest.raises(exc.IntegrityError):
        run_pipelined(connection, [
            (text("SELECT 1"), {}),
            (text("UPDATE products SET stock = -1 WHERE code = 'COLA'"), {}),
        ])
    db.session.rollback()


def test_a_read_after_the_lock_sees_what_its_holder_committed(app, committed):
    # Given another connection holding the lock, about to add a row and commit
    url = plain_url(app)
    with psycopg.connect(url, autocommit=True) as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS pipelined_probe (n integer)")
        setup.execute("TRUNCATE pipelined_probe")
    holder = psycopg.connect(url)
    holder.execute("SELECT pg_advisory_xact_lock(15999, 1)")
    started = threading.Event()
    answer: list = []

    def pipelined():
        with app.app_context():
            started.set()
            answer.extend(run_pipelined(db.session.connection(), [
                (LOCK, {"space": 15999, "key": 1}),
                (text("SELECT count(*) FROM pipelined_probe"), {}),
            ]))
            db.session.rollback()

    reader = threading.Thread(target=pipelined)
    try:
        reader.start()
        started.wait(10)
        # When the holder commits its row (and so lets go of the lock) while the pipeline
        # waits for the lock on the server
        holder.execute("INSERT INTO pipelined_probe VALUES (1)")
        assert waits_for_lock(url, space=15999, key=1)
        holder.commit()
        reader.join(10)
        # Then the read after the lock counted the committed row
        assert answer[1] == [(1,)]
    finally:
        holder.close()
        with psycopg.connect(url, autocommit=True) as cleanup:
            cleanup.execute("DROP TABLE IF EXISTS pipelined_probe")
