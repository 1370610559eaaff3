"""Helpers for slot tests: a shop with hours, a slot a few days ahead, pre-order windows."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sweetshop.extensions import db
from sweetshop.formatting import KOLKATA
from sweetshop.models import PreorderItem, PreorderWindow
from sweetshop.services.shop import get_settings


def today_ist():
    return datetime.now(KOLKATA).date()


def slot_value(days_ahead: int = 2, hour: int = 11) -> str:
    """A slot of the default hours (9 am to 9 pm in 2-hour slots) `days_ahead` days away."""
    return f"{today_ist() + timedelta(days=days_ahead):%Y-%m-%d}T{hour:02d}:00"


def set_settings(**values):
    settings = get_settings()
    for key, value in values.items():
        setattr(settings, key, value)
    db.session.commit()
    return settings


def make_window(products, *, name="Diwali 2026", first=2, last=4, capacity_grams=40_000,
                caps=None, advance_percent=0, cod_allowed=True, order_by=time(14, 0)):
    today = today_ist()
    window = PreorderWindow(name=name, orders_from=today, first_day=today + timedelta(days=first),
                            last_day=today + timedelta(days=last),
                            daily_capacity_grams=capacity_grams, order_by=order_by,
                            advance_percent=advance_percent, cod_allowed=cod_allowed,
                            cod_max_paise=0, active=True)
    for product in products:
        window.items.append(PreorderItem(product_id=product.id,
                                         daily_cap=(caps or {}).get(product.id, 0)))
    db.session.add(window)
    db.session.commit()
    return window
