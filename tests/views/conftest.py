"""View-test helpers: sweets as plain values, a shopper who fills forms like a browser does.

CSRF stays ON in view tests: the shopper reads the token from the page it would have seen
(the product page, the cart, the checkout form), exactly as a browser posts it back.

Requests must not run inside a test's own app context (Flask would reuse it, sharing `g`
and the session across requests), so database set-up and checks go through `in_db`,
which opens a short app context of its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import Category
from tests.factories import make_product

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
IDEMPOTENCY_KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]*)"')
BASKET = re.compile(r'name="basket"[^>]*value="([^"]*)"')


@dataclass(frozen=True)
class Sweet:
    id: int
    name: str
    slug: str
    category_slug: str
    packs: dict[str, int]  # pack name -> variant id




@pytest.fixture
def count(in_db):
    """count(Order): rows in a table, read through a fresh session."""
    return lambda model: in_db(lambda: db.session.query(model).count())


@pytest.fixture
def make_sweet(in_db):
    """make_sweet("Kaju Katli", stock=1000, category="Barfi"): a committed product, as values."""

    def make(*args, category: str | None = None, **kwargs) -> Sweet:
        def build():
            if category is not None:
                slug = category.lower().replace(" ", "-")
                kwargs["category"] = db.session.scalars(
                    select(Category).where(Category.slug == slug)).first() or Category(
                    name=category, slug=slug)
            product = make_product(*args, **kwargs)
            return Sweet(product.id, product.name, product.slug, product.category.slug,
                         {v.name: v.id for v in product.variants})
        return in_db(build)

    return make


@pytest.fixture
def shop_settings(in_db):
    def update(**values):
        from sweetshop.services.shop import get_settings

        def change():
            settings = get_settings()
            for key, value in values.items():
                setattr(settings, key, value)
            db.session.commit()
        in_db(change)

    return update


def csrf_token_in(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def hidden_checkout_fields(html: str) -> dict[str, str]:
    return {"csrf_token": csrf_token_in(html),
            "idempotency_key": IDEMPOTENCY_KEY.search(html).group(1),
            "basket": BASKET.search(html).group(1)}


class Shopper:
    """A test client that posts forms with the CSRF token taken from the page it came from."""

    def __init__(self, client):
        self.client = client

    def token_from(self, path: str) -> str:
        page = self.client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return csrf_token_in(page.get_data(as_text=True))

    def add(self, sweet: Sweet, pack: str | None = None, quantity=1, *, htmx=False,
            variant_id=None):
        token = self.token_from(f"/p/{sweet.slug}")
        data = {"csrf_token": token, "quantity": quantity,
                "variant_id": variant_id if variant_id is not None else sweet.packs[pack]}
        return self.client.post("/cart/add", data=data,
                                headers={"HX-Request": "true"} if htmx else {})

    def update(self, variant_id, quantity, *, htmx=False):
        token = self.token_from("/cart")
        return self.client.post("/cart/update",
                                data={"csrf_token": token, "variant_id": variant_id,
                                      "quantity": quantity},
                                headers={"HX-Request": "true"} if htmx else {})

    def checkout_form(self) -> dict[str, str]:
        """The hidden fields of the checkout form: csrf_token, idempotency_key and the
        signed basket the page showed."""
        page = self.client.get("/checkout")
        assert page.status_code == 200, page.status_code
        return hidden_checkout_fields(page.get_data(as_text=True))


@pytest.fixture
def shopper(client) -> Shopper:
    return Shopper(client)


VALID_CHECKOUT = {
    "name": "Asha Rao",
    "phone": "+91-98765-43210",
    "address": "12 MG Road, Indiranagar, Bengaluru",
    "pincode": "560038",
    "note": "Please ring twice",
    "payment_method": "cod",
}


@pytest.fixture
def checkout_details() -> dict[str, str]:
    return dict(VALID_CHECKOUT)


@pytest.fixture
def set_stock(in_db):
    """set_stock(sweet, grams): the stock changed behind the cart's back (sold in the shop)."""
    def change(sweet: Sweet, value: int):
        from sweetshop.models import Product

        def apply():
            db.session.get(Product, sweet.id).stock = value
            db.session.commit()
        in_db(apply)
    return change
