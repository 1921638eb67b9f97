"""The bodies of POST /api/orders/create-from-checkout (seed 000): what a headless
storefront sends and what it gets back. The view's own parsing is more tolerant than a
strict model (a qty as a number or its digits, the service's field-by-field refusals), so
these models describe the accepted forms; the checkout operation decides what is refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..models import OrderStatus, PaymentStatus
from .schema import Money, Schema

#: A quantity as a whole number or its digits as text.
Quantity = int | Annotated[str, Field(pattern=r"^\s*\d+\s*$")]


class CheckoutItem(Schema):
    code: str | None = Field(None, description="The product's code (e.g. BURGER-01).")
    qty: Quantity | None = Field(None, description="How many, 1 to 999: a number or digits.")


class CheckoutBody(Schema):
    """A checkout: the store, the cart and the buyer; unknown keys are ignored."""

    store: str = Field(description="The store's slug.", examples=["burgerchina"])
    items: list[CheckoutItem] | None = Field(None, examples=[[{"code": "COLA", "qty": 2}]])
    name: str | None = Field(None, examples=["Budi Santoso"])
    phone: str | None = Field(None, description="The buyer's number, any usual form.",
                              examples=["081234567890"])
    address: str | None = Field(None, description="The street line, or the whole address.",
                                examples=["Jl. Merdeka 10"])
    district: str | None = Field(None, description="Kecamatan.", examples=["Gambir"])
    city: str | None = Field(None, examples=["Jakarta Pusat"])
    province: str | None = Field(None, description="One of Indonesia's 38 provinces.",
                                 examples=["DKI Jakarta"])
    postal_code: str | None = Field(None, description="Five digits.", examples=["10110"])
    email: str | None = None
    courier: str | None = None
    payment_method: str | None = Field(None, description="bank_transfer, e_wallet or cod.")
    notes: str | None = None
    idempotency_key: str | None = Field(
        None, description="Sent again with the same checkout: the same order, 200.")
    locale: str | None = Field(None, description='"en" for English messages, else Indonesian.')


class PlacedLine(Schema):
    code: str
    name: str
    qty: int
    unit_price: Money
    subtotal: Money


class PlacedOrderJson(Schema):
    id: str
    number: str
    status: OrderStatus
    payment_status: PaymentStatus
    subtotal: Money
    discount: Money
    shipping_fee: Money
    shipping_fee_pending: bool = Field(
        description="True while the courier's fee is still to be confirmed by the store.")
    total: Money
    items: list[PlacedLine]


class PlacedCustomer(Schema):
    id: str = Field(description="The customer's public id (the bot tools' customerId).")
    name: str
    phone: str


class PlacedPayment(Schema):
    method: str | None = Field(description="bank_transfer, qris, e_wallet or cod.")
    amount_due: Money = Field(description="What to pay: the total plus the unique code.")
    unique_code: int | None = Field(
        description="The store's unique transfer code (1-999) inside amount_due, or null.")
    instructions: str | None = Field(
        description="How to pay, as text in the order's language; null when nothing is due.")
    qris: str | None = Field(
        description="The dynamic QRIS payload with amount_due (method qris), or null.")


class CheckoutAnswer(Schema):
    """The order placed (201), or the same order for a repeated idempotency key (200)."""

    success: bool
    order: PlacedOrderJson
    customer: PlacedCustomer
    payment: PlacedPayment
    trackingUrl: str
