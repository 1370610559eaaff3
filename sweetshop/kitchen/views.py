"""Hours and slots, pre-order windows, the production sheet (page and CSV), packing slips."""
from __future__ import annotations

from datetime import date, timedelta

import segno
from flask import Response, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from ..formatting import parse_rupees, rupees_text
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import Product
from ..services import kitchen as kitchen_service
from ..services import slots as slots_service
from ..services.dashboard import today_local
from ..services.errors import DomainError
from ..services.messages import admin_order_link
from ..services.shop import get_settings
from . import bp

WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))


def _day_arg(default: date) -> date:
    try:
        day = date.fromisoformat((request.args.get("date") or "")[:10])
    except ValueError:
        return default
    return day if 2000 <= day.year <= 2100 else default


# --- hours and slots -------------------------------------------------------------------------

def _hours_values(settings) -> dict:
    return {
        **{f"hours_{d}": kitchen_service.hours_text(settings, d) for d in range(7)},
        "closed_dates": settings.closed_dates, "slot_minutes": settings.slot_minutes,
        "delivery_slot_hours": settings.delivery_slot_hours,
        "pickup_slot_hours": settings.pickup_slot_hours,
        "min_notice_minutes": settings.min_notice_minutes,
        "same_day_cutoff": settings.same_day_cutoff, "asap_enabled": settings.asap_enabled,
        "asap_minutes": settings.asap_minutes, "booking_days": settings.booking_days,
        "slot_max_orders": settings.slot_max_orders,
        "slot_max_kg": f"{settings.slot_max_grams / 1000:g}" if settings.slot_max_grams else "",
        "delivery_enabled": settings.delivery_enabled, "pickup_enabled": settings.pickup_enabled,
        "address": settings.address,
    }


@bp.get("/hours")
def edit_hours():
    return render_template("kitchen/hours.html", values=_hours_values(get_settings()),
                           errors={}, weekdays=WEEKDAY_NAMES)


@bp.post("/hours")
def update_hours():
    f = request.form
    values = {k: f.get(k, "") for k in _hours_values(get_settings())}
    for flag in ("asap_enabled", "delivery_enabled", "pickup_enabled"):
        values[flag] = f.get(flag) == "on"
    try:
        kitchen_service.update_hours(
            hours={d: f.get(f"hours_{d}", "")[:200] for d in range(7)},
            closed_dates=f.get("closed_dates", "")[:5000],
            **{k: f.get(k, "")[:200] for k in (
                "slot_minutes", "delivery_slot_hours", "pickup_slot_hours",
                "min_notice_minutes", "same_day_cutoff", "asap_minutes", "booking_days",
                "slot_max_orders", "slot_max_kg")},
            asap_enabled=values["asap_enabled"], delivery_enabled=values["delivery_enabled"],
            pickup_enabled=values["pickup_enabled"], address=f.get("address", "")[:600])
    except DomainError as error:
        return render_template("kitchen/hours.html", values=values, weekdays=WEEKDAY_NAMES,
                               errors={error.field or "form": error.message}), 422
    flash(_("Hours and slots saved."), "success")
    return redirect(url_for("kitchen.edit_hours"), 303)


# --- pre-order windows -----------------------------------------------------------------------

def _products():
    return list(Product.query.filter_by(active=True).order_by(Product.name))


def _window_values(window=None) -> dict:
    if window is None:
        today = today_local()
        return {"name": "", "orders_from": today.isoformat(),
                "first_day": (today + timedelta(days=7)).isoformat(),
                "last_day": (today + timedelta(days=10)).isoformat(), "capacity_kg": "",
                "order_by": "14:00", "advance_percent": "0", "cod_allowed": True,
                "cod_max": "", "active": True, "made": {}}
    return {"name": window.name, "orders_from": window.orders_from.isoformat(),
            "first_day": window.first_day.isoformat(), "last_day": window.last_day.isoformat(),
            "capacity_kg": (f"{window.daily_capacity_grams / 1000:g}"
                            if window.daily_capacity_grams else ""),
            "order_by": window.order_by.strftime("%H:%M"),
            "advance_percent": str(window.advance_percent), "cod_allowed": window.cod_allowed,
            "cod_max": rupees_text(window.cod_max_paise) if window.cod_max_paise else "",
            "active": window.active,
            "made": {i.product_id: (f"{i.daily_cap / 1000:g}" if i.daily_cap and
                                    i.product and i.product.unit.value == "g"
                                    else (str(i.daily_cap) if i.daily_cap else ""))
                     for i in window.items}}


def _render_windows(values, errors=None, window=None, status=200):
    windows = kitchen_service.list_windows()
    booked = {w.id: kitchen_service.by_day_booked(w) for w in windows}
    return render_template("kitchen/preorders.html", windows=windows, booked=booked,
                           values=values, errors=errors or {}, window=window,
                           products=_products()), status


@bp.get("/preorders")
def list_windows():
    return _render_windows(_window_values())


@bp.get("/preorders/<id:window_id>")
def edit_window(window_id: int):
    window = kitchen_service.get_window(window_id)
    return _render_windows(_window_values(window), window=window)


def _parse_date(raw):
    try:
        return date.fromisoformat((raw or "")[:10])
    except ValueError:
        return None


@bp.post("/preorders")
def create_window():
    return _save_window(None)


@bp.post("/preorders/<id:window_id>")
def update_window(window_id: int):
    return _save_window(window_id)


def _save_window(window_id):
    f = request.form
    made = {}
    for raw in f.getlist("made")[:500]:
        if raw.isdecimal() and 0 < int(raw) < 2**31:
            made[int(raw)] = f.get(f"cap_{raw}", "")[:20]
    values = {k: f.get(k, "") for k in ("name", "orders_from", "first_day", "last_day",
                                        "capacity_kg", "order_by", "advance_percent",
                                        "cod_max")}
    values.update(cod_allowed=f.get("cod_allowed") == "on", active=f.get("active") == "on",
                  made=made)
    window = kitchen_service.get_window(window_id) if window_id else None
    cod_max = parse_rupees(values["cod_max"]) if values["cod_max"].strip() else 0
    try:
        if cod_max is None:
            raise DomainError(_("Give an amount in rupees, e.g. 2000."), field="cod_max")
        saved = kitchen_service.save_window(
            window_id, name=values["name"], orders_from=_parse_date(values["orders_from"]),
            first_day=_parse_date(values["first_day"]), last_day=_parse_date(values["last_day"]),
            capacity_kg=values["capacity_kg"], order_by=values["order_by"],
            advance_percent=values["advance_percent"], cod_allowed=values["cod_allowed"],
            cod_max_paise=cod_max, active=values["active"], made=made)
    except DomainError as error:
        return _render_windows(values, {error.field or "form": error.message}, window, 422)
    flash(_("Pre-order window “%(name)s” saved.", name=saved.name), "success")
    return redirect(url_for("kitchen.edit_window", window_id=saved.id), 303)


# --- production sheet and packing slips ------------------------------------------------------

@bp.get("/kitchen")
def production_sheet():
    day = _day_arg(today_local() + timedelta(days=1))
    return render_template("kitchen/production.html", sheet=kitchen_service.production_sheet(day),
                           paper=_paper(), slot_choices=kitchen_service.day_slot_choices(day),
                           previous=day - timedelta(days=1), next=day + timedelta(days=1))


@bp.get("/kitchen/production.csv")
def production_csv():
    day = _day_arg(today_local() + timedelta(days=1))
    body = kitchen_service.production_csv(kitchen_service.production_sheet(day))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=production-{day.isoformat()}.csv"})


def _paper() -> str:
    return "receipt" if request.args.get("paper") == "receipt" else "a4"


def qr_svg(order) -> Markup:
    """The admin order link as an inline SVG QR code (no style attributes: CSP holds)."""
    svg = segno.make(admin_order_link(order), error="m").svg_inline(scale=3, omitsize=False)
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code of the order" ', 1))


@bp.get("/kitchen/slips")
def packing_slips():
    order_id = request.args.get("order", "")
    day = _day_arg(today_local() + timedelta(days=1))
    slot = (request.args.get("slot") or "")[:5]
    orders = kitchen_service.slips_for(
        order_id=int(order_id) if order_id.isdecimal() and len(order_id) < 10 else None,
        day=day, slot=slot) if not order_id or order_id.isdecimal() else []
    return render_template("kitchen/slips.html", orders=orders, day=day, slot=slot,
                           paper=_paper(), qr_svg=qr_svg, when=slots_service.when_text,
                           single=bool(order_id))
