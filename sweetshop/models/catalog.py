"""Catalogue: categories, products (own the stock pool), variants (packs) and the stock ledger."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at_column


class Unit(str, enum.Enum):
    """The product's base unit: stock and pack sizes are integers in it."""
    GRAM = "g"
    PIECE = "pc"


class Category(db.Model):
    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # The Hindi name beside the English one; either may be empty (the other is shown).
    name_hi: Mapped[str] = mapped_column(String(80), default="", server_default="")
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    products: Mapped[list[Product]] = relationship(back_populates="category")


class Product(db.Model):
    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_not_negative"),
        # Search (sweetshop/search/): trigram indexes for fuzzy names and sound keys, and
        # full text over everything said about the sweet.
        Index("ix_product_search_names_trgm", "search_names", postgresql_using="gin",
              postgresql_ops={"search_names": "gin_trgm_ops"}),
        Index("ix_product_search_keys_trgm", "search_keys", postgresql_using="gin",
              postgresql_ops={"search_keys": "gin_trgm_ops"}),
        Index("ix_product_search_tsv", "search_tsv", postgresql_using="gin"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    name_hi: Mapped[str] = mapped_column(String(120), default="", server_default="")
    description_hi: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Other names customers use, comma-separated, any script ("kaju barfi, काजू कतली").
    aliases: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Written by search.index.refresh_product on every change of the words above: names and
    # aliases in Latin letters, their sound keys, and all the words (+ category, description).
    search_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_keys: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Kept by PostgreSQL: matching a stored vector is what keeps full text cheap per row.
    search_tsv: Mapped[str] = mapped_column(
        TSVECTOR, Computed("to_tsvector('simple', search_text)", persisted=True))
    unit: Mapped[Unit] = mapped_column(
        Enum(Unit, name="unit", values_callable=lambda e: [m.value for m in e]), default=Unit.GRAM
    )
    # Shared by all packs: grams for sweets sold by weight, pieces for those sold by the piece.
    stock: Mapped[int] = mapped_column(Integer, default=0)
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    image_key: Mapped[str | None] = mapped_column(String(255))
    # For invoices; None means the shop's default (ShopSettings.default_hsn / _gst_rate_bp).
    hsn_code: Mapped[str | None] = mapped_column(String(8))
    gst_rate_bp: Mapped[int | None] = mapped_column(Integer)  # 500 = 5%
    created_at: Mapped[datetime] = created_at_column()

    category: Mapped[Category] = relationship(back_populates="products")
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.position, Variant.id"
    )

    @property
    def active_variants(self) -> list[Variant]:
        return [v for v in self.variants if v.active]

    @property
    def default_variant(self) -> Variant | None:
        active = self.active_variants
        return next((v for v in active if v.is_default), active[0] if active else None)

    @property
    def from_price_paise(self) -> int | None:
        prices = [v.price_paise for v in self.active_variants]
        return min(prices) if prices else None

    @property
    def in_stock(self) -> bool:
        """Whether at least one active pack can be bought now."""
        return any(v.quantity <= self.stock for v in self.active_variants)


class Variant(db.Model):
    """A pack: a fixed quantity of the product's base unit at a fixed price."""
    __tablename__ = "variant"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price_paise > 0", name="price_positive"),
        Index("uq_variant_one_default", "product_id", unique=True,
              postgresql_where="is_default"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    name_hi: Mapped[str] = mapped_column(String(60), default="", server_default="")
    quantity: Mapped[int] = mapped_column(Integer)
    price_paise: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    product: Mapped[Product] = relationship(back_populates="variants")

    @property
    def available(self) -> bool:
        return self.active and self.product.active and self.quantity <= self.product.stock


class StockMovement(db.Model):
    """The stock ledger: every change to Product.stock, with why and by whom."""
    __tablename__ = "stock_movement"
    __table_args__ = (CheckConstraint("change <> 0", name="change_not_zero"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    change: Mapped[int] = mapped_column(Integer)
    stock_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(String(200), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    actor: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[datetime] = created_at_column()

    product: Mapped[Product] = relationship()
