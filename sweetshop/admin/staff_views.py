"""The owner's staff page, and the one-time set-up link a new member of staff opens."""
from flask import abort, flash, redirect, render_template, session, url_for

from ..i18n import gettext as _
from ..services import staff as staff_service
from ..services.errors import DomainError
from . import actor, bp
from .staff_forms import RoleForm, SetupPasswordForm, StaffForm

NEW_LINK_KEY = "staff_new_link"  # shown once on the staff page after it was made


def _link_url(token: str) -> str:
    return url_for("admin.setup_password", token=token, _external=True)


def _render(form=None, status=200):
    new_link = session.pop(NEW_LINK_KEY, None)
    return render_template("admin/staff/list.html", staff=staff_service.list_staff(),
                           form=form or StaffForm(formdata=None), role_form=RoleForm,
                           new_link=new_link), status


@bp.get("/staff")
def list_staff():
    return _render()


def _show_link_once(user, token: str) -> None:
    session[NEW_LINK_KEY] = {"name": user.display_name, "url": _link_url(token),
                             "phone": (user.phone or "").lstrip("+")}


@bp.post("/staff")
def add_staff():
    form = StaffForm()
    if not form.validate():
        return _render(form, 422)
    try:
        user, token = staff_service.add_staff(name=form.name.data, phone=form.phone.data,
                                              email=form.email.data, role=form.role.data,
                                              actor=actor())
    except DomainError as error:
        field = getattr(form, error.field or "", None)
        if field is None:
            raise
        field.errors = [error.message]
        return _render(form, 422)
    _show_link_once(user, token)
    flash(_("%(name)s is added. Send them the set-up link below.", name=user.display_name),
          "success")
    return redirect(url_for("admin.list_staff"), 303)


@bp.post("/staff/<id:user_id>/link")
def new_staff_link(user_id: int):
    token = staff_service.new_setup_link(user_id, actor())
    _show_link_once(staff_service.get_staff(user_id), token)
    return redirect(url_for("admin.list_staff"), 303)


@bp.post("/staff/<id:user_id>/<any(deactivate, reactivate):change>")
def set_staff_active(user_id: int, change: str):
    try:
        user = staff_service.set_active(user_id, change == "reactivate", actor())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.list_staff"), 303)
    flash(_("%(name)s can no longer sign in; their sessions have ended.", name=user.display_name)
          if not user.active else _("%(name)s can sign in again.", name=user.display_name),
          "success")
    return redirect(url_for("admin.list_staff"), 303)


@bp.post("/staff/<id:user_id>/role")
def change_staff_role(user_id: int):
    form = RoleForm()
    if not form.validate():
        abort(400)
    try:
        user = staff_service.change_role(user_id, form.role.data, actor())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.list_staff"), 303)
    flash(_("%(name)s's role is changed.", name=user.display_name), "success")
    return redirect(url_for("admin.list_staff"), 303)


# --- the set-up link (public: the person is not signed in yet) ---------------------------

@bp.get("/setup/<token>")
def setup_password(token: str):
    user = staff_service.link_owner(token)
    response = render_template("admin/staff/setup.html", user=user, form=SetupPasswordForm(),
                               token=token), 200 if user else 410
    return response


@bp.post("/setup/<token>")
def do_setup_password(token: str):
    form = SetupPasswordForm()
    user = staff_service.link_owner(token)
    if not form.validate():
        return render_template("admin/staff/setup.html", user=user, form=form,
                               token=token), 422
    try:
        user = staff_service.set_password_from_link(token, form.password.data)
    except DomainError as error:
        if error.field == "password":
            form.password.errors = [error.message]
            return render_template("admin/staff/setup.html", user=user, form=form,
                                   token=token), 422
        return render_template("admin/staff/setup.html", user=None, form=form,
                               token=token), 410
    flash(_("Your password is set. Please sign in with your mobile number and it."), "success")
    return redirect(url_for("admin.login"), 303)
