"""The cart pages: adding with and without htmx, changing quantities, bad input, CSRF."""
from __future__ import annotations

import re

import pytest

from sweetshop.models import Cart, CartLine

MONTH = 30 * 24 * 3600


@pytest.fixture
def kaju(make_sweet):
    return make_sweet("Kaju Katli", stock=4000)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def cart_cookie(response) -> str:
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("cart=")]
    return cookie


# --- adding ---------------------------------------------------------------------------------

def test_adding_without_htmx_redirects_to_the_product_and_sets_a_month_long_cookie(
        shopper, kaju, count):
    response = shopper.add(kaju, "500 g")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/p/{kaju.slug}?variant_id={kaju.packs['500 g']}"
    cookie = cart_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert MONTH - 60 <= max_age <= MONTH
    assert count(CartLine) == 1


def test_after_adding_without_htmx_the_product_page_confirms_and_counts(shopper, kaju):
    response = shopper.add(kaju, "500 g", quantity=2)

    page = html_of(shopper.client.get(response.headers["Location"]))
    assert "Added 500 g Kaju Katli to your cart." in page
    assert re.search(r'id="cart-count"[^>]*>2<', page)


def test_adding_with_htmx_returns_the_confirmation_and_an_out_of_band_cart_count(
        shopper, kaju, count):
    shopper.add(kaju, "250 g")

    response = shopper.add(kaju, "500 g", htmx=True)

    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html
    assert "Added 500 g Kaju Katli to your cart." in html
    badge = re.search(r'<span id="cart-count"[^>]*>', html).group(0)
    assert "hx-swap-oob" in badge
    assert re.search(r'id="cart-count"[^>]*>2<', html)
    assert "cart=" in cart_cookie(response)
    assert count(Cart) == 1 and count(CartLine) == 2


def test_the_cart_survives_in_the_cookie_across_requests(shopper, kaju):
    shopper.add(kaju, "1 kg")

    html = html_of(shopper.client.get("/cart"))

    assert "Kaju Katli" in html and "1 kg" in html and "₹1,150" in html


@pytest.mark.parametrize("variant_id, quantity", [
    (999_999, 1), ("abc", 1), ("", 1), ("-1", 1), (None, -1), (None, 0), (None, 10**9),
    (None, "abc"), (None, "9" * 5000), ("1" * 5000, 1), ("1\x00", "1\x00"),
    (None, "2147483648"), (None, str(2**63)),
], ids=["unknown-pack", "letters", "missing-pack", "negative-pack", "negative-quantity",
        "zero", "huge", "letters-quantity", "5000-digit-quantity", "5000-digit-pack", "nul",
        "int32-overflow", "int64-overflow"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_bad_input_to_add_is_a_readable_4xx_and_writes_nothing(shopper, kaju, count,
                                                               variant_id, quantity, htmx):
    response = shopper.add(kaju, "500 g", quantity=quantity, htmx=htmx, variant_id=variant_id)

    assert 400 <= response.status_code < 500
    html = html_of(response)
    assert 'role="alert"' in html
    assert re.search(r"(pack|Quantity|quantity|characters we cannot read)", html)
    assert ("<html" in html) is (not htmx)
    assert count(Cart) == 0 and count(CartLine) == 0


def test_a_sold_out_pack_is_refused_with_a_message(shopper, make_sweet, count):
    barfi = make_sweet("Dry Fruit Barfi", stock=300)

    response = shopper.add(barfi, "500 g", htmx=True)

    assert response.status_code == 409
    assert "sold out" in html_of(response)
    assert count(CartLine) == 0


def test_adding_without_a_csrf_token_is_a_friendly_400_and_writes_nothing(client, kaju, count):
    response = client.post("/cart/add", data={"variant_id": kaju.packs["500 g"], "quantity": 1})

    assert response.status_code == 400
    html = html_of(response)
    assert "<html" in html and "nothing was changed" in html
    assert count(CartLine) == 0


def test_a_forged_csrf_token_is_refused(client, kaju, count, htmx_headers):
    response = client.post("/cart/add", headers=htmx_headers,
                           data={"variant_id": kaju.packs["500 g"], "quantity": 1,
                                 "csrf_token": "forged.token.value"})

    assert response.status_code == 400
    assert "<html" not in html_of(response) and "nothing was changed" in html_of(response)
    assert count(CartLine) == 0


def test_get_on_add_is_not_allowed_and_not_a_500(client):
    assert client.get("/cart/add").status_code == 405


# --- the cart page and quantity changes -----------------------------------------------------

def test_an_empty_cart_page_invites_browsing(client):
    response = client.get("/cart")

    assert response.status_code == 200
    assert "Your cart is empty" in html_of(response)


def test_the_cart_page_for_htmx_is_just_the_cart_body(shopper, kaju, htmx_headers):
    shopper.add(kaju, "500 g")

    response = shopper.client.get("/cart", headers=htmx_headers)

    html = html_of(response)
    assert "<html" not in html and "Kaju Katli" in html and "Decrease quantity" in html


def test_updating_without_htmx_redirects_back_to_the_cart(shopper, kaju, in_db):
    shopper.add(kaju, "500 g")

    response = shopper.update(kaju.packs["500 g"], 3)

    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"
    assert in_db(lambda: CartLine.query.one().quantity) == 3


def test_updating_with_htmx_returns_the_cart_body_and_the_new_count(shopper, kaju):
    shopper.add(kaju, "500 g")

    response = shopper.update(kaju.packs["500 g"], 3, htmx=True)

    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html
    assert '<span class="qty-value" aria-label="Quantity">3</span>' in html
    assert "₹1,740" in html  # 3 × ₹580
    assert re.search(r'<span id="cart-count"[^>]*hx-swap-oob[^>]*>3<', html)


def test_removing_with_htmx_twice_is_fine(shopper, kaju, count):
    shopper.add(kaju, "500 g")
    shopper.add(kaju, "1 kg")

    first = shopper.update(kaju.packs["500 g"], 0, htmx=True)
    second = shopper.update(kaju.packs["500 g"], 0, htmx=True)

    assert first.status_code == second.status_code == 200
    assert count(CartLine) == 1
    assert "500 g" not in html_of(second)


def test_a_cart_over_the_stock_shows_the_problem_and_blocks_checkout(shopper, make_sweet,
                                                                  set_stock):
    kaju = make_sweet("Kaju Katli", stock=1500)
    shopper.add(kaju, "500 g")
    shopper.add(kaju, "1 kg")
    set_stock(kaju, 1000)  # sold in the shop meanwhile: adding more is refused at once now

    html = html_of(shopper.client.get("/cart"))

    assert html.count("all packs together") == 2
    assert 'type="button" disabled aria-describedby="checkout-blocked">Checkout' in html
    assert 'href="/checkout"' not in html


@pytest.mark.parametrize("quantity", ["-1", "21", "abc", "", "9" * 5000, "2147483648",
                                      "9223372036854775808", "1_0", "٣"],
                         ids=["negative", "over-limit", "letters", "empty", "5000-digits",
                              "int32-overflow", "int64-overflow", "underscore", "arabic-digit"])
def test_a_bad_quantity_update_is_a_4xx_and_changes_nothing(shopper, kaju, in_db, quantity):
    shopper.add(kaju, "500 g", quantity=2)

    page = shopper.update(kaju.packs["500 g"], quantity)
    fragment = shopper.update(kaju.packs["500 g"], quantity, htmx=True)

    assert page.status_code == fragment.status_code == 400
    assert "<html" in html_of(page) and "Quantity" in html_of(page)
    assert "<html" not in html_of(fragment) and "Quantity must be" in html_of(fragment)
    assert in_db(lambda: CartLine.query.one().quantity) == 2


def test_updating_a_pack_not_in_the_cart_is_404_with_a_message(shopper, kaju, htmx_headers):
    shopper.add(kaju, "500 g")

    response = shopper.update(kaju.packs["1 kg"], 2, htmx=True)

    assert response.status_code == 404
    assert "no longer in your cart" in html_of(response)


@pytest.mark.parametrize("cookie", ["x" * 3000, "abc\x00def", "not a token!", "ключ"],
                         ids=["very-long", "nul", "punctuation", "cyrillic"])
def test_a_cart_cookie_we_did_not_issue_is_treated_as_no_cart(shopper, kaju, count, cookie):
    shopper.client.set_cookie("cart", cookie)

    assert shopper.client.get("/").status_code == 200
    response = shopper.client.get("/cart")
    assert response.status_code == 200 and "Your cart is empty" in html_of(response)

    added = shopper.add(kaju, "500 g")
    assert added.status_code == 303
    assert cookie not in cart_cookie(added)
    assert count(Cart) == 1
