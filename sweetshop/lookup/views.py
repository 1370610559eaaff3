"""My orders (a phone proven by a one-time code) and Track an order (number plus phone).

A proven phone is a server-side lookup session (services/order_lookup.py); the signed
session cookie holds only its id. After VERIFIED_FOR, or "Sign out" (which ends it on the
server, so a copied cookie stops working too), the customer must prove it again. The phone
waiting for its code stays in the cookie: it shows nothing by itself.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    request,
    session,
    url_for,
)

from ..cart.views import _remember as remember_cart
from ..htmx import render_page_or_block, wants_fragment
from ..i18n import gettext as _
from ..models import utcnow
from ..rate_limits import client_network
from ..services import order_lookup, otp
from ..services.errors import DomainError
from ..web import CART_COOKIE
from .forms import CodeForm, PhoneForm, TrackForm

bp = Blueprint("lookup", __name__)

VERIFIED_KEY, PENDING_KEY = "lookup_sid", "lookup_pending"
VERIFIED_FOR = order_lookup.VERIFIED_FOR


@bp.after_request
def private(response):
    # Order details and one-time-code steps must never be kept by a shared cache or browser.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _client() -> str:
    return client_network()


def _session_phone(key: str, ttl: timedelta) -> str | None:
    data = session.get(key)
    try:
        phone, at = data["phone"], datetime.fromisoformat(data["at"])
    except (TypeError, KeyError, ValueError):
        session.pop(key, None)
        return None
    if not (timedelta(0) <= utcnow() - at < ttl):
        session.pop(key, None)
        return None
    return phone


def verified_phone() -> str | None:
    phone = order_lookup.phone_of_lookup_session(session.get(VERIFIED_KEY))
    if phone is None and VERIFIED_KEY in session:
        session.pop(VERIFIED_KEY)  # ended or expired: forget the id
    return phone


def _end_verified() -> None:
    order_lookup.end_lookup_session(session.pop(VERIFIED_KEY, None))


def pending_phone() -> str | None:
    return _session_phone(PENDING_KEY, otp.CODE_TTL)


def _remember_phone(key: str, phone: str) -> None:
    session[key] = {"phone": phone, "at": utcnow().isoformat(timespec="seconds")}


def _render(step: str | None = None, status: int = 200, **context):
    """The My orders page (or its #lookup fragment) at the step the session is at."""
    phone, pending = verified_phone(), pending_phone()
    step = step or ("orders" if phone else "code" if pending else "phone")
    if step == "orders":
        context.setdefault("orders", order_lookup.orders_for_phone(phone))
    context.setdefault("phone_form", PhoneForm(formdata=None))
    context.setdefault("code_form", CodeForm(formdata=None))
    return render_page_or_block("lookup/my_orders.html", "lookup_body", status=status,
                                step=step, phone=phone, pending=pending,
                                **context)


def _done(step: str):
    """After a change: 303 to the page without htmx, the new step's fragment with it."""
    if not wants_fragment():
        return redirect(url_for("lookup.my_orders"), 303)
    return _render(step)


@bp.get("/my-orders")
def my_orders():
    return _render()


@bp.post("/my-orders/code")
def send_code():
    form = PhoneForm()
    if not form.validate():
        return _render("phone", 422, phone_form=form)
    try:
        otp.request_code(form.phone.e164, _client())
    except DomainError as error:
        form.phone.errors = [error.message]
        return _render("phone", error.status_code, phone_form=form)
    _end_verified()
    _remember_phone(PENDING_KEY, form.phone.e164)
    return _done("code")


@bp.post("/my-orders/verify")
def verify_code():
    phone = pending_phone()
    form = CodeForm()
    if phone is None:
        phone_form = PhoneForm(formdata=None)
        phone_form.phone.errors = [_("Your code has expired. Please ask for a new one.")]
        return _render("phone", 422, phone_form=phone_form)
    if not form.validate():
        return _render("code", 422, code_form=form)
    try:
        otp.verify_code(phone, form.code.data, _client())
    except DomainError as error:
        form.code.errors = [error.message]
        return _render("code", error.status_code, code_form=form)
    session.pop(PENDING_KEY, None)
    _end_verified()
    session[VERIFIED_KEY] = order_lookup.start_lookup_session(phone)
    return _done("orders")


@bp.post("/my-orders/sign-out")
def sign_out():
    _end_verified()
    session.pop(PENDING_KEY, None)
    return _done("phone")


def render_refused_code_request(refusal: str):
    """The phone step again, number kept, when a rate limit refused "Send code"."""
    form = PhoneForm()
    form.phone.errors = [refusal]
    return _render("phone", 429, phone_form=form)


def render_refused_code(refusal: str):
    """The code step again when a rate limit refused "Verify"."""
    form = CodeForm()
    form.code.errors = [refusal]
    return _render("code" if pending_phone() else "phone", 429, code_form=form)


def render_refused_tracking(refusal: str):
    """Track an order again, number and phone kept, when a rate limit refused it."""
    return render_page_or_block("lookup/track.html", "track_form", status=429,
                                form=TrackForm(), error=refusal)


@bp.post("/my-orders/<id:number>/reorder")
def reorder(number: int):
    phone = verified_phone()
    if phone is None:
        flash(_("Your 30 minutes are over. Please confirm your number again to reorder."), "info")
        return redirect(url_for("lookup.my_orders"), 303)
    result = order_lookup.reorder(request.cookies.get(CART_COOKIE), number, phone)
    if result.added:
        flash(_("Added to your cart at today's prices: ") + "; ".join(result.added) + ".",
              "success")
    if result.missing:
        flash(_("Could not add everything: ") + "; ".join(result.missing) + ".", "error")
    if not result.added:
        return redirect(url_for("lookup.my_orders", _anchor=f"order-{number}"), 303)
    # Straight to a checkout filled in with the verified customer's details (the cart page
    # when something needs their eye first: a pack missing, a stock problem).
    from ..services import cart as cart_service
    ready = not result.missing and cart_service.view_cart(result.cart_token).can_checkout
    response = redirect(url_for("checkout.show_checkout" if ready else "cart.show_cart"), 303)
    return remember_cart(response, result.cart_token)


@bp.get("/track")
def track_order():
    return render_page_or_block("lookup/track.html", "track_form", form=TrackForm(formdata=None))


@bp.post("/track")
def find_order():
    form = TrackForm()
    if not form.validate():
        return render_page_or_block("lookup/track.html", "track_form", status=422, form=form)
    try:
        order = order_lookup.find_order_by_number_and_phone(form.number.data, form.phone.e164,
                                                            _client())
    except DomainError as error:
        return render_page_or_block("lookup/track.html", "track_form", status=error.status_code,
                                    form=form, error=error.message)
    target = url_for("orders.show_order", token=order.public_token)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)
