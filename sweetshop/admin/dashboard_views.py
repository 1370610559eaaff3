"""The owner's home page, and the small fragment it polls for new orders."""
from flask import current_app, render_template, url_for

from ..search.service import top_searches
from ..services import cod_risk, shop_health
from ..services import dashboard as dashboard_service
from . import bp


@bp.get("/")
def dashboard():
    days = dashboard_service.daily_totals()
    return render_template(
        "admin/dashboard.html",
        today=dashboard_service.today_summary(),
        waiting=dashboard_service.waiting_orders(),
        low_stock=dashboard_service.low_stock_products(),
        failed_messages=dashboard_service.failed_messages(),
        health=shop_health.describe_health(),
        chart=dashboard_service.revenue_chart(days),
        unconfirmed=cod_risk.unconfirmed_orders(),
        searched_for=top_searches(),
        # The stock pages come with the catalogue; link them once they exist.
        stock_url=url_for("admin.list_products")
        if "admin.list_products" in current_app.view_functions else None,
    )


@bp.get("/orders/waiting")
def waiting_orders():
    """Polled every few seconds by the dashboard: one query (plus the sign-in check)."""
    return render_template("admin/_waiting_orders.html",
                           waiting=dashboard_service.waiting_orders())
