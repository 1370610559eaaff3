"""Cash-on-delivery risk, on one settings screen: the COD limit, first-order confirmation,
auto-cancel, refusals, the block list, the COD fee or prepaid discount, the shop's UPI id."""
from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional

from ..i18n import gettext as _
from ..services import cod_risk
from ..services.errors import DomainError
from ..services.shop import get_settings
from . import actor, bp
from .forms import RupeeField


class CodSettingsForm(FlaskForm):
    cod_max_paise = RupeeField(_("Cash on delivery up to (₹)"),
                               description=_("Larger orders cannot pay cash. 0: no limit."))
    cod_confirm_first = BooleanField(_("Confirm a customer's first cash order before it goes to "
                                       "the kitchen"))
    cod_autocancel_hours = IntegerField(
        _("Cancel an unconfirmed first order after (hours)"), default=0,
        validators=[Optional(), NumberRange(0, 168, _("Please give between 0 and 168 hours."))],
        description=_("0: never; it waits for the counter to call."))
    cod_max_refusals = IntegerField(
        _("Online payment only after this many refused deliveries"), default=2,
        validators=[Optional(), NumberRange(0, 50, _("Please give between 0 and 50."))],
        description=_("Per phone number. 0: never."))
    cod_fee_paise = RupeeField(_("Cash on delivery fee (₹)"), description=_("0: no fee."))
    prepaid_discount_paise = RupeeField(_("Discount for paying online (₹)"),
                                        description=_("0: no discount. A fee or a discount, "
                                                      "not both."))
    upi_vpa = StringField(_("Shop's UPI id"), validators=[Length(max=60)],
                          description=_("For the QR code shown at the door, e.g. "
                                        "mithaas@okhdfcbank."))


class BlockForm(FlaskForm):
    phone = StringField(_("Mobile number"), validators=[Length(max=32)])
    reason = StringField(_("Reason"), validators=[Length(max=200)])


class UnblockForm(FlaskForm):
    phone = StringField(validators=[Length(max=20)])


def _render(form=None, block_form=None, status=200):
    if form is None:
        form = CodSettingsForm(formdata=None, obj=get_settings())
    return render_template("admin/cod_settings.html", form=form,
                           block_form=block_form or BlockForm(formdata=None),
                           blocks=cod_risk.list_blocks(),
                           unconfirmed=cod_risk.unconfirmed_orders()), status


@bp.get("/settings/cod")
def edit_cod_settings():
    return _render()


@bp.post("/settings/cod")
def update_cod_settings():
    form = CodSettingsForm()
    if not form.validate():
        return _render(form, status=422)
    try:
        cod_risk.update_cod_settings(
            cod_max_paise=form.cod_max_paise.data, cod_confirm_first=form.cod_confirm_first.data,
            cod_autocancel_hours=form.cod_autocancel_hours.data or 0,
            cod_max_refusals=form.cod_max_refusals.data or 0,
            cod_fee_paise=form.cod_fee_paise.data,
            prepaid_discount_paise=form.prepaid_discount_paise.data,
            upi_vpa=form.upi_vpa.data or "", actor=actor())
    except DomainError as error:
        field = getattr(form, error.field or "", None)
        if field is None:
            raise
        field.errors = [error.message]
        return _render(form, status=422)
    flash(_("Cash on delivery settings saved."), "success")
    return redirect(url_for("admin.edit_cod_settings"), 303)


@bp.post("/settings/cod/blocks")
def add_cod_block():
    form = BlockForm()
    if not form.validate():
        return _render(block_form=form, status=422)
    try:
        cod_risk.block_phone(form.phone.data or "", form.reason.data or "", actor())
    except DomainError as error:
        getattr(form, error.field or "phone").errors = [error.message]
        return _render(block_form=form, status=422)
    flash(_("Blocked: that number can only pay online."), "success")
    return redirect(url_for("admin.edit_cod_settings"), 303)


@bp.post("/settings/cod/unblock")
def remove_cod_block():
    form = UnblockForm()
    try:
        cod_risk.unblock_phone(form.phone.data or "", actor())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Unblocked."), "success")
    return redirect(url_for("admin.edit_cod_settings"), 303)
