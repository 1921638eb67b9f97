"""A delivery round reads once the rows its confirmations count (suppression_reason), and
decides as one query per row did (tests/jobs/test_delivery_rounds_pg.py: its statements)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from shop import clock
from shop.extensions import db
from shop.models import Notification, Store
from shop.services import notifications
from shop.services.notifications import Message, Reads, insert_rows, outbox_rows

PHONES = ("6281200000001", "6281200000002")

#: One row of a generated outbox: recipient, store (0: the first, 1: another, 2: none),
#: minutes before now it was written, its status before the round, whether the round has it.
outbox_row = st.tuples(st.sampled_from(PHONES), st.sampled_from((0, 1, 2)),
                       st.integers(0, 90), st.sampled_from(("sent", "suppressed", "queued")),
                       st.booleans())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outbox=st.lists(outbox_row, min_size=1, max_size=14), limit=st.integers(1, 4))
def test_a_round_suppresses_exactly_the_rows_one_query_per_row_would(
        app, make, burger, outbox, limit):
    other = db.session.scalar(select(Store).filter_by(slug="lain")) or make.store("lain")
    stores = (burger.id, other.id, None)
    now = clock.now()
    ids = []
    for phone, store, minutes, status, in_round in outbox:
        written = now - timedelta(minutes=minutes)
        (row_id,) = insert_rows(outbox_rows(
            [Message(phone, "order_confirmation", {})], store_id=stores[store],
            order_id=None, now=written))
        ids.append(row_id)
        db.session.execute(update(Notification).where(Notification.id == row_id).values(
            status="sending" if in_round else status, claimed_at=now))
    app.config["NOTIFY_CONFIRMATIONS_PER_HOUR"] = limit
    try:
        taken = list(db.session.execute(
            select(Notification.__table__).where(Notification.id.in_(ids),
                                                 Notification.status == "sending")
            .order_by(Notification.id)))
        reads = Reads()
        reads.prefetch_earlier(taken)
        for row in taken:
            # What the database answers now, row by row, as a round without the read did.
            asked = notifications.suppression_reason(row, app.config)
            assert notifications.suppression_reason(row, app.config, reads) == asked
            if asked:
                db.session.execute(update(Notification).where(Notification.id == row.id)
                                   .values(status="suppressed"))
                reads.suppressed.add(row.id)
            else:
                db.session.execute(update(Notification).where(Notification.id == row.id)
                                   .values(status="sent"))
    finally:
        app.config["NOTIFY_CONFIRMATIONS_PER_HOUR"] = 5
        db.session.execute(delete(Notification).where(Notification.id.in_(ids)))
