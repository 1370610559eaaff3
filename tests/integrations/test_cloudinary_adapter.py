"""The Cloudinary adapter, with the real SDK talking HTTP to a fake Cloudinary API."""
from __future__ import annotations

import time

import pytest

from sweetshop.extensions import db
from sweetshop.integrations import cloudinary as photos
from sweetshop.models import Product
from sweetshop.services import catalog_admin
from sweetshop.services.catalog_admin import PhotoNotSaved
from tests.factories import make_product
from tests.photo_fixtures import (  # noqa: F401  (fixtures)
    API_KEY,
    CAMERA,
    CLOUD,
    fake_cloudinary,
    local_photos,
    photo_bytes,
)

JPEG = photo_bytes("JPEG", gps=True)


def test_cloudinary_url_is_read_like_the_sdk_reads_it():
    options = photos.parse_cloudinary_url(
        "cloudinary://123:a%2Fb@my-cloud?upload_prefix=http://127.0.0.1:9")
    assert options == {"cloud_name": "my-cloud", "api_key": "123", "api_secret": "a/b",
                       "upload_prefix": "http://127.0.0.1:9"}
    with pytest.raises(RuntimeError):
        photos.parse_cloudinary_url("https://123:abc@my-cloud")


def test_upload_goes_through_the_sdk_signed_and_replacing_deletes_the_old(ctx, fake_cloudinary):
    product = make_product()
    catalog_admin.set_product_photo(product.id, JPEG)
    key = db.session.get(Product, product.id).image_key
    assert key == "cld:sweetshop/products/photo1"
    action, params, file = fake_cloudinary.uploads[0]
    # Cloudinary gets the photo re-encoded, without the phone's EXIF (GPS, camera).
    assert file.startswith(b"\xff\xd8\xff") and file != JPEG
    assert CAMERA.encode() not in file and b"Exif" not in file
    assert params["api_key"] == API_KEY and params["folder"] == "sweetshop/products"
    assert "timestamp" in params and params["signature"]

    catalog_admin.set_product_photo(product.id, photo_bytes("PNG"))
    assert db.session.get(Product, product.id).image_key == "cld:sweetshop/products/photo2"
    assert fake_cloudinary.destroyed == ["sweetshop/products/photo1"]


def test_a_failed_upload_changes_nothing_and_says_so(ctx, fake_cloudinary):
    product = make_product()
    fake_cloudinary.fail_with = 503
    with pytest.raises(PhotoNotSaved, match="could not be uploaded"):
        catalog_admin.set_product_photo(product.id, JPEG)
    assert db.session.get(Product, product.id).image_key is None


def test_a_slow_cloudinary_times_out_instead_of_hanging_the_page(app, ctx, fake_cloudinary):
    product = make_product()
    app.extensions["image_stores"]["cloudinary"].timeout = 0.3
    fake_cloudinary.delay = 1.5
    started = time.monotonic()
    with pytest.raises(PhotoNotSaved):
        catalog_admin.set_product_photo(product.id, JPEG)
    assert time.monotonic() - started < 1.2
    assert db.session.get(Product, product.id).image_key is None


def test_storefront_images_are_responsive_lazy_and_sized(app, ctx, fake_cloudinary):
    product = make_product()
    product.image_key = "cld:sweetshop/products/photo9"
    with app.test_request_context():
        html = str(photos.image_tag(product, sizes="50vw"))
        eager = str(photos.image_tag(product, eager=True, alt="Kaju"))
    base = f"https://res.cloudinary.com/{CLOUD}/image/upload/"
    for width in photos.WIDTHS:
        assert f"{base}c_fill,f_auto,g_auto,h_{width * 3 // 4},q_auto,w_{width}/" \
               f"v1/sweetshop/products/photo9 {width}w" in html
    assert 'sizes="50vw"' in html and 'loading="lazy"' in html and 'decoding="async"' in html
    assert 'width="960" height="720"' in html
    assert 'loading="lazy"' not in eager and 'alt="Kaju"' in eager


def test_local_photos_are_served_with_long_cache_and_no_traversal(app, client, local_photos):
    with app.app_context():
        photo = catalog_admin.check_photo(JPEG)
        key = photos.store_image(photo)
        with pytest.raises(TypeError):  # never the bytes as uploaded
            photos.store_image(JPEG)
    name = key.removeprefix("local:")
    response = client.get(f"/media/{name}")
    # the JPEG fallback of its renditions (images.renditions), decoded like the upload
    assert response.status_code == 200 and response.data.startswith(b"\xff\xd8\xff")
    assert response.mimetype == "image/jpeg"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    for bad in ("../../wsgi.py", "..%2F..%2Fwsgi.py", ".hidden.jpg", "x.svg", "nothere1234.jpg"):
        assert client.get(f"/media/{bad}").status_code == 404, bad
