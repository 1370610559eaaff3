"""Checkout: the customer's details, then placing the order."""
from flask import Blueprint, current_app, flash, redirect, request, session, url_for

from ..htmx import render_page_or_block, wants_fragment
from ..i18n import current_language
from ..i18n import gettext as _
from ..models import OrderStatus, PaymentMethod, utcnow
from ..orders.views import thank_on_next_visit
from ..phones import display_phone
from ..services import cart as cart_service
from ..services import checkout as checkout_service
from ..services import payments as payments_service
from ..services import returning
from ..services import slots as slots_service
from ..services.errors import DomainError, PricesChanged
from ..services.shop import get_settings
from ..web import CART_COOKIE
from .forms import CheckoutForm

bp = Blueprint("checkout", __name__, url_prefix="/checkout")


def _when(form, view):
    """The "how and when" part of the page: the choices the settings allow, the calendar
    of the chosen kind, and which day's slots to show (the chosen slot's, else the day
    asked for, else the first day with a free slot)."""
    settings = get_settings()
    kinds = [k for k, on in (("delivery", settings.delivery_enabled),
                             ("pickup", settings.pickup_enabled)) if on] or ["delivery"]
    form.fulfilment.choices = [(k, label) for k, label in form.fulfilment.choices if k in kinds]
    if form.fulfilment.data not in kinds:
        form.fulfilment.data = kinds[0]
    cal = slots_service.calendar(settings, form.fulfilment.data, view.lines)
    chosen = form.slot.data or ""
    day = cal.day(chosen[:10]) or cal.day(form.day.data) or cal.first_open_day() or (
        cal.days[0] if cal.days else None)
    if not chosen and cal.asap_available:
        chosen = slots_service.ASAP
    form.day.data = day.value if day else ""
    return {"cal": cal, "shown_day": day, "chosen_slot": chosen, "shop_address": settings.address}
LAST_ORDER_KEY = "last_order"
LAST_ORDER_FOR = 6 * 3600  # seconds: Back from the order page leads to it for this long


def _known_phone() -> str | None:
    """The customer's phone if this browser remembers them (opt-in cookie) or they proved
    it in My orders in the last 30 minutes; else None."""
    phone = returning.remembered_phone(request.cookies.get(returning.COOKIE))
    if phone is None:
        from ..lookup.views import verified_phone
        phone = verified_phone()
    return phone


def _prefill() -> returning.Prefill | None:
    phone = _known_phone()
    return returning.details_for(phone) if phone else None


def _render(form, view, status=200, error=None, **context):
    context.setdefault("prefill", _prefill())
    context.setdefault("remembered", returning.remembered_phone(
        request.cookies.get(returning.COOKIE)) is not None)
    return render_page_or_block("checkout/checkout.html", "checkout_form", status=status,
                                form=form, cart=view, error=error, **_when(form, view),
                                **context)


@bp.get("/times")
def show_times():
    """The "when" part for the fulfilment and day chosen: htmx swaps it in as the customer
    picks; a full request (no JavaScript) gets the checkout page with that day open."""
    view = cart_service.view_cart(request.cookies.get(CART_COOKIE))
    if not wants_fragment():
        return redirect(url_for("checkout.show_checkout", day=request.args.get("day", "")[:10],
                                fulfilment=request.args.get("fulfilment", "")[:8]), 303)
    form = CheckoutForm(formdata=request.args, meta={"csrf": False},
                        online_payment=checkout_service.online_payment_enabled())
    form.slot.data = ""  # a new day or kind: its own first choice
    return render_page_or_block("checkout/checkout.html", "checkout_when", form=form,
                                cart=view, **_when(form, view))


def _recent_order_token() -> str | None:
    data = session.get(LAST_ORDER_KEY)
    try:
        if 0 <= utcnow().timestamp() - float(data["at"]) < LAST_ORDER_FOR:
            return str(data["token"])
    except (TypeError, KeyError, ValueError):
        pass
    return None


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
    if view.is_empty and (recent := _recent_order_token()):
        # Back from the order page after placing it: to the order, not an empty cart.
        return redirect(url_for("orders.show_order", token=recent), 303)
    if view.is_empty:
        flash(_("Your cart is empty. Add some sweets first."), "info")
        return redirect(url_for("cart.show_cart"), 303)
    if not view.can_checkout:
        flash(_("Please fix the items marked below before checking out."), "error")
        return redirect(url_for("cart.show_cart"), 303)
    form = CheckoutForm(online_payment=checkout_service.online_payment_enabled())
    form.fulfilment.data = request.args.get("fulfilment") or form.fulfilment.data
    form.day.data = request.args.get("day", "")[:10]
    form.idempotency_key.data = checkout_service.new_idempotency_key()
    form.basket.data = checkout_service.basket_digest(view)
    prefill = _prefill()
    if prefill is not None:
        form.name.data = prefill.name
        form.phone.data = display_phone(prefill.phone)
        form.address_choice.data = "0" if prefill.addresses else "new"
    from ..about.views import remembered_pincode
    form.pincode.data = remembered_pincode()
    return _render(form, view, prefill=prefill)


@bp.post("")
def place_order():
    token = request.cookies.get(CART_COOKIE)
    form = CheckoutForm(online_payment=checkout_service.online_payment_enabled())
    key = form.idempotency_key.data or ""
    # A repeated submit of an order already placed goes straight to it.
    if key and (existing := checkout_service.find_order_by_key(key[:64])):
        return _after_placing(existing)
    _use_saved_address(form)
    if request.form.get("show") == "times":  # "Show times" without JavaScript: no order
        form.slot.data = ""
        form.csrf_token.errors = []
        return _render(form, cart_service.view_cart(token), prefill=_prefill())
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
        buyer_gstin=getattr(form.buyer_gstin, "gstin", ""),
        buyer_business_name=(form.buyer_business_name.data or "") if form.buyer_gstin.data else "",
        fulfilment=form.fulfilment.data or "delivery", slot=form.slot.data or "",
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
    response = _after_placing(order)
    if form.remember.data and not returning.remembered_phone(
            request.cookies.get(returning.COOKIE)):
        _set_remember_cookie(response, returning.remember(order.phone))
    return response


def _use_saved_address(form) -> None:
    """A saved address chosen by number: its text and pincode come from the server (the
    customer's own orders), never from what the browser sent for it."""
    choice = (form.address_choice.data or "new").strip()
    if choice == "new" or not choice.isdigit():
        return
    prefill = _prefill()
    index = int(choice)
    if prefill is None or index >= len(prefill.addresses):
        form.address_choice.data = "new"  # stale: ask for the address
        return
    form.address.data, form.pincode.data = prefill.addresses[index]


def _set_remember_cookie(response, value: str) -> None:
    response.set_cookie(returning.COOKIE, value,
                        max_age=int(returning.REMEMBER_FOR.total_seconds()), httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])


@bp.post("/forget")
def forget_me():
    """"Not you? Forget me": this phone stops remembering the customer (server and cookie)."""

    returning.forget(request.cookies.get(returning.COOKIE))
    flash(_("Forgotten: this phone no longer fills in your details."), "info")
    response = redirect(url_for("checkout.show_checkout"), 303)
    response.delete_cookie(returning.COOKIE)
    return response


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
    session[LAST_ORDER_KEY] = {"token": order.public_token, "at": utcnow().timestamp()}
    if order.status is OrderStatus.AWAITING_PAYMENT:
        try:  # create the Razorpay order now; the payment page retries if this fails
            payments_service.start_online_payment(order.id)
        except DomainError:
            pass
        return redirect(url_for("payments.pay_order", token=order.public_token), 303)
    thank_on_next_visit(order.public_token)
    return redirect(url_for("orders.show_order", token=order.public_token), 303)
