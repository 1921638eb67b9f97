"""The bodies the bot tools take and answer (seed 002's shapes, camelCase as there): the
same models validate a call, describe it in /api/openapi.json and become the input schema
of the tool definitions an LLM is given (GET /api/bot/tools)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from ..services.bot_inventory import MAX_PRODUCTS, MAX_REF, StockLine
from ..services.bot_payments import PaymentCheck
from ..services.bot_tools import (
    ADDRESS_MAX,
    REASON_MAX,
    AddressChange,
    CancelledOrder,
    OrderSummary,
    ShipmentInfo,
    TrackedOrder,
)
from ..services.money import money_json
from ..services.validation import MAX_QTY
from .schema import Schema

#: Who the bot is talking to: one of the two scopes every order lookup.
CUSTOMER_ID = ("ID pelanggan (`customer.id` dari jawaban checkout, mis. cu_...). Isi ini "
               "atau phone; jangan menebak.")
PHONE = ("Nomor WhatsApp pelanggan yang sedang chat, dalam bentuk apa pun (0812..., "
         "+62 812..., 62812...). Isi ini atau customerId.")
ORDER_NUMBER = ("Nomor pesanan seperti yang ditulis pelanggan (mis. ORD-20251120-001) atau "
                "ID pesanan. Jika pelanggan tidak ingat, pakai get_order_summary dulu.")
#: Money in an answer: rupiah as a decimal string with two decimals ("150000.00").
MONEY = r"^-?\d+\.\d{2}$"


def money(description: str):
    return Field(pattern=MONEY, examples=["150000.00"], description=description)


class CustomerScope(Schema):
    """customerId or phone: whose orders the call may reach."""

    customerId: str | None = Field(None, max_length=64, description=CUSTOMER_ID)
    phone: str | None = Field(None, max_length=32, description=PHONE)


class TrackInput(CustomerScope):
    orderNumber: str | None = Field(None, max_length=64, description=ORDER_NUMBER)
    orderId: str | None = Field(None, max_length=64,
                                description="ID pesanan, bila nomor pesanan tidak ada.")


class SummaryInput(CustomerScope):
    """Pelanggan yang ditanyakan: isi customerId atau phone."""


class CancelInput(CustomerScope):
    orderNumber: str = Field(max_length=64, description=ORDER_NUMBER)
    reason: str | None = Field(None, max_length=REASON_MAX,
                               description="Alasan pembatalan dengan kata-kata pelanggan "
                                           "(opsional, dicatat untuk toko).")


class PaymentInput(CustomerScope):
    orderNumber: str = Field(max_length=64, description=ORDER_NUMBER)
    detailed: bool = Field(False, description="true: sertakan rincian tagihan (item, subtotal, "
                                              "ongkir, sudah dibayar, sisa yang harus "
                                              "dibayar). Pakai bila pelanggan menanyakan "
                                              "rincian atau jumlah tagihannya.")


class InventoryInput(Schema):
    productIds: list[Annotated[str, Field(min_length=1, max_length=MAX_REF)]] = Field(
        min_length=1, max_length=MAX_PRODUCTS,
        description="Kode produk (SKU, mis. KAOS-001) atau nama produk persis seperti di "
                    f"katalog, 1 sampai {MAX_PRODUCTS} sekaligus. Untuk varian (ukuran, "
                    "warna) pakai kode variannya bila ada.")
    quantities: list[Annotated[int, Field(ge=1, le=MAX_QTY)]] | None = Field(
        None, description="Opsional: jumlah yang ingin dibeli untuk tiap produk, urutan dan "
                          "banyaknya sama dengan productIds; jawaban lalu berisi canOrder.")

    @field_validator("quantities")
    @classmethod
    def one_per_product(cls, value, info: ValidationInfo):
        asked = info.data.get("productIds")
        if value is not None and asked is not None and len(value) != len(asked):
            raise ValueError("Harus sebanyak productIds.")
        return value


class AddressInput(CustomerScope):
    orderNumber: str = Field(max_length=64, description=ORDER_NUMBER)
    address: str = Field(max_length=ADDRESS_MAX,
                                description="Alamat pengiriman baru yang lengkap: jalan, "
                                            "nomor, RT/RW, kelurahan, kota dan kode pos, "
                                            "seperti yang dikonfirmasi pelanggan.")


def iso(value: datetime | None) -> str | None:
    """A moment in UTC as seed 002 writes it: 2025-11-26T00:00:00Z."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Shipment(Schema):
    orderNumber: str
    trackingNumber: str
    carrier: str
    carrierName: str
    trackingUrl: str | None
    status: str
    currentLocation: str | None
    estimatedDelivery: str | None
    shippedAt: str | None


class TrackedOrderJson(Schema):
    id: str
    orderNumber: str
    status: str
    paymentStatus: str
    total: str
    courier: str | None
    createdAt: str | None


class TrackAnswer(Schema):
    """Seed 002's answer (success, tracking, orderStatus) with the order beside it;
    `tracking` is null until the order is shipped."""

    success: bool
    tracking: Shipment | None
    orderStatus: str
    order: TrackedOrderJson
    shipments: list[Shipment]


def shipment_json(parcel: ShipmentInfo, number: str) -> dict:
    return {
        "orderNumber": number, "trackingNumber": parcel.tracking_number,
        "carrier": parcel.carrier, "carrierName": parcel.carrier_name,
        "trackingUrl": parcel.tracking_url, "status": parcel.status,
        "currentLocation": parcel.current_location,
        "estimatedDelivery": iso(parcel.estimated_delivery),
        "shippedAt": iso(parcel.shipped_at),
    }


def track_json(tracked: TrackedOrder) -> dict:
    """The TrackAnswer of an order."""
    return {
        "success": True,
        "tracking": shipment_json(tracked.shipment, tracked.number)
        if tracked.shipment else None,
        "orderStatus": tracked.status.value,
        "order": {
            "id": tracked.id, "orderNumber": tracked.number, "status": tracked.status.value,
            "paymentStatus": tracked.payment_status.value, "total": money_json(tracked.total),
            "courier": tracked.courier, "createdAt": iso(tracked.created_at),
        },
        "shipments": [shipment_json(p, tracked.number) for p in tracked.shipments],
    }


class Contact(Schema):
    """Where the customer reaches a person of the store."""

    whatsapp: str
    url: str


class CancelAnswer(Schema):
    """Seed 002's answer: the order is cancelled (the customer is told, stock comes back).
    A refusal is 409 `transition_refused` with `status` and `contact` (the store's WhatsApp)."""

    success: bool
    message: str
    orderNumber: str
    orderStatus: str
    refundDue: bool = Field(description="Money may have been paid: the store gives it back "
                                        "(the message says how to reach a person).")


def cancel_json(cancelled: CancelledOrder) -> dict:
    message = f"Pesanan {cancelled.number} telah dibatalkan"
    if cancelled.refund_note:
        message += ". " + cancelled.refund_note
    return {"success": True, "message": message, "orderNumber": cancelled.number,
            "orderStatus": cancelled.status.value, "refundDue": cancelled.refund_note is not None}


class RecentOrder(Schema):
    orderNumber: str
    status: str
    totalAmount: str = money("Total pesanan.")
    createdAt: str


class Summary(Schema):
    totalOrders: int
    activeOrders: int = Field(description="Orders not completed, cancelled, rejected or refunded.")
    totalSpent: str = money("What the customer spent: completed and paid orders.")
    recentOrders: list[RecentOrder]


class SummaryAnswer(Schema):
    """Seed 002's get_order_summary answer (money as decimal strings)."""

    success: bool
    summary: Summary


def summary_json(summary: OrderSummary) -> dict:
    return {"success": True, "summary": {
        "totalOrders": summary.total_orders, "activeOrders": summary.active_orders,
        "totalSpent": money_json(summary.total_spent),
        "recentOrders": [{"orderNumber": o.number, "status": o.status.value,
                          "totalAmount": money_json(o.total), "createdAt": iso(o.created_at)}
                         for o in summary.recent]}}


class AddressAnswer(Schema):
    """The order's shipping address now; `changed` is false when it already was this one.
    After shipping: 409 `transition_refused` with `status` and `contact`."""

    success: bool
    message: str
    orderNumber: str
    shippingAddress: str
    changed: bool


def address_json(change: AddressChange) -> dict:
    message = (f"Alamat pengiriman pesanan {change.number} telah diubah" if change.changed
               else f"Alamat pengiriman pesanan {change.number} sudah sama dengan ini")
    return {"success": True, "message": message, "orderNumber": change.number,
            "shippingAddress": change.address, "changed": change.changed}


class PaidPayment(Schema):
    status: str = Field(description="COMPLETED: the money was received.")
    method: str | None
    amount: str = money("What was received.")
    paidAt: str | None
    transactionId: str | None = Field(description="The bank's or wallet's reference.")


class BillItem(Schema):
    productId: str
    productName: str
    quantity: int
    unitPrice: str = money("Price of one.")
    subtotal: str = money("The line's total.")


class Bill(Schema):
    orderNumber: str
    status: str
    paymentStatus: str
    paymentMethod: str | None
    subtotal: str = money("Sum of the lines.")
    discount: str = money("Discount on the order.")
    shippingFee: str = money("Shipping.")
    total: str = money("What the order costs.")
    amountPaid: str = money("Received so far (confirmed payments).")
    amountDue: str = money("Still to pay; 0 when paid, refunded or cancelled.")
    isDue: bool = Field(description="Whether the customer still has something to pay.")
    createdAt: str | None
    items: list[BillItem]


class PaymentAnswer(Schema):
    """Seed 002's verify_payment answer: paid (`payment`) or not (`instructions`, Indonesian
    text for the order's method); `order` is the bill when `detailed` was asked, else null."""

    success: bool
    orderNumber: str
    isPaid: bool
    paymentStatus: str
    paymentMethod: str | None
    payment: PaidPayment | None
    instructions: str | None
    order: Bill | None


def bill_json(check: PaymentCheck) -> dict:
    return {
        "orderNumber": check.number, "status": check.status.value,
        "paymentStatus": check.payment_status.value, "paymentMethod": check.method,
        "subtotal": money_json(check.subtotal), "discount": money_json(check.discount),
        "shippingFee": money_json(check.shipping_fee), "total": money_json(check.total),
        "amountPaid": money_json(check.amount_paid), "amountDue": money_json(check.amount_due),
        "isDue": check.amount_due > 0, "createdAt": iso(check.created_at),
        "items": [{"productId": line.code, "productName": line.name, "quantity": line.qty,
                   "unitPrice": money_json(line.unit_price),
                   "subtotal": money_json(line.subtotal)} for line in check.lines],
    }


def payment_json(check: PaymentCheck, *, detailed: bool) -> dict:
    paid = check.paid
    return {
        "success": True, "orderNumber": check.number, "isPaid": check.is_paid,
        "paymentStatus": check.payment_status.value, "paymentMethod": check.method,
        "payment": {"status": paid.status, "method": paid.method,
                    "amount": money_json(paid.amount), "paidAt": iso(paid.paid_at),
                    "transactionId": paid.transaction_id} if paid else None,
        "instructions": check.instructions,
        "order": bill_json(check) if detailed else None,
    }


class Stock(Schema):
    productId: str = Field(description="The product's code (what was asked when not found).")
    query: str = Field(description="What was asked.")
    found: bool = Field(description="false: no active product of the store has this code.")
    productName: str | None
    price: str | None = Field(pattern=MONEY, description="Price of one (null: not found).")
    quantity: int | None = Field(description="Units in stock; null: not counted (made to "
                                             "order) or not found.")
    inStock: bool
    lowStock: bool
    requestedQuantity: int | None
    canOrder: bool | None = Field(description="Whether requestedQuantity can be ordered now "
                                              "(null when no quantity was asked).")


class InventoryAnswer(Schema):
    """Seed 002's check_inventory answer, an entry per product asked, in that order."""

    success: bool
    stocks: list[Stock]
    totalProducts: int
    productsInStock: int


def stock_json(line: StockLine) -> dict:
    return {"productId": line.code or line.query, "query": line.query, "found": line.found,
            "productName": line.name,
            "price": money_json(line.price) if line.price is not None else None,
            "quantity": line.quantity, "inStock": line.in_stock, "lowStock": line.low_stock,
            "requestedQuantity": line.requested, "canOrder": line.can_order}


def inventory_json(lines: list[StockLine]) -> dict:
    return {"success": True, "stocks": [stock_json(line) for line in lines],
            "totalProducts": len(lines),
            "productsInStock": sum(1 for line in lines if line.in_stock)}
