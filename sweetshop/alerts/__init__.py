"""Owner alerts: the installable admin (manifest, service worker, offline page), the
devices that get Web Push, the escalation settings and the push's Accept."""
from flask import Blueprint, request

from ..extensions import csrf

bp = Blueprint("alerts", __name__, url_prefix="/admin")


@bp.before_request
def require_owner():
    """Every page here needs a signed-in admin, as the admin's own (admin.require_owner),
    except what a browser fetches without a session (admin.PUBLIC_ENDPOINTS: the manifest
    is fetched without credentials; the service worker and offline page load on the
    sign-in page too). The push's Accept, posted by the service worker, is sent to sign in
    like a page; the worker then opens the order instead."""
    from ..admin import require_owner as admin_check

    return admin_check()


@bp.after_request
def no_store(response):
    if request.endpoint not in ("alerts.manifest",):
        response.headers["Cache-Control"] = "no-store"
    return response


from . import views  # noqa: E402,F401

csrf.exempt(views.accept_from_push)  # its signed, per-user token stands in for CSRF
