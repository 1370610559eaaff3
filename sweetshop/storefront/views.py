"""Browsing: the home page, categories and product pages."""
from flask import Blueprint, flash, redirect, request, url_for

from ..formatting import format_rupees
from ..htmx import render_page_or_block
from ..i18n import gettext as _
from ..integrations.cloudinary import absolute_photo_url
from ..page_cache import cached_page
from ..services import cart as cart_service
from ..services import catalog
from ..web import CART_COOKIE

bp = Blueprint("storefront", __name__)


def _listing(template_block: str, categories, products, current):
    from flask import g

    token = request.cookies.get(CART_COOKIE)
    in_cart = g.pop("cart_quantities", None)  # read live by page_cache with the version
    if in_cart is None:
        in_cart = cart_service.quantities_in_cart(token)
    with_photo = next((p for p in products if p.image_key), None)
    return render_page_or_block(
        "storefront/home.html", template_block, categories=categories, products=products,
        current_category=current, in_cart=in_cart,
        here=request.full_path.rstrip("?"),
        og_title=(current.name + " · " if current else "") + _("Fresh mithai"),
        og_image=absolute_photo_url(with_photo) if with_photo else None)


# Home, category and product pages come from page_cache: keyed by the catalogue version,
# the live stock, the cart's lines and what else changes the HTML (issue 19).


@bp.get("/")
def list_products():
    return cached_page(_render_home)


def _render_home():
    categories, products = catalog.list_storefront()
    return _listing("products", categories, products, None)


@bp.get("/c/<slug>")
def list_category(slug: str):
    return cached_page(lambda: _render_category(slug))


def _render_category(slug: str):
    categories, products = catalog.list_storefront(slug)  # NotFound unless it is a real slug
    current = next(c for c in categories if c.slug == slug)
    return _listing("products", categories, products, current)


@bp.get("/p/<slug>")
def show_product(slug: str):
    return cached_page(lambda: _render_product(slug), product_slug=slug[:140])


def _render_product(slug: str):
    product = catalog.get_product(slug[:140])
    variant = catalog.choose_variant(product, request.args.get("variant_id"))
    return render_page_or_block(
        "storefront/product.html", "pack_status", product=product, variant=variant,
        og_type="product",
        og_title=f"{product.name} · {format_rupees(variant.price_paise)} ({variant.name})",
        og_description=product.description[:200],
        og_image=absolute_photo_url(product))


@bp.post("/p/<slug>/pack")
def choose_pack(slug: str):
    """Without JavaScript, "Update" shows the chosen pack's price: post, then 303 to the
    product page with that pack (the CSRF token stays out of the address)."""
    product = catalog.get_product(slug[:140])
    variant = catalog.choose_variant(product, request.form.get("variant_id"))
    return redirect(url_for("storefront.show_product", slug=product.slug, variant_id=variant.id,
                            _anchor="buy"), 303)


@bp.post("/p/<slug>/notify")
def request_stock_alert(slug: str):
    """"Tell me when it's back" for a sold-out sweet: one message when stock returns."""
    from ..services import stock_alerts
    from ..services.errors import DomainError

    product = catalog.get_product(slug[:140])
    try:
        stock_alerts.request_alert(product.id, request.form.get("phone", "")[:32],
                                   request.form.get("language", "en")[:5])
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Thank you. We will send one message when %(name)s is back.",
                name=product.name), "success")
    return redirect(url_for("storefront.show_product", slug=product.slug, _anchor="notify"), 303)
