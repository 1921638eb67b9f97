"""Back-office view of the customers' change requests from the tracking page ("Permintaan
Pelanggan"): the requests of the admin's stores, open ones first, each answered once (the
answer goes to the customer by WhatsApp) here or on the order's page."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import Admin, expose
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from ...errors import ShopError
from ...extensions import db
from ...models import OrderRequest
from ...services.order_requests import (
    MAX_ANSWER,
    REQUEST_STATUS_LABELS,
    TOPIC_LABELS,
    answer_request,
    order_requests,
)
from ...template_i18n import gettext
from ...unit_of_work import commit
from ...web import public_base_url
from .base import ScopedModelView, current_scope
from .saving import store_names

STORE_FILTER = "Toko"


def _order_link(view, context, row, name):
    url = url_for("order.details_view", id=row.order_id)
    return Markup('<a href="{}">{}</a>').format(url, escape(row.order.number))


def _short(view, context, row, name) -> str:
    text = getattr(row, name) or ""
    return text if len(text) <= 120 else text[:119] + "…"


def _status(view, context, row, name) -> str:
    return gettext(REQUEST_STATUS_LABELS[row.status])


def _topic(view, context, row, name) -> str:
    return gettext(TOPIC_LABELS[row.topic])


class OrderRequestView(ScopedModelView):
    """Requests of the admin's stores, open first; answered from the answer page."""

    can_create = can_edit = can_delete = False
    column_list = ("created_at", "order", "store_id", "topic", "message", "status",
                   "answered_by")
    column_details_list = ("created_at", "order", "store_id", "topic", "message", "status",
                           "answer", "answered_by", "answered_at")
    column_labels = {"created_at": "Waktu", "order": "Pesanan", "store_id": "Toko",
                     "topic": "Tentang", "message": "Pesan", "status": "Status",
                     "answer": "Jawaban", "answered_by": "Dijawab oleh",
                     "answered_at": "Dijawab"}
    column_sortable_list = ("created_at", "status")
    column_default_sort = [("status", True), ("created_at", False)]
    named_filter_urls = True
    column_filters = ("status", "topic",
                      IntEqualFilter(OrderRequest.store_id, STORE_FILTER, options=[("0", "-")]))
    column_formatters = {"order": _order_link, "message": _short, "status": _status,
                         "topic": _topic,
                         "store_id": lambda v, c, r, n: store_names().get(r.store_id, "")}
    column_formatters_detail = {**column_formatters, "message": lambda v, c, r, n: r.message}
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-reply", "order_request.answer_view")]

    def get_query(self):
        return super().get_query().options(db.joinedload(OrderRequest.order))

    def _get_filter_groups(self):
        """The store filter offers the admin's own stores only."""
        groups = super()._get_filter_groups()
        if groups and STORE_FILTER in groups:
            for item in groups[STORE_FILTER]:
                item["options"] = [(str(i), n) for i, n in store_names().items()]
        return groups

    @expose("/answer/")
    def answer_view(self):
        """The request beside its order, with the answer form while it is open."""
        row = self.get_one(request.args.get("id", ""))
        if row is None:
            abort(404)
        return self.render("admin/order_requests/answer.html", req=row, order=row.order,
                           topic_labels=TOPIC_LABELS, status_labels=REQUEST_STATUS_LABELS,
                           max_answer=MAX_ANSWER)

    @expose("/answer/", methods=["POST"])
    def answer_post(self):
        """Answer an open request; the customer gets it by WhatsApp. Back to `back` (the
        order's page) or to the answer page."""
        row = self.get_one(request.form.get("id", ""))
        if row is None:
            abort(404)
        try:
            answer_request(row, answer=request.form.get("answer"),
                           actor=current_scope().actor, base_url=public_base_url())
        except ShopError as error:
            db.session.rollback()
            flash(gettext(error.message), "error")
        else:
            commit()
            flash(gettext("Jawaban terkirim ke pelanggan."), "success")
        if request.form.get("back") == "order":
            return redirect(url_for("order.details_view", id=row.order_id))
        return redirect(url_for(".answer_view", id=row.id))


def register(admin: Admin) -> None:
    """Add the page to the back office."""
    admin.add_view(OrderRequestView(OrderRequest, name=_l("Permintaan Pelanggan"),
                                    endpoint="order_request", url="/admin/order-requests"))


def requests_context(order) -> dict:
    """What templates/admin/orders/_requests.html needs on the order's page."""
    return {"order_requests": order_requests(order.id), "request_topic_labels": TOPIC_LABELS,
            "request_status_labels": REQUEST_STATUS_LABELS}
