"""The statements of the outbox's delivery, built once: a job runs a few of them per message,
and building one (SQLAlchemy's expression objects and their cache key) cost as much as
sending it (bench/README.md, "Issue 16 results, third sitting")."""

from __future__ import annotations

from functools import cache

from sqlalchemy import and_, bindparam, func, or_, select, update

from ..models import MessageTemplate, Notification, NotificationStatus, Order, Store

NOTIFICATIONS = Notification.__table__
_C = NOTIFICATIONS.c
_IDS = _C.id.in_(bindparam("ids", expanding=True))
_ORDERS = _C.order_id.in_(bindparam("order_ids", expanding=True))
_DUE = and_(_C.status == NotificationStatus.QUEUED.value,
            or_(_C.next_attempt_at.is_(None), _C.next_attempt_at <= bindparam("now")))


def _claim(which):
    return (update(NOTIFICATIONS).where(which, _DUE)
            .values(status=NotificationStatus.SENDING.value, claimed_at=bindparam("now"),
                    attempts=_C.attempts + 1)
            .returning(*NOTIFICATIONS.c))


#: queued -> sending for the due rows among ids, among the orders' rows, or both; every column
#: of the rows taken comes back.
CLAIM = {(True, False): _claim(_IDS), (False, True): _claim(_ORDERS),
         (True, True): _claim(or_(_IDS, _ORDERS))}


@cache
def finish_statement(names: tuple[str, ...]):
    """The outcome's UPDATE of these columns (bound as v_<name>), if the claim still holds
    (row_id, claimed_at)."""
    return (update(NOTIFICATIONS)
            .where(_C.id == bindparam("row_id"),
                   _C.status == NotificationStatus.SENDING.value,
                   _C.claimed_at == bindparam("row_claimed_at"))
            .values({name: bindparam(f"v_{name}") for name in names}))


def _earlier(store):
    return select(func.count()).select_from(NOTIFICATIONS).where(
        _C.recipient == bindparam("recipient"), store, _C.template == bindparam("template"),
        _C.id < bindparam("row_id"), _C.created_at > bindparam("since"),
        _C.status != NotificationStatus.SUPPRESSED.value)


#: Rows of the same template written to the same recipient by the same store (or by none)
#: before this one and since `since`, not suppressed.
EARLIER = _earlier(_C.store_id == bindparam("store_id"))
EARLIER_WITHOUT_STORE = _earlier(_C.store_id.is_(None))

#: The texts the back office edited for these template keys, every language.
EDITED_TEMPLATES = (
    select(MessageTemplate.key, MessageTemplate.locale, MessageTemplate.subject,
           MessageTemplate.body)
    .where(MessageTemplate.key.in_(bindparam("keys", expanding=True))))
#: An order with its store (what a message about it is rendered from).
ORDER_WITH_STORE = (select(Order, Store).join(Store, Store.id == Order.store_id)
                    .where(Order.id == bindparam("order_id")))
#: The orders of a round's messages, each with its store.
ORDERS_WITH_STORES = (select(Order, Store).join(Store, Store.id == Order.store_id)
                      .where(Order.id.in_(bindparam("order_ids", expanding=True))))
#: What EARLIER counts, for a round's rows at once: the not suppressed rows of these
#: templates to these recipients written since `since` and before `before` (counted per row
#: in Python, so that a row suppressed earlier in the round is not counted).
EARLIER_CANDIDATES = (
    select(_C.id, _C.recipient, _C.store_id, _C.template, _C.created_at)
    .where(_C.recipient.in_(bindparam("recipients", expanding=True)),
           _C.template.in_(bindparam("templates", expanding=True)),
           _C.id < bindparam("before"), _C.created_at > bindparam("since"),
           _C.status != NotificationStatus.SUPPRESSED.value))
