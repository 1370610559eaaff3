"""Typed SQLAlchemy models, one module per aggregate."""
from .base import utcnow
from .catalog import Category, Product, Variant, StockMovement, Unit
from .cart import Cart, CartLine
from .orders import Order, OrderItem, OrderStatusChange, OrderStatus, PaymentStatus, PaymentMethod
from .shop import ShopSettings
from .admin import AdminUser, AdminSession, LoginAttempt
from .notifications import Notification, WhatsAppWindow
from .lookup import LookupAttempt, LookupCode
from .payments import Payment, PaymentAttempt, Refund, WebhookEvent

__all__ = [
    "utcnow", "Category", "Product", "Variant", "StockMovement", "Unit", "Cart", "CartLine",
    "Order", "OrderItem", "OrderStatusChange", "OrderStatus", "PaymentStatus", "PaymentMethod",
    "ShopSettings", "AdminUser", "AdminSession", "LoginAttempt",
    "Notification", "WhatsAppWindow", "LookupCode", "LookupAttempt",
    "Payment", "PaymentAttempt", "Refund", "WebhookEvent",
]
