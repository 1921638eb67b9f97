"""Back-office pages of the B2B dealer portal (seed 004, issue 12), mixed into the views
they belong to:

- the order view: approve, reject with a reason, retry a failed ERP submission, approve the
  selected orders; what a dealer order shows (shop, legacy ERP state, SO number, error);
- the shop view: a shop's dealer prices (its discount, its own prices, what it pays);
- the product view: "Sinkron part dari ERP" as a job on the `legacy` queue, followed on a
  page with a progress bar.

Each handler parses the form, checks the admin's stores, calls one operation of
shop.services (b2b_orders, dealer_prices, erp through shop.jobs.parts_sync) and commits.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import select

from ...errors import InvalidInput, ShopError
from ...extensions import db
from ...jobs import redis_connection
from ...jobs.parts_sync import read_run, start_parts_sync
from ...models import Channel, DealerPrice, LegacyState, Order, OrderStatus, Product, Shop
from ...services import crm
from ...services.b2b_orders import (
    approve_b2b_order,
    reject_b2b_order,
    retry_legacy_submission,
)
from ...services.bulk_orders import MAX_BULK
from ...services.catalog import clean_product_code
from ...services.dealer_catalog import search_parts
from ...services.dealer_prices import set_dealer_price, set_shop_discount
from ...services.labels import N_
from ...services.order_search import find_orders, scope_stores
from ...template_i18n import gettext as _
from ...unit_of_work import commit
from .base import current_scope
from .orders_actions import order_or_404, run_operation

LEGACY_STATE_LABELS = {
    LegacyState.NOT_SENT: N_("Belum dikirim ke ERP"),
    LegacyState.QUEUED: N_("Antre ke ERP"),
    LegacyState.SUBMITTED: N_("Terkirim ke ERP"),
    LegacyState.FAILED: N_("Gagal dikirim ke ERP"),
}
LEGACY_BADGES = {LegacyState.NOT_SENT: "light", LegacyState.QUEUED: "info",
                 LegacyState.SUBMITTED: "success", LegacyState.FAILED: "danger"}
#: Statuses a dealer's PENDING order reaches only through approve or reject (approval
#: queues the ERP submission; rejection tells the shop why): the generic status buttons
#: leave them out.
DECIDED_BY_APPROVAL = (OrderStatus.CONFIRMED, OrderStatus.PROCESSING, OrderStatus.REJECTED)


def legacy_state(row) -> LegacyState | None:
    """A dealer order's state with the ERP (an order not approved yet: not sent); None for
    other channels' orders."""
    if row.channel != Channel.B2B:
        return None
    return row.legacy_state or LegacyState.NOT_SENT


def b2b_helpers() -> dict:
    """What the order list and detail templates use for dealer orders."""
    return {"LEGACY_STATE_LABELS": LEGACY_STATE_LABELS, "LEGACY_BADGES": LEGACY_BADGES,
            "legacy_states": list(LegacyState), "legacy_state": legacy_state}


def b2b_detail(order: Order, allowed) -> dict:
    """The detail page's dealer part: the shop, the ERP state, and which decisions the page
    offers; the generic status buttons without approval's targets while it waits."""
    if order.channel != Channel.B2B or order.shop_id is None:
        return {"b2b": None}
    waiting = order.status == OrderStatus.PENDING
    return {
        "b2b": {"shop": order.shop, "state": legacy_state(order), "can_decide": waiting,
                "can_retry": order.legacy_state == LegacyState.FAILED},
        "allowed": [s for s in allowed if not (waiting and s in DECIDED_BY_APPROVAL)],
    }


def _back_to_list(target: str | None) -> str:
    ok = bool(target) and target.startswith("/admin/order/") and "//" not in target \
        and "\\" not in target and target.isprintable()
    return target if ok else url_for(".index_view")


class B2BOrderActionsMixin:
    """POST routes of dealer orders (mixed into the order view)."""

    @expose("/<order_id>/approve", methods=["POST"])
    def approve_view(self, order_id: str):
        """PENDING -> CONFIRMED; the ERP submission is queued on the `legacy` queue."""
        order = order_or_404(order_id)
        run_operation(lambda: approve_b2b_order(order, actor=current_scope().actor),
                      lambda o: _("Order %(number)s disetujui; pengiriman ke ERP diantrekan.",
                                  number=o.number))
        return redirect(url_for(".details_view", id=order_id))

    @expose("/<order_id>/reject", methods=["POST"])
    def reject_view(self, order_id: str):
        """PENDING -> REJECTED with a reason, sent to the shop by WhatsApp."""
        order = order_or_404(order_id)
        run_operation(lambda: reject_b2b_order(order, actor=current_scope().actor,
                                               reason=request.form.get("reason")),
                      lambda o: _("Order %(number)s ditolak; toko diberi tahu lewat "
                                  "WhatsApp.", number=o.number))
        return redirect(url_for(".details_view", id=order_id))

    @expose("/<order_id>/legacy-retry", methods=["POST"])
    def legacy_retry_view(self, order_id: str):
        """Queue again the ERP submission that failed."""
        order = order_or_404(order_id)
        run_operation(lambda: retry_legacy_submission(order),
                      lambda o: _("Pengiriman order %(number)s ke ERP diantrekan lagi.",
                                  number=o.number))
        return redirect(url_for(".details_view", id=order_id))

    @expose("/b2b/approve", methods=["POST"])
    def bulk_approve_view(self):
        """Approve the selected orders, each in its own savepoint; refusals are listed."""
        orders = find_orders(current_scope(), request.form.getlist("ids"))
        if not orders or len(orders) > MAX_BULK:
            flash(_("Pilih 1 sampai %(n)s order.", n=MAX_BULK), "error")
        else:
            approved, refused = approve_each(orders, actor=current_scope().actor)
            commit()
            if approved:
                flash(_("%(n)s order disetujui: %(numbers)s.", n=len(approved),
                        numbers=", ".join(approved)), "success")
            for number, reason in refused:
                flash(_("%(number)s tidak disetujui: %(reason)s", number=number,
                        reason=reason), "error")
        return redirect(_back_to_list(request.form.get("back")))


def approve_each(orders: list[Order], *, actor: str) -> tuple[list[str], list[tuple]]:
    """approve_b2b_order for each order in its own savepoint (one refusal keeps the others),
    in one lock order. Returns the numbers approved and (number, reason) of the refused."""
    approved, refused = [], []
    for order in sorted(orders, key=lambda o: o.id):
        try:
            with db.session.begin_nested():
                approve_b2b_order(order, actor=actor)
        except ShopError as error:
            db.session.expire(order)
            refused.append((order.number, error.message))
        else:
            approved.append(order.number)
    return approved, refused


# --- dealer prices ----------------------------------------------------------------------


def own_prices(shop: Shop) -> list:
    """The shop's own prices with their products (code, name, list price), by code."""
    return db.session.execute(
        select(DealerPrice.price.label("dealer_price"), Product.id, Product.code,
               Product.name, Product.price.label("list_price"))
        .join(Product, Product.id == DealerPrice.product_id)
        .where(DealerPrice.shop_id == shop.id).order_by(Product.code)).all()


def product_of(shop: Shop, *, code=None, product_id=None) -> Product:
    """A product of the shop's distributor by code or id. Raises InvalidInput."""
    if product_id is not None:
        text = str(product_id)
        product = db.session.get(Product, int(text)) if text.isdigit() and len(text) < 10 \
            else None
    else:
        product = db.session.scalar(select(Product).where(
            Product.store_id == shop.store_id, Product.code == clean_product_code(code)))
    if product is None or product.store_id != shop.store_id:
        raise InvalidInput("Produk dengan kode itu tidak ada di katalog distributor.",
                           fields={"code": "Kode produk tidak dikenal."})
    return product


class DealerPricesMixin:
    """The shop's prices page (mixed into the shop view): /admin/dealer_shops/<id>/prices."""

    @expose("/<shop_id>/prices", methods=("GET", "POST"))
    def prices_view(self, shop_id: str):
        """The shop's discount and own prices, changed through shop.services.dealer_prices,
        and what it pays per product as the portal shows it."""
        shop = self.get_one(shop_id)  # scoped: another store's shop is not found
        if shop is None:
            abort(404)
        if request.method == "GET":
            return self._prices_page(shop, {}, {})
        form = request.form
        what = form.get("form")
        try:
            if what == "discount":
                set_shop_discount(shop, form.get("discount_percent"))
                message = _("Diskon %(code)s sekarang %(percent)s%%.", code=shop.code,
                            percent=shop.discount_percent)
            elif what in ("price", "remove"):
                product = product_of(shop, code=form.get("code"),
                                     product_id=form.get("product_id") if what == "remove"
                                     else None)
                row = set_dealer_price(shop, product, form.get("price") if what == "price"
                                       else "")
                message = (_("Harga dealer %(code)s disimpan.", code=product.code) if row
                           else _("Harga dealer %(code)s dihapus; diskon toko berlaku lagi.",
                                  code=product.code))
            else:
                abort(400)
        except ShopError as error:
            db.session.rollback()
            flash(error.message, "error")
            return self._prices_page(shop, form, error.fields, failed=what), 422
        commit()
        flash(message, "success")
        return redirect(url_for(".prices_view", shop_id=shop.id))

    def _prices_page(self, shop: Shop, form, errors: dict, failed: str | None = None):
        try:
            page = search_parts(shop, query=request.args.get("q"),
                                page=request.args.get("page"), per_page=50)
        except InvalidInput:
            page = search_parts(shop, page=1, per_page=50)
        return self.render("admin/b2b/prices.html", shop=shop, prices=own_prices(shop),
                           parts=page, values=form, errors=errors, failed=failed)


# --- parts from the ERP -------------------------------------------------------------------


class PartsSyncMixin:
    """"Sinkron part dari ERP" (mixed into the product view): start it for a store, then
    follow the run until its summary."""

    @expose("/sync/", methods=("GET", "POST"))
    def sync_view(self):
        """GET: the store to sync; POST: queue the job and follow it (or, without Redis,
        show its summary: the job ran right after the commit)."""
        stores = scope_stores(current_scope())
        if request.method == "POST":
            try:
                store = crm.choose_store(current_scope(), request.form.get("store_id"))
            except ShopError as error:
                db.session.rollback()
                flash(error.message, "error")
                return self.render("admin/b2b/sync_start.html", stores=stores), 422
            run_id = start_parts_sync(store)
            commit()
            if redis_connection() is not None:
                return redirect(url_for(".sync_progress_view", run_id=run_id))
            return self._run_page(run_id)
        return self.render("admin/b2b/sync_start.html", stores=stores)

    @expose("/sync/<run_id>")
    def sync_progress_view(self, run_id: str):
        """The run's progress (the page reloads itself until it is done), then its summary."""
        return self._run_page(run_id)

    def _run_page(self, run_id: str):
        run = read_run(run_id)
        if run is None or not current_scope().allows(run.get("store_id")):
            abort(404)
        store = next((s for s in scope_stores(current_scope()) if s.id == run["store_id"]),
                     None)
        return self.render("admin/b2b/sync_progress.html", run=run, run_id=run_id,
                           store=store,
                           finished=run.get("state") in ("finished", "failed"))
