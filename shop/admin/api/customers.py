"""Admin JSON API of seed 003's CRM, and seed 000's PATCH /api/customers/<id>.

Keys are the seed's camelCase; money (and the discount percentage) are strings with two
decimals, like the checkout API's, so no client rounds a Decimal through a float.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import wraps

from flask import jsonify, request

from ... import clock
from ...api.schema import documented
from ...errors import BadRequest, InvalidInput, ShopError
from ...extensions import db
from ...models import Customer
from ...services import crm
from ...services.customer_stats import customer_counts, customer_detail_stats, customer_overview
from ...services.money import money_json
from ...unit_of_work import commit
from ..views.base import current_scope
from . import bp
from . import schemas as S

#: The seed's names for the customer's fields.
CAMEL = {
    "id": "id", "publicId": "public_id", "storeId": "store_id", "name": "name",
    "phone": "phone", "email": "email", "address": "address", "city": "city",
    "province": "province", "postalCode": "postal_code", "type": "type", "status": "status",
    "membershipLevel": "membership_level", "points": "points", "discount": "discount",
    "totalOrders": "total_orders", "totalPurchases": "total_purchases",
    "totalSpent": "total_spent", "lastVisit": "last_visit", "birthDate": "birth_date",
    "gender": "gender", "notes": "notes", "isActive": "is_active", "partnerId": "partner_id",
    "createdAt": "created_at", "updatedAt": "updated_at",
}
SNAKE = {snake: camel for camel, snake in CAMEL.items()}


def json_value(value):
    """Decimal as a two-decimal string, datetimes in UTC ISO 8601, enums as their value."""
    if isinstance(value, dict):
        return {key: json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, Decimal):
        return money_json(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def customer_json(customer: Customer) -> dict:
    """Every CRM field of the customer, with the seed's names."""
    return json_value({camel: getattr(customer, snake) for camel, snake in CAMEL.items()})


def answers_errors(view):
    """Refusals as JSON with the seed's field names; nothing of the request stays."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ShopError as error:
            db.session.rollback()
            error.fields = {SNAKE.get(name, name): text for name, text in error.fields.items()}
            return jsonify(error.to_json()), error.status
    return wrapper


@bp.get("/customers/crud")
@documented(answer=S.CustomersAnswer, query=S.CustomersQuery, security="adminSession",
            errors=(403, 404, 422))
@answers_errors
def list_customers():
    """GET: a page of the admin's customers, with pagination and the overview's counts."""
    args = request.args
    scope = current_scope()
    store = crm.choose_store(scope, args["storeId"], field="storeId") \
        if args.get("storeId") else None
    filters = crm.parse_filters(
        search=args.get("search"), type=args.get("type"), status=args.get("status"),
        membership_level=args.get("membershipLevel"), store_id=store.id if store else None,
        include_deleted=args.get("includeDeleted") in ("1", "true"))
    page = crm.list_customers(scope, filters, page=_int_arg("page", 1),
                              limit=_int_arg("limit", 10))
    overview = customer_counts(scope, now=clock.now())["overview"]
    stats = {key: overview[key] for key in
             ("totalCustomers", "activeCustomers", "vipCustomers", "avgLifetimeValue")}
    return jsonify({"success": True, "data": {
        "customers": [customer_json(c) for c in page.customers],
        "pagination": {"total": page.total, "page": page.page, "limit": page.limit,
                       "totalPages": page.total_pages},
        "stats": json_value(stats),
    }})


@bp.post("/customers/crud")
@documented(answer=S.CustomerAnswer, body=S.NewCustomerBody, security="adminSession", status=201,
            errors=(400, 403, 404, 409, 422))
@answers_errors
def create_customer():
    """POST: a new customer in one of the admin's stores (storeId when it has several)."""
    body = _body()
    store = crm.choose_store(current_scope(), body.pop("storeId", None), field="storeId")
    customer = crm.create_customer(store, _fields(body), now=clock.now())
    commit()
    return jsonify({"success": True, "message": "Pelanggan berhasil dibuat.",
                    "data": customer_json(customer)}), 201


@bp.put("/customers/crud")
@documented(answer=S.UpdatedCustomerAnswer, body=S.CustomerFields, query=S.CustomerIdQuery,
            security="adminSession", errors=(400, 403, 404, 409, 422))
@answers_errors
def update_customer():
    """PUT ?id=: change the given fields."""
    customer = crm.get_customer(current_scope(), _id_arg())
    result = crm.update_customer(customer, _fields(_body()), actor=current_scope().actor,
                                 now=clock.now())
    commit()
    return jsonify({"success": True, "message": "Pelanggan berhasil diperbarui.",
                    "data": customer_json(customer), "updatedOrders": _numbers(result)})


@bp.delete("/customers/crud")
@documented(answer=S.DeletedAnswer, query=S.CustomerIdQuery, security="adminSession",
            errors=(403, 404, 422))
@answers_errors
def delete_customer():
    """DELETE ?id=: the seed's soft delete."""
    customer = crm.get_customer(current_scope(), _id_arg())
    crm.delete_customer(customer, now=clock.now())
    commit()
    return jsonify({"success": True, "message": "Pelanggan berhasil dihapus."})


@bp.get("/customers/stats")
@documented(answer=S.StatsAnswer, security="adminSession", errors=(403,))
@answers_errors
def customer_stats():
    """The overview of the admin's customers."""
    return jsonify({"success": True,
                    "data": json_value(customer_overview(current_scope(), now=clock.now()))})


@bp.get("/customers/<int:customer_id>")
@documented(answer=S.CustomerDetailAnswer, security="adminSession", errors=(403, 404))
@answers_errors
def customer_detail(customer_id: int):
    """One customer with purchase stats, recent orders, top products, monthly spending."""
    customer = crm.get_customer(current_scope(), customer_id)
    detail = customer_detail_stats(customer, now=clock.now())
    return jsonify({"success": True,
                    "data": {"customer": customer_json(customer), **json_value(detail)}})


@bp.patch("/customers/<int:customer_id>")
@documented(answer=S.PatchedCustomerAnswer, body=S.CustomerFields, security="adminSession",
            errors=(400, 403, 404, 409, 422))
@answers_errors
def patch_customer(customer_id: int):
    """Seed 000: update a customer; a new address reaches its orders not shipped yet."""
    customer = crm.get_customer(current_scope(), customer_id)
    result = crm.update_customer(customer, _fields(_body()), actor=current_scope().actor,
                                 now=clock.now())
    commit()
    return jsonify({"success": True, "customer": customer_json(customer),
                    "updatedOrders": _numbers(result)})


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Body harus berupa objek JSON.")
    return body


def _fields(body: dict) -> dict:
    """The body with the service's field names (unknown names pass on, to be refused)."""
    return {CAMEL.get(name, name): value for name, value in body.items()}


def _numbers(result: crm.CustomerUpdate) -> list[dict]:
    return [{"id": order.id, "number": order.number} for order in result.orders]


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        raise InvalidInput(f"'{name}' tidak valid.", fields={name: "Bilangan bulat positif."})
    return int(raw)


def _id_arg() -> int:
    raw = request.args.get("id", "")
    if not raw:
        raise InvalidInput("'id' wajib diisi.", fields={"id": "Wajib diisi."})
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        raise InvalidInput("'id' tidak valid.", fields={"id": "Id pelanggan (angka)."})
    return int(raw)
