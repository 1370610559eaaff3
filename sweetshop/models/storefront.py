"""The storefront's own records: policy pages, phones that remember a customer, "tell me
when it's back" requests, and the log of customer data erased on request."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at_column, utcnow


class ShopPage(db.Model):
    """A page the owner writes (policies): plain text, shown as escaped paragraphs."""
    __tablename__ = "shop_page"
    slug: Mapped[str] = mapped_column(String(20), primary_key=True)
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120), default="")


class RememberedDevice(db.Model):
    """A phone (browser) a customer asked to remember them on. The cookie holds a random
    token; only its SHA-256 is kept here, with the customer's phone number. Name and
    addresses are read from that number's orders, so nothing else is duplicated."""
    __tablename__ = "remembered_device"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StockAlert(db.Model):
    """"Tell me when it's back": one message to `phone` when `product` can be bought again."""
    __tablename__ = "stock_alert"
    __table_args__ = (
        UniqueConstraint("phone", "product_id", name="uq_stock_alert_phone_product"),
        Index("ix_stock_alert_waiting", "product_id", postgresql_where="notified_at IS NULL"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5), default="en")
    created_at: Mapped[datetime] = created_at_column()
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    product = relationship("Product")


class DataErasure(db.Model):
    """The log of "Delete customer data": who, when, how much. The number itself is not
    kept (that would undo the erasure): a keyed digest, to answer "was it done?", and its
    last two digits for the owner's eye."""
    __tablename__ = "data_erasure"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    phone_hint: Mapped[str] = mapped_column(String(4))
    orders_erased: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = created_at_column()
