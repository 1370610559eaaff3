"""Browsing: the home page, categories and product pages."""
from flask import Blueprint, request

from ..htmx import render_page_or_block
from ..page_cache import cached_page
from ..services import catalog

bp = Blueprint("storefront", __name__)


@bp.get("/")
def list_products():
    return cached_page(_render_home)


def _render_home():
    categories, products = catalog.list_storefront()
    return render_page_or_block("storefront/home.html", "products", categories=categories,
                                products=products, current_category=None)


@bp.get("/c/<slug>")
def list_category(slug: str):
    return cached_page(lambda: _render_category(slug))


def _render_category(slug: str):
    categories, products = catalog.list_storefront(slug)  # NotFound unless it is a real slug
    current = next(c for c in categories if c.slug == slug)
    return render_page_or_block("storefront/home.html", "products", categories=categories,
                                products=products, current_category=current)


@bp.get("/p/<slug>")
def show_product(slug: str):
    return cached_page(lambda: _render_product(slug), product_slug=slug[:140])


def _render_product(slug: str):
    product = catalog.get_product(slug[:140])
    variant = catalog.choose_variant(product, request.args.get("variant_id"))
    return render_page_or_block("storefront/product.html", "pack_status", product=product,
                                variant=variant)
