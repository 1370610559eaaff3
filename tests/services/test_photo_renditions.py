"""Issue 13, photos without Cloudinary: resized at upload into AVIF/WebP (+ JPEG) at 240,
480 and 960 px, 4:3, EXIF stripped, sRGB; served with srcset/sizes and width/height."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from sweetshop import images
from sweetshop.extensions import db
from sweetshop.models import Product
from sweetshop.services import catalog_admin as ca
from tests.factories import make_product
from tests.photo_fixtures import bomb_png, local_photos, photo_bytes, srgb_icc  # noqa: F401


def test_an_upload_becomes_every_width_and_format_without_metadata(ctx, local_photos):  # noqa: F811
    product = make_product()
    ca.set_product_photo(product.id, photo_bytes("JPEG", size=(2000, 1600), gps=True,
                                                 icc=srgb_icc()))
    key = db.session.get(Product, product.id).image_key
    names = sorted(p.name for p in local_photos.iterdir())
    stem = key.removeprefix("local:")[:-4]
    formats = [*images.MODERN_FORMATS, "jpg"]
    assert "avif" in images.MODERN_FORMATS  # this Pillow encodes AVIF
    assert names == sorted([f"{stem}.jpg"] + [f"{stem}-w{w}.{f}" for w in (240, 480, 960)
                                              for f in formats])
    for name in names:
        data = (local_photos / name).read_bytes()
        image = Image.open(io.BytesIO(data))
        assert image.width * 3 == image.height * 4  # 4:3
        assert not image.getexif() and not image.info.get("icc_profile")
        assert b"GPS" not in data


def test_the_storefront_serves_a_picture_with_srcset_sizes_and_dimensions(
        app, client, in_db, local_photos):  # noqa: F811
    def build():
        product = make_product("Kaju Katli")
        ca.set_product_photo(product.id, photo_bytes("PNG", size=(1200, 900)))
        return db.session.get(Product, product.id).image_key
    key = in_db(build)
    stem = key.removeprefix("local:")[:-4]
    html = client.get("/").get_data(as_text=True)
    assert f'<source type="image/avif" srcset="/media/{stem}-w240.avif 240w, ' in html
    assert 'type="image/webp"' in html and 'sizes="(min-width: 56rem) 15rem' in html
    assert 'width="960" height="720"' in html and f'src="/media/{stem}.jpg"' in html
    served = client.get(f"/media/{stem}-w480.avif")
    assert served.status_code == 200 and served.mimetype == "image/avif"
    assert "immutable" in served.headers["Cache-Control"]


def test_a_small_photo_is_not_enlarged(ctx, local_photos):  # noqa: F811
    product = make_product()
    ca.set_product_photo(product.id, photo_bytes("JPEG", size=(400, 300)))
    widths = {int(p.stem.rsplit("-w", 1)[1]) for p in local_photos.iterdir() if "-w" in p.name}
    assert widths == {240, 400}


def test_a_decompression_bomb_is_refused_with_a_message_and_nothing_stored(
        ctx, local_photos):  # noqa: F811
    product = make_product()
    with pytest.raises(ca.InvalidInput, match="at most 40 megapixels"):
        ca.set_product_photo(product.id, bomb_png())
    assert not local_photos.exists() or not list(local_photos.iterdir())


def test_replacing_a_photo_removes_all_its_renditions(ctx, local_photos):  # noqa: F811
    product = make_product()
    ca.set_product_photo(product.id, photo_bytes("JPEG", size=(1000, 750)))
    ca.set_product_photo(product.id, photo_bytes("WEBP", size=(1000, 750)))
    key = db.session.get(Product, product.id).image_key.removeprefix("local:")
    assert all(p.name.startswith(key[:-4]) for p in local_photos.iterdir())


def test_demo_pictures_are_drawn_not_downloaded_and_go_through_the_upload_path(
        ctx, local_photos):  # noqa: F811
    from sweetshop.demo_pictures import draw
    image = Image.open(io.BytesIO(draw("jamun")))
    assert image.size == (960, 720) and image.format == "PNG"
    product = make_product("Gulab Jamun")
    ca.set_product_photo(product.id, draw("jamun"))
    assert db.session.get(Product, product.id).image_key.startswith("local:rs-")
