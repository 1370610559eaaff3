"""The owner's admin pages. Every URL here requires a signed-in owner (see require_owner)."""
from flask import Blueprint, g, redirect, request, session, url_for

from ..htmx import is_htmx

bp = Blueprint("admin", __name__, url_prefix="/admin")

SESSION_KEY = "admin_sid"
PUBLIC_ENDPOINTS = {"admin.login", "admin.do_login"}


@bp.before_request
def require_owner():
    from ..services.admin_auth import current_admin

    g.admin = current_admin(session.get(SESSION_KEY))
    if g.admin is None and request.endpoint not in PUBLIC_ENDPOINTS:
        session.pop(SESSION_KEY, None)
        target = url_for("admin.login", next=request.full_path if request.method == "GET" else None)
        if is_htmx():
            # A full navigation to the sign-in page, not a login form inside a fragment.
            return "", 401, {"HX-Redirect": target}
        return redirect(target, 303)


@bp.after_request
def no_store(response):
    # Admin pages hold customers' names and addresses: never keep them in shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response


def actor() -> str:
    """Who made a change, for the ledger and the order history."""
    return g.admin.email if getattr(g, "admin", None) else "system"


# The admin's views register their routes on `bp`, so they are imported after it exists.
from . import (  # noqa: E402,F401
    auth_views,
    catalog_views,
    dashboard_views,
    message_views,
    order_views,
    payment_views,
    settings_views,
    storefront_views,
)
