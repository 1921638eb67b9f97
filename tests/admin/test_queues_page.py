"""The RQ queues, workers and failed jobs page: super admins only; without Redis it says that
jobs run in the web process; with Redis (TEST_REDIS_URL) it shows each queue's counts, the
last failed jobs and the workers."""

from __future__ import annotations

import os

import pytest

from shop.extensions import db
from shop.services.admin_users import save_admin

from ..conftest import make_test_app
from .backoffice import text, to_login
from .conftest import PASSWORD, sign_in

PAGE = "/admin/queues/"


def explode(reason: str) -> None:
    """A job that fails, as a broken delivery would."""
    raise RuntimeError(f"gateway meledak: {reason}")


def test_a_store_admin_gets_403_and_a_visitor_the_login(app, login_as, burger):
    assert login_as("admin", [burger]).get(PAGE).status_code == 403
    assert to_login(app.test_client().get(PAGE))
    assert PAGE not in text(login_as("admin", [burger]).get("/admin/"))  # not in the menu


def test_without_redis_the_page_says_jobs_run_in_the_web_process(login_as):
    boss = login_as("super_admin")

    page = boss.get(PAGE)

    assert page.status_code == 200
    assert 'id="no-redis"' in text(page) and "proses web" in text(page)
    assert 'id="queues"' not in text(page)
    assert PAGE in text(boss.get("/admin/"))  # in the super admin's menu


@pytest.fixture
def redis_app(tmp_path):
    """An app on Redis (TEST_REDIS_URL, flushed before and after) and a database of its own,
    with a super admin; its test client signed in."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    application = make_test_app(f"sqlite:///{tmp_path / 'queues.db'}", REDIS_URL=url,
                                RATELIMIT_STORAGE_URI="memory://")
    with application.app_context():
        db.create_all()
        boss, _ = save_admin("boss@toko.test", password=PASSWORD, role="super_admin",
                             stores=[])
        db.session.commit()
        from shop.jobs import redis_connection

        connection = redis_connection(application)
        connection.flushdb()
        client = application.test_client()
        assert sign_in(client, boss).status_code == 302
        yield application, client, connection
        connection.flushdb()
        db.session.remove()
        db.engine.dispose()


def test_with_redis_it_shows_queues_failed_jobs_and_workers(redis_app):
    from rq import Queue

    from shop.jobs.worker import Worker

    _app, client, connection = redis_app
    default = Queue("default", connection=connection)
    failing = default.enqueue(explode, "HTTP 500", failure_ttl=600)
    Worker([default], connection=connection).work(burst=True, max_jobs=1)
    default.enqueue(explode, "menunggu")  # still waiting: no worker runs it
    idle = Worker([Queue("high", connection=connection)], connection=connection)
    idle.register_birth()
    try:
        page = text(client.get(PAGE))
    finally:
        idle.register_death()

    row = page[page.index('id="queue-default"'):]
    row = row[:row.index("</tr>")]
    assert '<td class="waiting">1</td>' in row and '<td class="failed">1</td>' in row
    assert failing.id in page
    assert "tests.admin.test_queues_page.explode" in page
    assert "RuntimeError: gateway meledak: HTTP 500" in page
    assert idle.name in page and 'id="no-redis"' not in page


def test_a_redis_that_does_not_answer_is_said_not_a_500(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    application = make_test_app(f"sqlite:///{tmp_path / 'down.db'}",
                                REDIS_URL=f"redis://127.0.0.1:{port}/0",
                                RATELIMIT_STORAGE_URI="memory://")
    with application.app_context():
        db.create_all()
        boss, _ = save_admin("boss@toko.test", password=PASSWORD, role="super_admin",
                             stores=[])
        db.session.commit()
        client = application.test_client()
        assert sign_in(client, boss).status_code == 302

        page = client.get(PAGE)

        assert page.status_code == 200 and 'id="redis-error"' in text(page)
        db.session.remove()
        db.engine.dispose()
