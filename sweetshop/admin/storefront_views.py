"""Settings that shape the storefront: the logo and the policy pages (issue 13)."""
from flask import abort, flash, redirect, render_template, request, url_for

from ..i18n import gettext as _
from ..services import catalog_admin, shop_profile
from ..services import shop as shop_service
from ..services.errors import DomainError
from . import actor, bp
from .forms import PolicyForm


@bp.post("/settings/logo")
def upload_logo():
    from .settings_views import _form_from

    if request.form.get("remove"):
        shop_profile.remove_logo()
        flash(_("Logo removed."), "success")
        return redirect(url_for("admin.edit_settings"), 303)
    upload = request.files.get("logo")
    data = upload.read(5 * 1024 * 1024 + 1) if upload else b""
    error = None if data else _("Please choose a picture.")
    if data:
        try:  # the same checks as product photos: type by content, size, pixels, metadata
            shop_profile.set_logo(catalog_admin.check_photo(data))
        except DomainError as refused:
            error = refused.message.replace("photo", "picture")
    if error:
        return render_template("admin/settings.html",
                               form=_form_from(shop_service.get_settings()),
                               logo_error=error), 422
    flash(_("Logo saved."), "success")
    return redirect(url_for("admin.edit_settings"), 303)


@bp.route("/settings/pages/<slug>", methods=["GET", "POST"])
def edit_policy(slug: str):
    if slug not in shop_profile.POLICIES:
        abort(404)
    form = PolicyForm()
    if request.method == "GET":
        form.body.data = shop_profile.policy_text(slug)
    elif form.validate():
        try:
            shop_profile.save_policy(slug, form.body.data, actor())
        except DomainError as error:
            form.body.errors = [error.message]
        else:
            flash(_("%(title)s saved.", title=shop_profile.policy_title(slug)), "success")
            return redirect(url_for("admin.edit_policy", slug=slug), 303)
    status = 422 if form.errors else 200
    return render_template("admin/policy.html", form=form, slug=slug,
                           title=shop_profile.policy_title(slug)), status
