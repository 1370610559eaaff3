"""The shop's settings: name, phone, open or closed, delivery charges and area, COD limit."""
from flask import flash, redirect, render_template, url_for

from ..i18n import gettext as _
from ..phones import display_phone
from ..services import shop as shop_service
from ..services import shop_profile
from ..services.errors import DomainError
from . import actor, bp
from .forms import SettingsForm


def _form_from(settings) -> SettingsForm:
    form = SettingsForm(formdata=None, obj=settings)
    form.is_open.data = "open" if settings.is_open else "closed"
    form.owner_phones.data = "\n".join(display_phone(p) for p in settings.owner_phone_list)
    form.whatsapp_number.data = display_phone(settings.whatsapp_number) \
        if settings.whatsapp_number else ""
    return form


@bp.get("/settings")
def edit_settings():
    return render_template("admin/settings.html", form=_form_from(shop_service.get_settings()))


@bp.post("/settings")
def update_settings():
    form = SettingsForm()
    if not form.validate():
        return render_template("admin/settings.html", form=form), 422
    profile = dict(address=form.address.data or "", fssai_number=form.fssai_number.data or "",
                   whatsapp_number=form.whatsapp_number.data or "",
                   theme_color=form.theme_color.data or shop_profile.DEFAULT_THEME,
                   tagline=form.tagline.data or "")
    try:
        shop_profile.check_profile(**profile)  # before anything is saved
        shop_service.update_settings(
            name=form.name.data, phone=form.phone.data, is_open=form.is_open.data == "open",
            delivery_fee_paise=form.delivery_fee_paise.data,
            free_delivery_above_paise=form.free_delivery_above_paise.data,
            min_order_paise=form.min_order_paise.data,
            serviceable_pincodes=form.serviceable_pincodes.data or "",
            owner_phones=form.owner_phones.data or "", actor=actor(),
        )
        shop_profile.update_profile(**profile)
    except DomainError as error:
        target = getattr(form, error.field, None) if error.field else None
        if target is None:
            raise
        target.errors = [error.message]
        return render_template("admin/settings.html", form=form), 422
    flash(_("Settings saved."), "success")
    return redirect(url_for("admin.edit_settings"), 303)
