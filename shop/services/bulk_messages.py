"""Bulk messages (seed 001's "send messages to multiple customers"): an admin picks customers
of one store by the customer list's filters or by selecting them, writes a text with
{{ name }} and {{ store_name }}, sees how many will receive it, and sends it as one outbox
row per recipient, staggered at a rate per minute (DESIGN.md, Notifications).

Recipient i is due at start + i * 60 / rate seconds. Delivery jobs are scheduled in slots of
JOB_SECONDS: the job of slot k runs at start + k * JOB_SECONDS and takes the rows that fall
due by then (the claim refuses a row not yet due, so a job must not run before its rows).
The first recipient goes out at the commit; no row goes before its time, none waits longer
than JOB_SECONDS for its job, and the sweep still catches whatever a lost job left.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select

from .. import clock
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import (
    Campaign,
    Customer,
    CustomerStatus,
    CustomerType,
    MembershipLevel,
    Notification,
    NotificationStatus,
    Store,
)
from . import message_templates, notifications
from .access import Scope
from .crm import MAX_ID, search_condition
from .customer_fields import parse_choice
from .validation import clean_text

MIN_RATE, MAX_RATE = 1, 600
#: One campaign's recipients at most: the rows are written in the request that sends it.
MAX_RECIPIENTS = 50_000
#: A delivery job takes the rows falling due within this many seconds (see the docstring).
JOB_SECONDS = 10
#: Statuses in the order the progress shows them.
STATUSES = tuple(NotificationStatus)
_UNFINISHED = (NotificationStatus.QUEUED.value, NotificationStatus.SENDING.value)


@dataclass(frozen=True)
class AudienceFilters:
    """Who of one store's customers receives: the list's filters, or a selection (ids)."""

    type: CustomerType | None = None
    membership_level: MembershipLevel | None = None
    city: str | None = None
    search: str | None = None
    #: Last order (the customer's last visit) on or after / on or before these local days.
    last_order_from: date | None = None
    last_order_to: date | None = None
    min_spent: Decimal | None = None
    min_orders: int | None = None
    #: Customers picked in the customer list; None: everyone the filters match.
    customer_ids: tuple[int, ...] | None = None

    def describe(self) -> str:
        """A short description kept with the campaign (what picked the recipients)."""
        if self.customer_ids is not None:
            return f"Pilihan: {len(self.customer_ids)} pelanggan"
        parts = [f"{label} {value}" for label, value in (
            ("Tipe", self.type and self.type.value),
            ("Level", self.membership_level and self.membership_level.value),
            ("Kota", self.city), ("Cari", self.search),
            ("Pesan terakhir dari", self.last_order_from),
            ("Pesan terakhir sampai", self.last_order_to),
            ("Belanja min.", self.min_spent), ("Pesanan min.", self.min_orders),
        ) if value not in (None, "")]
        return ("Filter: " + ", ".join(parts))[:255] if parts else "Semua pelanggan aktif"


@dataclass
class CampaignProgress:
    """How far a campaign is: rows per status, and when the last one is due."""

    counts: dict[str, int] = field(default_factory=dict)
    #: When the last waiting row is due (its job runs at most JOB_SECONDS later), or when
    #: the last message went out once nothing waits.
    finish_at: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> bool:
        return not any(self.counts.get(s, 0) for s in _UNFINISHED)

    def percent(self, status: str) -> float:
        """The share of rows in this status, in percent (for the progress bar)."""
        return round(100 * self.counts.get(status, 0) / self.total, 1) if self.total else 0.0


# --- the audience -------------------------------------------------------------------------


def parse_audience(values: Mapping, *, customer_ids: Sequence[str] | None = None
                   ) -> AudienceFilters:
    """The filters from a form or query string (texts; blank means "any"), or the selected
    customers' ids. Raises InvalidInput."""
    def text(name: str, label: str) -> str | None:
        return clean_text(values.get(name), field=name, label=label, limit=100,
                          multiline=False) or None

    return AudienceFilters(
        type=parse_choice(CustomerType, values.get("type") or None, "type", "Tipe"),
        membership_level=parse_choice(MembershipLevel, values.get("membership_level") or None,
                                      "membership_level", "Level"),
        city=text("city", "Kota"), search=text("search", "Pencarian"),
        last_order_from=_date(values.get("last_order_from"), "last_order_from"),
        last_order_to=_date(values.get("last_order_to"), "last_order_to"),
        min_spent=_amount(values.get("min_spent"), "min_spent"),
        min_orders=_count(values.get("min_orders"), "min_orders"),
        customer_ids=_ids(customer_ids) if customer_ids else None,
    )


def _date(value, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InvalidInput("Tanggal tidak valid.", fields={name: "Format YYYY-MM-DD."}) from None


def _amount(value, name: str) -> Decimal | None:
    text = str(value or "").strip().replace(".", "").replace(",", ".")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount > 10**12:
        raise InvalidInput("Jumlah tidak valid.", fields={name: "Angka rupiah, 0 atau lebih."})
    return amount


def _count(value, name: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise InvalidInput("Jumlah tidak valid.", fields={name: "Bilangan bulat, 0 atau lebih."})
    return int(text)


def _ids(raw: Sequence[str]) -> tuple[int, ...]:
    """Selected ids as integers; what cannot be a customer's id is dropped."""
    ids = {int(t) for t in (str(r).strip() for r in raw)
           if t.isascii() and t.isdigit() and len(t) <= 10 and 0 < int(t) <= MAX_ID}
    return tuple(sorted(ids))


def audience_conditions(scope: Scope, store: Store, filters: AudienceFilters
                        ) -> list[ColumnElement[bool]]:
    """Who may receive: the store's active customers, not blocked, with a WhatsApp number,
    of a store the admin manages; then the filters or the selection."""
    conditions = [
        scope.where(Customer.store_id), Customer.store_id == store.id,
        Customer.is_active.is_(True), Customer.status == CustomerStatus.ACTIVE,
        func.length(Customer.phone) >= 8,
    ]
    if filters.customer_ids is not None:
        conditions.append(Customer.id.in_(filters.customer_ids))
    for name in ("type", "membership_level"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(Customer, name) == value)
    if filters.city:
        conditions.append(func.lower(Customer.city) == filters.city.lower())
    if filters.search:
        conditions.append(search_condition(filters.search))
    zone = ZoneInfo(store.timezone or "Asia/Jakarta")
    if filters.last_order_from:
        conditions.append(Customer.last_visit >= _day_start(filters.last_order_from, zone))
    if filters.last_order_to:
        conditions.append(Customer.last_visit
                          < _day_start(filters.last_order_to + timedelta(days=1), zone))
    if filters.min_spent is not None:
        conditions.append(Customer.total_spent >= filters.min_spent)
    if filters.min_orders is not None:
        conditions.append(Customer.total_orders >= filters.min_orders)
    return conditions


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def audience(scope: Scope, store: Store, filters: AudienceFilters,
             limit: int | None = None) -> list[Customer]:
    """The customers who will receive, oldest first, one per phone number."""
    query = (select(Customer).where(and_(*audience_conditions(scope, store, filters)))
             .order_by(Customer.id))
    seen: set[str] = set()
    chosen = []
    for customer in db.session.scalars(query):
        if customer.phone not in seen:
            seen.add(customer.phone)
            chosen.append(customer)
            if limit is not None and len(chosen) >= limit:
                break
    return chosen


def count(scope: Scope, store: Store, filters: AudienceFilters) -> int:
    """How many will receive (distinct phone numbers), without loading them."""
    return db.session.scalar(
        select(func.count(func.distinct(Customer.phone)))
        .where(and_(*audience_conditions(scope, store, filters)))) or 0


def recipient_values(store: Store, customer: Customer) -> dict:
    """The values one recipient's message is rendered with (kept in its outbox row)."""
    return {"name": customer.name, "store_name": store.name}


def preview_text(store: Store, body: str, customer: Customer) -> str:
    """The text this customer will receive (the name arrives quoted, as free text does).
    Raises InvalidInput for a body that would not render."""
    check_body(store, body)
    return message_templates.render(body, recipient_values(store, customer))


def check_body(store: Store, body: str) -> None:
    """Refuse a text that uses another variable than {{ name }} and {{ store_name }}, or
    would not render. Raises InvalidInput."""
    if not isinstance(body, str):
        raise InvalidInput("Isi pesan wajib diisi.", fields={"body": "Wajib diisi."})
    clean_text(body, field="body", label="Isi pesan", limit=message_templates.MAX_BODY)
    sample = {**message_templates.SPECS["bulk"].sample, "store_name": store.name}
    message_templates.check_template("bulk", body, variables=message_templates.BULK_VARIABLES,
                                     sample=sample)


def check_title(title) -> str:
    """The campaign's title (for the admins), trimmed: required, one line, at most 120
    characters. Raises InvalidInput."""
    return clean_text(title, field="title", label="Judul", required=True, limit=120,
                      multiline=False)


def parse_rate(value, default: int) -> int:
    """Messages per minute, MIN_RATE to MAX_RATE (blank: the default). Raises InvalidInput."""
    text = str(value if value is not None else "").strip() or str(default)
    if not (text.isascii() and text.isdigit() and MIN_RATE <= int(text[:6]) <= MAX_RATE):
        raise InvalidInput(f"Kecepatan harus {MIN_RATE} sampai {MAX_RATE} pesan per menit.",
                           fields={"rate_per_minute": f"{MIN_RATE}-{MAX_RATE}."})
    return int(text)


# --- sending --------------------------------------------------------------------------------


def send_campaign(scope: Scope, store: Store, filters: AudienceFilters, *, title: str,
                  body: str, rate_per_minute: int, actor: str,
                  expected: int | None = None) -> Campaign:
    """Send a bulk message to the audience the admin saw counted (`expected`).
    Raises InvalidInput, Conflict (the count changed since it was shown)."""
    scope.check(store.id, "Toko")
    customers = audience(scope, store, filters)
    if expected is not None and len(customers) != expected:
        raise Conflict(f"Jumlah penerima berubah dari {expected} menjadi {len(customers)}. "
                       "Periksa lagi, lalu kirim.")
    return create_campaign(store, title, body, customers, actor=actor,
                           rate_per_minute=rate_per_minute, audience_label=filters.describe())


def create_campaign(store: Store, title: str, body: str, customers: Sequence[Customer], *,
                    actor: str, rate_per_minute: int, audience_label: str | None = None,
                    start: datetime | None = None) -> Campaign:
    """Write the campaign and one outbox row per recipient, due one after another at the
    rate, and schedule their delivery after the commit. Raises InvalidInput (nothing is
    written then)."""
    title = check_title(title)
    check_body(store, body)
    if not MIN_RATE <= rate_per_minute <= MAX_RATE:
        raise InvalidInput(f"Kecepatan harus {MIN_RATE} sampai {MAX_RATE} pesan per menit.",
                           fields={"rate_per_minute": f"{MIN_RATE}-{MAX_RATE}."})
    if not customers:
        raise InvalidInput("Tidak ada penerima: ubah filter atau pilihan pelanggan.")
    if len(customers) > MAX_RECIPIENTS:
        raise InvalidInput(f"Terlalu banyak penerima ({len(customers)}); maksimal "
                           f"{MAX_RECIPIENTS} per pesan massal. Persempit filternya.")
    start = start or clock.now()
    campaign = Campaign(store_id=store.id, title=title, body=body, audience=audience_label,
                        recipients=len(customers), rate_per_minute=rate_per_minute,
                        created_by=actor, created_at=start)
    db.session.add(campaign)
    db.session.flush()
    due = recipient_times(start, len(customers), rate_per_minute)
    messages = [notifications.Message(c.phone, "bulk", recipient_values(store, c))
                for c in customers]
    ids = notifications.insert_rows(notifications.outbox_rows(
        messages, store_id=store.id, order_id=None, now=start, campaign_id=campaign.id,
        not_before=due))
    for batch, at in delivery_jobs(ids, due, start):
        notifications.deliver_after_commit(batch, at=at)
    return campaign


def recipient_times(start: datetime, n: int, rate_per_minute: int) -> list[datetime]:
    """When each recipient is due: the i-th at start + i * 60 / rate seconds."""
    step = 60.0 / rate_per_minute
    return [start + timedelta(seconds=i * step) for i in range(n)]


def delivery_jobs(ids: Sequence[int], due: Sequence[datetime], start: datetime
                  ) -> list[tuple[list[int], datetime]]:
    """(row ids, when) of each delivery job: the rows of one JOB_SECONDS slot, at the slot's
    end, when all of them are due (at most notifications.BATCH rows a job)."""
    slots: dict[int, list[int]] = {}
    for row_id, at in zip(ids, due, strict=True):
        slot = math.ceil(round((at - start).total_seconds(), 6) / JOB_SECONDS)
        slots.setdefault(slot, []).append(row_id)
    jobs = []
    for slot, rows in slots.items():
        at = start + timedelta(seconds=slot * JOB_SECONDS)
        for first in range(0, len(rows), notifications.BATCH):
            jobs.append((rows[first:first + notifications.BATCH], at))
    return jobs


# --- progress -----------------------------------------------------------------------------


def get_campaign(scope: Scope, campaign_id: int) -> Campaign:
    """A campaign of the admin's stores; another store's reads as missing. Raises NotFound."""
    campaign = db.session.get(Campaign, campaign_id) if 0 < campaign_id <= MAX_ID else None
    if campaign is None or not scope.allows(campaign.store_id):
        raise NotFound("Pesan massal tidak ditemukan.")
    return campaign


def progress(campaign: Campaign) -> CampaignProgress:
    """Rows per status and the expected finish (the last waiting row's time)."""
    return progress_of([campaign.id])[campaign.id]


def progress_of(campaign_ids: Sequence[int]) -> dict[int, CampaignProgress]:
    """The progress of several campaigns in one query (the list of campaigns)."""
    found = {cid: CampaignProgress(counts={s.value: 0 for s in STATUSES})
             for cid in campaign_ids}
    if not found:
        return found
    rows = db.session.execute(
        select(Notification.campaign_id, Notification.status, func.count(),
               func.max(Notification.next_attempt_at), func.max(Notification.sent_at))
        .where(Notification.campaign_id.in_(list(found)))
        .group_by(Notification.campaign_id, Notification.status))
    waiting_until: dict[int, datetime] = {}
    last_sent: dict[int, datetime] = {}
    for campaign_id, status, n, next_at, sent_at in rows:
        status = NotificationStatus(status)
        found[campaign_id].counts[status.value] = n
        if status.value in _UNFINISHED and next_at is not None:
            waiting_until[campaign_id] = max(next_at, waiting_until.get(campaign_id, next_at))
        if sent_at is not None:
            last_sent[campaign_id] = max(sent_at, last_sent.get(campaign_id, sent_at))
    for campaign_id, report in found.items():
        report.finish_at = (waiting_until.get(campaign_id) if not report.finished
                            else last_sent.get(campaign_id))
    return found


def list_campaigns(scope: Scope, *, limit: int = 50) -> list[Campaign]:
    """The admin's stores' campaigns, newest first."""
    return list(db.session.scalars(
        select(Campaign).where(scope.where(Campaign.store_id))
        .order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(limit)))


def failed_rows(campaign: Campaign, *, limit: int = 20) -> list[Notification]:
    """The campaign's failed or held-back messages, with their errors (for its page)."""
    return list(db.session.scalars(
        select(Notification).where(
            Notification.campaign_id == campaign.id,
            Notification.status.in_([NotificationStatus.FAILED, NotificationStatus.SUPPRESSED]))
        .order_by(Notification.id).limit(limit)))
