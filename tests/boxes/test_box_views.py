"""The box builder and box lines as a browser uses them: htmx and plain forms (CSRF on)."""
from __future__ import annotations

import re

from sweetshop.extensions import db
from sweetshop.models import CartBox, Order, OrderItemPart, Product
from tests.views.conftest import VALID_CHECKOUT, csrf_token_in, hidden_checkout_fields

HX = {"HX-Request": "true"}


def parts_form(shop, **grams) -> dict[str, str]:
    names = {"kaju": "Kaju Katli", "milk": "Milk Cake", "moti": "Motichoor Laddoo",
             "besan": "Besan Laddoo"}
    return {f"part-{shop.sweets[names[k]]}": str(v) for k, v in grams.items()}


def full_box(shop):
    return parts_form(shop, kaju=250, milk=250, moti=250, besan=250)


def test_the_builder_shows_the_sweets_and_cannot_add_an_empty_box(client, box_shop):
    page = client.get(f"/b/{box_shop.box_slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in box_shop.sweets:
        assert name in html
    assert "Filled 0 of 1000 g" in html
    assert re.search(r'<button class="button button-primary" type="submit" disabled', html)
    assert "Update box" in html


def test_choosing_portions_with_htmx_updates_fill_and_price_in_place(client, box_shop):
    response = client.get(f"/b/{box_shop.box_slug}",
                          query_string=parts_form(box_shop, kaju=250, milk=500), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "Filled 750 of 1000 g" in html
    assert "The box is not full yet" in html and " disabled" in html

    html = client.get(f"/b/{box_shop.box_slug}", query_string=full_box(box_shop),
                      headers=HX).get_data(as_text=True)
    assert "Filled 1000 of 1000 g" in html
    assert "₹768" in html and " disabled" not in html


def test_without_javascript_update_box_then_add_then_checkout(client, box_shop, in_db):
    page = client.get(f"/b/{box_shop.box_slug}").get_data(as_text=True)
    token = csrf_token_in(page)
    form = {"csrf_token": token, "box_type_id": str(box_shop.box_id), **full_box(box_shop),
            "gift_message": "Happy Diwali!"}
    updated = client.post(f"/b/{box_shop.box_slug}", data=form)
    html = updated.get_data(as_text=True)
    assert updated.status_code == 200 and "Filled 1000 of 1000 g" in html
    assert "Happy Diwali!" in html and "₹768" in html

    added = client.post("/cart/boxes/add", data=form)
    assert added.status_code == 303 and added.headers["Location"].endswith("/cart")
    token = csrf_token_in(client.get("/p/" + in_db(
        lambda: db.session.get(Product, box_shop.sweets["Kaju Katli"]).slug)).get_data(
        as_text=True))
    client.post("/cart/add", data={"csrf_token": token,
                                   "variant_id": box_shop.kaju_packs["500 g"], "quantity": 1})
    cart = client.get("/cart").get_data(as_text=True)
    assert "Assorted gift box" in cart and "In each box:" in cart
    assert "Kaju Katli 250 g" in cart and "Happy Diwali!" in cart

    checkout = client.get("/checkout").get_data(as_text=True)
    assert "Assorted gift box" in checkout
    placed = client.post("/checkout", data={**VALID_CHECKOUT,
                                            **hidden_checkout_fields(checkout)})
    assert placed.status_code == 303, placed.get_data(as_text=True)
    confirmation = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Assorted gift box" in confirmation and "Milk Cake 250 g" in confirmation

    def check():
        stock = {name: db.session.get(Product, pid).stock for name, pid in
                 box_shop.sweets.items()}
        assert stock == {"Kaju Katli": 4250, "Milk Cake": 4750, "Motichoor Laddoo": 4750,
                         "Besan Laddoo": 4750}
        assert db.session.query(OrderItemPart).count() == 4
        assert db.session.query(CartBox).count() == 0
    in_db(check)


def test_adding_with_htmx_answers_in_place_and_updates_the_badge(client, box_shop):
    token = csrf_token_in(client.get(f"/b/{box_shop.box_slug}").get_data(as_text=True))
    response = client.post("/cart/boxes/add", headers=HX, data={
        "csrf_token": token, "box_type_id": box_shop.box_id, **full_box(box_shop)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Added a Assorted gift box" in html or "Added" in html
    assert 'id="cart-count"' in html and "hx-swap-oob" in html


def test_a_tampered_box_post_is_refused_with_a_message_and_writes_nothing(client, box_shop,
                                                                         count):
    token = csrf_token_in(client.get(f"/b/{box_shop.box_slug}").get_data(as_text=True))
    for parts in (parts_form(box_shop, kaju=500, milk=750),        # overfilled
                  parts_form(box_shop, kaju=250),                  # underfilled
                  {**parts_form(box_shop, kaju=750), "part-999999": "250"},  # not allowed
                  parts_form(box_shop, kaju=1250, milk=-250)):    # negative
        for headers in ({}, HX):
            response = client.post("/cart/boxes/add", headers=headers, data={
                "csrf_token": token, "box_type_id": box_shop.box_id, **parts})
            assert response.status_code == 422, response.get_data(as_text=True)
            assert 'role="alert"' in response.get_data(as_text=True)
    assert count(CartBox) == 0 and count(Order) == 0


def test_the_cart_quantity_buttons_work_on_whole_boxes(client, box_shop, in_db):
    token = csrf_token_in(client.get(f"/b/{box_shop.box_slug}").get_data(as_text=True))
    client.post("/cart/boxes/add", data={"csrf_token": token, "box_type_id": box_shop.box_id,
                                         **full_box(box_shop)})
    box_id = in_db(lambda: db.session.query(CartBox.id).scalar())
    cart_token = csrf_token_in(client.get("/cart").get_data(as_text=True))
    response = client.post("/cart/boxes/update", headers=HX, data={
        "csrf_token": cart_token, "box_id": box_id, "quantity": 3})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "₹2,304" in html  # 3 × ₹768
    assert in_db(lambda: db.session.get(CartBox, box_id).quantity) == 3
    response = client.post("/cart/boxes/update", data={
        "csrf_token": cart_token, "box_id": box_id, "quantity": 0})
    assert response.status_code == 303
    assert in_db(lambda: db.session.query(CartBox).count()) == 0


def test_the_storefront_shows_the_box_like_a_product(client, box_shop):
    html = client.get("/").get_data(as_text=True)
    assert f'href="/b/{box_shop.box_slug}"' in html and "1 kg, you choose" in html
