"""Invoices: the owner's pages under /admin (tax settings, the month's invoices and the
accountant's export) and the customer's signed links to an invoice or credit note."""
from flask import Blueprint

# The owner's pages: every URL requires a signed-in owner (admin.require_owner).
bp = Blueprint("invoices", __name__, url_prefix="/admin")
# The customer's documents, at signed links (services.invoices.invoice_token).
public_bp = Blueprint("invoice_links", __name__, url_prefix="/invoices")


@bp.before_request
def require_owner():
    from ..admin import require_owner as admin_required

    return admin_required()


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


from . import views  # noqa: E402,F401
