"""The tracking page under gunicorn with two worker processes on PostgreSQL: each worker's
front (tracking/front.py) keeps the page after its first render; a change of the order is
then on the very next page of both. Which worker answered is read from gunicorn's access log
(the X-Probe header)."""

from __future__ import annotations

import uuid

import pytest

from shop.extensions import db
from shop.models import Order, OrderStatus
from shop.services.orders import transition

from .gunicorn import Held, at_once, gunicorn, served_by

pytestmark = pytest.mark.backends("postgresql")
WORKERS = 2


def pages_of_every_worker(url: str, log, path: str) -> list:
    """The page once from each worker, at once; asserts both answered."""
    tag = uuid.uuid4().hex[:8]
    held = [Held("GET", path, probe=f"{tag}-{n}") for n in range(WORKERS)]
    replies = at_once(url, held)
    pids = served_by(log)
    assert len({pids.get(reply.probe) for reply in replies}) == WORKERS, pids
    assert [reply.status for reply in replies] == [200] * WORKERS
    return replies


def test_a_status_change_is_on_every_workers_next_kept_page(app, committed, tmp_path):
    store = committed.burger_store()
    placed = committed.order(store, items=[("COLA", 1)], payment_method="bank_transfer")
    db.session.remove()
    path = f"/track/{placed.id}"
    with gunicorn(app, tmp_path, WORKERS) as (url, log):
        # Given each worker rendered the page, then answered it again from its front
        first = pages_of_every_worker(url, log, path)
        again = pages_of_every_worker(url, log, path)
        assert {reply.body for reply in first + again} == {first[0].body}
        assert all("set-cookie" not in reply.headers for reply in first + again)
        assert b"Dikonfirmasi" not in first[0].body

        # When the store confirms the order and the change commits
        transition(db.session.get(Order, placed.id), OrderStatus.CONFIRMED,
                   actor="admin:a@toko.test", notify=False)
        db.session.commit()

        # Then the very next page of both workers shows it
        for reply in pages_of_every_worker(url, log, path):
            assert b'data-status="CONFIRMED"' in reply.body and b"Dikonfirmasi" in reply.body
