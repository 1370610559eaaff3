"""Pages make a bounded number of SQL statements, whatever the size of the catalogue or cart.

Each page is measured with 3 sweets (and a 3-line cart), then with 30 sweets (and a 30-line
cart); every sweet has three packs. The statement counts must be equal: a query per product
or per line (N+1) would make the larger shop cost more.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sweetshop import page_cache
from sweetshop.extensions import db
from sweetshop.models import Cart, CartLine, Category, Product, Unit, Variant
from sweetshop.services import cart as cart_service
from sweetshop.services.stock import record_movement
from tests.sql_statements import counting_statements

SMALL, LARGE = 3, 30


class Shop:
    """A growing catalogue in one category, and one customer's cart holding a pack of each."""

    def __init__(self, in_db, *, stock: int):
        self.in_db = in_db
        self.stock = stock
        self.slugs: list[str] = []
        self.cart_token: str | None = None
        self.category_id = in_db(self._category)

    @staticmethod
    def _category():
        category = Category(name="All Mithai", slug="all-mithai", position=1)
        db.session.add(category)
        db.session.commit()
        return category.id

    def grow_to(self, size: int):
        """Add sweets (three packs each, one in three sold by the piece) up to `size`, with a
        pack of each in the cart; one transaction, so a large shop is quick to build."""
        def add():
            category = db.session.get(Category, self.category_id)
            cart = db.session.scalars(select(Cart).where(Cart.token == self.cart_token)).first()
            if cart is None:
                cart = Cart(token=cart_service.new_token())
                db.session.add(cart)
            for n in range(len(self.slugs), size):
                by_piece = n % 3 == 2
                product = Product(name=f"Mithai {n:02d}", slug=f"mithai-{n:02d}",
                                  category=category, stock=0, position=n,
                                  unit=Unit.PIECE if by_piece else Unit.GRAM)
                packs = ((("Single piece", 1, 2500), ("Box of 6", 6, 14000),
                          ("Box of 12", 12, 27000)) if by_piece else
                         (("250 g", 250, 30000), ("500 g", 500, 58000), ("1 kg", 1000, 115000)))
                for i, (name, quantity, price) in enumerate(packs):
                    product.variants.append(Variant(name=name, quantity=quantity,
                                                    price_paise=price, position=i,
                                                    is_default=i == 0))
                db.session.add(product)
                db.session.flush()
                record_movement(product, self.stock, "opening stock", actor="test")
                cart.lines.append(CartLine(variant=product.variants[1], quantity=1))
                self.slugs.append(product.slug)
            db.session.commit()
            self.cart_token = cart.token
        self.in_db(add)


def page_paths(shop: Shop) -> dict[str, str]:
    return {
        "home": "/",
        "category": "/c/all-mithai",
        "product": f"/p/{shop.slugs[0]}",
        "cart": "/cart",
        "checkout": "/checkout",
    }


def measure(app, client, shop: Shop, page: str, headers=None,
            cached: bool = False) -> tuple[int, list[str]]:
    """Statements of one request after a warm-up (the settings row, the CSRF session); a
    catalogue page is measured rendered afresh unless `cached`."""
    client.set_cookie("cart", shop.cart_token)
    path = page_paths(shop)[page]
    client.get(path, headers=headers)
    client.get(path, headers=headers)
    if not cached:
        page_cache.pages.clear()
    with counting_statements(app) as statements:
        response = client.get(path, headers=headers)
    assert response.status_code in (200, 303), (path, response.status_code)
    return len(statements), statements


@pytest.mark.parametrize("page", ["home", "category", "product", "cart", "checkout"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_pages_make_the_same_number_of_queries_for_3_or_30_sweets(app, client, in_db, page,
                                                                   htmx):
    shop = Shop(in_db, stock=5000)
    headers = {"HX-Request": "true"} if htmx else None

    shop.grow_to(SMALL)
    small, _ = measure(app, client, shop, page, headers)
    shop.grow_to(LARGE)
    large, statements = measure(app, client, shop, page, headers)

    assert large == small, "\n".join(statements)
    # Checkout also reads the open pre-order windows and the shown days' slot bookings
    # (issue 11; tests/slots/test_slot_queries.py holds them steady for any number of slots).
    assert small <= (10 if page == "checkout" else 8)


@pytest.mark.parametrize("page", ["home", "category", "product", "cart", "checkout"])
def test_the_settings_row_is_read_at_most_once_per_request(app, client, in_db, page):
    shop = Shop(in_db, stock=5000)
    shop.grow_to(SMALL)
    _, statements = measure(app, client, shop, page)
    assert sum("FROM shop_settings" in s for s in statements) <= 1, "\n".join(statements)


CATALOGUE_PAGES = ["home", "category", "product"]


@pytest.mark.parametrize("page", CATALOGUE_PAGES)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_a_cached_catalogue_page_costs_one_statement(app, client, in_db, page, htmx):
    """Version, stock and cart badge in one statement, on an autocommit connection (no
    BEGIN, no ROLLBACK): what a catalogue page costs while nothing it shows changes."""
    shop = Shop(in_db, stock=5000)
    shop.grow_to(LARGE)
    count, statements = measure(app, client, shop, page,
                                {"HX-Request": "true"} if htmx else None, cached=True)
    assert count == 1, "\n".join(statements)
    assert "catalogue_version" in statements[0]


def test_a_cart_full_of_stock_problems_is_still_bounded(app, client, in_db):
    """Every line wants more than is left, so every line explains how much there is."""
    shop = Shop(in_db, stock=5000)

    def run_low_on_everything():
        for product in Product.query.all():
            product.stock = 4 if product.unit is Unit.PIECE else 300
        db.session.commit()

    shop.grow_to(SMALL)
    in_db(run_low_on_everything)
    small, _ = measure(app, client, shop, "cart")
    shop.grow_to(LARGE)
    in_db(run_low_on_everything)
    large, statements = measure(app, client, shop, "cart")
    html = client.get("/cart").get_data(as_text=True)

    assert html.count("Please reduce the quantity.") == LARGE
    assert large == small, "\n".join(statements)
