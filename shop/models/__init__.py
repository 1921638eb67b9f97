"""Every table of the main database, its enums and small predicates. No I/O here.

One module per concept; everything is importable from `shop.models` as before.
"""

from .base import CENT, Money, StrEnumType, UTCDateTime, new_order_id, new_public_id, utcnow
from .catalog import Product, ProductPhoto, StockMovement
from .customers import Customer, CustomerStatus, CustomerType, Gender, MembershipLevel
from .dealers import SalesStaff, Shop, StaffPosition
from .legacy import LegacySalesOrder, LegacySalesOrderLine
from .messages import (
    Campaign,
    MessageTemplate,
    Notification,
    NotificationChannel,
    NotificationStatus,
)
from .orders import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    STOCK_RETURNING_STATUSES,
    Channel,
    EventKind,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Serial,
)
from .payments import Carrier, Payment, PaymentRecordStatus, Shipment, ShipmentStatus
from .stores import AdminRole, AdminUser, LoginAttempt, Store, admin_user_stores

__all__ = [
    "CENT", "ORDER_TRANSITIONS", "PAYMENT_TRANSITIONS", "STOCK_RETURNING_STATUSES",
    "AdminRole", "AdminUser", "Campaign", "Carrier", "Channel", "Customer", "CustomerStatus",
    "CustomerType", "EventKind", "Gender", "LegacySalesOrder", "LegacySalesOrderLine",
    "LoginAttempt", "MembershipLevel", "MessageTemplate", "Money",
    "Notification", "NotificationChannel", "NotificationStatus", "Order", "OrderEvent",
    "OrderItem", "OrderStatus", "Payment", "PaymentMethod", "PaymentRecordStatus",
    "PaymentStatus", "Product", "ProductPhoto", "SalesStaff", "Serial", "Shipment",
    "ShipmentStatus", "Shop", "StaffPosition", "StockMovement", "Store", "StrEnumType",
    "UTCDateTime", "admin_user_stores", "new_order_id", "new_public_id", "utcnow",
]
