"""Wiring for the web side: blueprints, template filters, error pages, response headers."""
from __future__ import annotations

import logging

from flask import Flask, abort, current_app, g, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from .database import discard_session, outage_kind
from .extensions import db, redis_conn
from .formatting import format_local_time, format_number, format_quantity, format_rupees
from .htmx import is_htmx
from .i18n import (
    LANGUAGE_COOKIE,
    LANGUAGES,
    current_language,
    lazy_gettext,
    localized,
    normalize_language,
)
from .i18n import gettext as _
from .phones import display_phone
from .safe_redirect import safe_next_path
from .services.errors import DomainError

log = logging.getLogger(__name__)

CART_COOKIE = "cart"

# The admin menu: (endpoint, label). Admin feature modules add their entry here.
# The admin menu: (endpoint, label, words of the endpoints that belong to its section).
ADMIN_NAV = [
    ("admin.dashboard", lazy_gettext("Dashboard"), ("dashboard",)),
    ("admin.list_orders", lazy_gettext("Orders"), ("order", "refund", "message")),
    ("admin.list_products", lazy_gettext("Products"), ("product", "pack", "stock", "categor")),
    ("boxes_admin.list_box_types", lazy_gettext("Boxes"), ("box_type", "box_mix")),
    ("invoices.list_invoices", lazy_gettext("Invoices"), ("invoice", "tax")),
    ("kitchen.production_sheet", lazy_gettext("Kitchen"), ("production", "slips")),
    ("kitchen.list_windows", lazy_gettext("Pre-orders"), ("window",)),
    ("kitchen.edit_hours", lazy_gettext("Hours"), ("hours",)),
    ("admin.edit_settings", lazy_gettext("Settings"), ("edit_settings", "update_settings", "alerts", "policy", "logo")),
    ("admin.edit_cod_settings", lazy_gettext("Cash on delivery"), ("cod_settings", "cod_block")),
    ("admin.cash_report", lazy_gettext("Cash"), ("cash_",)),
    ("admin.list_staff", lazy_gettext("Staff"), ("staff",)),
    ("admin.audit_log", lazy_gettext("Audit"), ("audit",)),
    ("delivery.list_deliveries", lazy_gettext("Deliveries"), ("delivery.",)),
    ("customers.show_erase", lazy_gettext("Customers"), ("customer", "erase")),
]


def admin_section(endpoint: str | None) -> str | None:
    """The menu entry a page belongs to, so an order's page marks "Orders" as current."""
    for nav_endpoint, _label, words in ADMIN_NAV:
        if endpoint and any(word in endpoint for word in words):
            return nav_endpoint
    return None

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https://res.cloudinary.com",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def register_web(app: Flask) -> None:
    from .about.views import bp as about_bp
    from .admin import bp as admin_bp
    from .alerts import bp as alerts_bp
    from .boxes.admin_views import bp as boxes_admin_bp
    from .boxes.views import bp as boxes_bp
    from .cart.views import bp as cart_bp
    from .checkout.views import bp as checkout_bp
    from .customers.views import bp as customers_bp
    from .delivery.views import bp as delivery_bp
    from .invoices import bp as invoices_bp
    from .invoices import public_bp as invoice_links_bp
    from .kitchen import bp as kitchen_bp
    from .lookup.views import bp as lookup_bp
    from .orders.views import bp as orders_bp
    from .payments.views import bp as payments_bp
    from .search.views import bp as search_bp
    from .storefront.views import bp as storefront_bp
    from .webhooks.views import bp as webhooks_bp

    for bp in (storefront_bp, cart_bp, checkout_bp, orders_bp, payments_bp, lookup_bp, admin_bp,
               webhooks_bp, boxes_bp, boxes_admin_bp, invoices_bp, invoice_links_bp, kitchen_bp,
               delivery_bp, alerts_bp, about_bp, customers_bp, search_bp):
        app.register_blueprint(bp)
    from .storefront.context import register_storefront_context
    register_storefront_context(app)

    # `_()`, `ngettext()` and `{% trans %}` in every template, through the one gettext seam
    # (sweetshop/i18n.py), so new words are translatable the day they are written.
    from . import i18n
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(i18n.gettext, i18n.template_ngettext, newstyle=True)
    # Globals, not context: imported macros see them too.
    app.jinja_env.globals.update(languages=LANGUAGES, language=current_language,
                                 localized=localized)
    app.add_template_filter(format_rupees, "rupees")
    app.add_template_filter(format_quantity, "quantity")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_local_time, "local_time")
    app.add_template_filter(display_phone, "phone")
    from .services.slots import when_text
    app.add_template_filter(when_text, "when")  # "Delivery on Sat 31 Oct, 4–6 pm"
    app.add_url_rule("/health", "health", health)
    app.add_url_rule("/language/<code>", "set_language", set_language)
    # The trivial endpoint make bench measures the pages against (no database, no template).
    app.add_url_rule("/ping", "ping", lambda: ("ok", 200, {"Content-Type": "text/plain"}))

    from .integrations import cloudinary as photos
    photos.init_app(app)  # photo store, /media/<name>, the image_tag template global

    @app.context_processor
    def shop_context():
        from .services.cart import cart_count
        from .services.shop import get_settings

        # The layout must render without the database (the outage page uses it): a failed
        # read marks the database down for the rest of the request and falls back.
        def header_cart_count():
            if "cart_count" not in g:
                g.cart_count = database_read(
                    lambda: cart_count(request.cookies.get(CART_COOKIE)), fallback=lambda: 0)
            return g.cart_count

        def shop():
            if "shop" not in g:
                g.shop = database_read(lambda: remember_shop(get_settings()),
                                       fallback=last_known_shop)
            return g.shop

        # Entries whose pages are not registered (yet) are left out rather than breaking the
        # menu, and so are those the signed-in person's role may not open.
        from .permissions import allowed
        role = getattr(getattr(g, "admin", None), "role", None)
        admin_nav = [(e, label) for e, label, _words in ADMIN_NAV
                     if e in app.view_functions and allowed(role, e)]
        from .services.alerts import timeline as alert_timeline
        return {"cart_count": header_cart_count, "shop": shop, "admin_nav": admin_nav,
                "admin_section": admin_section, "alert_timeline": alert_timeline}

    @app.before_request
    def refuse_nul_characters():
        # PostgreSQL cannot store or compare text containing NUL, and no person types one:
        # refuse it up front with a 400 rather than fail later with a 500. Webhooks are left
        # to webhook_bodies, which must bound their size before anything reads them.
        if request.blueprint == "webhooks":
            return
        fields = (*request.args.listvalues(), *request.form.listvalues())
        if "\x00" in request.path or any("\x00" in v for vs in fields for v in vs):
            abort(400, description=_("That request contained characters we cannot read. "
                                     "Nothing was changed."))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Pages differ by the language cookie or, without it, by Accept-Language.
        if response.mimetype == "text/html":
            response.vary.update(("Cookie", "Accept-Language"))
        if app.config["ENV_NAME"] == "production":
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        return response

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        discard_session(db.session)
        return error_response(error.status_code, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(400, _("This page had expired, so nothing was changed. "
                                     "Please go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            404: _("We could not find that page."),
            405: _("That action is not possible here."),
            413: _("That upload is too large."),
            429: _("Too many requests from here just now. Please wait a minute and try again."),
        }
        return error_response(error.code or 500, messages.get(error.code, error.description))

    @app.errorhandler(Exception)
    def unexpected_error(error):
        discard_session(db.session)
        kind = outage_kind(error)
        if kind:
            return database_unavailable(kind, error)
        log.exception("Unhandled error on %s %s", request.method, request.endpoint)
        return error_response(500, _("Something went wrong on our side. Please try again."))


# Seconds a customer is asked to wait after the database could not serve them.
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE_MESSAGE = lazy_gettext("We cannot reach our order book for a moment. "
                                            "Nothing was lost; please try again in a few seconds.")


def database_unavailable(kind: str, error: BaseException):
    """The shop's own 503 page (or fragment) for an outage, rendered without the database."""
    g.database_down = kind
    log.warning("Database %s on %s %s: %s", kind, request.method, request.endpoint,
                (str(error).splitlines() or [error.__class__.__name__])[0])
    response, status = error_response(503, DATABASE_UNAVAILABLE_MESSAGE)
    return response, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def database_read(read, fallback):
    """read(), or fallback() if the database is down (then marked down for this request)."""
    if g.get("database_down"):
        return fallback()
    try:
        return read()
    except Exception as error:
        kind = outage_kind(error)
        if not kind:
            raise
        g.database_down = kind
        discard_session(db.session)
        return fallback()


def shop_facts(settings=None):
    """A copy of the settings row that is in no session, so reading it in a template never
    loads from the database (the row itself expires at every commit). Without a row: the
    columns' defaults."""
    from sqlalchemy import inspect

    from .models import ShopSettings

    values = {}
    for attribute in inspect(ShopSettings).column_attrs:
        if settings is not None:
            values[attribute.key] = getattr(settings, attribute.key)
        else:
            default = attribute.columns[0].default
            values[attribute.key] = default.arg if default is not None and default.is_scalar \
                else None
    return ShopSettings(**values)


_last_known_shop = None


def remember_shop(settings):
    """The layout's copy of the settings, kept per process for while the database is down."""
    global _last_known_shop
    _last_known_shop = shop_facts(settings)
    return _last_known_shop


def last_known_shop():
    return _last_known_shop if _last_known_shop is not None else shop_facts()


def error_response(status: int, message: str):
    if is_htmx():
        return render_template("_partials/_error.html", message=message, status=status), status
    return render_template("errors/error.html", message=message, status=status), status


LANGUAGE_COOKIE_DAYS = 365


def set_language(code: str):
    """The header's language switch: a plain link (works without JavaScript) that remembers
    the choice in a cookie and goes back to the page it was clicked on."""
    language = normalize_language(code)
    if language is None:
        abort(404)
    response = redirect(safe_next_path(request.args.get("next"), "/"), 303)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_DAYS * 86400,
                        samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    response.headers["Cache-Control"] = "no-store"
    return response


def health():
    """200 when PostgreSQL and Redis answer; 503 naming what is wrong (postgres: timeout,
    unreachable or busy; redis: the error), within about DB_ANSWER_TIMEOUT seconds."""
    state = {"postgres": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # health must answer whatever failed
        state["postgres"] = outage_kind(exc) or f"error: {exc.__class__.__name__}"
        discard_session(db.session)
    try:
        redis_conn.client().ping()
    except Exception as exc:
        state["redis"] = f"error: {exc.__class__.__name__}"
    ok = all(v == "ok" for v in state.values())
    return jsonify(status="ok" if ok else "degraded", **state), 200 if ok else 503
