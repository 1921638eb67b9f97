"""The admin JSON APIs' bodies, query strings and answers, for /api/openapi.json: seed
004's dealer orders (snake_case, UTC ISO 8601 times), seed 003's CRM and seed 000's
customer and order edits (camelCase CRM fields). Money is a decimal string.

The views keep their own parsing: the CRM and order services refuse unknown and read-only
names field by field and collect every refusal in one answer, which a pydantic model
would not; these models say what the services read."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ...api.schema import ErrorAnswer, Money, Schema
from ...models import (
    Channel,
    CustomerStatus,
    CustomerType,
    Gender,
    LegacyState,
    MembershipLevel,
    OrderStatus,
    PaymentStatus,
)

#: A moment in UTC, ISO 8601 ("2025-11-20T07:05:00Z", milliseconds in the CRM's).
UtcTime = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")]
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
#: An amount as written in a body: a decimal string or a number.
Amount = str | int | float


# --- dealer orders (seed 004) ---------------------------------------------------------------


class DashboardAnswer(Schema):
    """Counts of the admin's stores' dealer orders and shops; "today" in `timezone`."""

    success: bool
    total_b2b: int
    pending_b2b: int
    approved_today: int
    not_sent: int
    queued: int
    submitted: int
    failed: int
    rejected: int
    shops: int
    active_shops: int
    timezone: str


class AdminOrdersQuery(Schema):
    status: OrderStatus | None = None
    channel: Channel | None = None
    legacy_state: LegacyState | None = None
    shop: Annotated[str, Field(pattern=r"^\d{1,9}$")] | None = Field(
        None, description="A dealer shop's id.")
    store_id: Annotated[str, Field(pattern=r"^\d{1,9}$")] | None = None
    search: str | None = Field(None, description="Number, recipient, shop (100 characters).")
    page: Annotated[str, Field(pattern=r"^\d{1,9}$")] | None = None
    per_page: Annotated[str, Field(pattern=r"^(25|50|100)$")] | None = Field(
        None, description="25, 50 or 100.")


class ShopRef(Schema):
    id: int
    code: str
    name: str


class AdminOrderRow(Schema):
    id: str
    number: str
    created_at: UtcTime | None
    store_id: int
    store_name: str
    channel: Channel
    status: OrderStatus
    payment_status: PaymentStatus
    total: Money
    recipient_name: str | None
    shop: ShopRef | None
    legacy_state: LegacyState | None = Field(description="Dealer orders only.")
    ref_so_number: str | None
    legacy_error: str | None


class AdminOrdersAnswer(Schema):
    success: bool
    orders: list[AdminOrderRow]
    page: int
    per_page: int
    total: int
    pages: int


class RejectBody(Schema):
    reason: str = Field(description="Why (required); sent to the shop by WhatsApp.")


class B2bOrderJson(Schema):
    id: str
    number: str
    status: OrderStatus
    allowed_statuses: list[OrderStatus]
    shop: ShopRef | None
    total: Money
    approved_at: UtcTime | None
    legacy_state: LegacyState | None
    ref_so_number: str | None
    submitted_at: UtcTime | None
    legacy_error: str | None


class DecisionAnswer(Schema):
    success: bool
    order: B2bOrderJson


class DecisionRefused(ErrorAnswer):
    """The decision refused: the order's status and what it may still become."""

    status: OrderStatus | None = None
    allowed_statuses: list[OrderStatus] | None = None


# --- seed 000's order edit ------------------------------------------------------------------


class OrderItemEdit(Schema):
    code: str
    qty: int | str
    discount: Amount | None = None


class OrderPatchBody(Schema):
    """The fields to change (at least one); unknown or fixed names are refused (422)."""

    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    note: str | None = Field(None, description="Kept on the status change's event.")
    items: list[OrderItemEdit] | None = None
    discount: Amount | None = None
    shipping_fee: Amount | None = None
    address: str | None = None
    shipping_address: str | None = None
    courier: str | None = None
    payment_method: str | None = None
    notes: str | None = None
    admin_notes: str | None = None
    customer_id: int | None = None
    recipient_name: str | None = None
    recipient_phone: str | None = None


class AdminOrderItem(Schema):
    code: str
    name: str
    qty: int
    unit_price: Money
    discount: Money
    subtotal: Money


class AdminOrderJson(Schema):
    id: str
    number: str
    status: OrderStatus
    payment_status: PaymentStatus
    allowed_statuses: list[OrderStatus]
    subtotal: Money
    discount: Money
    shipping_fee: Money
    total: Money
    items: list[AdminOrderItem]
    customer_id: int | None
    address: str | None
    courier: str | None
    payment_method: str | None
    notes: str | None
    admin_notes: str | None
    recipient_name: str | None
    recipient_phone: str | None


class AdminOrderAnswer(Schema):
    success: bool
    order: AdminOrderJson


class EditRefused(ErrorAnswer):
    """The edit refused, changing nothing: the statuses the order may become."""

    allowed: list[OrderStatus] | None = None


# --- customers (seed 003's CRM, seed 000's PATCH) -------------------------------------------


class CustomerFields(Schema):
    """The CRM fields an admin may write, by the seed's names; any other name is refused
    (422), like the stats and ids. An empty discount is the membership level's."""

    name: str | None = None
    phone: str | None = Field(None, description="Any usual form; stored as 62...")
    email: str | None = None
    address: str | None = None
    city: str | None = None
    province: str | None = None
    postalCode: str | None = None
    type: CustomerType | None = None
    status: CustomerStatus | None = None
    membershipLevel: MembershipLevel | None = None
    discount: Amount | None = Field(None, description="A percentage, 0 to 100.")
    birthDate: Day | None = None
    gender: Gender | None = None
    notes: str | None = None
    partnerId: str | None = None


class NewCustomerBody(CustomerFields):
    """A new customer: name and phone required; storeId (id or slug) when the admin has
    several stores."""

    name: str
    phone: str
    storeId: int | str | None = None


class CustomerJson(Schema):
    id: int
    publicId: str
    storeId: int
    name: str
    phone: str
    email: str | None
    address: str | None
    city: str | None
    province: str | None
    postalCode: str | None
    type: CustomerType
    status: CustomerStatus
    membershipLevel: MembershipLevel
    points: int
    discount: Money = Field(description="A percentage, two decimals.")
    totalOrders: int
    totalPurchases: int
    totalSpent: Money
    lastVisit: UtcTime | None
    birthDate: Day | None
    gender: Gender | None
    notes: str | None
    isActive: bool
    partnerId: str | None
    createdAt: UtcTime
    updatedAt: UtcTime


class CustomersQuery(Schema):
    search: str | None = None
    type: CustomerType | None = None
    status: CustomerStatus | None = None
    membershipLevel: MembershipLevel | None = None
    storeId: str | None = Field(None, description="A store's id or slug.")
    includeDeleted: str | None = Field(None, description='"1" or "true": soft-deleted too.')
    page: Annotated[str, Field(pattern=r"^\d{1,6}$")] | None = None
    limit: Annotated[str, Field(pattern=r"^\d{1,6}$")] | None = None


class CustomerIdQuery(Schema):
    id: Annotated[str, Field(pattern=r"^\d{1,10}$")] = Field(description="The customer's id.")


class CrmPagination(Schema):
    total: int
    page: int
    limit: int
    totalPages: int


class ListStats(Schema):
    totalCustomers: int
    activeCustomers: int
    vipCustomers: int
    avgLifetimeValue: Money


class CustomerPage(Schema):
    customers: list[CustomerJson]
    pagination: CrmPagination
    stats: ListStats


class CustomersAnswer(Schema):
    success: bool
    data: CustomerPage


class CustomerAnswer(Schema):
    """The customer as it is now (created: 201)."""

    success: bool
    message: str
    data: CustomerJson


class OrderRef(Schema):
    id: str
    number: str


class UpdatedCustomerAnswer(CustomerAnswer):
    """The customer changed; its unshipped orders that got the new address."""

    updatedOrders: list[OrderRef]


class PatchedCustomerAnswer(Schema):
    success: bool
    customer: CustomerJson
    updatedOrders: list[OrderRef]


class DeletedAnswer(Schema):
    success: bool
    message: str


class Overview(ListStats):
    memberCustomers: int
    newCustomersThisMonth: int
    avgPurchases: float
    totalRevenue: Money


class LevelCount(Schema):
    level: MembershipLevel
    count: int


class TopCustomer(Schema):
    id: int
    name: str
    totalSpent: Money
    totalPurchases: int
    membershipLevel: MembershipLevel


class RecentCustomer(Schema):
    id: int
    name: str
    phone: str
    type: CustomerType
    membershipLevel: MembershipLevel
    createdAt: UtcTime


class CustomerOverview(Schema):
    overview: Overview
    customersByLevel: list[LevelCount]
    topCustomers: list[TopCustomer]
    recentCustomers: list[RecentCustomer]


class StatsAnswer(Schema):
    success: bool
    data: CustomerOverview


class PurchaseStats(Schema):
    totalTransactions: int
    totalSpent: Money
    averageOrderValue: Money
    lastPurchaseDate: UtcTime | None


class TransactionItem(Schema):
    code: str
    name: str
    qty: int
    unitPrice: Money
    discount: Money
    subtotal: Money


class Transaction(Schema):
    id: str
    transactionNumber: str
    status: OrderStatus
    paymentStatus: PaymentStatus
    total: Money
    createdAt: UtcTime
    items: list[TransactionItem]


class TopProduct(Schema):
    productId: int | None
    productCode: str
    productName: str
    totalQuantity: int
    purchaseCount: int
    totalSpent: Money


class MonthSpending(Schema):
    month: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
    totalSpent: Money
    transactionCount: int


class CustomerDetail(Schema):
    customer: CustomerJson
    purchaseStats: PurchaseStats
    recentTransactions: list[Transaction]
    topProducts: list[TopProduct]
    monthlySpending: list[MonthSpending]


class CustomerDetailAnswer(Schema):
    success: bool
    data: CustomerDetail
