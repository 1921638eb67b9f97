"""Every table of the main database, its enums and small predicates. No I/O here.

One module per concept; everything is importable from `shop.models` as before.
"""

from .api_keys import ApiKey
from .base import CENT, Money, StrEnumType, UTCDateTime, new_order_id, new_public_id, utcnow
from .catalog import Billing, Product, ProductPhoto, StockMovement
from .chat import ChatConversation, ChatTurn, FaqEntry
from .customers import Customer, CustomerStatus, CustomerType, Gender, MembershipLevel
from .dealers import SalesStaff, Shop, StaffPosition
from .inbound import InboundMessage
from .legacy import (
    LegacyPart,
    LegacySalesman,
    LegacySalesOrder,
    LegacySalesOrderLine,
    LegacyStock,
    LegacyToko,
)
from .messages import (
    Campaign,
    MessageTemplate,
    Notification,
    NotificationChannel,
    NotificationStatus,
)
from .order_versions import ORDER_PARTS, create_order_version_trigger
from .orders import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    STOCK_RETURNING_STATUSES,
    Channel,
    EventKind,
    LegacyState,
    Order,
    OrderEvent,
    OrderItem,
    OrderRequest,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    RequestStatus,
    RequestTopic,
    Serial,
)
from .payments import Carrier, Payment, PaymentRecordStatus, Shipment, ShipmentStatus
from .portal import Cart, CartItem, DealerPrice, ShopOtp, ShopSession
from .statements import LineStatus, StatementImport, StatementLine
from .stores import AdminRole, AdminUser, LoginAttempt, Store, admin_user_stores

__all__ = [
    "ORDER_PARTS",
    "create_order_version_trigger",
    "CENT", "ORDER_TRANSITIONS", "PAYMENT_TRANSITIONS", "STOCK_RETURNING_STATUSES", "AdminRole",
    "AdminUser", "ApiKey", "Billing", "Campaign", "Carrier", "Cart", "CartItem", "Channel",
    "ChatConversation", "ChatTurn", "Customer", "CustomerStatus", "CustomerType", "DealerPrice",
    "EventKind", "FaqEntry", "Gender", "InboundMessage", "LegacyPart", "LegacySalesOrder",
    "LegacySalesOrderLine", "LegacySalesman", "LegacyState", "LegacyStock", "LegacyToko",
    "LineStatus", "LoginAttempt", "MembershipLevel", "MessageTemplate", "Money", "Notification",
    "NotificationChannel", "NotificationStatus", "Order", "OrderEvent", "OrderItem", "OrderRequest",
    "OrderStatus",
    "Payment", "PaymentMethod", "PaymentRecordStatus", "PaymentStatus", "Product", "ProductPhoto",
    "RequestStatus", "RequestTopic",
    "SalesStaff", "Serial", "Shipment", "ShipmentStatus", "Shop", "ShopOtp", "ShopSession",
    "StaffPosition", "StatementImport", "StatementLine", "StockMovement", "Store", "StrEnumType",
    "UTCDateTime", "admin_user_stores",
    "new_order_id", "new_public_id", "utcnow",
]
