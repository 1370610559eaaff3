"""The owner's customer-data pages: "Delete customer data" for a phone number, and its log."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..admin import actor, require_owner
from ..i18n import gettext as _
from ..services import customer_data
from ..services.errors import InvalidInput

bp = Blueprint("customers", __name__, url_prefix="/admin/customers")
bp.before_request(require_owner)


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/erase")
def show_erase():
    return render_template("customers/erase.html", erasures=customer_data.recent_erasures(),
                           phone="", error=None)


@bp.post("/erase")
def erase_customer():
    phone = request.form.get("phone", "")[:32]
    if request.form.get("confirm") != "yes":
        return render_template("customers/erase.html", erasures=customer_data.recent_erasures(),
                               phone=phone, error=_("Please tick the box to confirm.")), 422
    try:
        result = customer_data.erase_customer_data(phone, actor())
    except InvalidInput as error:
        return render_template("customers/erase.html", erasures=customer_data.recent_erasures(),
                               phone=phone, error=error.message), 422
    flash(_("Erased: the number ending %(hint)s, from %(n)d orders.", hint=result.hint,
            n=result.orders), "success")
    return redirect(url_for("customers.show_erase"), 303)
