"""The cart: add packs, change quantities, see totals and stock problems."""
from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from ..htmx import is_htmx, render_page_or_block, wants_fragment
from ..i18n import gettext as _
from ..i18n import localized
from ..safe_redirect import safe_next_path
from ..services import cart as cart_service
from ..services.errors import DomainError, OutOfStock
from ..web import CART_COOKIE

bp = Blueprint("cart", __name__, url_prefix="/cart")


def _token() -> str | None:
    return request.cookies.get(CART_COOKIE)


def _remember(response, token: str):
    days = current_app.config["CART_DAYS"]
    response.set_cookie(CART_COOKIE, token, max_age=days * 86400, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.get("")
def show_cart():
    from ..checkout.views import _recent_order_token

    view = cart_service.view_cart(_token())
    return render_page_or_block("cart/cart.html", "cart_body", cart=view,
                                recent_order=_recent_order_token() if view.is_empty else None)


def _from_card() -> bool:
    """The request came from a product card's Add button or stepper (home, category)."""
    return request.form.get("return_to") == "card"


def _back_to(default: str) -> str:
    return safe_next_path(request.form.get("next"), default)


def _card_response(token: str | None, variant_id: int, status: int = 200, error: str = ""):
    """A card's buy area (Add, or − n +) for htmx, with the header badge and the sticky
    cart bar updated out of band."""
    quantities = cart_service.quantities_in_cart(token)
    variant = cart_service.sellable_or_none(variant_id)
    count, subtotal = cart_service.cart_summary(token)
    body = render_template("cart/_card_buy_response.html", variant=variant,
                           variant_id=variant_id, quantity=quantities.get(variant_id, 0),
                           error=error, count=count, subtotal=subtotal,
                           next=request.form.get("next") or "")
    return make_response(body, status)


@bp.post("/add")
def add_item():
    token = _token()
    try:
        token, variant = cart_service.add_to_cart(
            token, request.form.get("variant_id"), request.form.get("quantity", 1))
    except DomainError as error:
        # Refused (sold out, more than is left): said where the customer tapped, the page kept.
        variant_id = cart_service.parse_variant_id_or_none(request.form.get("variant_id"))
        if is_htmx() and _from_card() and variant_id:
            return _card_response(token, variant_id, error.status_code, error.message)
        if is_htmx():
            return make_response(render_template("cart/_added.html", error=error.message),
                                 error.status_code)
        variant = cart_service.sellable_or_none(variant_id) if variant_id else None
        if variant is None or not isinstance(error, OutOfStock):
            raise  # bad input: the readable 4xx page
        flash(error.message, "error")
        return redirect(_back_to(url_for("storefront.show_product", slug=variant.product.slug,
                                         variant_id=variant.id)), 303)
    message = _("Added %(pack)s %(name)s to your cart.", pack=localized(variant),
                name=localized(variant.product))
    if is_htmx() and _from_card():
        response = _card_response(token, variant.id)
    elif is_htmx():
        count, subtotal = cart_service.cart_summary(token)
        response = make_response(render_template("cart/_added.html", message=message,
                                                  count=count, subtotal=subtotal,
                                                  variant=variant))
    else:
        flash(message, "success")
        response = redirect(_back_to(
            url_for("storefront.show_product", slug=variant.product.slug, variant_id=variant.id)),
            303)
    return _remember(response, token)


@bp.post("/update")
def update_item():
    token = _token()
    try:
        cart_service.set_line_quantity(token, request.form.get("variant_id"),
                                       request.form.get("quantity"))
    except DomainError as error:
        variant_id = cart_service.parse_variant_id_or_none(request.form.get("variant_id"))
        if is_htmx() and _from_card() and variant_id:
            return _card_response(token, variant_id, error.status_code, error.message)
        if not is_htmx():
            raise
        view = cart_service.view_cart(token)
        return render_page_or_block("cart/cart.html", "cart_body", status=error.status_code,
                                    cart=view, error=error.message)
    if is_htmx() and _from_card():
        return _card_response(token, cart_service.parse_variant_id_or_none(
            request.form.get("variant_id")))
    if not wants_fragment():
        return redirect(_back_to(url_for("cart.show_cart")) if _from_card()
                        else url_for("cart.show_cart"), 303)
    view = cart_service.view_cart(token)
    return render_page_or_block("cart/cart.html", "cart_body", cart=view, oob_count=True)
