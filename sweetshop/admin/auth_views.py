"""Sign in and sign out."""
from flask import current_app, g, redirect, render_template, request, session, url_for

from ..rate_limits import client_network
from ..safe_redirect import safe_next_path
from ..services import admin_auth
from ..services.errors import DomainError
from . import SESSION_KEY, bp
from .forms import LoginForm

# The signed known-device token (services/admin_auth.py): a device that signed in before
# is never locked out by other people's wrong passwords.
DEVICE_COOKIE = "admin_device"


def _safe_next(target: str | None) -> str:
    # Only paths inside the admin, so the sign-in page cannot be used to redirect elsewhere.
    return safe_next_path(target, url_for("admin.dashboard"), prefix="/admin/")


def _home(user) -> str:
    from ..permissions import HOME
    return url_for(HOME.get(user.role, "admin.dashboard"))


@bp.get("/login")
def login():
    if g.admin is not None:
        return redirect(_home(g.admin), 303)
    form = LoginForm(next=request.args.get("next", ""))
    return render_template("admin/login.html", form=form)


@bp.post("/login")
def do_login():
    form = LoginForm()
    if not form.validate():
        return render_template("admin/login.html", form=form), 422
    device_token = request.cookies.get(DEVICE_COOKIE)
    try:
        new = admin_auth.sign_in(form.email.data, form.password.data,
                                 address=client_network(),
                                 user_agent=request.headers.get("User-Agent", ""),
                                 device_token=device_token)
    except DomainError as error:
        headers = {"Retry-After": str(int(admin_auth.WINDOW.total_seconds()))} \
            if isinstance(error, admin_auth.SignInRefused) else {}
        return render_template("admin/login.html", form=form, error=error.message), \
            error.status_code, headers
    # A fresh cookie session at sign-in, so a session id planted before cannot be reused.
    session.clear()
    session[SESSION_KEY] = new.id
    session.permanent = True  # the owner stays signed in on the shop phone (server idles it out)
    # The delivery view is the delivery person's only page: they land there whatever `next`.
    user = new.user
    target = _safe_next(form.next.data) if user.role != "delivery" else _home(user)
    if user.role != "owner" and target == url_for("admin.dashboard"):
        target = _home(user)
    response = redirect(target, 303)
    response.set_cookie(
        DEVICE_COOKIE, admin_auth.issue_device_token(new.user_id, device_token),
        max_age=admin_auth.DEVICE_TOKEN_DAYS * 86400, path="/admin/", httponly=True,
        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def render_refused(refusal: str):
    """The sign-in form again (email kept) when a rate limit refused the POST."""
    form = LoginForm()
    form.password.data = ""
    return render_template("admin/login.html", form=form, refusal=refusal)


@bp.post("/logout")
def logout():
    admin_auth.sign_out(session.get(SESSION_KEY))
    session.clear()
    return redirect(url_for("admin.login"), 303)
