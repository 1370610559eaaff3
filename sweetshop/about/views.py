"""The shop itself: who we are (address, licence, contact), policies, where we deliver,
and the owner's theme colour as a stylesheet (no inline styles under our CSP)."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, make_response, request

from ..htmx import render_page_or_block
from ..services import delivery_area, shop_profile
from ..services.errors import InvalidInput

bp = Blueprint("about", __name__)

PINCODE_COOKIE = "pincode"


@bp.get("/about")
def show_shop():
    return render_page_or_block("about/shop.html", "content", policies=shop_profile.POLICIES)


@bp.get("/policies/<slug>")
def show_policy(slug: str):
    if slug not in shop_profile.POLICIES:
        abort(404)
    return render_page_or_block(
        "about/policy.html", "content", slug=slug, title=shop_profile.policy_title(slug),
        body=shop_profile.paragraphs(shop_profile.policy_text(slug)))


@bp.get("/delivery-check")  # /delivery is the delivery person's view (issue 14)
def check_delivery():
    """Do you deliver to me? Answers in place with htmx (the #delivery-answer block), as a
    page without; the pincode is remembered for the cart and checkout."""
    raw = request.args.get("pincode", "")
    answer, error, status = None, None, 200
    if raw:
        try:
            answer = delivery_area.check_pincode(raw[:20])
        except InvalidInput as invalid:
            error, status = invalid.message, 422
    response = render_page_or_block("about/delivery.html", "delivery_answer", status=status,
                                    answer=answer, error=error, pincode=raw[:20])
    if answer is not None:
        response.set_cookie(PINCODE_COOKIE, answer.pincode, max_age=180 * 86400, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def remembered_pincode() -> str:
    value = request.cookies.get(PINCODE_COOKIE, "")
    return value if re.fullmatch(r"[1-9][0-9]{5}", value) else ""


@bp.get("/theme/<colour>.css")
def theme_css(colour: str):
    """The brand colour as a custom property. The URL carries the colour, so it is cached
    for a year and a new colour is a new URL."""
    if not re.fullmatch(r"[0-9a-f]{6}", colour):
        abort(404)
    response = make_response(f":root{{--brand:#{colour}}}\n")
    response.mimetype = "text/css"
    response.cache_control.max_age = 365 * 86400
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
