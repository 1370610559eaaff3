"""The shop's own settings: one row, edited by the owner."""
from __future__ import annotations

from datetime import time

from sqlalchemy import Boolean, CheckConstraint, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ShopSettings(db.Model):
    __tablename__ = "shop_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint(
            "delivery_fee_paise >= 0 AND free_delivery_above_paise >= 0 "
            "AND min_order_paise >= 0 AND cod_max_paise >= 0",
            name="amounts_not_negative",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    name: Mapped[str] = mapped_column(String(80), default="Sweetshop")
    tagline: Mapped[str] = mapped_column(String(160), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    delivery_fee_paise: Mapped[int] = mapped_column(Integer, default=0)
    free_delivery_above_paise: Mapped[int] = mapped_column(Integer, default=0)  # 0: never free
    min_order_paise: Mapped[int] = mapped_column(Integer, default=0)
    cod_max_paise: Mapped[int] = mapped_column(Integer, default=0)  # 0: no limit
    # One 6-digit pincode per line or comma-separated; empty means deliver anywhere.
    serviceable_pincodes: Mapped[str] = mapped_column(Text, default="")
    # Phones (E.164, one per line or comma-separated) that get a message for every new order.
    owner_phones: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Escalation of a new order nobody accepts (services/alerts.py). 0 minutes: step off.
    alert_reminder_minutes: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    alert_call_minutes: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    alert_language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    # Reminders and calls also while the shop is closed (pre-orders at night).
    alert_at_night: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Accept new orders at once between these times (Asia/Kolkata); the alerts only inform.
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    auto_accept_from: Mapped[time | None] = mapped_column(Time)
    auto_accept_until: Mapped[time | None] = mapped_column(Time)

    @property
    def owner_phone_list(self) -> list[str]:
        import re
        return re.findall(r"\+\d{8,15}", self.owner_phones or "")

    @property
    def pincodes(self) -> set[str]:
        import re
        return set(re.findall(r"\b\d{6}\b", self.serviceable_pincodes or ""))

    def delivery_fee_for(self, subtotal_paise: int) -> int:
        if self.free_delivery_above_paise and subtotal_paise >= self.free_delivery_above_paise:
            return 0
        return self.delivery_fee_paise
