"""Owner alerts: the installable admin (manifest, service worker, offline page), the
devices that get Web Push, the escalation settings and the push's Accept."""
from flask import Blueprint, g, jsonify, request

from ..extensions import csrf

bp = Blueprint("alerts", __name__, url_prefix="/admin")

# What a browser fetches without (or before) a session: the manifest is fetched without
# credentials, the service worker and offline page must load on the sign-in page too.
PUBLIC_ENDPOINTS = {"alerts.manifest", "alerts.service_worker", "alerts.offline"}


@bp.before_request
def require_owner():
    from ..admin import require_owner as admin_check

    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if request.endpoint == "alerts.accept_from_push":
        # Called by the service worker, not a page: say it in JSON, it opens the order.
        from flask import session

        from ..admin import SESSION_KEY
        from ..services.admin_auth import current_admin

        g.admin = current_admin(session.get(SESSION_KEY))
        if g.admin is None:
            return jsonify(ok=False, message="Please sign in to accept."), 401
        return None
    return admin_check()


@bp.after_request
def no_store(response):
    if request.endpoint not in ("alerts.manifest",):
        response.headers["Cache-Control"] = "no-store"
    return response


from . import views  # noqa: E402,F401

csrf.exempt(views.accept_from_push)  # its signed, per-user token stands in for CSRF
