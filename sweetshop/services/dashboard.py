"""What the owner sees first: today's numbers, orders waiting, sweets running low, 14 days.

Read-only queries, each one statement, so the dashboard and its 10-second poll stay cheap.
Days are calendar days in Asia/Kolkata.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, cast, func, select

from ..extensions import db
from ..formatting import KOLKATA
from ..models import Order, OrderStatus, Product
from .orders import local_day_bounds

WAITING_LIMIT = 20
CHART_DAYS = 14
# Orders not yet real (payment pending or never paid) count nowhere on the dashboard.
NOT_YET_ORDERS = (OrderStatus.AWAITING_PAYMENT, OrderStatus.EXPIRED)


@dataclass(frozen=True)
class DaySummary:
    day: date
    orders: int
    revenue_paise: int
    cancelled: int = 0


@dataclass(frozen=True)
class Waiting:
    count: int
    orders: list[Order]
    due_soon: frozenset[int] = frozenset()  # ids of orders due within the hour (or late)


@dataclass(frozen=True)
class Bar:
    """One day of the chart, with its geometry in SVG user units."""
    day: date
    orders: int
    revenue_paise: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    max_revenue_paise: int
    total_orders: int
    total_revenue_paise: int


def today_local(now: datetime | None = None) -> date:
    return (now or datetime.now(KOLKATA)).astimezone(KOLKATA).date()


def _revenue():
    return func.coalesce(func.sum(Order.total_paise).filter(
        Order.status != OrderStatus.CANCELLED), 0)


def today_summary(today: date | None = None) -> DaySummary:
    """Orders placed today and their revenue (every order except cancelled ones)."""
    today = today or today_local()
    start, end = local_day_bounds(today)
    orders, revenue, cancelled = db.session.execute(
        select(func.count(), _revenue(),
               func.count().filter(Order.status == OrderStatus.CANCELLED))
        .where(Order.created_at >= start, Order.created_at < end,
               Order.status.not_in(NOT_YET_ORDERS))
    ).one()
    return DaySummary(today, orders, int(revenue), cancelled)


def waiting_orders(limit: int = WAITING_LIMIT) -> Waiting:
    """Orders the owner has not accepted yet, oldest first (serve them in turn).

    One query: the count comes along as a window function, so the poll costs one statement.
    """
    rows = db.session.execute(
        select(Order, func.count().over().label("total"))
        .where(Order.status == OrderStatus.PLACED)
        .order_by(func.coalesce(Order.due_at, Order.created_at), Order.id).limit(limit)
    ).all()
    soon = datetime.now(KOLKATA) + timedelta(hours=1)
    orders = [row[0] for row in rows]
    return Waiting(count=rows[0].total if rows else 0, orders=orders,
                   due_soon=frozenset(o.id for o in orders if o.due_at and o.due_at <= soon))


def low_stock_products() -> list[Product]:
    """Sweets on sale whose stock is at or below their low-stock threshold, emptiest first."""
    return list(db.session.scalars(
        select(Product).where(Product.active.is_(True),
                              Product.stock <= Product.low_stock_threshold)
        .order_by(Product.stock, Product.name)
    ))


def daily_totals(days: int = CHART_DAYS, today: date | None = None) -> list[DaySummary]:
    """The last `days` days up to today, oldest first, with zeros for quiet days."""
    today = today or today_local()
    first = today - timedelta(days=days - 1)
    local_day = cast(func.timezone("Asia/Kolkata", Order.created_at), Date)
    rows = db.session.execute(
        select(local_day.label("day"), func.count(), _revenue())
        .where(Order.created_at >= local_day_bounds(first)[0],
               Order.created_at < local_day_bounds(today)[1],
               Order.status.not_in(NOT_YET_ORDERS))
        .group_by(local_day)
    ).all()
    by_day = {day: (orders, int(revenue)) for day, orders, revenue in rows}
    return [DaySummary(d, *by_day.get(d, (0, 0)))
            for d in (first + timedelta(days=i) for i in range(days))]


def revenue_chart(days: list[DaySummary], width: int = 336, height: int = 150,
                  top: int = 18, bottom: int = 22) -> Chart:
    """Lay out one bar per day, scaled to the best day's revenue; room above for the order
    count and below for the date."""
    baseline = height - bottom
    slot = width / max(len(days), 1)
    most = max((d.revenue_paise for d in days), default=0)
    bars = []
    for i, d in enumerate(days):
        h = (baseline - top) * d.revenue_paise / most if most else 0
        if d.revenue_paise and h < 2:
            h = 2  # a small day still shows
        bars.append(Bar(d.day, d.orders, d.revenue_paise, x=round(i * slot + slot * 0.15, 1),
                        y=round(baseline - h, 1), width=round(slot * 0.7, 1),
                        height=round(h, 1)))
    return Chart(width, height, baseline, bars, most, sum(d.orders for d in days),
                 sum(d.revenue_paise for d in days))


def failed_messages(days: int = 7, limit: int = 10):
    """Customer and owner messages that did not get through lately, newest first."""
    from ..models import Notification, utcnow

    since = utcnow() - timedelta(days=days)
    return list(db.session.scalars(
        select(Notification).where(Notification.status.in_(("failed", "undelivered")),
                                   Notification.created_at >= since)
        .order_by(Notification.id.desc()).limit(limit)))
