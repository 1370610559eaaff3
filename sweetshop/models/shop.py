"""The shop's own settings: one row, edited by the owner."""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Integer, String, Text
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
    # Shared with other features (pickup, invoices): one definition, see HELPERS.md.
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    fssai_number: Mapped[str] = mapped_column(String(14), default="", server_default="")
    # The storefront's trust and look (issue 13): E.164 WhatsApp number (empty: the shop
    # phone), the theme colour (#rrggbb, AA contrast with white text) and the logo's key in
    # the photo store.
    whatsapp_number: Mapped[str] = mapped_column(String(20), default="", server_default="")
    theme_color: Mapped[str] = mapped_column(String(7), default="#8a1c2b",
                                             server_default="#8a1c2b")
    logo_key: Mapped[str | None] = mapped_column(String(255))

    @property
    def owner_phone_list(self) -> list[str]:
        import re
        return re.findall(r"\+\d{8,15}", self.owner_phones or "")

    @property
    def whatsapp(self) -> str:
        """The number customers write to on WhatsApp (E.164), or ''."""
        return self.whatsapp_number or self.phone or ""

    @property
    def pincodes(self) -> set[str]:
        import re
        return set(re.findall(r"\b\d{6}\b", self.serviceable_pincodes or ""))

    def delivery_fee_for(self, subtotal_paise: int) -> int:
        if self.free_delivery_above_paise and subtotal_paise >= self.free_delivery_above_paise:
            return 0
        return self.delivery_fee_paise
