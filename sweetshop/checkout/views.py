"""Checkout: the customer's details, then placing the order."""
from flask import Blueprint, flash, redirect, request, url_for

from ..htmx import render_page_or_block
from ..i18n import current_language
from ..i18n import gettext as _
from ..models import OrderStatus, PaymentMethod
from ..orders.views import thank_on_next_visit
from ..services import cart as cart_service
from ..services import checkout as checkout_service
from ..services import payments as payments_service
from ..services.errors import DomainError, PricesChanged
from ..web import CART_COOKIE
from .forms import CheckoutForm

bp = Blueprint("checkout", __name__, url_prefix="/checkout")


def _render(form, view, status=200, error=None, **context):
    return render_page_or_block("checkout/checkout.html", "checkout_form", status=status,
                                form=form, cart=view, error=error, **context)


def render_refused(refusal: str):
    """The checkout again with what the customer typed, when a rate limit refused the submit
    (sweetshop.rate_limits sets 429 and Retry-After). The same idempotency key is kept, so
    the later submit cannot place the order twice."""
    form = CheckoutForm(online_payment=checkout_service.online_payment_enabled())
    return _render(form, cart_service.view_cart(request.cookies.get(CART_COOKIE)),
                   status=429, refusal=refusal)


@bp.get("")
def show_checkout():
    view = cart_service.view_cart(request.cookies.get(CART_COOKIE))
    if view.is_empty:
        flash(_("Your cart is empty. Add some sweets first."), "info")
        return redirect(url_for("cart.show_cart"), 303)
    if not view.can_checkout:
        flash(_("Please fix the items marked below before checking out."), "error")
        return redirect(url_for("cart.show_cart"), 303)
    form = CheckoutForm(online_payment=checkout_service.online_payment_enabled())
    form.idempotency_key.data = checkout_service.new_idempotency_key()
    form.basket.data = checkout_service.basket_digest(view)
    return _render(form, view)


@bp.post("")
def place_order():
    token = request.cookies.get(CART_COOKIE)
    form = CheckoutForm(online_payment=checkout_service.online_payment_enabled())
    key = form.idempotency_key.data or ""
    # A repeated submit of an order already placed goes straight to it.
    if key and (existing := checkout_service.find_order_by_key(key[:64])):
        return _after_placing(existing)
    if not form.validate():
        return _render(form, cart_service.view_cart(token), status=422)
    # No cart read before place_order: it loads the cart under its lock, and lines read
    # earlier in this session would be what it compares and orders.
    details = checkout_service.CustomerDetails(
        name=form.name.data, phone=form.phone.e164, address=form.address.data,
        pincode=form.pincode.data, note=form.note.data or "",
        payment_method=PaymentMethod(form.payment_method.data),
        notify_whatsapp=bool(form.notify_whatsapp.data),
        client_network=payments_service.hold_network(request.remote_addr),
        language=current_language(),
    )
    try:
        order = checkout_service.place_order(token, details, key,
                                             seen_basket=form.basket.data or "")
    except PricesChanged as error:
        return _show_changed_basket(form, token, error)
    except DomainError as error:
        field = getattr(form, error.field, None) if error.field else None
        if field is not None and field.name != "idempotency_key":
            field.errors = [error.message]
            return _render(form, cart_service.view_cart(token), status=422)
        return _render(form, cart_service.view_cart(token), status=error.status_code,
                       error=error.message)
    return _after_placing(order)


def _show_changed_basket(form, token, error):
    """The checkout again (422), the customer's fields kept, with the basket as it is now,
    what it was where the old form says, and a fresh digest so the next submit can order."""
    seen = form.basket.data
    view = cart_service.view_cart(token)
    form.basket.data = checkout_service.basket_digest(view)
    return _render(form, view, status=422, error=error.message, prices_changed=True,
                   seen_prices=checkout_service.seen_unit_prices(seen),
                   seen_total=checkout_service.seen_total(seen))


def _after_placing(order):
    """A cash order shows its confirmation; an online one goes to its payment page."""
    if order.status is OrderStatus.AWAITING_PAYMENT:
        try:  # create the Razorpay order now; the payment page retries if this fails
            payments_service.start_online_payment(order.id)
        except DomainError:
            pass
        return redirect(url_for("payments.pay_order", token=order.public_token), 303)
    thank_on_next_visit(order.public_token)
    return redirect(url_for("orders.show_order", token=order.public_token), 303)
