"""The kitchen's admin pages (issue 11): hours and slots, pre-order windows, the production
sheet and packing slips. Every URL requires a signed-in admin (the admin's require_owner)."""
from flask import Blueprint

bp = Blueprint("kitchen", __name__, url_prefix="/admin")


@bp.before_request
def require_owner():
    from ..admin import require_owner as admin_check

    return admin_check()


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


from . import views  # noqa: E402,F401
