"""The shop's own settings: one row, edited by the owner."""
from __future__ import annotations

from datetime import time

from sqlalchemy import Boolean, CheckConstraint, Integer, String, Text, Time
from sqlalchemy.dialects.postgresql import JSONB
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
    # Shared with other areas (pickup, footer): the postal address and FSSAI licence.
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    fssai_number: Mapped[str] = mapped_column(String(14), default="", server_default="")
    # Tax and invoices (services/invoices.py): "none" gives a receipt, "composition" a bill
    # of supply, "regular" a tax invoice.
    gst_registration: Mapped[str] = mapped_column(String(12), default="none",
                                                  server_default="none")
    gstin: Mapped[str] = mapped_column(String(15), default="", server_default="")
    legal_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    state_code: Mapped[str] = mapped_column(String(2), default="", server_default="")
    invoice_prefix: Mapped[str] = mapped_column(String(3), default="INV", server_default="INV")
    default_hsn: Mapped[str] = mapped_column(String(8), default="1704", server_default="1704")
    default_gst_rate_bp: Mapped[int] = mapped_column(Integer, default=500, server_default="500")
    delivery_sac: Mapped[str] = mapped_column(String(8), default="996813",
                                              server_default="996813")
    delivery_gst_rate_bp: Mapped[int] = mapped_column(Integer, default=500,
                                                      server_default="500")

    # --- Hours and slots (issue 11; services/slots.py reads them) ---
    delivery_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    pickup_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # {"0": [["09:00", "21:00"]], ... "6": []}: Monday is 0; several ranges a day; [] closed.
    # Empty ({}): hours not set, "as soon as possible" follows is_open alone and slots are
    # offered 9 am to 9 pm.
    weekly_hours: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    closed_dates: Mapped[str] = mapped_column(Text, default="", server_default="")  # ISO, commas
    slot_minutes: Mapped[int] = mapped_column(Integer, default=120, server_default="120")
    # Within the day's hours, when delivery / pickup slots run ("10:00-20:00"); "": all hours.
    delivery_slot_hours: Mapped[str] = mapped_column(String(200), default="", server_default="")
    pickup_slot_hours: Mapped[str] = mapped_column(String(200), default="", server_default="")
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=120, server_default="120")
    same_day_cutoff: Mapped[str] = mapped_column(String(5), default="", server_default="")  # HH:MM
    asap_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    asap_minutes: Mapped[int] = mapped_column(Integer, default=45, server_default="45")
    booking_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    slot_max_orders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 0: none
    slot_max_grams: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # --- COD risk (admin COD settings page; services/cod_risk.py) ---
    cod_confirm_first: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default="false")
    cod_autocancel_hours: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cod_max_refusals: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    cod_fee_paise: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    prepaid_discount_paise: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The shop's UPI id, for the QR code the delivery person shows at the door.
    upi_vpa: Mapped[str] = mapped_column(String(60), default="", server_default="")
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
