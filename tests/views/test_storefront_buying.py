"""Issue 13, buying faster: cards with Add and a stepper, the sticky cart bar, stock refused
in packs at the product page, the price following the pack without JS, Back after ordering."""
from __future__ import annotations

import re

from sweetshop.models import CartLine, Order
from tests.views.conftest import csrf_token_in, hidden_checkout_fields


def _card_form(client, path="/"):
    html = client.get(path).get_data(as_text=True)
    return html, csrf_token_in(html)


def test_a_card_shows_the_bold_price_and_default_pack_and_adds_it_in_place(client, make_sweet):
    kaju = make_sweet("Kaju Katli", stock=2000)
    html, token = _card_form(client)
    assert "<b>₹300</b>" in html and 'class="card-pack">250 g<' in html
    assert 'aria-label="Add 250 g Kaju Katli"' in html
    added = client.post("/cart/add", data={
        "csrf_token": token, "variant_id": kaju.packs["250 g"], "return_to": "card",
        "next": "/"}, headers={"HX-Request": "true"})
    body = added.get_data(as_text=True)
    assert added.status_code == 200
    # the card's buy area became − 1 +, and the badge and the cart bar are swapped out of band
    assert f'id="buy-{kaju.packs["250 g"]}"' in body and "One less" in body and "One more" in body
    assert re.search(r'class="stepper-count"[^>]*>1<', body)
    assert 'id="cart-bar"' in body and 'hx-swap-oob="true"' in body
    assert "View cart" in body and "1 item" in body and "₹300" in body


def test_the_stepper_counts_down_to_add_again_and_works_without_javascript(
        client, make_sweet, in_db):
    kaju = make_sweet("Kaju Katli", stock=2000)
    _, token = _card_form(client)
    form = {"csrf_token": token, "variant_id": kaju.packs["250 g"], "return_to": "card",
            "next": "/c/" + kaju.category_slug + "#p-1"}
    plain = client.post("/cart/add", data=form)  # no JavaScript: back to the listing
    assert plain.status_code == 303 and plain.headers["Location"].startswith("/c/")
    client.post("/cart/add", data=form)
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'class="stepper-count"[^>]*>2<', page)
    assert "View cart" in page and "2 items" in page and "₹600" in page
    down = client.post("/cart/update", data={**form, "quantity": 0},
                       headers={"HX-Request": "true"})
    assert down.status_code == 200 and 'aria-label="Add 250 g Kaju Katli"' in down.get_data(
        as_text=True)
    assert in_db(lambda: CartLine.query.count()) == 0
    assert "View cart" not in client.get("/").get_data(as_text=True)


def test_adding_more_than_the_stock_is_refused_at_once_in_packs(client, make_sweet, shopper):
    from sweetshop.models import Unit
    jamun = make_sweet("Gulab Jamun", stock=20, unit=Unit.PIECE,
                       packs=(("Box of 6", 6, 15000), ("Box of 12", 12, 29000)))
    assert shopper.add(jamun, "Box of 6", quantity=3).status_code == 303
    refused = shopper.add(jamun, "Box of 6", htmx=True)
    assert refused.status_code == 409
    assert "Your cart already has all the Gulab Jamun we have left" in refused.get_data(
        as_text=True)
    fresh = client.application.test_client()
    from tests.views.conftest import Shopper
    other = Shopper(fresh).add(jamun, "Box of 12", quantity=2, htmx=True)
    assert other.status_code == 409 and "Only 1 × Box of 12 left." in other.get_data(as_text=True)
    # without JavaScript: the product page again, with the reason
    page = Shopper(fresh).add(jamun, "Box of 12", quantity=2)
    assert page.status_code == 303
    assert "Only 1 × Box of 12 left." in fresh.get(page.headers["Location"]).get_data(as_text=True)


def test_without_javascript_update_shows_the_chosen_packs_price(client, make_sweet):
    kaju = make_sweet("Kaju Katli", stock=2000)
    html = client.get(f"/p/{kaju.slug}").get_data(as_text=True)
    assert "Update price" in html and 'class="price">₹300<' in html
    moved = client.post(f"/p/{kaju.slug}/pack", data={
        "csrf_token": csrf_token_in(html), "variant_id": kaju.packs["500 g"]})
    assert moved.status_code == 303
    assert f"variant_id={kaju.packs['500 g']}" in moved.headers["Location"]
    page = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert 'class="price">₹580<' in page
    assert re.search(rf'value="{kaju.packs["500 g"]}"\s+aria-labelledby="[^"]+"[^>]*\s+checked', page)


def test_after_placing_an_order_back_leads_to_the_order(client, make_sweet, shopper,
                                                        checkout_details, in_db):
    kaju = make_sweet("Kaju Katli", stock=2000)
    shopper.add(kaju, "500 g")
    placed = client.post("/checkout", data={**checkout_details, **shopper.checkout_form()})
    assert placed.status_code == 303 and "/orders/" in placed.headers["Location"]
    back = client.get("/checkout")  # the browser's Back from the order page
    assert back.status_code == 303 and back.headers["Location"] == placed.headers["Location"]
    cart = client.get("/cart").get_data(as_text=True)
    assert "Your order is placed." in cart and placed.headers["Location"] in cart
    assert in_db(lambda: Order.query.count()) == 1


def test_product_page_carries_link_preview_tags_and_product_json_ld(client, make_sweet):
    kaju = make_sweet("Kaju Katli", stock=2000)
    html = client.get(f"/p/{kaju.slug}").get_data(as_text=True)
    assert '<meta property="og:title" content="Kaju Katli · ₹300 (250 g)">' in html
    assert '<meta property="og:type" content="product">' in html
    assert '<meta property="product:price:amount" content="300.00">' in html
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    import json
    data = json.loads(ld)
    assert data["@type"] == "Product" and data["offers"]["price"] == "300.00"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    home = client.get("/").get_data(as_text=True)
    assert 'property="og:site_name"' in home and 'name="twitter:card"' in home


def test_json_ld_cannot_close_its_script(client, make_sweet, in_db):
    from sweetshop.extensions import db
    from sweetshop.models import Product
    kaju = make_sweet("Kaju Katli", stock=2000)

    def hostile():
        db.session.get(Product, kaju.id).description = "</script><script>alert(1)</script>"
        db.session.commit()
    in_db(hostile)
    html = client.get(f"/p/{kaju.slug}").get_data(as_text=True)
    assert "<script>alert(1)" not in html


def test_checkout_page_is_unchanged_by_the_card_hidden_fields(shopper, make_sweet, client):
    kaju = make_sweet("Kaju Katli", stock=2000)
    shopper.add(kaju, "500 g")
    fields = hidden_checkout_fields(client.get("/checkout").get_data(as_text=True))
    assert fields["idempotency_key"] and fields["basket"]


def test_a_sweet_without_a_photo_gets_the_drawn_placeholder_not_a_letter(client, make_sweet):
    make_sweet("Kaju Katli", stock=100)
    html = client.get("/").get_data(as_text=True)
    assert '<span class="ph" aria-hidden="true"></span>' in html and ">K</span>" not in html
