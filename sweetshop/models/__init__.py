"""Typed SQLAlchemy models, one module per aggregate."""
from .admin import ROLES, AdminSession, AdminUser, AuditEvent, LoginAttempt, StaffSetupLink
from .alerts import OrderAlert, PushSubscription
from .base import utcnow
from .boxes import (
    BoxDivision,
    BoxMix,
    BoxMixPart,
    BoxPricing,
    BoxType,
    CartBox,
    CartBoxPart,
    OrderItemPart,
)
from .cart import Cart, CartLine
from .cash import CashEntry, CodBlock
from .catalog import Category, Product, StockMovement, Unit, Variant
from .invoices import DocumentCounter, Invoice, InvoiceLine
from .lookup import LookupAttempt, LookupCode, LookupSession
from .notifications import KnownPhone, Notification, WhatsAppWindow
from .orders import (
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
    PaymentStatus,
    paid_how,
)
from .payments import Payment, PaymentAttempt, Refund, WebhookEvent
from .search import SearchQuery
from .shop import ShopSettings
from .slots import CapacityBooking, PreorderItem, PreorderWindow, SlotBooking
from .storefront import DataErasure, RememberedDevice, ShopPage, StockAlert

__all__ = [
    "utcnow", "Category", "Product", "Variant", "StockMovement", "Unit", "Cart", "CartLine",
    "Order", "OrderItem", "OrderStatusChange", "OrderStatus", "PaymentStatus", "PaymentMethod",
    "ShopSettings", "AdminUser", "AdminSession", "LoginAttempt",
    "Notification", "WhatsAppWindow", "KnownPhone", "LookupCode", "LookupAttempt", "LookupSession",
    "Payment", "PaymentAttempt", "Refund", "WebhookEvent", "ROLES", "AuditEvent",
    "StaffSetupLink", "CashEntry", "CodBlock", "paid_how", "PushSubscription", "OrderAlert",
    "BoxType", "BoxDivision", "BoxPricing", "BoxMix", "BoxMixPart", "CartBox", "CartBoxPart",
    "OrderItemPart",
    "DocumentCounter", "Invoice", "InvoiceLine",
    "SlotBooking", "PreorderWindow", "PreorderItem", "CapacityBooking",
    "ShopPage", "RememberedDevice", "StockAlert", "DataErasure",
    "SearchQuery",
]
