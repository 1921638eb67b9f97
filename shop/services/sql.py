"""Small SQL helpers that read the same on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
import weakref
from collections import namedtuple
from types import SimpleNamespace

from flask import has_request_context, request
from sqlalchemy import ARRAY, Engine, any_, bindparam, exc
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db

#: Set in a request's WSGI environ by `unit_of_work.reads_only(by_driver=True)`: the view's
#: DriverQuery reads may go through the thread's own read connection.
READ_CONNECTION_OK = "shop.read_connection"


def upsert(model):
    """An INSERT that supports ON CONFLICT for the session's database dialect."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model)


class DriverQuery:
    """A read the busiest pages make on every request, run by the database driver itself:
    its SQL compiled once per dialect, its rows the driver's own tuples, so only for columns
    the driver already returns as Python wants them (integers, text). SQLAlchemy's execution
    and result cost ~250 k instructions for a two-column read that the driver does in ~105 k
    (bench/README.md, third sitting). Listeners of the engine's before_cursor_execute still
    see it (the statement counts of the tests and benchmarks; its context a stand-in, for
    a listener that keeps something on it)."""

    def __init__(self, statement, *, named: bool = False, typed: bool = False):
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple | None]] = {}
        #: Rows with the columns' names as attributes, when asked for.
        self.row = namedtuple("Row", [c.key for c in statement.selected_columns]) \
            if named or typed else None
        #: Whether each value is read as SQLAlchemy reads it (its type's result processor:
        #: an enum member for an Enum column, a timestamp from SQLite's text, ...).
        self.typed = typed
        self._processors: dict[str, list] = {}

    def _sql(self, dialect) -> tuple[str, tuple | None, dict]:
        """The SQL, the order of its parameters (None: by name) and the values the statement
        holds itself (a comparison with a constant)."""
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = compiled_sql(self.statement, dialect)[:3]
        return found

    def first(self, params: dict) -> tuple | None:
        """The first row, or None: by the thread's read connection in a view that allows it
        (`ReadConnections`), else in the session's transaction."""
        return self._run(params, lambda cursor: cursor.fetchone())

    def all(self, params: dict) -> list[tuple]:
        """Every row, as `first` reads them."""
        return self._run(params, lambda cursor: cursor.fetchall())

    def _run(self, params: dict, fetch):
        engine = _read_engine()
        dialect = engine.dialect if engine is not None else current_dialect()
        if self.typed and dialect.name not in self._processors:
            fetch = self._learning(dialect, fetch)
        sql, args = self.bound(dialect, params)
        if engine is not None:
            found = READS.run(engine, sql, args, fetch)
        else:
            connection = db.session.connection()
            cursor = connection.connection.cursor()
            try:
                connection.dispatch.before_cursor_execute(connection, cursor, sql, args,
                                                          SimpleNamespace(), False)
                cursor.execute(sql, args)
                found = fetch(cursor)
            finally:
                cursor.close()
        if self.row is None or found is None:
            return found
        if self.typed:
            read = self._reader(dialect)
            return read(found) if isinstance(found, tuple) else [read(r) for r in found]
        return self.row(*found) if isinstance(found, tuple) else [self.row(*r) for r in found]

    def first_as_sent(self, engine: Engine, params: dict) -> tuple | None:
        """The first row as the driver returns it (no names, no types), on this thread's read
        connection of `engine`, outside any request (the tracking page's front)."""
        sql, args = self.bound(engine.dialect, params)
        return READS.run(engine, sql, args, _fetch_one)

    def _learning(self, dialect, fetch):
        """`fetch`, which also takes each column's result processor for the dialect from
        the cursor's description (a processor may depend on the driver's type code)."""

        def fetch_and_learn(cursor):
            found = fetch(cursor)
            self._processors[dialect.name] = [
                c.type.dialect_impl(dialect).result_processor(dialect, d[1])
                for c, d in zip(self.statement.selected_columns, cursor.description,
                                strict=True)]
            return found

        return fetch_and_learn

    def _reader(self, dialect):
        processors, row = self._processors[dialect.name], self.row

        def read(values: tuple):
            return row(*(p(v) if p is not None else v
                         for p, v in zip(processors, values, strict=True)))

        return read

    def bound(self, dialect, params: dict) -> tuple[str, tuple | dict]:
        """The statement's SQL for `dialect` and its parameters as the driver takes them."""
        sql, positions, fixed = self._sql(dialect)
        if fixed:
            params = {**fixed, **params}
        return sql, tuple(params[name] for name in positions) if positions is not None \
            else params


def _fetch_one(cursor):
    return cursor.fetchone()


def compiled_sql(statement, dialect) -> tuple[str, tuple | None, dict, dict]:
    """A statement compiled for the driver: its SQL, the order of its parameters (None: by
    name), the values it holds itself (a comparison with a constant) and each parameter's
    bind processor (None where the driver takes the value as it is)."""
    compiled = statement.compile(dialect=dialect)
    positions = tuple(compiled.positiontup) if compiled.positional else None
    fixed = {name: value for name, value in compiled.params.items() if value is not None}
    processors = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                  for name, bind in compiled.binds.items()}
    return str(compiled), positions, fixed, processors


#: run_pipelined's statements compiled, by statement and dialect.
_BOUND: dict[tuple, tuple] = {}


def run_pipelined(connection, statements: list[tuple]) -> list[list[tuple] | None]:
    """PostgreSQL only: these (statement, parameters) sent in one round trip (psycopg's
    pipeline mode), in the session's transaction. The server still runs them one after
    another, so a statement that waits for a lock holds back the ones after it, and each
    later statement's snapshot is taken once the earlier ones are done. Returns each
    statement's rows (None for one without). Values are bound as SQLAlchemy binds them;
    a driver error is raised as SQLAlchemy raises it. (Two statements on loopback gain
    nothing: the pipeline's own work costs what the round trip saved; its use is where
    the statements hold locks others wait for.)"""
    dialect = connection.dialect
    bound = [_bound(statement, params, dialect) for statement, params in statements]
    dbapi = connection.connection
    cursors, sql, args = [], None, None
    try:
        with dbapi.driver_connection.pipeline():
            for sql, args in bound:
                cursor = dbapi.cursor()
                cursors.append(cursor)
                connection.dispatch.before_cursor_execute(connection, cursor, sql, args,
                                                          SimpleNamespace(), False)
                cursor.execute(sql, args)
        return [cursor.fetchall() if cursor.description else None for cursor in cursors]
    except dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(sql, args, error, dialect.loaded_dbapi.Error) from error
    finally:
        for cursor in cursors:
            cursor.close()


def _bound(statement, params: dict, dialect) -> tuple[str, dict | tuple]:
    """The statement's SQL for the dialect and its parameters as the driver takes them,
    bound as SQLAlchemy binds them (an enum's value, JSON as text)."""
    key = (id(statement), dialect.name)
    found = _BOUND.get(key)
    if found is None or found[0] is not statement:
        found = _BOUND[key] = (statement, *compiled_sql(statement, dialect))
    _statement, sql, positions, fixed, processors = found
    args = {name: (processors[name](value) if processors.get(name) else value)
            for name, value in {**fixed, **params}.items()}
    return sql, tuple(args[name] for name in positions) if positions is not None else args


def execute_by_driver(statement, params: dict) -> int:
    """A write (UPDATE, DELETE) run by the driver on the session's connection, in its
    transaction: its SQL compiled once, its values bound as SQLAlchemy binds them. Returns
    the rows it changed. For a statement a job sends once per message: SQLAlchemy's
    execution costs twice what the driver's does. A driver error is raised as SQLAlchemy
    raises it."""
    connection = db.session.connection()
    dialect = connection.dialect
    sql, args = _bound(statement, params, dialect)
    cursor = connection.connection.cursor()
    try:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, args,
                                                  SimpleNamespace(), False)
        cursor.execute(sql, args)
        return cursor.rowcount
    except dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(sql, args, error, dialect.loaded_dbapi.Error) from error
    finally:
        cursor.close()


class AnyOf:
    """A read of the rows whose `column` is one of a list (parameter `name`): on PostgreSQL
    by the driver, the list bound as one array (`= ANY(...)`, one statement for any length);
    elsewhere by SQLAlchemy with an expanding IN. `driver` options as DriverQuery's."""

    def __init__(self, statement, column, name: str, **driver):
        self.listed = statement.where(column.in_(bindparam(name, expanding=True)))
        self.by_driver = DriverQuery(
            statement.where(column == any_(bindparam(name, type_=ARRAY(column.type)))),
            **driver)

    def all(self, params: dict) -> list:
        """Every row (named tuples or SQLAlchemy rows: read by attribute)."""
        if current_dialect().name == "postgresql":
            return self.by_driver.all(params)
        return db.session.connection().execute(self.listed, params).all()


def current_dialect():
    """The dialect of the session's database, without making a session for it."""
    return (db.session().get_bind() if db.session.registry.has() else db.engine).dialect


def _read_engine() -> Engine | None:
    """The engine whose read connection this request's DriverQuery reads may use: only in a
    view marked for it, on PostgreSQL, with the session bound to the engine itself (not to a
    connection, as a test's transaction is) and not inside a transaction of its own."""
    if not has_request_context() or not request.environ.get(READ_CONNECTION_OK):
        return None
    if db.session.registry.has():  # else no session yet, so no transaction (none is made)
        session = db.session()
        if session.in_transaction():
            return None
        bind = session.get_bind()
    else:
        bind = db.engine
    return bind if isinstance(bind, Engine) and bind.dialect.name == "postgresql" else None


class ReadConnections:
    """Per thread, one autocommit connection of the engine's, kept for the reads that every
    request of the busiest pages makes and that need no transaction (the store's version,
    the tracking page's row). Under READ COMMITTED each statement sees the latest commits
    either way; what it saves is the session's checkout of a pooled connection, setting and
    resetting its isolation level, and returning it: ~0.3 M instructions a request
    (bench/README.md, fourth sitting). The connection is the engine's own (its connect
    listeners ran), taken out of the pool for good; one per thread, replaced when the thread
    meets another engine or process, and opened again once when it broke."""

    def __init__(self):
        self._local = threading.local()

    def run(self, engine: Engine, sql: str, args, fetch):
        """`fetch(cursor)` after the statement, on this thread's read connection."""
        for attempt in (1, 2):
            connection, cursor = self._connection(engine)
            try:
                engine.dispatch.before_cursor_execute(None, cursor, sql, args,
                                                      SimpleNamespace(), False)
                cursor.execute(sql, args)
                return fetch(cursor)
            except engine.dialect.loaded_dbapi.Error as error:
                lost = connection.closed
                self.close()
                if attempt == 2 or not lost:
                    # Not a lost connection (a timeout, a refused statement), or lost twice:
                    # raised as SQLAlchemy raises it.
                    raise exc.DBAPIError.instance(sql, args, error,
                                                  engine.dialect.loaded_dbapi.Error) from error
        raise AssertionError("unreachable")

    def _connection(self, engine: Engine):
        """The thread's connection and its cursor, kept too (a new psycopg cursor copies
        the connection's adapters: ~40 k instructions)."""
        held = getattr(self._local, "held", None)
        if held is not None and held[0] is engine and held[1] == os.getpid():
            return held[2].dbapi_connection, held[3]
        self.close()
        pooled = engine.raw_connection()
        pooled.detach()  # ours for the thread's life: the pool neither counts nor resets it
        connection = pooled.dbapi_connection
        connection.autocommit = True
        self._local.held = (engine, os.getpid(), pooled, connection.cursor())
        # Closed with its thread, for servers that start one per request (the development
        # server); gunicorn's threads live as long as their worker.
        weakref.finalize(threading.current_thread(), _close_quietly, pooled)
        return connection, self._local.held[3]

    def close(self) -> None:
        """Close this thread's read connection, if it has one."""
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held[1] == os.getpid():
            _close_quietly(held[2])


def _close_quietly(pooled) -> None:
    try:
        pooled.close()
    except Exception:  # noqa: S110 (already closed or broken: nothing left to release)
        pass


READS = ReadConnections()
