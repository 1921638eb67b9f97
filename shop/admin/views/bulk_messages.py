"""Back-office pages of bulk messages (issue 11, item 8): pick customers by the customer
list's filters or by selecting them there, write the message, count and preview it, send it,
and follow each campaign's progress. Every change goes through shop.services.bulk_messages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import Admin, expose

from ...errors import ShopError
from ...extensions import db
from ...models import MembershipLevel, Store
from ...services import bulk_messages, crm
from ...services.message_templates import BULK_VARIABLES
from ...unit_of_work import commit
from .base import SecureView, current_scope
from .customers import TYPE_LABELS

#: The filter fields of the compose form, as bulk_messages.parse_audience names them.
FILTER_FIELDS = ("type", "membership_level", "city", "search", "last_order_from",
                 "last_order_to", "min_spent", "min_orders")
#: Recipients listed under the preview.
SHOWN_RECIPIENTS = 10


@dataclass
class Draft:
    """The compose form as posted: the raw values, and what they mean once checked."""

    values: dict
    customer_ids: list[str]
    stores: list[Store]
    rate_default: int
    store: Store | None = None
    filters: bulk_messages.AudienceFilters | None = None
    rate: int | None = None
    count: int | None = None
    preview: str | None = None
    recipients: list = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    #: Set when the count and preview shown are those of exactly these values: the send
    #: button posts it back, and a draft changed since must be counted again.
    checked: str | None = None

    @classmethod
    def from_request(cls, scope) -> Draft:
        """The draft of this request's form (or of the customer list's selection)."""
        values = {name: (request.values.get(name) or "").strip()
                  for name in (*FILTER_FIELDS, "store_id", "title", "rate_per_minute")}
        values["body"] = request.values.get("body") or ""
        rate = current_app.config["BULK_RATE_PER_MINUTE"]
        rate = min(max(rate, bulk_messages.MIN_RATE), bulk_messages.MAX_RATE)
        return cls(values, request.values.getlist("customer"), crm.scope_stores(scope), rate)

    def count_recipients(self, scope, *, with_preview: bool) -> None:
        """Check the store, filters and rate, count the audience and (with a body) preview
        the first recipient's message. Raises ShopError."""
        self.store = crm.choose_store(scope, self.values["store_id"] or self._only_store())
        self.values["store_id"] = str(self.store.id)
        self.filters = bulk_messages.parse_audience(self.values,
                                                    customer_ids=self.customer_ids)
        self.rate = bulk_messages.parse_rate(self.values["rate_per_minute"], self.rate_default)
        self.count = bulk_messages.count(scope, self.store, self.filters)
        self.recipients = bulk_messages.audience(scope, self.store, self.filters,
                                                 limit=SHOWN_RECIPIENTS)
        if with_preview:
            first = self.recipients[0] if self.recipients else None
            bulk_messages.check_title(self.values["title"])
            bulk_messages.check_body(self.store, self.values["body"])
            self.preview = (bulk_messages.preview_text(self.store, self.values["body"], first)
                            if first else None)
            self.checked = self.fingerprint()

    def _only_store(self) -> str:
        """The store to start with: the only one, or on the blank form the first."""
        if len(self.stores) == 1 or (self.stores and request.method == "GET"):
            return str(self.stores[0].id)
        return ""

    def fingerprint(self) -> str:
        """A digest of what was counted and previewed, as parsed (store, filters or
        selection, title, text, rate) and of the count."""
        text = repr((self.store.id, self.filters, self.values["title"], self.values["body"],
                     self.rate, self.count))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def refused(self, error: ShopError) -> None:
        self.errors.update(error.fields)
        self.checked = None
        flash(error.message, "error")

    @property
    def seconds(self) -> int | None:
        """How long sending takes at the rate (first to last message)."""
        if not self.count or not self.rate:
            return None
        return round((self.count - 1) * 60 / self.rate)


class BulkMessageView(SecureView):
    """Pesan Massal: the campaigns, the compose page and each campaign's progress."""

    @expose("/")
    def index(self):
        scope = current_scope()
        campaigns = bulk_messages.list_campaigns(scope)
        progress = bulk_messages.progress_of([c.id for c in campaigns])
        stores = {store.id: store for store in crm.scope_stores(scope)}
        return self.render("admin/bulk/index.html", campaigns=campaigns, progress=progress,
                           stores=stores)

    @expose("/new/", methods=("GET", "POST"))
    def compose(self):
        """GET: the form (with the customer list's selection); POST step=preview: count and
        preview; POST step=send: send what was counted."""
        scope = current_scope()
        draft = Draft.from_request(scope)
        try:
            draft.count_recipients(scope, with_preview=request.method == "POST")
            if request.method == "POST" and request.form.get("step") == "send":
                return self._send(scope, draft)
        except ShopError as error:
            db.session.rollback()
            draft.refused(error)
        return self._compose_page(draft)

    def _compose_page(self, draft: Draft):
        return self.render("admin/bulk/compose.html", draft=draft, variables=BULK_VARIABLES,
                           types=TYPE_LABELS, levels=list(MembershipLevel),
                           min_rate=bulk_messages.MIN_RATE, max_rate=bulk_messages.MAX_RATE)

    def _send(self, scope, draft: Draft):
        """Send what the admin saw counted and previewed; anything changed since is shown
        again to be checked first."""
        if request.form.get("checked") != draft.checked:
            flash("Isian berubah sejak dihitung. Periksa jumlah penerima dan pratinjau di "
                  "bawah, lalu kirim.", "warning")
            return self._compose_page(draft)
        campaign = bulk_messages.send_campaign(
            scope, draft.store, draft.filters, title=draft.values["title"],
            body=draft.values["body"], rate_per_minute=draft.rate, actor=scope.actor,
            expected=draft.count)
        commit()
        flash(f"Pesan massal dikirim ke {campaign.recipients} penerima, "
              f"{campaign.rate_per_minute} pesan per menit.", "success")
        return redirect(url_for(".campaign", campaign_id=campaign.id))

    @expose("/<int:campaign_id>/")
    def campaign(self, campaign_id: int):
        """One campaign: counts per status, a progress bar, the expected finish."""
        try:
            campaign = bulk_messages.get_campaign(current_scope(), campaign_id)
        except ShopError:
            abort(404)
        return self.render("admin/bulk/campaign.html", campaign=campaign,
                           store=db.session.get(Store, campaign.store_id),
                           progress=bulk_messages.progress(campaign),
                           problems=bulk_messages.failed_rows(campaign),
                           statuses=bulk_messages.STATUSES)


def register(admin: Admin) -> None:
    """Add the bulk-message pages to the back office."""
    admin.add_view(BulkMessageView(name="Pesan Massal", category="Pesan", endpoint="bulk",
                                   url="/admin/bulk"))

