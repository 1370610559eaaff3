"""Orders for a time: which slots a customer may choose, and booking them like stock.

Availability is the server's: `calendar()` lays out the days and slots a checkout offers,
each available or not with the reason ("Full", "Order by 2 pm the day before", "Closed"),
in a bounded number of queries whatever the number of slots (settings, pre-order windows,
the bookings of the shown days, the kitchen's bookings). `choose()` checks one choice a
form sent against the same rules. `book()` books it in the order's transaction with
conditional UPDATEs taken after the stock locks, in a fixed order (slot, then the
kitchen's rows by product id), so no cap is passed by one order or one gram; `release()`
gives it back, in the same order, when an order is cancelled or expires.

Every "today", cut-off and closed day is computed in Asia/Kolkata; times are stored UTC.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..formatting import KOLKATA, format_quantity
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import (
    CapacityBooking,
    PreorderItem,
    PreorderWindow,
    SlotBooking,
    Unit,
)
from ..models.slots import DELIVERY, FULFILMENTS, PICKUP, WHOLE_KITCHEN
from .errors import DomainError, InvalidInput

ASAP = "asap"
DEFAULT_HOURS = [(time(9, 0), time(21, 0))]  # when the owner has not set hours yet
WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
MAX_BOOKING_DAYS = 60
SLOT_VALUE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})$")
RANGE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")


class SlotUnavailable(DomainError):
    """The slot chosen is full, past its cut-off or not offered: nothing was written."""
    status_code = 409
    field = "slot"


# --- words for times -------------------------------------------------------------------------

def clock(t: time | datetime) -> str:
    """9 am, 4:30 pm, 12 noon."""
    if t.hour == 12 and t.minute == 0:
        return _("12 noon")
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    return f"{hour}:{t.minute:02d} {suffix}" if t.minute else f"{hour} {suffix}"


def clock_range(start: datetime, end: datetime) -> str:
    """'4–6 pm', '11 am–1 pm', '10:30–11 am'."""
    a, b = clock(start), clock(end)
    same_half = (start.hour < 12) == (end.hour < 12) and "noon" not in a + b
    if same_half and a.endswith(("am", "pm")):
        a = a.rsplit(" ", 1)[0]
    return f"{a}–{b}"


def day_label(day: date) -> str:
    """'Sat 31 Oct'."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day.strftime('%b')}"


def local_now(now: datetime | None = None) -> datetime:
    return (now or datetime.now(KOLKATA)).astimezone(KOLKATA)


def when_text(order) -> str:
    """The order's time in words, for every page and message: "Delivery on Sat 31 Oct,
    4–6 pm", "Pickup on ...", "Delivery as soon as possible"."""
    how = _("Pickup") if order.fulfilment == PICKUP else _("Delivery")
    if order.slot_starts_at is None:
        return _("%(how)s as soon as possible", how=how)
    start, end = order.slot_starts_at.astimezone(KOLKATA), order.slot_ends_at.astimezone(KOLKATA)
    return _("%(how)s on %(day)s, %(time)s", how=how, day=day_label(start.date()),
             time=clock_range(start, end))


# --- the owner's hours -----------------------------------------------------------------------

def parse_ranges(raw: str, *, field_name: str) -> list[tuple[time, time]]:
    """'9-13, 16:00-21:00' -> [(9:00, 13:00), (16:00, 21:00)]; '' or 'closed' -> []."""
    raw = (raw or "").strip()
    if not raw or raw.lower() in ("closed", "-"):
        return []
    ranges = []
    for part in re.split(r"[,;]+", raw):
        if not part.strip():
            continue
        match = RANGE.match(part)
        if not match:
            raise InvalidInput(_("Write hours like 9:00-13:00, 16:00-21:00 (or “closed”)."),
                               field=field_name)
        h1, m1, h2, m2 = (int(g or 0) for g in match.groups())
        if h2 == 24 and m2 == 0:
            h2, m2 = 23, 59
        if not (0 <= h1 < 24 and 0 <= h2 < 24 and m1 < 60 and m2 < 60):
            raise InvalidInput(_("%(part)s is not a time of day.", part=part.strip()),
                               field=field_name)
        start, end = time(h1, m1), time(h2, m2)
        if end <= start:
            raise InvalidInput(_("%(part)s ends before it starts.", part=part.strip()),
                               field=field_name)
        ranges.append((start, end))
    ranges.sort()
    for (_s1, e1), (s2, _e2) in zip(ranges, ranges[1:], strict=False):
        if s2 < e1:
            raise InvalidInput(_("Two ranges overlap: %(raw)s.", raw=raw), field=field_name)
    return ranges


def ranges_text(ranges) -> str:
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in ranges)


def parse_time(raw: str, *, field_name: str) -> str:
    """'14', '2 pm'... kept simple: 'HH:MM' 24-hour, '' for none."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?", raw)
    if not match or int(match.group(1)) > 23 or int(match.group(2) or 0) > 59:
        raise InvalidInput(_("Write a time like 14:00."), field=field_name)
    return f"{int(match.group(1)):02d}:{int(match.group(2) or 0):02d}"


def parse_dates(raw: str, *, field_name: str = "closed_dates") -> list[date]:
    days = []
    for part in re.split(r"[\s,;]+", raw or ""):
        if not part:
            continue
        try:
            days.append(date.fromisoformat(part))
        except ValueError:
            raise InvalidInput(_("%(part)s is not a date like 2026-10-31.", part=part),
                               field=field_name) from None
    return sorted(set(days))


def opening_ranges(settings, day: date) -> list[tuple[time, time]]:
    """The day's opening hours ([] on a closed day or a holiday)."""
    if day.isoformat() in (settings.closed_dates or ""):
        return []
    hours = settings.weekly_hours or {}
    if not hours:
        return list(DEFAULT_HOURS)
    return [(time.fromisoformat(a), time.fromisoformat(b))
            for a, b in hours.get(str(day.weekday()), [])]


def _slot_window(settings, kind: str) -> list[tuple[time, time]]:
    raw = settings.pickup_slot_hours if kind == PICKUP else settings.delivery_slot_hours
    try:
        return parse_ranges(raw or "", field_name="slot_hours")
    except InvalidInput:
        return []


def slot_times(settings, kind: str, day: date) -> list[tuple[datetime, datetime]]:
    """The day's slots for `kind`: its opening hours (within the kind's slot hours, if set)
    cut into slot_minutes pieces; a piece shorter than a slot is left out."""
    length = timedelta(minutes=max(15, settings.slot_minutes or 120))
    window = _slot_window(settings, kind)
    slots = []
    for start_t, end_t in opening_ranges(settings, day):
        pieces = [(start_t, end_t)]
        if window:
            pieces = [(max(start_t, a), min(end_t, b)) for a, b in window
                      if max(start_t, a) < min(end_t, b)]
        for a, b in pieces:
            start = datetime.combine(day, a, tzinfo=KOLKATA)
            end_of_range = datetime.combine(day, b, tzinfo=KOLKATA)
            while start + length <= end_of_range:
                slots.append((start, start + length))
                start += length
    return slots


def next_opening(settings, now: datetime) -> datetime | None:
    """When the shop next opens after `now` (within two weeks)."""
    for offset in range(15):
        day = now.date() + timedelta(days=offset)
        for a, _b in opening_ranges(settings, day):
            at = datetime.combine(day, a, tzinfo=KOLKATA)
            if at > now:
                return at
    return None


def open_now(settings, now: datetime) -> bool:
    if not settings.weekly_hours and now.date().isoformat() not in (settings.closed_dates or ""):
        return True  # hours not set: the is_open switch alone decides
    return any(a <= now.time() < b for a, b in opening_ranges(settings, now.date()))


def opens_text(settings, now: datetime) -> str:
    at = next_opening(settings, now)
    if at is None:
        return _("We are closed for now.")
    if at.date() == now.date():
        return _("We open at %(time)s.", time=clock(at))
    if at.date() == now.date() + timedelta(days=1):
        return _("We open tomorrow at %(time)s.", time=clock(at))
    return _("We open on %(day)s at %(time)s.", day=day_label(at.date()), time=clock(at))


# --- what a cart asks of the kitchen ---------------------------------------------------------

@dataclass(frozen=True)
class LineDemand:
    """A cart line as the calendar needs it: the sweet and how much in its base unit."""
    product: object
    base_quantity: int


@dataclass
class Demand:
    """What one order needs: grams for a slot's kilogram cap, and of made-to-order sweets."""
    grams: int = 0
    made: dict[int, int] = field(default_factory=dict)   # product id -> base quantity
    made_grams: int = 0                                  # of those, sold by weight
    window: PreorderWindow | None = None
    names: dict[int, str] = field(default_factory=dict)

    @property
    def is_preorder(self) -> bool:
        return self.window is not None


def open_windows(today: date) -> list[PreorderWindow]:
    """Pre-order windows taking orders today, with their sweets (two queries)."""
    return list(db.session.scalars(
        select(PreorderWindow).where(PreorderWindow.active.is_(True),
                                     PreorderWindow.orders_from <= today,
                                     PreorderWindow.last_day >= today)
        .options(selectinload(PreorderWindow.items))
        .order_by(PreorderWindow.first_day, PreorderWindow.id)))


def made_to_order_ids(today: date | None = None) -> set[int]:
    """Sweets made to order in a window taking orders today (they need no shelf stock)."""
    today = today or local_now().date()
    return set(db.session.scalars(
        select(PreorderItem.product_id).join(PreorderWindow)
        .where(PreorderWindow.active.is_(True), PreorderWindow.orders_from <= today,
               PreorderWindow.last_day >= today)))


def demand_of(lines, windows: list[PreorderWindow]) -> Demand:
    """`lines`: cart line views (product, base_quantity)."""
    demand = Demand()
    by_product = {}
    for window in windows:
        for item in window.items:
            by_product.setdefault(item.product_id, window)
    for line in lines:
        product = line.product
        if Unit(product.unit) is Unit.GRAM:
            demand.grams += line.base_quantity
        window = by_product.get(product.id)
        if window is not None and (demand.window is None or demand.window is window):
            demand.window = window
            demand.made[product.id] = demand.made.get(product.id, 0) + line.base_quantity
            demand.names[product.id] = product.name
            if Unit(product.unit) is Unit.GRAM:
                demand.made_grams += line.base_quantity
    return demand


# --- the calendar a checkout shows ------------------------------------------------------------

@dataclass
class SlotChoice:
    kind: str
    starts_at: datetime
    ends_at: datetime
    available: bool = True
    reason: str = ""
    left: int | None = None

    @property
    def value(self) -> str:
        return self.starts_at.strftime("%Y-%m-%dT%H:%M")

    @property
    def label(self) -> str:
        return clock_range(self.starts_at, self.ends_at)


@dataclass
class DayChoice:
    day: date
    slots: list[SlotChoice]
    reason: str = ""

    @property
    def value(self) -> str:
        return self.day.isoformat()

    @property
    def label(self) -> str:
        return day_label(self.day)

    @property
    def available(self) -> bool:
        return not self.reason and any(s.available for s in self.slots)

    @property
    def why_not(self) -> str:
        if self.reason:
            return self.reason
        if not self.slots:
            return _("No slots")
        reasons = {s.reason for s in self.slots if not s.available}
        return reasons.pop() if len(reasons) == 1 else _("Fully booked")


@dataclass
class Calendar:
    kind: str
    days: list[DayChoice]
    asap_available: bool
    asap_minutes: int
    asap_reason: str = ""
    notice: str = ""          # "We open at 9 am. Choose a time below."
    demand: Demand | None = None

    def day(self, value: str | None) -> DayChoice | None:
        return next((d for d in self.days if d.value == value), None)

    def first_open_day(self) -> DayChoice | None:
        return next((d for d in self.days if d.available), None)

    def find(self, value: str) -> SlotChoice | None:
        for day in self.days:
            for slot in day.slots:
                if slot.value == value:
                    return slot
        return None


def _window_days_reason(window: PreorderWindow) -> str:
    return _("%(name)s orders are for %(first)s – %(last)s", name=window.name,
             first=day_label(window.first_day), last=day_label(window.last_day))


def calendar(settings, kind: str, lines, now: datetime | None = None) -> Calendar:
    """The days and slots a checkout offers for `kind`, every one with its availability.

    Queries: the open pre-order windows (2), the shown days' slot bookings (1) and, for a
    pre-order, the kitchen's bookings of those days (1): the same for 1 slot or 500.
    """
    now = local_now(now)
    today = now.date()
    demand = demand_of(lines, open_windows(today))
    horizon = max(1, min(settings.booking_days or 7, MAX_BOOKING_DAYS))
    days = [today + timedelta(days=i) for i in range(horizon)]
    window = demand.window
    if window is not None:  # a pre-order: the window's days too, however far ahead
        days = sorted(set(days) | {window.first_day + timedelta(days=i) for i in
                                   range((window.last_day - window.first_day).days + 1)
                                   if window.first_day + timedelta(days=i) >= today})
    times = {day: slot_times(settings, kind, day) for day in days}
    starts = [s for slots in times.values() for s, _e in slots]
    booked = {}
    if starts:
        booked = {b.starts_at: b for b in db.session.scalars(
            select(SlotBooking).where(SlotBooking.kind == kind,
                                      SlotBooking.starts_at >= min(starts),
                                      SlotBooking.starts_at <= max(starts)))}
    kitchen = _kitchen_booked(window, days) if window is not None else {}

    notice = timedelta(minutes=max(0, settings.min_notice_minutes or 0))
    cutoff = settings.same_day_cutoff or ""
    result = []
    for day in days:
        day_reason = ""
        if not opening_ranges(settings, day):
            day_reason = (_("Closed (holiday)") if day.isoformat() in (settings.closed_dates or "")
                          else _("Closed on %(weekday)ss", weekday=WEEKDAYS[day.weekday()]))
        elif window is not None and not window.covers(day):
            day_reason = _window_days_reason(window)
        elif window is not None and now >= datetime.combine(
                day - timedelta(days=1), window.order_by, tzinfo=KOLKATA):
            day_reason = _("Order by %(time)s the day before", time=clock(window.order_by))
        elif day == today and cutoff and now.strftime("%H:%M") >= cutoff:
            day_reason = _("Order by %(time)s for the same day",
                           time=clock(time.fromisoformat(cutoff)))
        elif window is not None:
            day_reason = _kitchen_reason(window, demand, kitchen.get(day, {}))
        slots = []
        for start, end in times[day]:
            slot = SlotChoice(kind, start, end)
            row = booked.get(start)
            orders, grams = (row.orders, row.grams) if row else (0, 0)
            if settings.slot_max_orders:
                slot.left = max(0, settings.slot_max_orders - orders)
            if day_reason:
                slot.available, slot.reason = False, day_reason
            elif start <= now:
                slot.available, slot.reason = False, _("Past")
            elif start < now + notice:
                slot.available, slot.reason = False, _(
                    "Too soon: we need %(time)s' notice", time=_notice_words(notice))
            elif settings.slot_max_orders and orders >= settings.slot_max_orders:
                slot.available, slot.reason = False, _("Full")
            elif settings.slot_max_grams and grams + demand.grams > settings.slot_max_grams:
                slot.available, slot.reason = False, (
                    _("Full") if grams >= settings.slot_max_grams else _("Too little room left"))
            slots.append(slot)
        result.append(DayChoice(day, slots, reason=day_reason if not slots else ""))
        if day_reason and slots:
            result[-1].reason = day_reason

    asap_reason = ""
    if not settings.asap_enabled:
        asap_reason = _("Not offered")
    elif window is not None:
        asap_reason = _window_days_reason(window)
    elif not settings.is_open or not open_now(settings, now):
        asap_reason = opens_text(settings, now)
    elif cutoff and now.strftime("%H:%M") >= cutoff:
        asap_reason = _("Order by %(time)s for the same day",
                        time=clock(time.fromisoformat(cutoff)))
    notice_text = ""
    if asap_reason and settings.asap_enabled and window is None:
        notice_text = _("%(opens)s Choose a time below.", opens=asap_reason)
    return Calendar(kind, result, asap_available=not asap_reason,
                    asap_minutes=settings.asap_minutes or 45, asap_reason=asap_reason,
                    notice=notice_text, demand=demand)


def _notice_words(notice: timedelta) -> str:
    minutes = int(notice.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return _("1 hour") if hours == 1 else _("%(n)s hours", n=hours)
    return _("%(n)s minutes", n=minutes)


def _kitchen_booked(window: PreorderWindow, days: list[date]) -> dict[date, dict[int, int]]:
    rows = db.session.execute(
        select(CapacityBooking.day, CapacityBooking.product_id, CapacityBooking.booked)
        .where(CapacityBooking.window_id == window.id, CapacityBooking.day.in_(days))).all()
    booked: dict[date, dict[int, int]] = defaultdict(dict)
    for day, product_id, amount in rows:
        booked[day][product_id] = amount
    return booked


def _kitchen_reason(window: PreorderWindow, demand: Demand, booked: dict[int, int]) -> str:
    """Why the kitchen cannot take this order on a day, or ''."""
    if window.daily_capacity_grams and demand.made_grams and (
            booked.get(WHOLE_KITCHEN, 0) + demand.made_grams > window.daily_capacity_grams):
        left = max(0, window.daily_capacity_grams - booked.get(WHOLE_KITCHEN, 0))
        return (_("Kitchen fully booked") if not left else
                _("The kitchen can make only %(left)s more", left=format_quantity(left, "g")))
    caps = {item.product_id: item.daily_cap for item in window.items}
    for product_id, amount in sorted(demand.made.items()):
        cap = caps.get(product_id) or 0
        if cap and booked.get(product_id, 0) + amount > cap:
            return _("%(name)s is fully booked", name=demand.names.get(product_id, ""))
    return ""


# --- a choice the form sent ------------------------------------------------------------------

@dataclass(frozen=True)
class Chosen:
    kind: str
    slot: SlotChoice | None  # None: as soon as possible
    demand: Demand
    due_at: datetime


def check_kind(settings, kind: str) -> str:
    if kind not in FULFILMENTS:
        raise InvalidInput(_("Please choose delivery or pickup."), field="fulfilment")
    if kind == PICKUP and not settings.pickup_enabled:
        raise InvalidInput(_("Pickup from the shop is not available. Please choose delivery."),
                           field="fulfilment")
    if kind == DELIVERY and not settings.delivery_enabled:
        raise InvalidInput(_("We are not delivering just now. Please choose pickup."),
                           field="fulfilment")
    return kind


def choose(settings, kind: str, value: str, lines, now: datetime | None = None) -> Chosen:
    """Check the time a form sent against the same rules the page showed. Reads only.

    Raises InvalidInput / SlotUnavailable (field "slot") with the reason for anything
    tampered, past, full, on a closed day or not offered; nothing is written.
    """
    check_kind(settings, kind)
    now = local_now(now)
    value = (value or "").strip()
    cal = calendar(settings, kind, lines, now)
    if not value or value == ASAP:
        if value != ASAP and not cal.asap_available:
            raise InvalidInput(_("Please choose a time."), field="slot")
        if not cal.asap_available:
            raise SlotUnavailable(_("As soon as possible is not available: %(why)s Please "
                                    "choose a time below.", why=_sentence(cal.asap_reason)))
        return Chosen(kind, None, cal.demand, now + timedelta(minutes=cal.asap_minutes))
    if not SLOT_VALUE.match(value):
        raise InvalidInput(_("Please choose one of the times shown."), field="slot")
    slot = cal.find(value)
    if slot is None:
        raise SlotUnavailable(_("That time is not offered. Please choose one of the times "
                                "shown."))
    if not slot.available:
        raise SlotUnavailable(_("%(day)s, %(time)s is not available (%(why)s). Please choose "
                                "another time.", day=day_label(slot.starts_at.date()),
                                time=slot.label, why=slot.reason))
    return Chosen(kind, slot, cal.demand, slot.starts_at)


def _sentence(text_: str) -> str:
    text_ = (text_ or "").strip()
    return text_ if not text_ or text_[-1] in ".!?" else text_ + "."


# --- booking, in the order's transaction -----------------------------------------------------

def ensure_rows_for(settings, kind: str, value: str, now: datetime | None = None) -> None:
    """Create the booking rows an order for this time may update (the slot's, and the
    kitchen's for a pre-order day), INSERT ... ON CONFLICT DO NOTHING, in the caller's
    session; the caller commits before its order's transaction takes any lock, so a
    concurrent checkout only ever waits on an UPDATE, never on another's insert. Only for a
    slot the owner's hours really have (a tampered value creates nothing)."""
    match = SLOT_VALUE.match((value or "").strip())
    if kind not in FULFILMENTS or not match:
        return
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError:
        return
    today = local_now(now).date()
    if not today <= day <= today + timedelta(days=366):
        return
    slot = next(((s, e) for s, e in slot_times(settings, kind, day)
                 if s.strftime("%Y-%m-%dT%H:%M") == value.strip()), None)
    if slot is None:
        return
    db.session.execute(insert(SlotBooking).values(kind=kind, starts_at=slot[0], ends_at=slot[1])
                       .on_conflict_do_nothing(constraint="uq_slot_booking_kind_starts_at"))
    for window in open_windows(today):
        if window.covers(day):
            for product_id in [WHOLE_KITCHEN, *(item.product_id for item in window.items)]:
                db.session.execute(insert(CapacityBooking).values(
                    window_id=window.id, day=day, product_id=product_id)
                    .on_conflict_do_nothing(constraint="uq_capacity_booking_day"))


def still_free(settings, chosen: Chosen) -> None:
    """A lock-free re-read of the slot's bookings, once the stock is locked: a checkout
    that waited its turn behind others learns the slot filled up without booking at all."""
    if chosen.slot is None or not (settings.slot_max_orders or settings.slot_max_grams):
        return
    row = db.session.execute(
        select(SlotBooking.orders, SlotBooking.grams)
        .where(SlotBooking.kind == chosen.kind, SlotBooking.starts_at == chosen.slot.starts_at)
    ).first()
    orders, grams = row if row else (0, 0)
    if ((settings.slot_max_orders and orders >= settings.slot_max_orders)
            or (settings.slot_max_grams and grams + chosen.demand.grams > settings.slot_max_grams)):
        raise _full(chosen)


def _full(chosen: Chosen) -> SlotUnavailable:
    return SlotUnavailable(_("Sorry, %(day)s, %(time)s just filled up (Full). Please choose "
                             "another time.", day=day_label(chosen.slot.starts_at.date()),
                             time=chosen.slot.label))


BOOK_SLOT = text("""
    UPDATE slot_booking SET orders = orders + 1, grams = grams + :grams
    WHERE kind = :kind AND starts_at = :starts_at
      AND (:max_orders = 0 OR orders + 1 <= :max_orders)
      AND (:max_grams = 0 OR grams + :grams <= :max_grams)
    RETURNING id""")
BOOK_CAPACITY = text("""
    UPDATE capacity_booking SET booked = booked + :amount
    WHERE window_id = :window_id AND day = :day AND product_id = :product_id
      AND (:cap = 0 OR booked + :amount <= :cap)
    RETURNING id""")


def book(settings, order, chosen: Chosen) -> None:
    """Book the slot and the kitchen's capacity for `order`, in the caller's transaction,
    as its last statements before the commit, so the rows stay locked only for the commit.

    Each is one conditional UPDATE: it passes only while under the cap, and concurrent
    ones queue on the row and re-check (PostgreSQL re-evaluates the WHERE on the row as
    committed), so a cap of 10 takes exactly 10 orders. Order: the slot, then the
    kitchen's rows (the whole kitchen, then sweets by id), always after the stock locks.
    Raises SlotUnavailable; the caller rolls back.
    """
    order.fulfilment = chosen.kind
    order.due_at = chosen.due_at
    if chosen.slot is None:
        return
    order.slot_starts_at, order.slot_ends_at = chosen.slot.starts_at, chosen.slot.ends_at
    booking_id = db.session.scalar(BOOK_SLOT, {
        "grams": chosen.demand.grams, "kind": chosen.kind, "starts_at": chosen.slot.starts_at,
        "max_orders": settings.slot_max_orders or 0, "max_grams": settings.slot_max_grams or 0})
    if booking_id is None:
        raise _full(chosen)
    order.slot_booking_id = booking_id
    order.slot_grams = chosen.demand.grams
    window = chosen.demand.window
    if window is None:
        return
    order.preorder_window_id = window.id
    day = chosen.slot.starts_at.date()
    caps = {item.product_id: item.daily_cap for item in window.items}
    wanted = [(WHOLE_KITCHEN, chosen.demand.made_grams, window.daily_capacity_grams or 0)]
    wanted += [(pid, amount, caps.get(pid) or 0) for pid, amount in sorted(chosen.demand.made.items())]
    for product_id, amount, cap in wanted:
        if db.session.scalar(BOOK_CAPACITY, {"amount": amount, "window_id": window.id,
                                             "day": day, "product_id": product_id,
                                             "cap": cap}) is None:
            what = (_("the kitchen") if product_id == WHOLE_KITCHEN
                    else chosen.demand.names.get(product_id, ""))
            raise SlotUnavailable(_("Sorry, %(what)s is fully booked for %(day)s. Please "
                                    "choose another day.", what=what, day=day_label(day)))


RELEASE_SLOT = text("""
    UPDATE slot_booking SET orders = GREATEST(orders + :sign, 0),
                            grams = GREATEST(grams + :sign * :grams, 0)
    WHERE id = :id""")
RELEASE_CAPACITY = text("""
    UPDATE capacity_booking SET booked = GREATEST(booked + :sign * :amount, 0)
    WHERE window_id = :window_id AND day = :day AND product_id = :product_id""")


def release(order, sign: int = -1) -> None:
    """Give back what a cancelled or expired order booked, in the caller's transaction
    (which has locked the order row and the stock first: same order as booking). Safe to
    call once per order: the caller moves the order to a final status in the same commit."""
    if order.slot_booking_id is not None:
        db.session.execute(RELEASE_SLOT, {"id": order.slot_booking_id, "grams": order.slot_grams,
                                          "sign": sign})
    if order.preorder_window_id is None or order.slot_starts_at is None:
        return
    day = order.slot_starts_at.astimezone(KOLKATA).date()
    made: dict[int, int] = defaultdict(int)
    grams = 0
    for item in order.items:
        if item.made_to_order and item.product_id is not None:
            made[item.product_id] += item.base_quantity
            if Unit(item.unit) is Unit.GRAM:
                grams += item.base_quantity
    for product_id, amount in [(WHOLE_KITCHEN, grams), *sorted(made.items())]:
        db.session.execute(RELEASE_CAPACITY, {"amount": amount, "window_id":
                                              order.preorder_window_id, "day": day,
                                              "product_id": product_id, "sign": sign})


def rebook(order) -> None:
    """An expired order paid after all takes its slot and capacity again, even over a cap:
    the customer has paid for that time (the owner sees it on the production sheet)."""
    release(order, sign=+1)


def advance_for(window: PreorderWindow | None, total_paise: int) -> int:
    """The advance a pre-order pays online: 0 for none, the total for 100 %, else the share
    (rounded up to the rupee, never above the total)."""
    if window is None or not window.advance_percent:
        return 0
    if window.advance_percent >= 100:
        return total_paise
    share = -(-total_paise * window.advance_percent // 100)
    return min(total_paise, -(-share // 100) * 100)
