"""The admin's home page: the day's and month's figures at a glance (seeds 001, 003, 004)."""

from __future__ import annotations

from datetime import date

from flask import abort, request, url_for
from flask_admin import expose
from markupsafe import Markup
from werkzeug.routing import BuildError

from ... import clock
from ...errors import NotFound
from ...services.access import Scope
from ...services.b2b_dashboard import b2b_dashboard
from ...services.charts import bar_line_chart, bar_list_chart
from ...services.dashboard import (
    Dashboard,
    dashboard_figures,
    dashboard_stores,
    narrow_scope,
)
from ...services.labels import CHANNEL_LABELS, ORDER_STATUS_LABELS
from ...services.money import format_rupiah
from ...services.order_requests import open_request_count
from ...template_i18n import gettext
from ...web import MONTHS_ID
from .base import SecureIndexView, current_scope

#: Pages the dashboard links its rows to (the orders, catalog and customers views), and the
#: path used should a view be renamed (a test follows every link).
ROW_PAGES = {
    "order": ("order.details_view", "/admin/order/details/"),
    "product": ("products.edit_view", "/admin/products/edit/"),
    "customer": ("customer.details_view", "/admin/customer/details/"),
}


class DashboardView(SecureIndexView):
    """Dashboard of seed 004 with seed 001's order statistics and seed 003's customers."""

    @expose("/")
    def index(self):
        scope = current_scope()
        stores = dashboard_stores(scope)
        try:
            picked = narrow_scope(scope, stores, request.args.get("store"))
        except NotFound:
            abort(404)
        now = clock.now()
        board = dashboard_figures(picked, stores, now=now)
        customers = customer_overview_of(picked, now)
        dealers = b2b_dashboard(picked, now=now, stores=stores)
        return self.render(
            "admin/dashboard.html", board=board, stores=stores, row_pages=row_pages(),
            picked=request.args.get("store", ""), charts=dashboard_charts(board),
            today_label=day_label(board.today),
            store_names={s.id: s.name for s in stores}, customers=customers,
            level_chart=level_chart(customers) if customers else None,
            dealers=dealers if dealers["shops"] or dealers["total_b2b"] else None,
            open_requests=open_request_count(picked),
        )


def row_pages() -> dict[str, str]:
    """The base URL of each linked page; rows add ?id=<id>."""
    pages = {}
    for kind, (endpoint, fallback) in ROW_PAGES.items():
        try:
            pages[kind] = url_for(endpoint)
        except BuildError:
            pages[kind] = fallback
    return pages


def customer_overview_of(scope: Scope, now) -> dict | None:
    """Seed 003's customer overview, or None while its service does not exist yet."""
    try:
        from ...services.customer_stats import customer_overview
    except ModuleNotFoundError as missing:
        if missing.name != "shop.services.customer_stats":
            raise
        return None
    return customer_overview(scope, now=now)


def dashboard_charts(board: Dashboard) -> dict[str, Markup]:
    """The dashboard's SVG charts, labels in the page's language."""
    labels = [day_label(d.day, year=False) for d in board.days]
    return {
        "days": bar_line_chart(
            labels, [d.figures.orders for d in board.days],
            [d.figures.revenue for d in board.days],
            title=gettext("Pesanan dan pendapatan per hari, 30 hari terakhir"),
            bar_name=gettext("pesanan"), line_name=gettext("pendapatan"),
            line_format=format_rupiah),
        "status": bar_list_chart(
            [(gettext(ORDER_STATUS_LABELS[s]), n) for s, n in board.by_status.items()],
            title=gettext("Pesanan per status")),
        "channel": bar_list_chart(
            [(gettext(CHANNEL_LABELS[c]), n) for c, n in board.by_channel.items()],
            title=gettext("Pesanan per kanal")),
        "top_qty": bar_list_chart(
            [(p.name, p.qty) for p in board.top_by_qty],
            title=gettext("Produk terlaris menurut jumlah"), empty=gettext("Belum ada data.")),
        "top_value": bar_list_chart(
            [(p.name, p.value) for p in board.top_by_value], value_format=format_rupiah,
            title=gettext("Produk terlaris menurut nilai"), empty=gettext("Belum ada data.")),
    }


def day_label(day: date, *, year: bool = True) -> str:
    """5 Jan 2027 (or 5 Jan)."""
    label = f"{day.day} {MONTHS_ID[day.month - 1]}"
    return f"{label} {day.year}" if year else label


def level_chart(overview: dict) -> Markup:
    """Customers per membership level (seed 003's customersByLevel) as bars."""
    return bar_list_chart(
        [(str(row["level"]), row["count"]) for row in overview.get("customersByLevel", [])],
        title=gettext("Pelanggan per level keanggotaan"), empty=gettext("Belum ada data."))
