"""Reading the catalogue for the storefront, in a bounded number of queries."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..i18n import gettext as _
from ..models import Category, Product, Variant
from .errors import NotFound


def list_storefront(category_slug: str | None = None) -> tuple[list[Category], list[Product]]:
    """Categories that have something to show, and active products with their packs (3 queries)."""
    stmt = (
        select(Product)
        .where(Product.active.is_(True))
        .join(Product.category)
        .options(selectinload(Product.variants), joinedload(Product.category))
        .order_by(Category.position, Category.name, Product.position, Product.name)
    )
    categories = db.session.scalars(
        select(Category)
        .where(Category.products.any(Product.active.is_(True)))
        .order_by(Category.position, Category.name)
    ).all()
    if category_slug:
        if not any(c.slug == category_slug for c in categories):
            raise NotFound(_("We could not find that category."))
        stmt = stmt.where(Category.slug == category_slug)
    products = [p for p in db.session.scalars(stmt).unique().all() if p.active_variants]
    return list(categories), products


def get_product(slug: str) -> Product:
    product = db.session.scalars(
        select(Product)
        .where(Product.slug == slug, Product.active.is_(True))
        .options(selectinload(Product.variants), joinedload(Product.category))
    ).first()
    if product is None or not product.active_variants:
        raise NotFound(_("We could not find that sweet. It may no longer be on sale."))
    return product


def choose_variant(product: Product, variant_id: str | int | None) -> Variant:
    """The pack asked for, or the product's default when none (or a bad value) is given."""
    try:
        wanted = int(variant_id) if variant_id not in (None, "") else None
    except (TypeError, ValueError):
        wanted = None
    for variant in product.active_variants:
        if variant.id == wanted:
            return variant
    default = product.default_variant
    if default is not None and not default.available:
        return next((v for v in product.active_variants if v.available), default)
    return default
