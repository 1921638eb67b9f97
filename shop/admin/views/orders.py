"""Back-office views: orders (seed 000's owner workflow, seed 001's admin order commands).

The list is our own page rather than Flask-Admin's: its search must read a phone however it
is written, its filters and bulk change must work without JavaScript (a bulk cancel carries
a reason), and it must cost one statement for the page and one for the count. The view stays
a ScopedModelView on Order so its URLs, menu entry and scoped get_one are Flask-Admin's, and
Flask-Admin's own create, edit, delete and export answer with a refusal.
"""

from __future__ import annotations

from flask import Response, flash, redirect, request, stream_with_context, url_for
from flask_admin import Admin, expose
from sqlalchemy import select

from ...errors import ShopError
from ...extensions import db
from ...models import (
    Notification,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentStatus,
    Shipment,
)
from ...services.bulk_orders import bulk_transition
from ...services.notifications import order_message_texts
from ...services.order_notices import order_notice_link
from ...services.order_search import (
    PAGE_SIZES,
    clean_filters,
    export_orders,
    find_orders,
    list_orders,
    list_timezone,
    scope_stores,
)
from ...services.order_status import REASON_REQUIRED
from ...services.orders import tracking_url
from ...services.payment_records import can_record_payment
from ...services.shipping import can_add_shipment, carrier_tracking_url
from ...unit_of_work import commit
from ...web import public_base_url
from .b2b import B2BOrderActionsMixin, b2b_detail, b2b_helpers
from .base import ScopedModelView, current_scope
from .documents import OrderDocumentsMixin
from .order_requests import requests_context
from .orders_actions import OrderActionsMixin, order_or_404
from .orders_edit import OrderEditMixin
from .orders_present import (
    EXPORT_HEADER,
    csv_stream,
    event_changes,
    export_row,
    template_helpers,
)


class OrderView(B2BOrderActionsMixin, OrderActionsMixin, OrderDocumentsMixin, OrderEditMixin,
                ScopedModelView):
    """Orders: list, detail, edit, status, payment, shipment, manual order, bulk change;
    a dealer order's approval, rejection and ERP retry (shop/admin/views/b2b.py)."""

    can_create = can_edit = can_delete = False
    can_export = False  # our export (columns of the business, streamed) replaces it
    can_view_details = True
    column_list = ("number",)
    form_columns = ("admin_notes",)  # never used: can_edit is off, edit_order edits orders

    def render(self, template, **kwargs):
        return super().render(template, **template_helpers(), **b2b_helpers(), **kwargs)

    @expose("/")
    def index_view(self):
        """The list: search, filters, pages, bulk change."""
        filters = clean_filters(request.args)
        stores = scope_stores(current_scope())
        page_size = request.args.get("per_page", type=int) or PAGE_SIZES[0]
        result = list_orders(current_scope(), filters, page=request.args.get("page", 1, int),
                             page_size=page_size,
                             timezone=list_timezone(stores, filters.store_id))
        return self.render("admin/orders/list.html", result=result, filters=filters,
                           stores=stores, page_sizes=PAGE_SIZES, statuses=list(OrderStatus),
                           payment_statuses=list(PaymentStatus),
                           reason_required=REASON_REQUIRED)

    @expose("/export.csv")
    def export_csv(self):
        """The list's orders (same search and filters) as CSV, every cell neutralised."""
        filters = clean_filters(request.args)
        zone = list_timezone(scope_stores(current_scope()), filters.store_id)
        rows = (export_row(row) for row in export_orders(current_scope(), filters,
                                                           timezone=zone))
        return Response(stream_with_context(csv_stream(EXPORT_HEADER, rows)),
                        mimetype="text/csv", headers={
                            "Content-Disposition": 'attachment; filename="pesanan.csv"',
                            "Cache-Control": "no-store"})

    @expose("/bulk", methods=["POST"])
    def bulk_status(self):
        """One status for the selected orders; a report of those refused."""
        orders = find_orders(current_scope(), request.form.getlist("ids"))
        try:
            report = bulk_transition(orders, request.form.get("status"),
                                     actor=current_scope().actor, note=request.form.get("note"),
                                     base_url=public_base_url())
        except ShopError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            commit()
            flash_bulk_report(report)
        return redirect(request.form.get("back") if _is_list_url(request.form.get("back"))
                        else url_for(".index_view"))

    @expose("/details/")
    def details_view(self):
        """Items, totals, timeline, payments, shipments, notifications and the actions."""
        order = order_or_404(request.args.get("id"))
        return self.render("admin/orders/detail.html", **detail_context(order))


def order_messages(order: Order) -> list[tuple[Notification, str]]:
    """The order's outbox rows with their texts (a queued row's as it would go out now)."""
    rows = list(db.session.scalars(select(Notification).where(Notification.order_id == order.id)
                                   .order_by(Notification.id)))
    return list(zip(rows, order_message_texts(rows, order), strict=True))


def detail_context(order: Order) -> dict:
    """What the detail page shows of one order."""
    shipments = list(db.session.scalars(
        select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)))
    tracking = tracking_url(order, public_base_url())
    context = {
        "order": order, "store": order.store, "customer": order.customer,
        "items": list(db.session.scalars(
            select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id))),
        "events": [(event, event_changes(event)) for event in db.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))],
        "payments": list(db.session.scalars(
            select(Payment).where(Payment.order_id == order.id).order_by(Payment.id))),
        "shipments": [(s, carrier_tracking_url(s.carrier, s.tracking_number))
                      for s in shipments],
        "notifications": order_messages(order),
        "allowed": order.allowed_transitions(), "reason_required": REASON_REQUIRED,
        "tracking_url": tracking,
        "notify_link": order_notice_link(order, tracking,
                                         shipment=shipments[-1] if shipments else None),
        "can_record_payment": can_record_payment(order),
        "can_add_shipment": can_add_shipment(order),
    }
    context.update(b2b_detail(order, context["allowed"]))
    context.update(requests_context(order))
    return context


def flash_bulk_report(report) -> None:
    """Moved orders as one success line, each refusal with its number and reason."""
    if report.moved:
        flash(f"{len(report.moved)} pesanan diubah ke {report.status}: "
              + ", ".join(report.moved) + ".", "success")
    for number, reason in report.refused:
        flash(f"{number} tidak diubah: {reason}", "error")


def _is_list_url(target: str | None) -> bool:
    return bool(target) and target.startswith("/admin/order/") and "//" not in target \
        and target.isprintable() and "\\" not in target


def register(admin: Admin) -> None:
    """Add this area's views to the back office."""
    admin.add_view(OrderView(Order, name="Pesanan", endpoint="order", url="/admin/order"))
