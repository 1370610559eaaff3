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
from ..services import cart as cart_service
from ..services.errors import DomainError
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
    view = cart_service.view_cart(_token())
    return render_page_or_block("cart/cart.html", "cart_body", cart=view)


@bp.post("/add")
def add_item():
    token, variant = cart_service.add_to_cart(
        _token(), request.form.get("variant_id"), request.form.get("quantity", 1)
    )
    message = _("Added %(pack)s %(name)s to your cart.", pack=localized(variant),
                name=localized(variant.product))
    if is_htmx():
        count = cart_service.cart_count(token)
        response = make_response(render_template("cart/_added.html", message=message,
                                                  count=count, variant=variant))
    else:
        flash(message, "success")
        response = redirect(
            url_for("storefront.show_product", slug=variant.product.slug, variant_id=variant.id),
            303)
    return _remember(response, token)


@bp.post("/update")
def update_item():
    token = _token()
    try:
        cart_service.set_line_quantity(token, request.form.get("variant_id"),
                                       request.form.get("quantity"))
    except DomainError as error:
        if not is_htmx():
            raise
        view = cart_service.view_cart(token)
        return render_page_or_block("cart/cart.html", "cart_body", status=error.status_code,
                                    cart=view, error=error.message)
    if not wants_fragment():
        return redirect(url_for("cart.show_cart"), 303)
    view = cart_service.view_cart(token)
    return render_page_or_block("cart/cart.html", "cart_body", cart=view, oob_count=True)
