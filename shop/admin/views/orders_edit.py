"""Editing an order (seed 000's "Fitur Edit & Update") through edit_order, changing its
customer, and the manual order of a phone or walk-in sale through place_order."""

from __future__ import annotations

import secrets
from itertools import zip_longest

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from werkzeug.datastructures import MultiDict

from ...errors import ShopError
from ...extensions import db
from ...models import Channel, Order, Store
from ...services.addresses import PROVINCES
from ...services.checkout import CheckoutRequest, place_order
from ...services.order_edits import OPEN_STATUSES, edit_order
from ...services.order_search import customer_choices, scope_stores
from ...services.phones import local_phone
from ...services.stores import list_catalog
from ...unit_of_work import commit
from ...web import public_base_url
from .base import current_scope
from .orders_actions import order_or_404, run_operation

#: Fields of the edit form that edit_order takes as they are posted.
EDIT_FIELDS = ("recipient_name", "recipient_phone", "shipping_address", "shipping_district",
               "shipping_city", "shipping_province", "shipping_postal_code", "courier",
               "payment_method", "notes", "admin_notes", "discount", "shipping_fee",
               "confirm_shipping_fee")
NEW_LINES = 3
MANUAL_LINES = 6


def posted_items(form: MultiDict) -> list[dict]:
    """The edit form's lines ([{code, qty, discount?}]); ticked or zero lines are removed."""
    removed = set(form.getlist("item_remove"))
    lines = []
    for code, qty, discount in zip_longest(form.getlist("item_code"), form.getlist("item_qty"),
                                           form.getlist("item_discount"), fillvalue=""):
        code, qty = code.strip(), qty.strip()
        if not code or code in removed or qty == "0":
            continue
        line = {"code": code, "qty": qty or "1"}
        if discount.strip():
            line["discount"] = discount.strip()
        lines.append(line)
    return lines


def posted_changes(form: MultiDict) -> dict:
    """What the edit form sent, in edit_order's names; fields it did not show are left out."""
    changes = {name: form[name] for name in EDIT_FIELDS if name in form}
    if "item_code" in form:
        changes["items"] = posted_items(form)
    return changes


def item_rows(order: Order, form: MultiDict | None) -> list[dict]:
    """The edit form's lines: the order's own (or as posted), then empty ones to add."""
    current = {item.code: item for item in order.items}
    if form is None or "item_code" not in form:
        rows = [{"code": i.code, "item": i, "qty": i.qty, "discount": i.discount}
                for i in order.items]
    else:
        rows = [{"code": code, "item": current.get(code), "qty": qty, "discount": discount}
                for code, qty, discount in zip_longest(
                    form.getlist("item_code"), form.getlist("item_qty"),
                    form.getlist("item_discount"), fillvalue="") if code.strip()]
    existing = [r for r in rows if r["item"] is not None]
    added = [r for r in rows if r["item"] is None]
    blanks = [{"code": "", "item": None, "qty": "", "discount": ""}] * NEW_LINES
    return existing + (added + blanks)[:max(NEW_LINES, len(added))]


def manual_request(form: MultiDict) -> CheckoutRequest:
    """A phone or walk-in sale as a checkout by the admin (channel admin)."""
    items = [(code.strip(), qty.strip() or "1") for code, qty in zip_longest(
        form.getlist("item_code"), form.getlist("item_qty"), fillvalue="") if code.strip()]
    return CheckoutRequest(
        name=form.get("name"), phone=form.get("phone"), address=form.get("address"),
        items=items, courier=form.get("courier") or None,
        payment_method=form.get("payment_method") or None, notes=form.get("notes"),
        idempotency_key=form.get("idempotency_key") or None, channel=Channel.ADMIN,
        actor=current_scope().actor)


def store_or_404(raw) -> Store:
    """A store the admin manages; 404 for any other."""
    text = str(raw or "")
    store = db.session.get(Store, int(text)) if text.isdigit() and len(text) <= 9 else None
    if store is None or not current_scope().allows(store.id):
        abort(404)
    return store


class OrderEditMixin:
    """The edit page, the customer change and the manual order (mixed into the order view)."""

    @expose("/<order_id>/edit", methods=["GET", "POST"])
    def edit_order_view(self, order_id: str):
        """Customer data, items, discount, fee, address, courier, payment, notes."""
        order = order_or_404(order_id)
        if request.method == "POST":
            try:
                edit_order(order, posted_changes(request.form), actor=current_scope().actor)
            except ShopError as error:
                db.session.rollback()
                return self._edit_page(order, request.form, error), 422
            commit()
            flash(f"Perubahan pesanan {order.number} disimpan.", "success")
            return redirect(url_for(".details_view", id=order.id))
        return self._edit_page(order, None, None)

    def _edit_page(self, order: Order, form: MultiDict | None, error: ShopError | None):
        values = form if form is not None else {
            name: getattr(order, name, None) for name in EDIT_FIELDS}
        if form is None:  # the number as people write it; edit_order normalizes it again
            values["recipient_phone"] = local_phone(order.recipient_phone)
        query = request.args.get("customer_q", "")
        return self.render(
            "admin/orders/edit.html", order=order, values=values, rows=item_rows(order, form),
            products=list_catalog(order.store), error=error,
            errors=error.fields if error else {}, money_editable=order.status in OPEN_STATUSES,
            final=order.is_final(), provinces=PROVINCES,
            customer_q=query, customers=customer_choices(order.store_id, query))

    @expose("/<order_id>/customer", methods=["POST"])
    def customer_view(self, order_id: str):
        """Give the order to another customer of the same store."""
        order = order_or_404(order_id)
        run_operation(lambda: edit_order(order, {"customer_id": request.form.get("customer_id")},
                                         actor=current_scope().actor),
                      lambda o: f"Pelanggan pesanan {o.number} diganti.")
        return redirect(url_for(".edit_order_view", order_id=order_id))

    @expose("/manual/", methods=["GET", "POST"])
    def manual_view(self):
        """A phone or walk-in sale, placed like a checkout (channel admin)."""
        stores = scope_stores(current_scope())
        chosen = request.values.get("store_id") or (stores[0].id if len(stores) == 1 else None)
        store = store_or_404(chosen) if chosen else None
        if request.method == "POST" and store is not None:
            try:
                placed = place_order(store, manual_request(request.form),
                                     base_url=public_base_url())
            except ShopError as error:
                db.session.rollback()
                return self._manual_page(stores, store, request.form, error), 422
            commit()
            flash(f"Pesanan {placed.number} dibuat." if placed.created
                  else f"Pesanan {placed.number} sudah dibuat sebelumnya.", "success")
            return redirect(url_for(".details_view", id=placed.id))
        return self._manual_page(stores, store, None, None)

    def _manual_page(self, stores, store, form, error):
        return self.render(
            "admin/orders/manual.html", stores=stores, store=store, values=form or {},
            products=list_catalog(store) if store else [], error=error,
            errors=error.fields if error else {}, lines=MANUAL_LINES,
            posted_lines=list(zip_longest(form.getlist("item_code"), form.getlist("item_qty"),
                                          fillvalue="")) if form else [],
            idempotency_key=(form or {}).get("idempotency_key") or secrets.token_urlsafe(18))
