"""Every table of the main database, its enums and small predicates. No I/O here.

One module per concept; everything is importable from `shop.models` as before.
"""

from .base import CENT, Money, StrEnumType, UTCDateTime, new_order_id, utcnow
from .catalog import Product
from .customers import Customer, CustomerStatus, CustomerType, Gender, MembershipLevel
from .messages import Notification, NotificationStatus
from .orders import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    STOCK_RETURNING_STATUSES,
    Channel,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    PaymentStatus,
    Serial,
)
from .stores import Store, User

__all__ = [
    "CENT", "ORDER_TRANSITIONS", "PAYMENT_TRANSITIONS", "STOCK_RETURNING_STATUSES", "Channel",
    "Customer", "CustomerStatus", "CustomerType", "Gender", "MembershipLevel", "Money",
    "Notification", "NotificationStatus", "Order", "OrderEvent", "OrderItem", "OrderStatus",
    "PaymentStatus", "Product", "Serial", "Store", "StrEnumType", "UTCDateTime", "User",
    "new_order_id", "utcnow",
]
