"""Sign in and sign out."""
from flask import g, redirect, render_template, request, session, url_for

from ..services import admin_auth
from ..services.errors import DomainError
from . import SESSION_KEY, bp
from .forms import LoginForm


def _safe_next(target: str | None) -> str:
    # Only paths inside the admin, so the sign-in page cannot be used to redirect elsewhere;
    # no CR/LF or other control characters, which must never reach the Location header.
    if target and target.startswith("/admin/") and not target.startswith("//") \
            and target.isprintable():
        return target
    return url_for("admin.dashboard")


@bp.get("/login")
def login():
    if g.admin is not None:
        return redirect(url_for("admin.dashboard"), 303)
    form = LoginForm(next=request.args.get("next", ""))
    return render_template("admin/login.html", form=form)


@bp.post("/login")
def do_login():
    form = LoginForm()
    if not form.validate():
        return render_template("admin/login.html", form=form), 422
    try:
        new = admin_auth.sign_in(form.email.data, form.password.data,
                                 address=request.remote_addr or "unknown",
                                 user_agent=request.headers.get("User-Agent", ""))
    except DomainError as error:
        return render_template("admin/login.html", form=form, error=error.message), \
            error.status_code
    # A fresh cookie session at sign-in, so a session id planted before cannot be reused.
    session.clear()
    session[SESSION_KEY] = new.id
    session.permanent = True  # the owner stays signed in on the shop phone (server idles it out)
    return redirect(_safe_next(form.next.data), 303)


@bp.post("/logout")
def logout():
    admin_auth.sign_out(session.get(SESSION_KEY))
    session.clear()
    return redirect(url_for("admin.login"), 303)
