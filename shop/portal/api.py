"""The dealer's JSON API of seed 004, section 6, under /api: the OTP login, parts, the cart
and the shop's orders. Only `Authorization: Bearer <token>` signs a call in (never a
cookie); a shop only ever reaches its own cart and orders, and a shop id in a body is never
read. 60 calls a minute per shop (PORTAL_API_RATE_LIMIT)."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import get_locale

from ..api.schema import documented, parse_body
from ..errors import BadRequest, NotSignedIn
from ..extensions import limiter
from ..services import dealer_cart
from ..services.dealer_catalog import get_part, search_parts, shop_product
from ..services.dealer_orders import cancel_dealer_order, dealer_order, dealer_orders
from ..services.erp import read_part_stock
from ..services.otp import logout, request_otp, verify_otp
from ..unit_of_work import commit
from ..web import public_base_url
from . import answers, api_bp
from . import schemas as S
from .auth import api_session, bearer_token, client_details, forget_session, rate_limit_key

#: The calls that need no session: asking for a code and trading it for a token.
PUBLIC_ENDPOINTS = frozenset({"portal_api.request_code", "portal_api.verify_code"})
OTP_SENT = "OTP telah dikirim ke WhatsApp"


def _api_limit() -> str:
    return current_app.config["PORTAL_API_RATE_LIMIT"]


limiter.shared_limit(_api_limit, scope="portal_api", key_func=rate_limit_key)(api_bp)
api_bp.teardown_request(forget_session)


@api_bp.before_request
def require_bearer_token():
    """Every call but the login's needs a valid bearer token (401 JSON otherwise)."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        api_session()


@api_bp.after_request
def not_stored(response):
    """A dealer's answers (tokens, prices, orders) are never kept by a browser or proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.errorhandler(NotSignedIn)
def not_signed_in(error: NotSignedIn):
    """401 with the scheme the API expects."""
    return jsonify(error.to_json()), 401, {"WWW-Authenticate": 'Bearer realm="portal"'}


@api_bp.post("/auth/request-otp")
@documented(answer=S.OtpSentAnswer, body=S.OtpRequestBody, errors=(400, 422, 429))
def request_code():
    """Send a code to the shop's WhatsApp; the same answer for numbers no shop has."""
    sent = request_otp(**_login_fields(_body()))
    commit()
    return jsonify({"success": True, "message": OTP_SENT, "expires_in": sent.expires_in})


@api_bp.post("/auth/verify-otp")
@documented(answer=S.SessionAnswer, body=S.OtpVerifyBody, errors=(400, 401, 422, 429))
def verify_code():
    """Trade a right code for a 7-day session token."""
    body = _body()
    new = verify_otp(login=_login_of(body), code=_text(body, "otp"), **client_details())
    commit()
    return jsonify({"success": True, "token": new.token, "shop": answers.shop_json(new.shop),
                    "expires_at": answers.when(new.expires_at, new.shop)})


@api_bp.post("/auth/logout")
@documented(answer=S.MessageAnswer, security="shopToken", errors=(429,))
def sign_out():
    """Revoke the token: every later call with it answers 401."""
    logout(bearer_token())
    commit()
    return jsonify({"success": True, "message": "Berhasil keluar"})


@api_bp.get("/auth/me")
@documented(answer=S.SessionAnswer, security="shopToken", errors=(429,))
def me():
    """The signed-in shop and when its session ends."""
    current = api_session()
    return jsonify({"success": True, "shop": answers.shop_json(current.shop),
                    "expires_at": answers.when(current.expires_at, current.shop)})


@api_bp.get("/products")
@documented(answer=S.PartsAnswer, query=S.PartsQuery, security="shopToken", errors=(400, 422, 429))
def products():
    """The distributor's parts at the shop's prices: search, category, pages."""
    args, shop = request.args, api_session().shop
    page = search_parts(shop, query=args.get("search", args.get("q")),
                        category=args.get("category"), page=args.get("page"),
                        per_page=args.get("per_page", args.get("limit")))
    return jsonify({"success": True, "items": [answers.part_json(p, shop) for p in page.parts],
                    "pagination": answers.pagination(page)})


@api_bp.get("/products/<int:product_id>")
@documented(answer=S.PartAnswer, security="shopToken", errors=(404, 429))
def product(product_id: int):
    """One part at the shop's price, with its stock."""
    shop = api_session().shop
    return jsonify({"success": True,
                    "product": answers.part_json(get_part(shop, answers.row_id(product_id)), shop)})


@api_bp.get("/products/<int:product_id>/stock")
@documented(answer=S.StockAnswer, security="shopToken", errors=(404, 429))
def product_stock(product_id: int):
    """What the legacy ERP can sell of one part, read from it now (else as last synced)."""
    shop = api_session().shop
    part = shop_product(shop, answers.row_id(product_id))
    live = read_part_stock(part, shop.store.timezone)
    commit()
    return jsonify({"success": True, **answers.stock_json(part, shop, live=live)})


@api_bp.get("/cart")
@documented(answer=S.CartAnswer, security="shopToken", errors=(429,))
def cart():
    """The shop's cart at its prices of the moment."""
    return _cart_answer()


@api_bp.post("/cart/add")
@documented(answer=S.CartAnswer, body=S.AddToCartBody, security="shopToken",
            errors=(400, 404, 409, 422, 429))
def add_to_cart():
    """Add a part (or more of it) to the cart."""
    body = _body(required=True)
    item = dealer_cart.add_to_cart(api_session().shop, answers.whole_id(body.get("product_id")),
                                   body.get("qty", 1))
    commit()
    return _cart_answer(item_id=item.id)


@api_bp.put("/cart/item/<int:item_id>")
@documented(answer=S.CartAnswer, body=S.QuantityBody, security="shopToken",
            errors=(400, 404, 409, 422, 429))
def set_quantity(item_id: int):
    """Change one cart line's quantity."""
    body = _body(required=True)
    dealer_cart.set_cart_qty(api_session().shop, answers.row_id(item_id), body.get("qty"))
    commit()
    return _cart_answer()


@api_bp.delete("/cart/item/<int:item_id>")
@documented(answer=S.CartAnswer, security="shopToken", errors=(404, 429))
def remove_item(item_id: int):
    """Take one line out of the cart."""
    dealer_cart.remove_cart_item(api_session().shop, answers.row_id(item_id))
    commit()
    return _cart_answer()


@api_bp.delete("/cart/clear")
@documented(answer=S.CartAnswer, security="shopToken", errors=(429,))
def clear_cart():
    """Empty the cart."""
    removed = dealer_cart.clear_cart(api_session().shop)
    commit()
    return _cart_answer(removed=removed)


@api_bp.post("/cart/checkout")
@documented(answer=S.OrderAnswer, body=S.CheckoutCartBody, security="shopToken", status=201,
            answers={200: S.OrderAnswer}, errors=(400, 409, 422, 429), body_required=False)
def checkout():
    """Place the cart as a B2B order (PENDING); 201, or 200 with the same order for a
    repeated idempotency key."""
    body = parse_body(S.CheckoutCartBody, _body())
    shop = api_session().shop
    placed = dealer_cart.checkout_cart(
        shop, notes=body.notes, idempotency_key=body.idempotency_key,
        base_url=public_base_url(), locale=str(get_locale() or "id"))
    commit()
    order = dealer_order(shop, placed.id)
    return jsonify({"success": True, "order": answers.order_json(order, shop)}), (
        201 if placed.created else 200)


@api_bp.get("/orders")
@documented(answer=S.OrdersAnswer, query=S.PageQuery, security="shopToken", errors=(429,))
def orders():
    """The shop's orders, newest first, a page of them."""
    shop = api_session().shop
    listing = dealer_orders(shop, request.args.get("page"),
                            request.args.get("per_page", request.args.get("limit")))
    return jsonify({"success": True,
                    "items": [answers.order_json(o, shop, lines=False) for o in listing.orders],
                    "pagination": answers.pagination(listing)})


@api_bp.get("/orders/<order_id>")
@documented(answer=S.OrderAnswer, security="shopToken", errors=(404, 429))
def order(order_id: str):
    """One of the shop's orders with its lines, status and SO number."""
    shop = api_session().shop
    return jsonify({"success": True,
                    "order": answers.order_json(dealer_order(shop, order_id), shop)})


@api_bp.post("/orders/<order_id>/cancel")
@documented(answer=S.OrderAnswer, body=S.CancelBody, security="shopToken",
            errors=(400, 404, 409, 422, 429), body_required=False)
def cancel_order(order_id: str):
    """Cancel one of the shop's orders while it is PENDING."""
    shop = api_session().shop
    cancelled = cancel_dealer_order(shop, order_id,
                                    reason=parse_body(S.CancelBody, _body()).reason)
    commit()
    return jsonify({"success": True, "order": answers.order_json(cancelled, shop)})


def _cart_answer(**extra):
    """The cart as it is now, after the call's change."""
    shop = api_session().shop
    return jsonify({"success": True, **extra,
                    "cart": answers.cart_json(dealer_cart.view_cart(shop), shop)})


def _body(*, required: bool = False) -> dict:
    """The JSON object of the request (none: an empty one, unless required). Raises
    BadRequest."""
    if not request.get_data(cache=True) and not required:
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Body harus berupa objek JSON.")
    return body


def _text(body: dict, name: str, *, required: bool = True) -> str | None:
    """A text field of the body. Raises BadRequest (wrong type, or missing when required)."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"'{name}' harus berupa teks.", fields={name: "Harus berupa teks."})
    if required and not value:
        raise BadRequest(f"'{name}' wajib diisi.", fields={name: "Wajib diisi."})
    return value


def _login_fields(body: dict) -> dict:
    """{"phone": ...} or {"shop_code": ...} of the body. Raises BadRequest."""
    phone, code = _text(body, "phone", required=False), _text(body, "shop_code", required=False)
    if not phone and not code:
        raise BadRequest("Isi 'phone' atau 'shop_code'.",
                         fields={"phone": "Wajib diisi (atau shop_code)."})
    return {"phone": phone} if phone else {"shop_code": code}


def _login_of(body: dict) -> str:
    """The phone (any written form) or shop code the code was asked with: verify_otp reads
    either."""
    return next(iter(_login_fields(body).values()))
