"""Typed SQLAlchemy models, one module per aggregate."""
from .admin import AdminSession, AdminUser, LoginAttempt
from .base import utcnow
from .cart import Cart, CartLine
from .catalog import Category, Product, StockMovement, Unit, Variant
from .lookup import LookupAttempt, LookupCode, LookupSession
from .notifications import KnownPhone, Notification, WhatsAppWindow
from .orders import Order, OrderItem, OrderStatus, OrderStatusChange, PaymentMethod, PaymentStatus
from .payments import Payment, PaymentAttempt, Refund, WebhookEvent
from .search import SearchQuery
from .shop import ShopSettings

__all__ = [
    "utcnow", "Category", "Product", "Variant", "StockMovement", "Unit", "Cart", "CartLine",
    "Order", "OrderItem", "OrderStatusChange", "OrderStatus", "PaymentStatus", "PaymentMethod",
    "ShopSettings", "AdminUser", "AdminSession", "LoginAttempt",
    "Notification", "WhatsAppWindow", "KnownPhone", "LookupCode", "LookupAttempt", "LookupSession",
    "Payment", "PaymentAttempt", "Refund", "WebhookEvent", "SearchQuery",
]
