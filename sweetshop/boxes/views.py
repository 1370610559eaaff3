"""The customer's side of assorted boxes: the builder page, adding a box, box lines in the cart.

GET /b/<slug> renders the builder (or, for htmx, just its status: how full, the price, what
is missing); POST /b/<slug> is the same page for the "Update box" button without JavaScript.
"""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for

from ..htmx import is_htmx, render_page_or_block, wants_fragment
from ..i18n import gettext as _
from ..services import boxes as box_service
from ..services import cart as cart_service
from ..services.errors import DomainError, NotFound
from ..web import CART_COOKIE

bp = Blueprint("boxes", __name__)

BUILDER = "boxes/builder.html"


@bp.app_template_global("storefront_boxes")
def storefront_boxes():
    """Box types on sale, for the storefront's cards (they look like products)."""
    return box_service.list_storefront_boxes()


@bp.app_template_global("box_type_fillable")
def box_type_fillable(box_type) -> bool:
    return box_service.can_be_filled(box_type)


def _token() -> str | None:
    return request.cookies.get(CART_COOKIE)


def _builder(box_type, values, status: int = 200, error: str | None = None):
    try:
        parts = box_service.parse_parts(values)
    except DomainError as problem:
        parts, error = {}, problem.message
        status = 422
    if not parts and values.get("mix"):
        parts = box_service.mix_parts(box_type, values.get("mix")) or {}
    gift = " ".join(str(values.get("gift_message") or "").split())[:box_service.MAX_GIFT_MESSAGE]
    builder = box_service.build_box(box_type, parts, _token(), gift)
    return render_page_or_block(BUILDER, "box_status", status=status, box_type=box_type,
                                builder=builder, error=error, box=box_service)


@bp.get("/b/<slug>")
def show_box(slug: str):
    return _builder(box_service.get_box_type(slug), request.args)


@bp.post("/b/<slug>")
def update_box(slug: str):
    """"Update box" without JavaScript: the same page, with the portions chosen so far."""
    return _builder(box_service.get_box_type(slug), request.form)


@bp.post("/cart/boxes/add")
def add_box():
    try:
        token, box_type = box_service.add_box_to_cart(
            _token(), request.form.get("box_type_id"), request.form,
            request.form.get("gift_message", ""))
    except NotFound:
        raise
    except DomainError as error:
        if is_htmx():
            return make_response(render_template("boxes/_add_error.html", error=error.message),
                                 422)
        box_type = box_service.get_box_type(int(request.form.get("box_type_id")))
        return _builder(box_type, request.form, status=422, error=error.message)
    message = _("Added %(name)s to your cart.", name=box_type.name)
    if is_htmx():
        response = make_response(render_template(
            "cart/_added.html", message=message, count=cart_service.cart_count(token)))
    else:
        flash(message, "success")
        response = redirect(url_for("cart.show_cart"), 303)
    from ..cart.views import _remember

    return _remember(response, token)


@bp.post("/cart/boxes/update")
def update_box_line():
    """The cart's quantity buttons on a box line: whole boxes; 0 removes it."""
    token = _token()
    try:
        box_service.set_box_quantity(token, request.form.get("box_id"),
                                     request.form.get("quantity"))
    except DomainError as error:
        if not is_htmx():
            raise
        return render_page_or_block("cart/cart.html", "cart_body", status=error.status_code,
                                    cart=cart_service.view_cart(token), error=error.message)
    if not wants_fragment():
        return redirect(url_for("cart.show_cart"), 303)
    return render_page_or_block("cart/cart.html", "cart_body",
                                cart=cart_service.view_cart(token), oob_count=True)
