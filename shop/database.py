"""Engine settings per database: SQLite made safe for concurrent writers, PostgreSQL pooled."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine_options(app: Flask) -> None:
    """Pool and driver options suited to each configured database: the main one and the
    legacy ERP's (bind "legacy", LEGACY_DATABASE_URL; mapped, never created or migrated in
    production)."""
    base = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    base.setdefault("echo", app.config.get("SQL_ECHO", False))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], base)
    binds = dict(app.config.get("SQLALCHEMY_BINDS") or {})
    legacy = app.config.get("LEGACY_DATABASE_URL")
    if legacy and "legacy" not in binds:
        binds["legacy"] = {"url": legacy, **engine_options(legacy, {"echo": base["echo"]})}
    app.config["SQLALCHEMY_BINDS"] = binds


def engine_options(url: str, options: dict) -> dict:
    """`options` completed for the database at `url`."""
    options = dict(options)
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    else:
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
        options.setdefault("pool_recycle", 1800)
    return options


def tune_engine(engine: Engine) -> None:
    """On SQLite: WAL, foreign keys, and BEGIN IMMEDIATE so writers queue instead of failing.

    pysqlite starts transactions lazily and upgrades read locks to write locks, which makes
    two concurrent checkouts fail with "database is locked"; taking the write lock at BEGIN
    makes them wait their turn (busy timeout), which is what the counter and stock need.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
