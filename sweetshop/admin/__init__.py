"""The staff's admin pages. Every URL here requires a signed-in member of staff whose role
the permission table (sweetshop/permissions.py) allows for that endpoint (see require_owner)."""
from flask import Blueprint, g, redirect, render_template, request, session, url_for

from ..htmx import is_htmx
from ..i18n import gettext as _

bp = Blueprint("admin", __name__, url_prefix="/admin")

SESSION_KEY = "admin_sid"
# Reached without signing in: the sign-in page, the one-time set-up link, and the admin's
# app files (sweetshop/alerts/): the manifest is fetched without credentials, the service
# worker and its offline page hold nothing private.
PUBLIC_ENDPOINTS = {"admin.login", "admin.do_login", "admin.setup_password",
                    "admin.do_setup_password", "alerts.manifest", "alerts.service_worker",
                    "alerts.offline"}


class Actor(str):
    """Who made a change: their name (what the existing string columns store), plus their
    staff id and role for the audit trail. A plain str ("system", "customer") is also fine."""
    staff_id: int | None = None
    role: str | None = None

    def __new__(cls, name: str, staff_id: int | None = None, role: str | None = None):
        self = super().__new__(cls, name[:120])
        self.staff_id, self.role = staff_id, role
        return self


def check_signed_in_staff():
    """The before_request check shared by every staff blueprint: signed in (else the sign-in
    page), and the role may use this endpoint (else 403; for htmx 401 + HX-Redirect)."""
    from ..permissions import HOME, allowed
    from ..services.admin_auth import current_admin

    g.admin = current_admin(session.get(SESSION_KEY))
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.admin is None:
        session.pop(SESSION_KEY, None)
        target = url_for("admin.login", next=request.full_path if request.method == "GET" else None)
        if is_htmx():
            # A full navigation to the sign-in page, not a login form inside a fragment.
            return "", 401, {"HX-Redirect": target}
        return redirect(target, 303)
    if not allowed(g.admin.role, request.endpoint):
        home = url_for(HOME.get(g.admin.role, "admin.logout"))
        if is_htmx():
            return "", 401, {"HX-Redirect": home}
        return render_template("admin/forbidden.html", home=home,
                               message=_("Your role cannot open this page or make this change. "
                                         "Nothing was changed.")), 403
    return None


# Other blueprints reuse this name (HELPERS.md): it checks the permission table now.
require_owner = check_signed_in_staff
bp.before_request(check_signed_in_staff)


@bp.after_request
def no_store(response):
    # Admin pages hold customers' names and addresses: never keep them in shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response


def actor() -> Actor | str:
    """Who is making a change, for the ledger, the order history and the audit trail."""
    admin = getattr(g, "admin", None)
    if admin is None:
        return "system"
    return Actor(admin.display_name, admin.id, admin.role)


# The admin's views register their routes on `bp`, so they are imported after it exists.
from . import (  # noqa: E402,F401
    audit_views,
    auth_views,
    cash_views,
    catalog_views,
    cod_views,
    dashboard_views,
    message_views,
    order_views,
    payment_views,
    settings_views,
    staff_views,
    storefront_views,
)
