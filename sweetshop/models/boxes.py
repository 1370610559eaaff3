"""Assorted boxes: box types the owner sets up, boxes in carts, and the parts of ordered boxes.

A box holds portions of several sweets; each portion is taken from its own sweet's stock
(Product.stock, in the product's base unit), so a box never has a stock of its own.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at_column, utcnow
from .catalog import Product, Unit


def _enum(cls, name):
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class BoxDivision(str, enum.Enum):
    """Fixed compartments of equal size (4 × 250 g), or free portions in steps (of 50 g)."""
    COMPARTMENTS = "compartments"
    FREE = "free"


class BoxPricing(str, enum.Enum):
    """The sum of each portion at its sweet's own rate (rounded up to the rupee), or fixed."""
    SUM = "sum"
    FIXED = "fixed"


box_type_sweet = db.Table(
    "box_type_sweet",
    db.metadata,
    db.Column("box_type_id", ForeignKey("box_type.id", ondelete="CASCADE"), primary_key=True),
    db.Column("product_id", ForeignKey("product.id", ondelete="CASCADE"), primary_key=True),
)


class BoxType(db.Model):
    __tablename__ = "box_type"
    __table_args__ = (
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("step > 0 AND size % step = 0", name="step_divides_size"),
        CheckConstraint("min_sweets >= 1 AND max_sweets >= min_sweets", name="sweets_range"),
        CheckConstraint("box_charge_paise >= 0", name="charge_not_negative"),
        CheckConstraint("pricing <> 'fixed' OR fixed_price_paise > 0", name="fixed_price_set"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    unit: Mapped[Unit] = mapped_column(_enum(Unit, "unit"), default=Unit.GRAM)
    size: Mapped[int] = mapped_column(Integer)  # grams or pieces in one box
    division: Mapped[BoxDivision] = mapped_column(_enum(BoxDivision, "box_division"))
    # The portion step: one compartment's size (size / compartments), or the free step (50 g).
    step: Mapped[int] = mapped_column(Integer)
    min_sweets: Mapped[int] = mapped_column(Integer, default=1)
    max_sweets: Mapped[int] = mapped_column(Integer, default=4)
    box_charge_paise: Mapped[int] = mapped_column(Integer, default=0)
    pricing: Mapped[BoxPricing] = mapped_column(_enum(BoxPricing, "box_pricing"))
    fixed_price_paise: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()

    sweets: Mapped[list[Product]] = relationship(
        secondary=box_type_sweet, order_by="Product.position, Product.name")
    mixes: Mapped[list[BoxMix]] = relationship(
        back_populates="box_type", order_by="BoxMix.position, BoxMix.id",
        cascade="all, delete-orphan")

    @property
    def compartments(self) -> int:
        return self.size // self.step


class BoxMix(db.Model):
    """A ready-made mix ("Diwali mix"): a box filled in advance, ordered as it is or changed."""
    __tablename__ = "box_mix"
    __table_args__ = (UniqueConstraint("box_type_id", "name", name="uq_box_mix_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    box_type_id: Mapped[int] = mapped_column(ForeignKey("box_type.id", ondelete="CASCADE"),
                                             index=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)

    box_type: Mapped[BoxType] = relationship(back_populates="mixes")
    parts: Mapped[list[BoxMixPart]] = relationship(
        order_by="BoxMixPart.product_id", cascade="all, delete-orphan", lazy="selectin")


class BoxMixPart(db.Model):
    __tablename__ = "box_mix_part"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    mix_id: Mapped[int] = mapped_column(ForeignKey("box_mix.id", ondelete="CASCADE"),
                                        primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"),
                                            primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)


class CartBox(db.Model):
    """A box in a cart: its type, how many such boxes, and what is in each one."""
    __tablename__ = "cart_box"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("cart.id", ondelete="CASCADE"), index=True)
    box_type_id: Mapped[int] = mapped_column(ForeignKey("box_type.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    gift_message: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    box_type: Mapped[BoxType] = relationship(lazy="joined")
    parts: Mapped[list[CartBoxPart]] = relationship(
        order_by="CartBoxPart.product_id", cascade="all, delete-orphan", lazy="selectin")


class CartBoxPart(db.Model):
    __tablename__ = "cart_box_part"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    cart_box_id: Mapped[int] = mapped_column(ForeignKey("cart_box.id", ondelete="CASCADE"),
                                             primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"),
                                            primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)  # in one box, the sweet's base unit

    product: Mapped[Product] = relationship(lazy="joined")


class OrderItemPart(db.Model):
    """One sweet of an ordered box, copied at the time (name, unit, amount in one box)."""
    __tablename__ = "order_item_part"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_item.id", ondelete="CASCADE"),
                                               index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[Unit] = mapped_column(_enum(Unit, "unit"))
    quantity: Mapped[int] = mapped_column(Integer)
