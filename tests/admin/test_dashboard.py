"""The dashboard: today's numbers in Kolkata, orders waiting, low stock, the 14-day chart, and
the cheap fragment it polls for new orders."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest

from sweetshop.extensions import db
from sweetshop.formatting import KOLKATA
from sweetshop.models import OrderStatus, Product, Unit
from sweetshop.services import dashboard
from sweetshop.services.orders import change_status
from tests.factories import make_order, make_product
from tests.sql_statements import counting_statements


def kolkata(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=KOLKATA)


@pytest.fixture
def ladoo(ctx):
    return make_product("Ladoo", stock=100_000)  # 250 g ₹300, 500 g ₹580, 1 kg ₹1,150


# --- the numbers (service) ------------------------------------------------------------------

def test_today_counts_orders_since_midnight_in_kolkata_and_leaves_cancelled_out_of_revenue(
        ladoo):
    today = dashboard.today_local()
    make_order((ladoo, "500 g", 1), created_at=kolkata(today, 0, 5))
    make_order((ladoo, "1 kg", 1), created_at=kolkata(today, 9))
    cancelled = make_order((ladoo, "1 kg", 2), created_at=kolkata(today, 10))
    change_status(cancelled.id, OrderStatus.CANCELLED, "owner", note="Duplicate")
    make_order((ladoo, "250 g", 1), created_at=kolkata(today, 0, 0) - timedelta(minutes=5))

    summary = dashboard.today_summary(today)
    assert (summary.orders, summary.revenue_paise, summary.cancelled) == (3, 58000 + 115000, 1)


def test_orders_not_yet_paid_for_are_not_counted(ladoo):
    order = make_order((ladoo, "500 g", 1))
    order.status = OrderStatus.AWAITING_PAYMENT
    db.session.commit()
    assert dashboard.today_summary().orders == 0
    assert dashboard.waiting_orders().count == 0


def test_waiting_orders_are_the_placed_ones_oldest_first(ladoo):
    first = make_order((ladoo, "250 g", 1), name="First")
    accepted = make_order((ladoo, "250 g", 1))
    change_status(accepted.id, OrderStatus.ACCEPTED, "owner")
    second = make_order((ladoo, "250 g", 1), name="Second")
    waiting = dashboard.waiting_orders()
    assert waiting.count == 2
    assert [o.id for o in waiting.orders] == [first.id, second.id]


def test_the_waiting_count_is_the_total_even_beyond_the_list(ladoo):
    for _ in range(4):
        make_order((ladoo, "250 g", 1))
    waiting = dashboard.waiting_orders(limit=3)
    assert (waiting.count, len(waiting.orders)) == (4, 3)


def test_low_stock_lists_sweets_on_sale_at_or_below_their_threshold(ctx):
    def sweet(name, stock, threshold, active=True):
        p = make_product(name, stock=stock, active=active)
        p.low_stock_threshold = threshold
        db.session.commit()
        return p.name
    sweet("Plenty", 5000, 1000)
    at = sweet("At the mark", 1000, 1000)
    below = sweet("Below", 250, 1000)
    gone = sweet("Sold out", 0, 0)
    sweet("Hidden", 10, 1000, active=False)
    assert [p.name for p in dashboard.low_stock_products()] == [gone, below, at]


def test_the_last_14_days_group_by_kolkata_day_with_quiet_days_as_zero(ladoo):
    today = dashboard.today_local()
    make_order((ladoo, "500 g", 1), created_at=kolkata(today, 23, 50))
    make_order((ladoo, "1 kg", 1), created_at=kolkata(today - timedelta(days=1), 0, 10))
    make_order((ladoo, "250 g", 1), created_at=kolkata(today - timedelta(days=13), 12))
    make_order((ladoo, "250 g", 1), created_at=kolkata(today - timedelta(days=14), 12))
    days = dashboard.daily_totals(today=today)
    assert len(days) == 14
    assert (days[0].day, days[-1].day) == (today - timedelta(days=13), today)
    assert [(d.orders, d.revenue_paise) for d in days if d.orders] == [
        (1, 30000), (1, 115000), (1, 58000)]
    assert sum(d.orders for d in days) == 3


def test_the_chart_scales_bars_to_the_best_day():
    from datetime import date
    days = [dashboard.DaySummary(date(2025, 5, d), orders, revenue)
            for d, orders, revenue in [(1, 0, 0), (2, 2, 50000), (3, 4, 100000), (4, 1, 1)]]
    chart = dashboard.revenue_chart(days, width=400, height=150, top=18, bottom=22)
    heights = [b.height for b in chart.bars]
    assert heights[0] == 0 and heights[2] == 150 - 22 - 18
    assert heights[1] == pytest.approx(heights[2] / 2, abs=0.1)
    assert heights[3] == 2  # a tiny day is still visible
    assert all(b.y + b.height == pytest.approx(chart.baseline) for b in chart.bars)
    assert all(b.x + b.width <= 400 for b in chart.bars)
    assert (chart.total_orders, chart.total_revenue_paise) == (7, 150001)


def test_an_empty_chart_draws_no_bars():
    from datetime import date
    chart = dashboard.revenue_chart([dashboard.DaySummary(date(2025, 5, 1), 0, 0)])
    assert chart.bars[0].height == 0 and chart.max_revenue_paise == 0


# --- the page -------------------------------------------------------------------------------

@pytest.fixture
def busy_shop(in_db):
    def build():
        ladoo = make_product("Ladoo", stock=100_000)
        rasgulla = make_product("Rasgulla", unit=Unit.PIECE, stock=6,
                                packs=(("Single", 1, 2000), ("Tin of 12", 12, 22000)))
        rasgulla.low_stock_threshold = 12
        db.session.commit()
        a = make_order((ladoo, "1 kg", 1), name="Asha Rao")
        b = make_order((ladoo, "500 g", 1), name="Ravi Kumar")
        return a.number, b.number
    return in_db(build)


def test_the_dashboard_shows_today_waiting_low_stock_and_the_chart(owner_client, busy_shop):
    first, second = busy_shop
    response = owner_client.get("/admin/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>(2) Dashboard" in html
    assert re.search(r"Orders today</span>\s*<strong[^>]*>2<", html)
    assert re.search(r"Revenue today</span>\s*<strong[^>]*>₹1,730<", html)
    assert html.index(f"#{first}") < html.index(f"#{second}")  # oldest waiting first
    assert "Rasgulla" in html and "6 pieces" in html
    assert '<svg class="chart"' in html and 'role="img"' in html
    assert "<title id=\"chart-title\">" in html and "<desc id=\"chart-desc\">" in html
    assert "<caption>Orders and revenue per day, last 14 days</caption>" in html
    assert html.count("<tr><th scope=\"row\">") == 14


def test_the_waiting_list_polls_a_fragment_every_10_seconds(owner_client, busy_shop):
    html = owner_client.get("/admin/").get_data(as_text=True)
    assert 'hx-get="/admin/orders/waiting"' in html and 'hx-trigger="every 10s"' in html
    assert 'src="/static/js/admin-dashboard.js' in html
    assert re.search(r'<button[^>]*aria-pressed="true"[^>]*data-sound-toggle', html)


def test_the_dashboard_has_no_inline_scripts_or_styles(owner_client, busy_shop):
    html = owner_client.get("/admin/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no onclick= and friends


def test_the_waiting_fragment_has_the_count_and_the_orders(owner_client, busy_shop, in_db):
    first, second = busy_shop
    response = owner_client.get("/admin/orders/waiting", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<nav" not in html
    assert 'data-waiting-count="2"' in html
    assert f"#{first}" in html and f"#{second}" in html


def test_an_accepted_order_leaves_the_waiting_list(owner_client, busy_shop, in_db):
    from sweetshop.models import Order
    first, _ = busy_shop
    in_db(lambda: change_status(Order.query.filter_by(number=first).one().id,
                                OrderStatus.ACCEPTED, "owner"))
    html = owner_client.get("/admin/orders/waiting").get_data(as_text=True)
    assert 'data-waiting-count="1"' in html and f"#{first}" not in html


def test_an_empty_shop_has_a_calm_dashboard(owner_client):
    html = owner_client.get("/admin/").get_data(as_text=True)
    assert "<title>Dashboard" in html
    assert "No new orders" in html and "above its low-stock mark" in html


def test_polling_costs_two_statements_however_many_orders_wait(app, owner_client, in_db):
    def add_orders(n):
        def build():
            ladoo = Product.query.filter_by(name="Ladoo").first() or make_product(
                "Ladoo", stock=100_000)
            for _ in range(n):
                make_order((ladoo, "250 g", 1))
        in_db(build)

    counts = []
    for n in (1, 15):
        add_orders(n)
        owner_client.get("/admin/orders/waiting")  # warm up: the session's last-seen touch
        with counting_statements(app) as statements:
            assert owner_client.get("/admin/orders/waiting").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 3, counts  # the sign-in check and the list
