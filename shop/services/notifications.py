"""The outbox: messages written in the same transaction as the change that causes them, and
their delivery by a job after the commit (DESIGN.md, Notifications).

A row keeps the template key, the recipient and the values of its moment (`data`, JSON);
the text is rendered when it is sent, with what never changes (the order's number and id)
read then. Delivery claims a row with a conditional update (`queued -> sending`), so two
workers never send the same row; only a worker killed in the middle of a send can cause a
repeat, and the row's `attempts` show it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from jinja2 import TemplateError
from sqlalchemy import and_, bindparam, func, insert, select, update

from .. import clock
from ..extensions import db
from ..models import (
    MessageTemplate,
    Notification,
    NotificationChannel,
    NotificationStatus,
    Order,
)
from ..unit_of_work import autocommitting, commit, on_commit, statement_by_statement
from . import message_templates, outbox_sql, providers
from .sql import execute_by_driver

log = logging.getLogger(__name__)
NOTIFICATIONS = Notification.__table__
NOTIFICATION_INSERT = insert(NOTIFICATIONS).returning(NOTIFICATIONS.c.id)
#: Templates a stranger can make the store send (anyone can order with any number): at most
#: NOTIFY_CONFIRMATIONS_PER_HOUR of them per store and recipient.
LIMITED_TEMPLATES = frozenset({"order_confirmation"})
#: The hour NOTIFY_CONFIRMATIONS_PER_HOUR counts.
CONFIRMATIONS_WINDOW = timedelta(hours=1)
#: What rendering a template can raise on a row's real values even though it rendered on the
#: sample when it was saved (a method called on an empty field): the row fails, the job goes on.
RENDER_ERRORS = (LookupError, ValueError, TypeError, ArithmeticError, TemplateError)
#: Rows one delivery job takes; the sweep hands out overdue rows in batches of this size.
BATCH = 50
#: Values a row keeps only until it is out (sent, failed or suppressed): then `data` and the
#: text kept as `body` hold SECRET_MASK in their place. A dealer's login code is only good
#: for its `minutes`; a row still waiting after those is suppressed, not sent.
SECRET_VALUES = {"otp": ("code",)}
SECRET_MASK = "******"  # noqa: S105 - what stands in for a secret, not one


@dataclass(frozen=True)
class Message:
    """A message to queue: to whom, which template, the values of this moment."""

    recipient: str
    template: str
    data: dict = field(default_factory=dict)
    channel: NotificationChannel = NotificationChannel.WHATSAPP
    locale: str = "id"


def email_enabled() -> bool:
    """Whether customers who gave an email get each message by email too (SMTP_URL set)."""
    return bool(current_app.config.get("SMTP_URL"))


def json_values(values: dict) -> dict:
    """Values as JSON keeps them: amounts as strings with two decimals."""
    return {name: _json_value(value) for name, value in values.items()}


def _json_value(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return json_values(value)
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


def outbox_rows(
    messages: Sequence[Message], *, store_id: int | None, order_id: str | None, now: datetime,
    campaign_id: int | None = None, not_before: Sequence[datetime] | None = None,
) -> list[dict]:
    """The outbox rows for these messages, queued to be sent now (or each at `not_before`)."""
    # The columns that start empty (body, subject, claimed_at, sent_at ...) are left out:
    # fewer parameters on the checkout's hottest insert.
    rows = [
        {
            "store_id": store_id, "order_id": order_id, "channel": m.channel.value,
            "recipient": m.recipient, "template": m.template, "locale": m.locale,
            "data": json_values(m.data), "status": NotificationStatus.QUEUED.value,
            "attempts": 0, "next_attempt_at": not_before[n] if not_before else now,
            "created_at": now,
        }
        for n, m in enumerate(messages)
    ]
    if campaign_id is not None:
        for row in rows:
            row["campaign_id"] = campaign_id
    return rows


def queue_messages(
    messages: Sequence[Message], *, store_id: int | None, order_id: str | None, now: datetime,
) -> list[int]:
    """Write outbox rows (one statement) and have them delivered after the commit."""
    if not messages:
        return []
    ids = insert_rows(outbox_rows(messages, store_id=store_id, order_id=order_id, now=now))
    deliver_after_commit(ids, queue_name=_queue_of(messages))
    return ids


def insert_rows(rows: list[dict]) -> list[int]:
    """Insert outbox rows; their ids, in order."""
    result = db.session.connection().execute(NOTIFICATION_INSERT, rows)
    return [row[0] for row in result.all()]


def _queue_of(messages: Sequence[Message]) -> str:
    return "high" if any(m.template == "otp" for m in messages) else "default"


def deliver_order_after_commit(order_id: str, queue_name: str = "default") -> None:
    """Deliver the order's queued messages once the transaction commits (a checkout writes
    them without reading their ids back)."""
    from ..jobs import deliver_soon

    on_commit(lambda: deliver_soon([ORDER_PREFIX + order_id], queue_name))


#: An entry of a delivery list that stands for every due, queued row of one order.
ORDER_PREFIX = "o:"


def deliver_after_commit(ids: list[int], *, queue_name: str = "default",
                         at: datetime | None = None) -> None:
    """Enqueue the delivery of these rows once the transaction commits (never if it rolls
    back): now through the queue's outbox list (shop.jobs.deliver_soon), or at `at` in jobs
    of at most BATCH rows in RQ's schedule."""
    from ..jobs import deliver_soon, enqueue
    from ..jobs.tasks import deliver_notifications

    if not ids:
        return
    if at is None or at <= clock.now():
        on_commit(lambda: deliver_soon(list(ids), queue_name))
        return
    for start in range(0, len(ids), BATCH):
        enqueue(deliver_notifications, ids[start:start + BATCH], queue_name=queue_name, at=at)


# --- delivery -------------------------------------------------------------------------


def deliver(ids: Sequence[int | str]) -> dict[str, int]:
    """Claim and send these outbox rows (those still due; "o:<order id>" stands for the
    order's rows); commit after each. Returns how many were sent, retried, failed and
    suppressed."""
    counts = {"sent": 0, "retry": 0, "failed": 0, "suppressed": 0}
    reads = Reads()
    # Every write here is one statement committed at once (the claim, each row's outcome):
    # on PostgreSQL they autocommit, with no BEGIN and COMMIT around each.
    statement_by_statement()
    rows = claim_rows(ids)
    statement_by_statement()  # again after the claim's commit
    reads.prefetch(rows)
    for row in rows:
        statement_by_statement()  # again after a commit (a retry's)
        counts[_deliver_one(row, reads)] += 1
    if autocommitting():
        commit()  # ends the autocommit (and runs what was left for after a commit)
    return counts


class Reads:
    """What one delivery job reads once for all its rows: the template texts (one query for
    every template its rows use) and each order with its store (one query an order)."""

    def __init__(self):
        self.templates: dict[tuple[str, str], tuple[str, str]] = {}
        self.orders: dict[str, tuple | None] = {}
        #: For the rows that count their earlier ones (LIMITED_TEMPLATES): those earlier
        #: rows, read once for the round (None: not read, each row asks the database).
        self.earlier: list | None = None
        #: The ids of the rows suppressed since `earlier` was read.
        self.suppressed: set[int] = set()

    def prefetch(self, rows) -> None:
        """What the rows of a round need, in one query each: the templates, the orders
        and the rows the limited ones count."""
        self.prefetch_templates(rows)
        self.prefetch_orders(rows)
        self.prefetch_earlier(rows)

    def prefetch_orders(self, rows) -> None:
        """The orders (with their stores) the rows are about."""
        wanted = {row.order_id for row in rows if row.order_id and row.order_id not in
                  self.orders and getattr(message_templates.SPECS.get(row.template),
                                          "about_order", False)}
        wanted = {order_id for order_id in wanted if db.session.identity_map.get(
            db.session.identity_key(Order, order_id)) is None}  # order() has those
        if not wanted:
            return
        found = {order.id: (order, store) for order, store in db.session.execute(
            outbox_sql.ORDERS_WITH_STORES, {"order_ids": sorted(wanted)})}
        for order_id in wanted:
            self.orders[order_id] = found.get(order_id)

    def prefetch_earlier(self, rows) -> None:
        """The earlier rows that the rows of LIMITED_TEMPLATES count (suppression_reason),
        every candidate of the round's rows at once."""
        limited = [row for row in rows if row.template in LIMITED_TEMPLATES]
        if not limited or current_app.config["NOTIFY_CONFIRMATIONS_PER_HOUR"] <= 0:
            return
        self.earlier = db.session.execute(outbox_sql.EARLIER_CANDIDATES, {
            "recipients": sorted({row.recipient for row in limited}),
            "templates": sorted({row.template for row in limited}),
            "before": max(row.id for row in limited),
            "since": min(row.created_at for row in limited) - CONFIRMATIONS_WINDOW}).all()

    def earlier_count(self, row) -> int | None:
        """How many rows EARLIER counts for this row, from the round's read (None: not
        read). Rows suppressed since that read are not counted, as the database would not."""
        if self.earlier is None:
            return None
        since = row.created_at - CONFIRMATIONS_WINDOW
        return sum(1 for e in self.earlier
                   if e.id < row.id and e.recipient == row.recipient
                   and e.store_id == row.store_id and e.template == row.template
                   and e.created_at > since and e.id not in self.suppressed)

    def prefetch_templates(self, rows) -> None:
        """The texts of every template these rows are rendered with, in one query."""
        wanted = {(row.template, _locale(row.locale)) for row in rows
                  if row.template in message_templates.SPECS and row.template != "bulk"}
        missing = wanted - self.templates.keys()
        if not missing:
            return
        edited = {(row.key, row.locale): row for row in db.session.execute(
            outbox_sql.EDITED_TEMPLATES, {"keys": sorted({key for key, _locale in missing})})}
        for key, locale in missing:
            self.templates[key, locale] = _template_of(key, locale, edited.get((key, locale)))

    def template(self, key: str, locale: str) -> tuple[str, str]:
        if (key, _locale(locale)) not in self.templates:
            self.templates[key, _locale(locale)] = template_text(key, locale)
        return self.templates[key, _locale(locale)]

    def order(self, order_id: str):
        """The order (None if it no longer exists), read with its store."""
        if order_id not in self.orders:
            from ..models import Store

            loaded = db.session.identity_map.get(db.session.identity_key(Order, order_id))
            if loaded is not None:  # the caller's (a page of the back office) has it
                self.orders[order_id] = (loaded, db.session.get(Store, loaded.store_id))
            else:
                self.orders[order_id] = db.session.execute(
                    outbox_sql.ORDER_WITH_STORE, {"order_id": order_id}).first()
        found = self.orders[order_id]
        return found[0] if found is not None else None

    def payment_text(self, order_id: str, locale: str) -> str | None:
        """How to pay the order as it stands now, in the message's language (None when
        there is nothing to pay)."""
        from flask_babel import force_locale

        from .payments import order_payment_instructions

        if self.order(order_id) is None:
            return None
        order, store = self.orders[order_id]
        with force_locale(_locale(locale)):
            found = order_payment_instructions(store, order)
            return found.text() if found is not None else None


def _locale(locale: str | None) -> str:
    return locale if locale in message_templates.LOCALES else "id"


def claim(ids: Sequence[int], now: datetime | None = None) -> list[int]:
    """The ids of the rows claim_rows takes."""
    return [row.id for row in claim_rows(ids, now)]


def claim_rows(ids: Sequence[int | str], now: datetime | None = None) -> list:
    """Take the due, queued rows among `ids` ("o:<order id>": the order's rows) for this
    worker (queued -> sending) and commit, so a worker that dies from here on leaves them
    `sending` for the sweep. Returns the rows taken (every column, as they now are), by id;
    a row another worker took, or one not yet due, is left alone."""
    row_ids = [int(i) for i in ids if not str(i).startswith(ORDER_PREFIX)]
    order_ids = [str(i)[len(ORDER_PREFIX):] for i in ids if str(i).startswith(ORDER_PREFIX)]
    if not row_ids and not order_ids:
        return []
    params = {"now": now or clock.now()}
    if row_ids:
        params["ids"] = row_ids
    if order_ids:
        params["order_ids"] = order_ids
    taken = db.session.execute(outbox_sql.CLAIM[bool(row_ids), bool(order_ids)], params).all()
    commit()
    return sorted(taken, key=lambda row: row.id)


def _deliver_one(row, reads: Reads) -> str:
    config = current_app.config
    reason = suppression_reason(row, config, reads)
    if reason:
        _finish(row, status=NotificationStatus.SUPPRESSED, last_error=reason)
        reads.suppressed.add(row.id)
        return "suppressed"
    try:
        subject, body = render_notification(row, reads)
    except RENDER_ERRORS as error:
        _finish(row, status=NotificationStatus.FAILED, last_error=f"cannot render: {error}")
        return "failed"
    try:
        if row.channel == NotificationChannel.EMAIL:
            sent = providers.send_email(config, row.recipient, subject, body,
                                        reference=f"n{row.id}")
        else:
            sent = providers.send_whatsapp(config, row.recipient, body, reference=f"n{row.id}")
    except providers.SendError as error:
        return _failed_attempt(row, str(error), retry=error.retry, config=config)
    # last_error stays: a message sent after a failure, or again after its worker died,
    # keeps saying so.
    _finish(row, status=NotificationStatus.SENT, body=body, subject=subject,
            provider_message_id=sent.message_id, sent_at=clock.now())
    return "sent"


def _failed_attempt(row, error: str, *, retry: bool, config) -> str:
    if not retry or row.attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
        if retry:
            error = f"{error} (after {row.attempts} attempts)"
        _finish(row, status=NotificationStatus.FAILED, last_error=error)
        return "failed"
    wait = retry_wait(row.attempts, config["NOTIFY_RETRY_SECONDS"])
    due = clock.now() + wait
    if _finish(row, status=NotificationStatus.QUEUED, last_error=error, next_attempt_at=due,
               claimed_at=None, commit_now=False):
        deliver_after_commit([row.id], at=due if wait else None)
    commit()
    return "retry"


def retry_wait(attempts: int, first_seconds: float) -> timedelta:
    """The wait before the next attempt: first_seconds, then four times longer each time
    (30 s, 2 min, 8 min, 32 min, ~2 h by default), at most six hours."""
    return timedelta(seconds=min(first_seconds * 4 ** max(attempts - 1, 0), 6 * 3600))


def _finish(row, *, commit_now: bool = True, **values) -> bool:
    """Write the outcome if this worker's claim still holds (the sweep may have handed a
    stuck row out again meanwhile). Returns whether it did."""
    if row.template in SECRET_VALUES and values.get("status") != NotificationStatus.QUEUED:
        values = _without_secrets(row, values)
    names = tuple(sorted(values))
    params = {f"v_{name}": (v.value if isinstance(v, NotificationStatus) else v)
              for name, v in values.items()}
    done = execute_by_driver(outbox_sql.finish_statement(names), {
        **params, "row_id": row.id, "row_claimed_at": row.claimed_at}) == 1
    loaded = db.session.identity_map.get(db.session.identity_key(Notification, row.id))
    if loaded is not None:  # the session's copy (inline, in a request) reads it again
        db.session.expire(loaded)
    if commit_now and not autocommitting():  # else it is committed already
        commit()
    return done


def _without_secrets(row, values: dict) -> dict:
    """The outcome of a row whose template has SECRET_VALUES, with those values masked."""
    data = dict(row.data or {})
    hidden = [str(data[name]) for name in SECRET_VALUES[row.template] if data.get(name)]
    data.update({name: SECRET_MASK for name in SECRET_VALUES[row.template] if name in data})
    body = values.get("body")
    for secret in hidden:
        body = body.replace(secret, SECRET_MASK) if body else body
    return {**values, "data": data, **({"body": body} if "body" in values else {})}


def suppression_reason(row: Notification, config, reads: Reads | None = None) -> str | None:
    """Why this message is held back, if it is: a login code past its minutes (no use to
    anyone any more), or the store already wrote this recipient
    NOTIFY_CONFIRMATIONS_PER_HOUR confirmations in the hour before it (decided by the rows
    written before it, so the answer is the same whichever worker asks, and when)."""
    if row.template in SECRET_VALUES and (row.data or {}).get("minutes") and \
            clock.now() >= row.created_at + timedelta(minutes=float(row.data["minutes"])):
        return "the code expired before it could be sent"
    if row.template == "bulk":
        return _no_longer_reachable(row)
    limit = config["NOTIFY_CONFIRMATIONS_PER_HOUR"]
    if row.template not in LIMITED_TEMPLATES or limit <= 0:
        return None
    earlier = reads.earlier_count(row) if reads is not None else None
    if earlier is None:
        earlier = db.session.scalar(
            outbox_sql.EARLIER if row.store_id is not None
            else outbox_sql.EARLIER_WITHOUT_STORE,
            {"recipient": row.recipient, "store_id": row.store_id, "template": row.template,
             "row_id": row.id, "since": row.created_at - CONFIRMATIONS_WINDOW})
    if earlier >= limit:
        return (f"more than {limit} confirmations in an hour from this store to this "
                "recipient: held back (anyone can order with any number)")
    return None


def _no_longer_reachable(row) -> str | None:
    """A bulk message waits for its turn (minutes, hours): a customer blocked, deactivated
    or deleted since the campaign was sent does not get it."""
    from ..models import Customer, CustomerStatus

    still = db.session.scalar(
        select(func.count()).select_from(Customer).where(
            Customer.store_id == row.store_id, Customer.phone == row.recipient,
            Customer.is_active.is_(True), Customer.status == CustomerStatus.ACTIVE))
    if not still:
        return "the customer was blocked or removed after the bulk message was written"
    return None


# --- rendering ---------------------------------------------------------------------------


TEMPLATE_TEXT = (
    select(MessageTemplate.subject, MessageTemplate.body)
    .where(MessageTemplate.key == bindparam("key"), MessageTemplate.locale == bindparam("locale"))
)


def template_text(key: str, locale: str) -> tuple[str, str]:
    """(subject, body) of a template: the back office's text, else the built-in default.
    Raises LookupError for an unknown key."""
    if key not in message_templates.SPECS:
        raise LookupError(f"unknown template {key!r}")
    locale = _locale(locale)
    return _template_of(key, locale, db.session.execute(
        TEMPLATE_TEXT, {"key": key, "locale": locale}).first())


def _template_of(key: str, locale: str, edited) -> tuple[str, str]:
    """(subject, body): the back office's edited text (a row, or None), else the default."""
    default_subject, default_body = message_templates.SPECS[key].defaults[locale]
    if edited is None:
        return default_subject, default_body
    return edited.subject or default_subject, edited.body


def base_url(data: dict) -> str:
    """Where links point: PUBLIC_BASE_URL (production requires it); in development, the
    address the request that wrote the message came in on."""
    return current_app.config["PUBLIC_BASE_URL"] or str(data.get("base_url") or "")


def render_values(row: Notification, order: Order | None = None,
                  reads: Reads | None = None) -> dict:
    """The template's values: the row's own, plus what is read at sending time (the order's
    number and id, links made from PUBLIC_BASE_URL; `order` when the caller has it).
    Raises LookupError."""
    values = dict(row.data or {})
    base = base_url(values)
    values.pop("base_url", None)
    admin_path = values.pop("admin_path", "/admin/")
    spec = message_templates.SPECS.get(row.template)
    if spec is not None and spec.about_order:
        if order is not None and order.id == row.order_id:
            found = order
        elif not row.order_id:
            found = None
        else:
            found = (reads or Reads()).order(row.order_id)
        if found is None:
            raise LookupError("the order of this message no longer exists")
        values.update(order_number=found.number, order_id=found.id,
                      tracking_url=f"{base}/track/{found.id}")
        if "payment_instructions" in spec.variables:
            values["payment_instructions"] = (reads or Reads()).payment_text(found.id,
                                                                            row.locale)
    if spec is not None and "admin_url" in spec.variables:
        values["admin_url"] = f"{base}{admin_path}"
    if spec is not None:  # an optional value the moment did not have is empty, not an error
        for name in spec.variables:
            values.setdefault(name, None)
    if spec is not None and "tracking_link" in spec.variables:
        from .shipping import carrier_tracking_url

        carrier, number = values.get("carrier_code"), values.get("tracking_number")
        values["tracking_link"] = carrier_tracking_url(carrier, number) if carrier else None
    return values


def render_notification(row: Notification, reads: Reads | None = None
                        ) -> tuple[str | None, str]:
    """(subject, body) of an outbox row as it goes out now. Raises LookupError."""
    if row.data is None and row.body:
        return row.subject, row.body  # written before texts were rendered at delivery
    if row.template == "bulk":
        from ..models import Campaign

        campaign = db.session.get(Campaign, row.campaign_id) if row.campaign_id else None
        if campaign is None:
            raise LookupError("the campaign of this message no longer exists")
        subject_source = message_templates.SPECS["bulk"].defaults[
            row.locale if row.locale in message_templates.LOCALES else "id"][0]
        body_source = campaign.body
    else:
        subject_source, body_source = (reads or Reads()).template(row.template, row.locale)
    values = render_values(row, reads=reads)
    body = message_templates.render(body_source, values)
    subject = None
    if row.channel == NotificationChannel.EMAIL:
        subject = message_templates.render(subject_source, values)
    return subject, body


def render_confirmation(data: dict, *, number: str, order_id: str, locale: str,
                        payment_instructions: str | None = None) -> str:
    """The customer's order confirmation as it will be sent (for the success page)."""
    values = dict(data)
    base = base_url(values)
    values.pop("base_url", None)
    values.update(order_number=number, order_id=order_id, tracking_url=f"{base}/track/{order_id}",
                  payment_instructions=payment_instructions)
    return message_templates.render(template_text("order_confirmation", locale)[1],
                                    json_values(values))


def order_message_texts(rows: Sequence[Notification], order: Order) -> list[str]:
    """The texts of an order's outbox rows for the back office: as sent, or as they would go
    out now; one query for the edited templates whatever the number of rows."""
    waiting = [row for row in rows if not row.body and row.template in
               message_templates.SPECS]
    edited = {}
    if waiting:
        edited = {(t.key, t.locale): t.body for t in db.session.scalars(select(MessageTemplate)
                  .where(MessageTemplate.key.in_({row.template for row in waiting})))}
    texts = []
    for row in rows:
        if row.body or row not in waiting:
            texts.append(row.body or "")
            continue
        locale = row.locale if row.locale in message_templates.LOCALES else "id"
        source = edited.get((row.template, locale)) or \
            message_templates.SPECS[row.template].defaults[locale][1]
        try:
            texts.append(message_templates.render(source, render_values(row, order)))
        except RENDER_ERRORS:
            texts.append("")
    return texts


# --- the sweep ---------------------------------------------------------------------------


def overdue_rows(now: datetime, *, grace: timedelta, sending_timeout: timedelta,
                 limit: int = 5000) -> tuple[list[int], list[int]]:
    """(rows left `queued` past their time by more than `grace`, rows `sending` for longer
    than `sending_timeout`)."""
    queued = db.session.scalars(
        select(NOTIFICATIONS.c.id).where(
            NOTIFICATIONS.c.status == NotificationStatus.QUEUED.value,
            NOTIFICATIONS.c.next_attempt_at <= now - grace)
        .order_by(NOTIFICATIONS.c.id).limit(limit)).all()
    stuck = db.session.scalars(
        select(NOTIFICATIONS.c.id).where(
            NOTIFICATIONS.c.status == NotificationStatus.SENDING.value,
            NOTIFICATIONS.c.claimed_at <= now - sending_timeout)
        .order_by(NOTIFICATIONS.c.id).limit(limit)).all()
    return list(queued), list(stuck)


def sweep(now: datetime | None = None, *, grace: timedelta = timedelta(seconds=30)) -> dict:
    """Hand out again what was lost: rows left `queued` (Redis was down at the commit, or a
    retry's job vanished) and rows stuck in `sending` (their worker died mid-send). A stuck
    row goes back to `queued` keeping its attempts, so a repeat shows. Commits."""
    now = now or clock.now()
    timeout = timedelta(seconds=current_app.config["NOTIFY_SENDING_TIMEOUT"])
    queued, stuck = overdue_rows(now, grace=grace, sending_timeout=timeout)
    if stuck:
        db.session.execute(
            update(NOTIFICATIONS)
            .where(NOTIFICATIONS.c.id.in_(stuck),
                   NOTIFICATIONS.c.status == NotificationStatus.SENDING.value,
                   NOTIFICATIONS.c.claimed_at <= now - timeout)
            .values(status=NotificationStatus.QUEUED.value, next_attempt_at=now,
                    claimed_at=None,
                    last_error="its worker stopped while sending; sent again (it may "
                               "have arrived once already)"))
    again = sorted(set(queued) | set(stuck))
    deliver_after_commit(again)
    commit()
    return {"queued": len(queued), "stuck": len(stuck)}


def retry_failed(ids: Sequence[int]) -> int:
    """Queue failed rows again, now, from the back office. Returns how many."""
    taken = db.session.execute(
        update(NOTIFICATIONS)
        .where(NOTIFICATIONS.c.id.in_(list(ids)),
               NOTIFICATIONS.c.status == NotificationStatus.FAILED.value)
        .values(status=NotificationStatus.QUEUED.value, next_attempt_at=clock.now(),
                claimed_at=None)
        .returning(NOTIFICATIONS.c.id)
    ).scalars().all()
    deliver_after_commit(sorted(taken))
    return len(taken)


def oldest_queued_age(now: datetime | None = None) -> float | None:
    """Seconds the oldest due, queued message has waited (None when none waits)."""
    now = now or clock.now()
    oldest = db.session.scalar(
        select(func.min(NOTIFICATIONS.c.next_attempt_at)).where(
            and_(NOTIFICATIONS.c.status == NotificationStatus.QUEUED.value,
                 NOTIFICATIONS.c.next_attempt_at <= now)))
    if oldest is None:
        return None
    if oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return max((now - oldest).total_seconds(), 0.0)
