"""Self-service on the tracking page (seed 000, phase 2 "Request Edit"): the shopper asks for a
change of address, items or note, or cancels an order that is still PENDING and unpaid, each
confirmed with the last four digits of the order's WhatsApp number ("phone verification");
the store's admins are alerted and answer a request in the back office.

Messages are Indonesian msgids marked with N_ (the pages translate them with gettext); the
field cleaners' messages are translated when raised, with the label translated too."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import InvalidInput, StaleChange, TransitionRefused
from ..extensions import db
from ..models import (
    EventKind,
    Order,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    PaymentStatus,
    RequestStatus,
    RequestTopic,
    Store,
    utcnow,
)
from ..template_i18n import gettext as _
from .labels import N_
from .notifications import Message, queue_messages
from .order_channels import store_admins
from .orders import tell_customer, transition
from .validation import clean_text

#: A change may be asked for until the parcel leaves (SHIPPED and later: too late to change
#: the address or the items; the final statuses: nothing left to change).
CHANGEABLE_STATUSES = (OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PROCESSING)
MAX_MESSAGE = 1000
MAX_ANSWER = 1000
MAX_REASON = 300
TOPIC_LABELS = {
    RequestTopic.ADDRESS: N_("Alamat"),
    RequestTopic.ITEMS: N_("Item pesanan"),
    RequestTopic.NOTE: N_("Catatan"),
}
REQUEST_STATUS_LABELS = {
    RequestStatus.OPEN: N_("Menunggu jawaban"),
    RequestStatus.ANSWERED: N_("Sudah dijawab"),
}
CANCEL_REFUSED = N_("Pesanan ini tidak bisa dibatalkan lagi dari halaman ini (sudah diproses "
                    "atau sudah dibayar). Silakan hubungi toko lewat WhatsApp.")
CHANGE_REFUSED = N_("Pesanan ini tidak bisa diubah lagi dari halaman ini (sudah dikirim atau "
                    "selesai). Silakan hubungi toko lewat WhatsApp.")
LAST_FOUR_FORMAT = N_("Isi 4 angka terakhir nomor WhatsApp pemesan.")
LAST_FOUR_WRONG = N_("4 angka terakhir nomor WhatsApp tidak cocok dengan pesanan ini.")


@dataclass(frozen=True)
class SelfService:
    """What the tracking page offers for one order."""

    can_request_change: bool
    can_cancel: bool
    requests: list[OrderRequest]


def can_request_change(status: OrderStatus) -> bool:
    """Whether the shopper may still ask for a change (until the parcel leaves)."""
    return status in CHANGEABLE_STATUSES


def can_cancel_by_customer(status: OrderStatus, payment_status: PaymentStatus) -> bool:
    """Whether the shopper may cancel: only while PENDING and unpaid (a paid order needs a
    refund, a confirmed one the store's word)."""
    return status == OrderStatus.PENDING and payment_status == PaymentStatus.PENDING


def self_service_of(order_id: str, status, payment_status, requests=None) -> SelfService:
    """The tracking page's offers and the order's requests, oldest first (read here unless
    the caller has them)."""
    status, payment_status = OrderStatus(status), PaymentStatus(payment_status)
    return SelfService(can_request_change(status),
                       can_cancel_by_customer(status, payment_status),
                       order_requests(order_id) if requests is None else requests)


def order_requests(order_id: str) -> list[OrderRequest]:
    """The order's requests, oldest first."""
    return list(db.session.scalars(
        select(OrderRequest).where(OrderRequest.order_id == order_id)
        .order_by(OrderRequest.created_at, OrderRequest.id)))


def check_last_four(order: Order, last_four) -> None:
    """The shopper's proof of knowing the order's number: exactly four ASCII digits equal to
    the last four of recipient_phone (compared in constant time). Raises InvalidInput."""
    text = last_four.strip() if isinstance(last_four, str) else ""
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        raise InvalidInput(LAST_FOUR_FORMAT, fields={"last_four": N_("Harus 4 angka.")})
    digits = "".join(c for c in order.recipient_phone or "" if c.isascii() and c.isdigit())
    if len(digits) < 4 or not hmac.compare_digest(text, digits[-4:]):
        raise InvalidInput(LAST_FOUR_WRONG, fields={"last_four": N_("Tidak cocok.")})


def clean_topic(topic) -> RequestTopic:
    """The request's topic. Raises InvalidInput."""
    try:
        return RequestTopic(topic)
    except ValueError:
        raise InvalidInput(N_("Pilih apa yang ingin diubah."),
                           fields={"topic": N_("Pilih salah satu.")}) from None


def request_change(order: Order, *, topic, message, last_four,
                   base_url: str | None = None) -> OrderRequest:
    """Record the shopper's change request (an OrderRequest and a REQUEST event by
    "customer") and alert the store's admins. Raises InvalidInput or TransitionRefused;
    nothing is written then."""
    if not can_request_change(order.status):
        raise TransitionRefused(CHANGE_REFUSED, status=order.status.value)
    what = clean_topic(topic)
    text = clean_text(message, field="message", label=_("Pesan"), required=True,
                      limit=MAX_MESSAGE)
    check_last_four(order, last_four)
    now = utcnow()
    request = OrderRequest(order_id=order.id, store_id=order.store_id, topic=what,
                           message=text, status=RequestStatus.OPEN, created_at=now)
    db.session.add(request)
    db.session.flush()
    _event(order, "customer", f"Permintaan #{request.id} ({TOPIC_LABELS[what]}): {text}")
    _alert_admins(order, "change_request_admin",
                  {"topic": TOPIC_LABELS[what], "note": text}, base_url=base_url)
    db.session.flush()
    return request


def cancel_by_customer(order: Order, *, last_four, reason=None,
                       base_url: str | None = None) -> Order:
    """The shopper cancels a PENDING unpaid order: the status machine's move (stock back,
    status event by "customer", the customer's cancellation message) and the admins alerted.
    Raises InvalidInput or TransitionRefused (naming WhatsApp); nothing is written then."""
    if not can_cancel_by_customer(order.status, order.payment_status):
        raise TransitionRefused(CANCEL_REFUSED, status=order.status.value)
    why = clean_text(reason, field="reason", label=_("Alasan"), limit=MAX_REASON,
                     multiline=False)
    check_last_four(order, last_four)
    _hold_unpaid(order)
    note = "Dibatalkan pelanggan dari halaman lacak" + (f": {why}" if why else "")
    try:
        transition(order, OrderStatus.CANCELLED, actor="customer", note=note,
                   base_url=base_url)
    except StaleChange:  # the store moved it on at this very moment
        raise TransitionRefused(CANCEL_REFUSED) from None
    _alert_admins(order, "order_cancelled_by_customer_admin",
                  {"reason": why, "total": order.total}, base_url=base_url)
    db.session.flush()
    return order


def answer_request(request: OrderRequest, *, answer, actor: str,
                   base_url: str | None = None) -> OrderRequest:
    """An admin's answer: the request becomes ANSWERED (only if still open: two admins at
    once, the second is refused), a REQUEST event by the admin, and the customer gets the
    answer by WhatsApp. A second answer is refused: the customer already has the first.
    Raises InvalidInput or StaleChange."""
    text = clean_text(answer, field="answer", label=_("Jawaban"), required=True,
                      limit=MAX_ANSWER)
    if request.status != RequestStatus.OPEN:
        raise StaleChange(N_("Permintaan ini sudah dijawab."))
    now = utcnow()
    table = OrderRequest.__table__
    values = {"status": RequestStatus.ANSWERED.value, "answer": text, "answered_by": actor,
              "answered_at": now}
    done = db.session.execute(
        update(table).where(table.c.id == request.id,
                            table.c.status == RequestStatus.OPEN.value).values(**values))
    if done.rowcount != 1:
        raise StaleChange(N_("Permintaan ini baru saja dijawab admin lain."))
    for name, value in {**values, "status": RequestStatus.ANSWERED}.items():
        set_committed_value(request, name, value)
    order = db.session.get(Order, request.order_id)
    _event(order, actor, f"Jawaban permintaan #{request.id} "
                         f"({TOPIC_LABELS[request.topic]}): {text}")
    if order.recipient_phone and order.shop_id is None:
        tell_customer(order, "change_request_answer", {"note": text}, base_url=base_url)
    db.session.flush()
    return request


def open_request_count(scope) -> int:
    """How many requests of the admin's stores wait for an answer."""
    return db.session.scalar(
        select(func.count()).select_from(OrderRequest)
        .where(OrderRequest.status == RequestStatus.OPEN,
               scope.where(OrderRequest.store_id))) or 0


def _hold_unpaid(order: Order) -> None:
    """Lock the order's row while it is still PENDING and unpaid (a payment recorded at this
    moment waits for us, or we refuse when it came first). Raises TransitionRefused."""
    table = Order.__table__
    held = db.session.execute(
        update(table).where(table.c.id == order.id,
                            table.c.status == OrderStatus.PENDING.value,
                            table.c.payment_status == PaymentStatus.PENDING.value)
        .values(updated_at=table.c.updated_at))
    if held.rowcount != 1:
        raise TransitionRefused(CANCEL_REFUSED)


def _event(order: Order, actor: str, note: str) -> None:
    """A REQUEST event; the note names the request (no data: the timeline shows data as an
    edit's changes)."""
    db.session.add(OrderEvent(order_id=order.id, kind=EventKind.REQUEST, actor=actor,
                              note=note, created_at=utcnow()))


def _alert_admins(order: Order, template: str, values: dict, *,
                  base_url: str | None) -> None:
    store = db.session.get(Store, order.store_id)
    data = {"store_name": store.name, "customer_name": order.recipient_name,
            "admin_path": f"/admin/order/details/?id={order.id}",
            "base_url": base_url or current_app.config["PUBLIC_BASE_URL"], **values}
    queue_messages([Message(phone, template, data) for phone in store_admins(store)],
                   store_id=store.id, order_id=order.id, now=utcnow())
