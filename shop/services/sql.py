"""Small SQL helpers that read the same on SQLite and PostgreSQL."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db


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

    def __init__(self, statement):
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple | None]] = {}

    def _sql(self, dialect) -> tuple[str, tuple | None]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            positions = tuple(compiled.positiontup) if compiled.positional else None
            found = self._compiled[dialect.name] = (str(compiled), positions)
        return found

    def first(self, params: dict) -> tuple | None:
        """The first row (a tuple), or None, in the session's transaction."""
        connection = db.session.connection()
        sql, positions = self._sql(connection.dialect)
        args = tuple(params[name] for name in positions) if positions is not None else params
        cursor = connection.connection.cursor()
        try:
            connection.dispatch.before_cursor_execute(connection, cursor, sql, args,
                                                      SimpleNamespace(), False)
            cursor.execute(sql, args)
            return cursor.fetchone()
        finally:
            cursor.close()
