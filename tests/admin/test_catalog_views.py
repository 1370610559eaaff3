"""Catalogue pages: full page vs htmx fragment, 303 after a change, 422 on bad input."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import Category, Product, StockMovement, Unit
from tests.admin.helpers import post_form, token_from
from tests.factories import make_product
from tests.photo_fixtures import (  # noqa: F401  (fixture)
    CAMERA,
    bomb_png,
    local_photos,
    photo_bytes,
    truncated,
)

HX = {"HX-Request": "true"}
JPEG = photo_bytes("JPEG")
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def sweet(in_db):
    """Kaju Katli (by weight, 5 kg in stock, packs 250 g / 500 g / 1 kg) as plain ids."""
    def build():
        p = make_product("Kaju Katli")
        return {"id": p.id, "category_id": p.category_id,
                "packs": {v.name: v.id for v in p.variants}}
    return in_db(build)


def product(in_db, product_id):
    def read():
        p = db.session.get(Product, product_id)
        return {"stock": p.stock, "name": p.name, "image_key": p.image_key, "active": p.active,
                "packs": [(v.name, v.quantity, v.price_paise, v.active, v.is_default)
                          for v in p.variants]}
    return in_db(read)


def test_catalogue_pages_need_the_owner(client, sweet):
    for path in ("/admin/products", "/admin/products/new", f"/admin/products/{sweet['id']}",
                 "/admin/categories"):
        assert client.get(path).status_code == 303
    response = client.post(f"/admin/products/{sweet['id']}/stock", headers=HX)
    assert response.status_code in (400, 401)


def test_products_list_filters_and_marks_low_stock(owner_client, in_db, sweet):
    def setup():
        p = db.session.get(Product, sweet["id"])
        p.low_stock_threshold = 5000
        make_product("Rasgulla", active=False, stock=0, unit=Unit.PIECE,
                     packs=(("1 piece", 1, 2500),))
        db.session.commit()
    in_db(setup)
    page = owner_client.get("/admin/products").get_data(as_text=True)
    assert "New product" in page and "5 kg" in page and "Low stock" in page
    assert "0 pieces" in page and "Out of stock" in page
    hidden = owner_client.get("/admin/products?status=hidden", headers=HX)
    html = hidden.get_data(as_text=True)
    assert "<html" not in html and "Rasgulla" in html and "Kaju Katli" not in html
    search = owner_client.get("/admin/products?q=kaju&category=abc&status=bogus")
    assert search.status_code == 200
    assert "Kaju Katli" in search.get_data(as_text=True)
    assert "Rasgulla" not in search.get_data(as_text=True)


def test_owner_creates_a_sweet_with_two_packs(owner_client, in_db):
    category_id = in_db(lambda: _category("Barfi"))
    token = token_from(owner_client, "/admin/products/new")
    form = {"csrf_token": token, "name": "Kaju Katli", "description": "Cashew fudge",
            "category_id": category_id, "unit": "g", "active": "y",
            "low_stock_threshold": "1000",
            "packs-0-name": "250 g", "packs-0-quantity": "250", "packs-0-price": "300",
            "packs-1-name": "", "packs-1-quantity": "", "packs-1-price": "",
            "packs-2-name": "500 g", "packs-2-quantity": "500", "packs-2-price": "₹580.50"}
    response = owner_client.post("/admin/products/new", data=form)
    assert response.status_code == 303
    product_id = int(re.search(r"/admin/products/(\d+)", response.headers["Location"]).group(1))
    saved = product(in_db, product_id)
    assert saved["packs"] == [("250 g", 250, 30000, True, True), ("500 g", 500, 58050, True, False)]


def test_add_pack_button_adds_a_row_with_and_without_htmx(owner_client, in_db):
    in_db(lambda: _category("Barfi"))
    fragment = owner_client.get("/admin/products/new?add_pack=1&packs-0-name=250+g", headers=HX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'id="pack-rows"' in html
    assert 'value="250 g"' in html and 'name="packs-1-name"' in html
    token = token_from(owner_client, "/admin/products/new")
    page = owner_client.post("/admin/products/new", data={
        "csrf_token": token, "name": "Peda", "add_pack": "1", "packs-0-name": "1 piece"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="packs-1-name"' in html and 'value="Peda"' in html


def test_new_sweet_with_bad_input_is_shown_again_with_messages(owner_client, in_db):
    category_id = in_db(lambda: _category("Barfi"))
    token = token_from(owner_client, "/admin/products/new")
    response = owner_client.post("/admin/products/new", data={
        "csrf_token": token, "name": "", "category_id": category_id, "unit": "kg",
        "packs-0-name": "250 g", "packs-0-quantity": "a lot", "packs-0-price": "3.999"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please give the sweet a name." in html
    assert "Please give a whole number" in html and "Please give the price in rupees" in html
    assert "Not a valid choice" in html
    assert in_db(lambda: db.session.scalar(select(Product.id))) is None
    tampered = owner_client.post("/admin/products/new", data={
        "csrf_token": token, "name": "X", "category_id": "999999", "unit": "g",
        "packs-0-name": "1", "packs-0-quantity": "1", "packs-0-price": "1"})
    assert tampered.status_code == 422


def test_editing_details_redirects_and_bad_input_is_422(owner_client, in_db, sweet):
    path = f"/admin/products/{sweet['id']}"
    base = {"name": "Kaju Katli Special", "description": "", "category_id": sweet["category_id"],
            "unit": "g", "low_stock_threshold": "250"}
    response = post_form(owner_client, path, base)
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    saved = product(in_db, sweet["id"])
    assert saved["name"] == "Kaju Katli Special" and saved["active"] is False
    bad = post_form(owner_client, path, {**base, "unit": "pc", "low_stock_threshold": "-3"})
    assert bad.status_code == 422
    assert "Please give a whole number" in bad.get_data(as_text=True)
    unit_change = post_form(owner_client, path, {**base, "unit": "pc"})
    assert unit_change.status_code == 422
    assert "cannot change once the sweet has packs" in unit_change.get_data(as_text=True)
    assert owner_client.get("/admin/products/999999").status_code == 404


def test_photo_upload_by_content_size_and_replacement(owner_client, in_db, sweet, local_photos):
    path = f"/admin/products/{sweet['id']}"
    base = {"name": "Kaju Katli", "category_id": sweet["category_id"], "unit": "g",
            "active": "y", "low_stock_threshold": "0"}

    def upload(data, name):
        form = {**base, "csrf_token": token_from(owner_client, path),
                "photo": (io.BytesIO(data), name)}
        return owner_client.post(path, data=form, content_type="multipart/form-data")

    svg = upload(SVG, "innocent.png")
    assert svg.status_code == 422
    assert "not a JPEG, PNG or WebP" in svg.get_data(as_text=True)
    big = upload(JPEG + b"\x00" * (5 * 1024 * 1024), "big.jpg")
    assert big.status_code == 422 and "larger than 5 MB" in big.get_data(as_text=True)
    assert product(in_db, sweet["id"])["image_key"] is None

    assert upload(JPEG, "kaju.jpg").status_code == 303
    first = product(in_db, sweet["id"])["image_key"].removeprefix("local:")
    served = owner_client.get(f"/media/{first}")
    assert served.status_code == 200 and served.data.startswith(b"\xff\xd8\xff")
    assert upload(photo_bytes("WEBP"), "kaju2.webp").status_code == 303
    second = product(in_db, sweet["id"])["image_key"].removeprefix("local:")
    assert second != first and not (local_photos / first).exists()
    assert owner_client.get(f"/media/{first}").status_code == 404
    # the storefront now shows it, lazily, with its size reserved
    shop = owner_client.get("/").get_data(as_text=True)
    # a 64 px photo is not enlarged: its own width, 4:3
    assert f'src="/media/{second}"' in shop and 'width="64" height="48"' in shop


def test_packs_are_added_in_place_with_htmx(owner_client, in_db, sweet):
    path = f"/admin/products/{sweet['id']}/packs"
    response = post_form(owner_client, path, {"new-name": "2 kg", "new-quantity": "2000",
                                              "new-price": "2,200"},
                         page=f"/admin/products/{sweet['id']}", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="panel" id="packs"') and "<html" not in html
    assert "Added the pack 2 kg." in html and 'value="2200"' in html
    assert ("2 kg", 2000, 220000, True, False) in product(in_db, sweet["id"])["packs"]


def test_packs_work_without_javascript(owner_client, in_db, sweet):
    page = f"/admin/products/{sweet['id']}"
    small = sweet["packs"]["250 g"]
    response = post_form(owner_client, f"{page}/packs/{small}",
                         {f"p{small}-name": "Quarter kilo", f"p{small}-quantity": "250",
                          f"p{small}-price": "310.50"}, page=page)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{page}#packs")
    assert post_form(owner_client, f"{page}/packs/{small}/down", {}, page=page).status_code == 303
    big = sweet["packs"]["1 kg"]
    assert post_form(owner_client, f"{page}/packs/{big}/default", {}, page=page).status_code == 303
    packs = product(in_db, sweet["id"])["packs"]
    assert packs == [("500 g", 500, 58000, True, False), ("Quarter kilo", 250, 31050, True, False),
                     ("1 kg", 1000, 115000, True, True)]


def test_bad_pack_input_and_hiding_the_last_pack_are_refused(owner_client, in_db):
    ids = in_db(lambda: (lambda p: (p.id, p.variants[0].id))(
        make_product(packs=(("Box of 12", 12, 48000),), unit=Unit.PIECE)))
    product_id, only = ids
    page = f"/admin/products/{product_id}"
    bad = post_form(owner_client, f"{page}/packs/{only}", {
        f"p{only}-name": "", f"p{only}-quantity": "0", f"p{only}-price": "-5"}, page=page,
        htmx=True)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Please give the price in rupees" in html and "<html" not in html
    hide = post_form(owner_client, f"{page}/packs/{only}/hide", {}, page=page, htmx=True)
    assert hide.status_code == 422 and "at least one pack" in hide.get_data(as_text=True)
    plain = post_form(owner_client, f"{page}/packs/{only}/hide", {}, page=page)
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    assert post_form(owner_client, f"{page}/packs/999999/hide", {}, page=page).status_code == 404
    assert post_form(owner_client, f"{page}/packs/{only}/sideways", {}, page=page).status_code == 404
    assert product(in_db, product_id)["packs"] == [("Box of 12", 12, 48000, True, True)]


def test_stock_is_set_in_kg_from_the_product_page_with_htmx(owner_client, in_db, sweet):
    page = f"/admin/products/{sweet['id']}"
    s = f"s{sweet['id']}"
    response = post_form(owner_client, f"{page}/stock", {
        "from": "product", f"{s}-mode": "set", f"{s}-amount": "7.25", f"{s}-unit": "kg",
        f"{s}-reason": "fresh batch"}, page=page, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="stock"' in html and "<hx-partial" in html and "<html" not in html
    assert "Stock of Kaju Katli is now 7.25 kg." in html
    assert "+2.25 kg" in html and "owner@mithaas.example" in html
    assert product(in_db, sweet["id"])["stock"] == 7250


def test_stock_from_the_list_returns_the_row_or_redirects(owner_client, in_db, sweet):
    s = f"s{sweet['id']}"
    path = f"/admin/products/{sweet['id']}/stock"
    row = post_form(owner_client, path, {"from": "list", f"{s}-mode": "remove",
                                         f"{s}-amount": "500", f"{s}-unit": "g",
                                         f"{s}-reason": "wastage"},
                    page="/admin/products", htmx=True)
    assert row.status_code == 200
    assert row.get_data(as_text=True).lstrip().startswith("<li")
    plain = post_form(owner_client, path, {"from": "list", f"{s}-mode": "set",
                                           f"{s}-amount": "+1", f"{s}-unit": "kg",
                                           f"{s}-reason": "fresh batch",
                                           f"{s}-next": "/admin/products?q=kaju"},
                      page="/admin/products")
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/admin/products?q=kaju")
    evil = post_form(owner_client, path, {f"{s}-amount": "1", f"{s}-reason": "fresh batch",
                                          f"{s}-next": "//evil.example/"}, page="/admin/products")
    assert evil.status_code == 303 and "evil" not in evil.headers["Location"]
    reasons = in_db(lambda: db.session.scalars(
        select(StockMovement.reason).order_by(StockMovement.id)).all())
    assert reasons == ["opening stock", "wastage", "fresh batch", "fresh batch"]
    assert product(in_db, sweet["id"])["stock"] == 1000  # 5000-500+1000, then set to 1 (kg)


def test_stock_cannot_go_negative_and_bad_amounts_are_422(owner_client, in_db, sweet):
    page = f"/admin/products/{sweet['id']}"
    s = f"s{sweet['id']}"
    for amount, mode, reason, message in (
            ("6", "remove", "wastage", "Only 5 kg in stock"),
            ("lots", "set", "fresh batch", "Please give a number"),
            ("0.0005", "set", "fresh batch", "not a whole number of grams"),
            ("1", "add", "other", "Please say why in the note."),
            ("1", "add", "tampered", "Not a valid choice")):
        response = post_form(owner_client, f"{page}/stock", {
            "from": "product", f"{s}-mode": mode, f"{s}-amount": amount, f"{s}-unit": "kg",
            f"{s}-reason": reason}, page=page, htmx=True)
        assert response.status_code == 422, amount
        assert message in response.get_data(as_text=True), message
    assert product(in_db, sweet["id"])["stock"] == 5000


def test_ledger_links_orders_only_when_the_order_page_exists(owner_client, in_db, sweet, app):
    from tests.factories import make_order

    def order():
        p = db.session.get(Product, sweet["id"])
        return make_order((p, "500 g", 2)).number
    number = in_db(order)
    html = owner_client.get(f"/admin/products/{sweet['id']}").get_data(as_text=True)
    assert f"Order {number}" in html
    if "admin.show_order" in app.view_functions:
        assert re.search(rf'<a href="/admin/orders/\d+">Order {number}</a>', html)


def test_categories_are_added_renamed_and_reordered(owner_client, in_db):
    added = post_form(owner_client, "/admin/categories", {"new-name": "Barfi"})
    assert added.status_code == 303
    fragment = post_form(owner_client, "/admin/categories", {"new-name": "Ladoo"},
                         page="/admin/categories", htmx=True)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    duplicate = post_form(owner_client, "/admin/categories", {"new-name": "barfi"}, htmx=True)
    assert duplicate.status_code == 422
    assert "already a category with that name" in duplicate.get_data(as_text=True)
    ids = in_db(lambda: {c.name: c.id for c in db.session.scalars(select(Category))})
    ladoo = ids["Ladoo"]
    assert post_form(owner_client, f"/admin/categories/{ladoo}",
                     {f"c{ladoo}-name": "Laddoo"}, page="/admin/categories").status_code == 303
    assert post_form(owner_client, f"/admin/categories/{ladoo}/up", {},
                     page="/admin/categories").status_code == 303
    empty = post_form(owner_client, f"/admin/categories/{ladoo}", {f"c{ladoo}-name": " "},
                      page="/admin/categories")
    assert empty.status_code == 422
    assert post_form(owner_client, "/admin/categories/999999/up", {},
                     page="/admin/categories").status_code == 404
    names = in_db(lambda: db.session.scalars(
        select(Category.name).order_by(Category.position)).all())
    assert names == ["Laddoo", "Barfi"]


def test_forms_without_the_csrf_token_are_refused(owner_client, sweet):
    response = owner_client.post(f"/admin/products/{sweet['id']}/packs",
                                 data={"new-name": "x", "new-quantity": "1", "new-price": "1"})
    assert response.status_code == 400


def _category(name: str) -> int:
    category = Category(name=name, slug=name.lower(), position=1)
    db.session.add(category)
    db.session.commit()
    return category.id


def test_a_photo_is_served_without_the_gps_position_it_was_uploaded_with(
        owner_client, in_db, sweet, local_photos):
    from PIL import Image

    path = f"/admin/products/{sweet['id']}"
    original = photo_bytes("JPEG", size=(320, 240), gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # GPS is in there
    form = {"name": "Kaju Katli", "category_id": sweet["category_id"], "unit": "g",
            "active": "y", "low_stock_threshold": "0", "csrf_token": token_from(owner_client, path),
            "photo": (io.BytesIO(original), "IMG_2041.jpg")}
    assert owner_client.post(path, data=form, content_type="multipart/form-data"
                             ).status_code == 303
    name = product(in_db, sweet["id"])["image_key"].removeprefix("local:")
    served = owner_client.get(f"/media/{name}").data
    image = Image.open(io.BytesIO(served))
    assert image.format == "JPEG" and image.size == (320, 240)
    assert not image.getexif() and "icc_profile" not in image.info and "xmp" not in image.info
    assert b"Exif" not in served and CAMERA.encode() not in served


@pytest.mark.parametrize("data, name, message", [
    (bomb_png(), "bomb.png", "too large: at most 40 megapixels"),        # 65535 × 65535
    (bomb_png(8000, 6000), "48mp.png", "too large: at most 40 megapixels"),
    (truncated(photo_bytes("JPEG", size=(640, 480))), "cut.jpg", "could not be read"),
    (truncated(photo_bytes("PNG", size=(640, 480))), "cut.png", "could not be read"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "fake.png", "could not be read"),
], ids=["bomb-65535", "48-megapixels", "truncated-jpeg", "truncated-png", "png-magic-only"])
def test_photos_that_are_too_large_or_do_not_decode_are_refused_at_the_field(
        owner_client, in_db, sweet, local_photos, data, name, message):
    path = f"/admin/products/{sweet['id']}"
    form = {"name": "Kaju Katli", "category_id": sweet["category_id"], "unit": "g",
            "active": "y", "low_stock_threshold": "0", "csrf_token": token_from(owner_client, path),
            "photo": (io.BytesIO(data), name)}
    response = owner_client.post(path, data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # beside the photo field, tied to it for screen readers
    assert re.search(r'<p class="field-error" id="photo-error">[^<]*' + re.escape(message), html)
    assert 'aria-invalid="true"' in html.split('id="photo-error"')[0].rsplit("<input", 1)[1]
    assert product(in_db, sweet["id"])["image_key"] is None
    assert not local_photos.exists() or list(local_photos.iterdir()) == []
