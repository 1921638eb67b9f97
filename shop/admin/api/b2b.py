"""The admin's JSON API of seed 004 section 6, behind the admin login (session + CSRF
header): the dashboard's counts, the order list with filters and pages, and a dealer order's
approval and rejection. Always inside the admin's stores; another store's order is 404.

Money is a string with two decimals (money_json), times are UTC ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify, request

from ... import clock
from ...api.schema import documented
from ...errors import BadRequest, InvalidInput, ShopError
from ...extensions import db
from ...models import Channel, LegacyState, Order, OrderStatus
from ...services.b2b_dashboard import b2b_dashboard
from ...services.b2b_orders import approve_b2b_order, reject_b2b_order
from ...services.money import money_json
from ...services.order_search import PAGE_SIZES, OrderFilters, get_scoped_order, list_orders
from ...services.validation import check_characters
from ...unit_of_work import commit
from ..views.base import current_scope
from . import bp
from . import schemas as S

#: Query-string filters of GET /api/admin/orders and the set each value must be in.
ENUM_FILTERS = {"status": OrderStatus, "channel": Channel, "legacy_state": LegacyState}


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _legacy_state(channel: Channel, state: LegacyState | None) -> str | None:
    if channel != Channel.B2B:
        return None
    return (state or LegacyState.NOT_SENT).value


def order_row_json(row) -> dict:
    """One order of the list (a row of shop.services.order_search)."""
    return {
        "id": row.id, "number": row.number, "created_at": _time(row.created_at),
        "store_id": row.store_id, "store_name": row.store_name,
        "channel": row.channel.value, "status": row.status.value,
        "payment_status": row.payment_status.value, "total": money_json(row.total),
        "recipient_name": row.recipient_name,
        "shop": {"id": row.shop_id, "code": row.shop_code, "name": row.shop_name}
        if row.shop_id else None,
        "legacy_state": _legacy_state(row.channel, row.legacy_state),
        "ref_so_number": row.ref_so_number, "legacy_error": row.legacy_error,
    }


def b2b_order_json(order: Order) -> dict:
    """A dealer order after a decision: status, approval and where it stands with the ERP."""
    return {
        "id": order.id, "number": order.number, "status": order.status.value,
        "allowed_statuses": [s.value for s in order.allowed_transitions()],
        "shop": {"id": order.shop.id, "code": order.shop.code, "name": order.shop.name}
        if order.shop else None,
        "total": money_json(order.total), "approved_at": _time(order.approved_at),
        "legacy_state": _legacy_state(order.channel, order.legacy_state),
        "ref_so_number": order.ref_so_number, "submitted_at": _time(order.submitted_at),
        "legacy_error": order.legacy_error,
    }


@bp.get("/admin/dashboard")
@documented(answer=S.DashboardAnswer, security="adminSession", errors=(403,))
def admin_dashboard():
    """Counts of the admin's stores' dealer orders and shops."""
    return jsonify({"success": True, **b2b_dashboard(current_scope(), now=clock.now())})


def _filters(args) -> tuple[OrderFilters, int, int]:
    """The list's filters and page from the query string. Raises InvalidInput."""
    values = {}
    for name, enum_class in ENUM_FILTERS.items():
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                values[name] = enum_class(raw)
            except ValueError:
                raise InvalidInput(f"Nilai {name} tidak dikenal.", fields={
                    name: ", ".join(e.value for e in enum_class)}) from None
    numbers = _numbers(args)
    per_page = numbers["per_page"] or PAGE_SIZES[0]
    if per_page not in PAGE_SIZES:
        raise InvalidInput("per_page harus salah satu dari "
                           + ", ".join(map(str, PAGE_SIZES)) + ".",
                           fields={"per_page": "/".join(map(str, PAGE_SIZES))})
    search = check_characters(" ".join((args.get("search") or "").split())[:100],
                              field="search", label="Pencarian")
    return (OrderFilters(search=search, shop_id=numbers["shop"],
                         store_id=numbers["store_id"], **values),
            max(numbers["page"] or 1, 1), per_page)


def _numbers(args) -> dict[str, int | None]:
    """shop, store_id, page and per_page of the query string; blank ones (spaces too) are
    not given. Raises InvalidInput."""
    numbers: dict[str, int | None] = {}
    for name in ("shop", "store_id", "page", "per_page"):
        raw = (args.get(name) or "").strip()
        if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
            raise InvalidInput(f"{name} harus berupa angka.", fields={name: "Angka."})
        numbers[name] = int(raw) if raw else None
    return numbers


@bp.get("/admin/orders")
@documented(answer=S.AdminOrdersAnswer, query=S.AdminOrdersQuery, security="adminSession",
            errors=(403, 422))
def admin_orders():
    """The admin's orders, newest first: ?status=&channel=&shop=<id>&legacy_state=
    &store_id=&search=&page=&per_page= (25, 50 or 100)."""
    filters, page, per_page = _filters(request.args)
    result = list_orders(current_scope(), filters, page=page, page_size=per_page)
    return jsonify({"success": True, "orders": [order_row_json(r) for r in result.rows],
                    "page": result.page, "per_page": result.page_size,
                    "total": result.total, "pages": result.pages})


def _decide(order_id: str, decide) -> tuple:
    """Run one decision on an order of the admin's stores; 409 names the order's status
    and what it may still become."""
    order = get_scoped_order(current_scope(), order_id)
    try:
        decide(order)
    except ShopError as error:
        db.session.rollback()
        answer = error.to_json()
        answer.setdefault("status", order.status.value)
        answer["allowed_statuses"] = [s.value for s in order.allowed_transitions()]
        return jsonify(answer), error.status
    commit()
    db.session.refresh(order)  # in the embedded default the ERP job already ran
    return jsonify({"success": True, "order": b2b_order_json(order)}), 200


@bp.put("/admin/orders/<order_id>/approve")
@documented(answer=S.DecisionAnswer, security="adminSession", errors=(400, 403, 404),
            answers={409: S.DecisionRefused, 422: S.DecisionRefused})
def approve_order(order_id: str):
    """PENDING -> CONFIRMED; the ERP submission is queued on the `legacy` queue."""
    return _decide(order_id, lambda o: approve_b2b_order(o, actor=current_scope().actor))


@bp.put("/admin/orders/<order_id>/reject")
@documented(answer=S.DecisionAnswer, body=S.RejectBody, security="adminSession",
            errors=(400, 403, 404),
            answers={409: S.DecisionRefused, 422: S.DecisionRefused})
def reject_order(order_id: str):
    """PENDING -> REJECTED with {"reason": ...} (required), sent to the shop by WhatsApp."""
    body = request.get_json(silent=True)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest("Body harus berupa objek JSON.")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput("Alasan harus berupa teks.", fields={"reason": "Teks."})
    return _decide(order_id, lambda o: reject_b2b_order(o, actor=current_scope().actor,
                                                        reason=reason or ""))
