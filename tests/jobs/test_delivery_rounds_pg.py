"""A delivery round on PostgreSQL: what its rows share is read once (the templates, the
orders with their stores, the rows the confirmations count), each row's outcome is one
statement, and it is committed, seen by every other connection, before the next row is
sent (a worker that dies loses at most the send under way)."""

from __future__ import annotations

import os
from collections import Counter

import psycopg
import pytest
from sqlalchemy import event

from shop.extensions import db
from shop.services import notifications

from .conftest import Reply, burger_with_admins, checkout, free_port, outbox


@pytest.mark.backends("postgresql")
def test_a_round_of_three_orders_reads_once_and_each_outcome_is_committed_before_the_next(
        shop_app, committed, gateway):
    down = shop_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # the rows stay queued
    burger_with_admins(committed)
    for _ in range(3):
        status, _answer = checkout(down)
        assert status == 201
    ids = [row.id for row in outbox()]
    assert len(ids) == 12 and {row.status for row in outbox()} == {"queued"}

    # At each send, what another connection sees already sent.
    seen_sent = []
    probe = psycopg.connect(os.environ["TEST_DATABASE_URL"], autocommit=True)

    def answer(number, _payload):
        seen_sent.append(sorted(r[0] for r in probe.execute(
            "SELECT id FROM notifications WHERE status = 'sent'")))
        return {"id": f"gw-{number}", "status": "queued"}

    gateway.script(*[Reply(json=answer)] * len(ids))
    statements = Counter()

    def count(_conn, _cursor, sql, *_args):
        statements[sql.split(None, 1)[0].upper()] += 1

    with down.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            counts = notifications.deliver(ids)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    probe.close()

    assert counts == {"sent": 12, "retry": 0, "failed": 0, "suppressed": 0}
    assert seen_sent == [sorted(ids[:n]) for n in range(len(ids))]
    # The claim and each row's outcome; the templates, the orders with their stores and
    # the confirmations' earlier rows, once for the round.
    assert statements == {"UPDATE": 1 + len(ids), "SELECT": 3}
    assert all(row.status == "sent" and row.attempts == 1 for row in outbox())
