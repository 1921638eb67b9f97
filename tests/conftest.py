"""Fixtures: one app per database (SQLite always, PostgreSQL with TEST_DATABASE_URL),
the schema created once per run, and each test rolled back.

pytest-flask (loaded as a plugin) gives `client`, tied here to the test's transaction, and
pushes a request context of `app` for every test that uses it; the live server is our own."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.serving import make_server

from shop import create_app
from shop.extensions import db
from shop.models import Store
from shop.models.catalog import CATALOG_TRIGGERS
from shop.services.process_cache import ProcessCache

from .factories import Factories

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run only on these databases")


def _database_url(backend: str, tmp_path_factory) -> str:
    if backend == "postgresql":
        return os.environ["TEST_DATABASE_URL"]
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_test_app(database_url: str, **overrides):
    """An app for tests: its own database, no rate limits, no CSRF unless asked for."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-long-enough",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_BASE_URL": "https://shop.test",
        "SERVER_NAME": None,
        # A burst worker ends when its queues are empty; a lingering drain job would keep it
        # a second longer each time (tests/jobs/test_drain.py lingers on purpose).
        "NOTIFY_DRAIN_LINGER": 0.0,
        # The support chat never reaches a real model from a test; tests/chat_model.py
        # installs a local stand-in.
        "ANTHROPIC_API_KEY": "",
        "ANTHROPIC_BASE_URL": "",
    }
    config.update(overrides)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("LEGACY_DATABASE_URL", None)
    from shop.config import _sqlalchemy_url

    config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(config["SQLALCHEMY_DATABASE_URI"])
    config.setdefault("LEGACY_DATABASE_URL", _sqlalchemy_url(legacy_url(database_url)))
    return create_app(config)


def legacy_url(database_url: str) -> str:
    """Where a test app keeps the legacy ERP's tables: beside its SQLite file (one file per
    engine, so the two never wait for each other's write lock), or in the same PostgreSQL
    database (other table names)."""
    if database_url.startswith("sqlite:///") and not database_url.endswith(":memory:"):
        return database_url + "-legacy"
    return database_url


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    """The application on one database, schema built once for the whole run."""
    backend = request.param
    application = make_test_app(_database_url(backend, tmp_path_factory))
    application.config["TEST_BACKEND"] = backend
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.drop_all()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture(autouse=True)
def _backend_filter(request):
    """Honour @pytest.mark.backends("postgresql") on tests that need one database."""
    marker = request.node.get_closest_marker("backends")
    if marker is None or "app" not in request.fixturenames:
        return
    backend = request.getfixturevalue("app").config["TEST_BACKEND"]
    if backend not in marker.args:
        pytest.skip(f"runs on {', '.join(marker.args)} only; this is {backend}")


@pytest.fixture
def database(app) -> Iterator[None]:
    """Run the test inside a transaction that is rolled back at its end.

    Commits in the code under test only release a savepoint of that transaction.
    """
    with app.app_context():
        engines = db._app_engines[app]
        saved = dict(engines)
        opened = []
        for key, engine in saved.items():  # the main database and the legacy ERP's
            connection = engine.connect()
            opened.append((connection, connection.begin()))
            if connection.dialect.name == "postgresql" and key is None:
                # The catalog version's triggers wait for the commit, which a test's
                # transaction never reaches: here they fire with each statement instead.
                connection.exec_driver_sql(
                    f"SET CONSTRAINTS {', '.join(CATALOG_TRIGGERS)} IMMEDIATE")
            engines[key] = connection
        db.session.remove()
        db.session.session_factory.configure(join_transaction_mode="create_savepoint")
        forget_process_caches(app)
        try:
            yield
        finally:
            db.session.remove()
            db.session.session_factory.configure(join_transaction_mode="conditional_savepoint")
            engines.update(saved)
            for connection, outer in opened:
                outer.rollback()
                connection.close()


@pytest.fixture
def client(database, client: FlaskClient) -> FlaskClient:
    """pytest-flask's `client` (`with app.test_client()`), inside the test's transaction.

    Requested after `database`, so it is closed first: the context it keeps from its last
    request is popped (and that request's session removed) before the transaction rolls back.
    """
    return client


@contextmanager
def app_on_redis(app):
    """The app on the Redis of TEST_REDIS_URL (flushed before and after) inside the block:
    jobs go to their RQ queues instead of running in the request. Skips without
    TEST_REDIS_URL. Yields the Redis client."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("needs TEST_REDIS_URL")
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    saved = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = url
    app.extensions.pop("shop_redis", None)
    try:
        yield client
    finally:
        app.config["REDIS_URL"] = saved
        app.extensions.pop("shop_redis", None)
        client.flushdb()


@pytest.fixture
def runner(app, database):
    return app.test_cli_runner()


@pytest.fixture
def make(app, database) -> Factories:
    """Factories for stores, products, customers and orders (committed to the test's savepoint)."""
    return Factories()


@pytest.fixture
def burger(make: Factories) -> Store:
    """Burger China of seed 000 with its menu (Factories.burger_store)."""
    return make.burger_store()


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside a `with count_queries() as counter:` block."""

    @contextmanager
    def counting():
        statements: list[str] = []

        def before(conn, cursor, statement, params, context, executemany):
            statements.append(statement)

        engine = db.engines[None]
        target = engine.engine if hasattr(engine, "engine") else engine
        event.listen(target, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(target, "before_cursor_execute", before)

    return counting


def counted(statements: list[str]) -> list[str]:
    """The statements that are real work (not transaction control)."""
    control = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")
    return [s for s in statements if not s.strip().upper().startswith(control)]


# --- committed data and a live server, for concurrency and browser tests -----------------


def forget_process_caches(app) -> None:
    """Drop what the app keeps per catalog version and per tracking row: earlier tests'
    rollbacks and wipes made the same store ids and versions with other data, which no real
    database does."""
    for name in [n for n, v in app.extensions.items() if isinstance(v, ProcessCache)]:
        del app.extensions[name]


def wipe(app) -> None:
    """Delete every row (for tests that really commit), and what the app kept of them."""
    forget_process_caches(app)
    with app.app_context():
        db.session.remove()
        for key, metadata in db.metadatas.items():
            with db.engines[key].begin() as conn:
                for table in reversed(metadata.sorted_tables):
                    conn.execute(table.delete())


@pytest.fixture
def committed(app):
    """A database whose data really commits; emptied before and after the test."""
    wipe(app)
    with app.app_context():
        yield Factories()
        db.session.remove()
    wipe(app)


class ThreadedLiveServer:
    """The app served by werkzeug on a free loopback port, from a thread of this process."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)


# Not pytest-flask's `live_server`, which forks the app into another process when the fixture
# starts, once per session unless the ini sets `live_server_scope`: a forked server never sees
# config set after the fork, and the browser tests must set theirs afterwards (PUBLIC_BASE_URL
# is the server's own URL, known once its port is bound; CSRF on for them only). It also
# rewrites SERVER_NAME of our session-wide app while it runs, listens on "localhost" rather
# than 127.0.0.1, and forks the engine's pooled connections along. Committed data would work
# across processes; the config does not. Served from a thread, the app is this very object.
@pytest.fixture
def threaded_live_server(app, committed) -> Iterator[ThreadedLiveServer]:
    """The app served over HTTP on a loopback port, in a thread, on committed data."""
    with ThreadedLiveServer(app) as server:
        yield server
