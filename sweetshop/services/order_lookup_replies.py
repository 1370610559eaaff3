"""Answers to customers who write to the shop on WhatsApp (their number is verified there)."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..formatting import format_local_time, format_rupees
from ..i18n import gettext as _
from ..models import Order
from .messages import order_link
from .shop import get_settings


def latest_order_reply(phone: str) -> str:
    order = db.session.scalars(
        select(Order).where(Order.phone == phone).order_by(Order.created_at.desc()).limit(1)
    ).first()
    shop = get_settings().name
    if order is None:
        return unknown_number_reply()
    return _("%(shop)s: your latest order #%(number)s (%(when)s, %(total)s) is %(status)s. "
             "Details: %(link)s", shop=shop, number=order.number,
             when=format_local_time(order.created_at), total=format_rupees(order.total_paise),
             status=order.status.label.lower(), link=order_link(order))


def unknown_number_reply() -> str:
    shop = get_settings().name
    return _("Namaste from %(shop)s! We could not find an order for this number. See our "
             "sweets and order here: %(link)s", shop=shop,
             link=current_app.config["PUBLIC_BASE_URL"] + "/")
