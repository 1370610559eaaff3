"""The kitchen's side of orders for a time: the owner's hours and pre-order windows, the
production sheet (how much of each sweet to make for a day) and the packing slips."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..formatting import KOLKATA, format_quantity, parse_whole_number
from ..i18n import gettext as _
from ..models import Order, OrderStatus, PreorderItem, PreorderWindow, Product
from . import slots
from .errors import InvalidInput, NotFound
from .orders import local_day_bounds
from .shop import get_settings

# What the kitchen makes for: orders placed or accepted (not yet packed), as the issue says.
TO_MAKE = (OrderStatus.PLACED, OrderStatus.ACCEPTED)
# What is packed: everything still on its way.
TO_PACK = (OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.READY)
ASAP_KEY = "asap"


# --- hours and slots -------------------------------------------------------------------------

def _whole(raw, field_name: str, label: str, low: int, high: int) -> int:
    value = parse_whole_number(str(raw if raw is not None else ""))
    if value is None or not low <= value <= high:
        raise InvalidInput(_("%(label)s must be a whole number from %(low)s to %(high)s.",
                             label=label, low=low, high=high), field=field_name)
    return value


def parse_kg(raw, field_name: str) -> int:
    """'40', '2.5', '' -> grams (0 for empty)."""
    text = (raw or "").strip().lower().removesuffix("kg").strip()
    if not text:
        return 0
    if not re.fullmatch(r"\d{1,5}(\.\d{1,3})?", text):
        raise InvalidInput(_("Give kilograms, e.g. 40 or 2.5."), field=field_name)
    return round(float(text) * 1000)


def update_hours(*, hours: dict[int, str], closed_dates: str, slot_minutes, delivery_slot_hours,
                 pickup_slot_hours, min_notice_minutes, same_day_cutoff: str, asap_enabled: bool,
                 asap_minutes, booking_days, slot_max_orders, slot_max_kg: str,
                 delivery_enabled: bool, pickup_enabled: bool, address: str) -> None:
    """Save the owner's hours and slot rules. Checks every value first (InvalidInput names
    the field) and changes nothing on a refusal. Commits."""
    weekly = {}
    for weekday in range(7):
        ranges = slots.parse_ranges(hours.get(weekday, ""), field_name=f"hours_{weekday}")
        weekly[str(weekday)] = [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in ranges]
    days = slots.parse_dates(closed_dates)
    values = dict(
        slot_minutes=_whole(slot_minutes, "slot_minutes", _("Slot length"), 15, 720),
        min_notice_minutes=_whole(min_notice_minutes, "min_notice_minutes",
                                  _("Minimum notice"), 0, 10080),
        asap_minutes=_whole(asap_minutes, "asap_minutes", _("Preparation time"), 5, 600),
        booking_days=_whole(booking_days, "booking_days", _("Days ahead"), 1, slots.MAX_BOOKING_DAYS),
        slot_max_orders=_whole(slot_max_orders or "0", "slot_max_orders",
                               _("Orders per slot"), 0, 10000),
        slot_max_grams=parse_kg(slot_max_kg, "slot_max_kg"),
        same_day_cutoff=slots.parse_time(same_day_cutoff, field_name="same_day_cutoff"),
    )
    for name in ("delivery_slot_hours", "pickup_slot_hours"):
        raw = locals()[name] or ""
        values[name] = slots.ranges_text(slots.parse_ranges(raw, field_name=name))
    if not delivery_enabled and not pickup_enabled:
        raise InvalidInput(_("Offer at least one of delivery and pickup."),
                           field="delivery_enabled")
    address = "\n".join(line.strip() for line in (address or "").strip().splitlines())
    if len(address) > 500:
        raise InvalidInput(_("Please keep the address under 500 characters."), field="address")
    if pickup_enabled and not address:
        raise InvalidInput(_("Give the shop's address, so pickup customers can find it."),
                           field="address")
    settings = get_settings()
    settings.weekly_hours = weekly
    settings.closed_dates = ", ".join(d.isoformat() for d in days)
    for key, value in values.items():
        setattr(settings, key, value)
    settings.asap_enabled = bool(asap_enabled)
    settings.delivery_enabled = bool(delivery_enabled)
    settings.pickup_enabled = bool(pickup_enabled)
    settings.address = address
    db.session.commit()


def hours_text(settings, weekday: int) -> str:
    if not settings.weekly_hours:
        return slots.ranges_text(slots.DEFAULT_HOURS)
    ranges = settings.weekly_hours.get(str(weekday), [])
    return ", ".join(f"{a}-{b}" for a, b in ranges) or "closed"


# --- pre-order windows -----------------------------------------------------------------------

def list_windows() -> list[PreorderWindow]:
    return list(db.session.scalars(
        select(PreorderWindow).options(selectinload(PreorderWindow.items))
        .order_by(PreorderWindow.first_day.desc(), PreorderWindow.id.desc())))


def get_window(window_id: int) -> PreorderWindow:
    window = db.session.get(PreorderWindow, window_id) if 0 < window_id < 2**31 else None
    if window is None:
        raise NotFound(_("We could not find that pre-order window."))
    return window


def save_window(window_id: int | None, *, name: str, orders_from: date | None,
                first_day: date | None, last_day: date | None, capacity_kg: str,
                order_by: str, advance_percent, cod_allowed: bool, cod_max_paise: int,
                active: bool, made: dict[int, str]) -> PreorderWindow:
    """Create or change a window. `made`: product id -> its daily cap as typed (kg for
    sweets by weight, pieces for sweets by the piece; "" for none). Commits."""
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise InvalidInput(_("Give the window a name (up to 80 characters)."), field="name")
    for value, field_name in ((orders_from, "orders_from"), (first_day, "first_day"),
                              (last_day, "last_day")):
        if value is None:
            raise InvalidInput(_("Please choose a date."), field=field_name)
    if last_day < first_day:
        raise InvalidInput(_("The last day is before the first."), field="last_day")
    if orders_from > last_day:
        raise InvalidInput(_("Orders must open before the last day."), field="orders_from")
    advance = _whole(advance_percent or "0", "advance_percent", _("Advance"), 0, 100)
    cut = slots.parse_time(order_by or "14:00", field_name="order_by") or "14:00"
    products = {p.id: p for p in db.session.scalars(
        select(Product).where(Product.id.in_(list(made))))} if made else {}
    caps = {}
    for product_id, raw in made.items():
        product = products.get(product_id)
        if product is None:
            continue
        if product.unit.value == "g":
            caps[product_id] = parse_kg(raw, f"cap_{product_id}")
        else:
            caps[product_id] = _whole(raw or "0", f"cap_{product_id}", product.name, 0, 100000)
    window = get_window(window_id) if window_id else PreorderWindow()
    window.name, window.orders_from = name, orders_from
    window.first_day, window.last_day = first_day, last_day
    window.daily_capacity_grams = parse_kg(capacity_kg, "capacity_kg")
    window.order_by = time.fromisoformat(cut)
    window.advance_percent = advance
    window.cod_allowed = bool(cod_allowed) and not advance
    window.cod_max_paise = max(0, int(cod_max_paise or 0))
    window.active = bool(active)
    window.items = [PreorderItem(product_id=pid, daily_cap=cap) for pid, cap in caps.items()]
    if window_id is None:
        db.session.add(window)
    db.session.commit()
    return window


# --- the production sheet --------------------------------------------------------------------

@dataclass
class SheetRow:
    name: str
    unit: str
    by_slot: dict[str, int] = field(default_factory=dict)  # slot key -> base quantity
    total: int = 0


@dataclass
class Sheet:
    day: date
    slots: list[tuple[str, str]]  # (key, label), in the day's order
    rows: list[SheetRow]
    orders: int

    def amount(self, row: SheetRow, key: str) -> str:
        value = row.by_slot.get(key, 0)
        return format_quantity(value, row.unit) if value else ""


def _slot_key(order: Order) -> str:
    if order.slot_starts_at is None:
        return ASAP_KEY
    return order.slot_starts_at.astimezone(KOLKATA).strftime("%H:%M")


def _slot_label(order: Order) -> str:
    if order.slot_starts_at is None:
        return _("As soon as possible")
    return slots.clock_range(order.slot_starts_at.astimezone(KOLKATA),
                             order.slot_ends_at.astimezone(KOLKATA))


def orders_due(day: date, statuses=TO_PACK, slot: str = "") -> list[Order]:
    """The day's orders (due that day in Asia/Kolkata) with their items, by when due."""
    start, end = local_day_bounds(day)
    stmt = (select(Order).where(Order.due_at >= start, Order.due_at < end,
                                Order.status.in_(statuses))
            .options(selectinload(Order.items)).order_by(Order.due_at, Order.number))
    if slot == ASAP_KEY:
        stmt = stmt.where(Order.slot_starts_at.is_(None))
    elif re.fullmatch(r"\d{2}:\d{2}", slot or ""):
        stmt = stmt.where(Order.slot_starts_at == datetime.combine(
            day, time.fromisoformat(slot), tzinfo=KOLKATA))
    return list(db.session.scalars(stmt))


def production_sheet(day: date) -> Sheet:
    """How much of each sweet to make for `day`: per slot and in all, in the sweet's base
    unit (grams or pieces; shown as kg/g or pieces), from the day's placed and accepted
    orders. Packs are added up (2 × 500 g + 1 kg = 2 kg). Two queries."""
    orders = orders_due(day, TO_MAKE)
    slot_labels: dict[str, str] = {}
    rows: dict[tuple[str, str], SheetRow] = {}
    for order in orders:
        key = _slot_key(order)
        slot_labels.setdefault(key, _slot_label(order))
        for item in order.items:
            unit = item.unit.value if hasattr(item.unit, "value") else str(item.unit)
            row = rows.setdefault((item.product_name, unit), SheetRow(item.product_name, unit))
            row.by_slot[key] = row.by_slot.get(key, 0) + item.base_quantity
            row.total += item.base_quantity
    ordered_slots = sorted(slot_labels.items(), key=lambda kv: (kv[0] != ASAP_KEY, kv[0]))
    return Sheet(day, ordered_slots, sorted(rows.values(), key=lambda r: r.name.lower()),
                 len(orders))


def production_csv(sheet: Sheet) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Sweet"), _("Unit"), *[label for _k, label in sheet.slots], _("Total")])
    for row in sheet.rows:
        unit = "g" if row.unit == "g" else _("pieces")
        writer.writerow([_csv_safe(row.name), unit,
                         *[row.by_slot.get(key, 0) for key, _l in sheet.slots], row.total])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """A spreadsheet must not run a formula someone typed as a sweet's name."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- packing slips ---------------------------------------------------------------------------

def slips_for(order_id: int | None = None, day: date | None = None,
              slot: str = "") -> list[Order]:
    """One order's slip, or every slip of a day (or of one of its slots)."""
    if order_id is not None:
        order = db.session.scalars(select(Order).where(Order.id == order_id)
                                   .options(selectinload(Order.items))).first() \
            if 0 < order_id < 2**31 else None
        if order is None:
            raise NotFound(_("We could not find that order."))
        return [order]
    return orders_due(day, TO_PACK, slot)


def day_slot_choices(day: date) -> list[tuple[str, str]]:
    settings = get_settings()
    starts = {ASAP_KEY: _("As soon as possible")}
    for kind in ("delivery", "pickup"):
        for start, end in slots.slot_times(settings, kind, day):
            starts.setdefault(start.strftime("%H:%M"), slots.clock_range(start, end))
    return sorted(starts.items(), key=lambda kv: (kv[0] != ASAP_KEY, kv[0]))


def made_to_order_items(window: PreorderWindow) -> dict[int, PreorderItem]:
    return {item.product_id: item for item in window.items}


def by_day_booked(window: PreorderWindow) -> dict[date, int]:
    from ..models import CapacityBooking
    from ..models.slots import WHOLE_KITCHEN

    return {day: booked for day, booked in db.session.execute(
        select(CapacityBooking.day, CapacityBooking.booked)
        .where(CapacityBooking.window_id == window.id,
               CapacityBooking.product_id == WHOLE_KITCHEN))}

