"""The dealer API's bodies, query strings and answers (seed 004, section 6), for
/api/openapi.json. The views answer through shop.portal.answers; these models say the same
shapes: money as decimal strings, times as "YYYY-MM-DD HH:MM:SS" in the distributor's zone.
The login calls keep their own parsing (a phone or a shop code, either one, all 400s), so
the bodies here describe what is read; no body key is ever a shop id."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..api.schema import Money, Schema
from ..models import LegacyState, OrderStatus

#: A moment as seed 004 writes it, in the distributor's time zone.
LocalTime = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
                                 examples=["2025-11-20 14:05:00"])]
#: An id or a quantity as a number or its digits (what whole_id and clean_quantity read).
WholeNumber = int | Annotated[str, Field(pattern=r"^\d+$")]


# --- bodies and query strings ---------------------------------------------------------------


class OtpRequestBody(Schema):
    """The shop's phone (any usual form) or its code: one of the two."""

    phone: str | None = Field(None, examples=["628123456789"])
    shop_code: str | None = Field(None, examples=["TK001"])


class OtpVerifyBody(OtpRequestBody):
    """The phone or shop code the code was asked with, and the code."""

    otp: str = Field(examples=["123456"])


class AddToCartBody(Schema):
    product_id: WholeNumber
    qty: WholeNumber = Field(1, description="1 to 9999; added to what the cart holds.")


class QuantityBody(Schema):
    qty: WholeNumber


class CheckoutCartBody(Schema):
    notes: str | None = None
    idempotency_key: str | None = Field(
        None, description="Sent again: the same order, 200 instead of 201.")


class CancelBody(Schema):
    reason: str | None = None


class PageQuery(Schema):
    """A page of a list; an unreadable number is the default, sizes above the most are
    the most."""

    page: str | None = Field(None, description="Page number, from 1.")
    per_page: str | None = Field(None, description="Rows per page.")
    limit: str | None = Field(None, description="Another name of per_page.")


class PartsQuery(PageQuery):
    search: str | None = Field(None, description="Part number or name contains (any case).")
    q: str | None = Field(None, description="Another name of search.")
    category: str | None = None


# --- answers --------------------------------------------------------------------------------


class ShopJson(Schema):
    id: int
    code: str
    name: str
    phone: str
    address: str | None
    city: str | None
    province: str | None


class OtpSentAnswer(Schema):
    """The same answer whether a shop has this number or not."""

    success: bool
    message: str
    expires_in: int = Field(description="Seconds the code stays valid.")


class SessionAnswer(Schema):
    """The shop and when its session ends (with the token, on verify-otp)."""

    success: bool
    token: str | None = Field(None, description="Only verify-otp answers it: the bearer token.")
    shop: ShopJson
    expires_at: LocalTime | None


class MessageAnswer(Schema):
    success: bool
    message: str


class Pagination(Schema):
    page: int
    per_page: int
    total: int
    pages: int


class PartJson(Schema):
    id: int
    code: str
    name: str
    category: str | None
    description: str | None
    price: Money = Field(description="The shop's price.")
    list_price: Money
    stock: int | None = Field(description="As last synced from the ERP; null: unknown.")
    stock_synced_at: LocalTime | None
    is_ready: bool


class PartsAnswer(Schema):
    success: bool
    items: list[PartJson]
    pagination: Pagination


class PartAnswer(Schema):
    success: bool
    product: PartJson


class StockAnswer(Schema):
    """The ERP's stock of the part: read now ("erp") or as last synced ("sync")."""

    success: bool
    product_id: int
    code: str
    stock: int | None
    stock_synced_at: LocalTime | None
    source: str = Field(pattern="^(erp|sync)$")


class CartLineJson(Schema):
    id: int
    product_id: int
    code: str
    name: str
    category: str | None
    qty: int
    price: Money
    list_price: Money
    subtotal: Money
    stock: int | None
    stock_synced_at: LocalTime | None
    is_active: bool
    over_stock: bool


class CartJson(Schema):
    items: list[CartLineJson]
    total: Money
    qty: int
    can_check_out: bool


class CartAnswer(Schema):
    """The cart after the call (item_id after an add, removed after clear)."""

    success: bool
    item_id: int | None = None
    removed: int | None = None
    cart: CartJson


class OrderLineJson(Schema):
    product_id: int | None
    code: str
    name: str
    qty: int
    price: Money
    discount: Money
    subtotal: Money


class DealerOrderJson(Schema):
    id: str
    number: str
    status: OrderStatus
    status_label: str
    subtotal: Money
    discount: Money
    total: Money
    notes: str | None
    can_cancel: bool
    legacy_state: LegacyState | None
    so_number: str | None
    created_at: LocalTime | None
    approved_at: LocalTime | None
    submitted_at: LocalTime | None
    items: list[OrderLineJson] | None = Field(None, description="Not in a list.")


class OrderAnswer(Schema):
    success: bool
    order: DealerOrderJson


class OrdersAnswer(Schema):
    success: bool
    items: list[DealerOrderJson]
    pagination: Pagination
