"""The owner's catalogue rules: slugs, packs and their default, categories, photos."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import Category, Product, Unit, Variant
from sweetshop.services import catalog_admin as ca
from sweetshop.services.catalog_admin import PackDetails, ProductDetails
from sweetshop.services.errors import DomainError, InvalidInput, NotFound
from tests.factories import make_product, variant_named
from tests.photo_fixtures import (  # noqa: F401  (fixture)
    bomb_png,
    local_photos,
    photo_bytes,
    srgb_icc,
    truncated,
)

JPEG = photo_bytes("JPEG")


def details(category_id, **overrides) -> ProductDetails:
    values = dict(name="Kaju Katli", description="Cashew fudge", category_id=category_id,
                  unit=Unit.GRAM, active=True, low_stock_threshold=500)
    values.update(overrides)
    return ProductDetails(**values)


@pytest.fixture
def category(ctx):
    return ca.create_category("Barfi")


def test_slugs_are_readable_and_unique(category):
    first = ca.create_product(details(category.id, name="Kaju Katli (Premium)"),
                              [PackDetails("250 g", 250, 30000)])
    assert first.slug == "kaju-katli-premium"
    second = ca.create_product(details(category.id, name="Kaju-Katli Premium"),
                               [PackDetails("250 g", 250, 30000)])
    assert second.slug == "kaju-katli-premium-2"
    # Devanagari names are transliterated, never a fixed fallback word.
    assert ca.slugify("मोतीचूर लड्डू") == "motichur-laddu"
    assert ca.slugify("मलाई पेड़ा") == "malai-peda"
    hindi = ca.create_product(details(category.id, name="मलाई पेड़ा"),
                              [PackDetails("250 g", 250, 30000)])
    again = ca.create_product(details(category.id, name="Malai Peda"),
                              [PackDetails("250 g", 250, 30000)])
    assert (hindi.slug, again.slug) == ("malai-peda", "malai-peda-2")


def test_new_product_needs_a_pack_and_a_free_name(category):
    with pytest.raises(DomainError) as error:
        ca.create_product(details(category.id), [])
    assert error.value.field == "packs"
    ca.create_product(details(category.id), [PackDetails("250 g", 250, 30000)])
    with pytest.raises(DomainError) as error:
        ca.create_product(details(category.id, name="kaju  katli"), [PackDetails("1 kg", 1000, 1)])
    assert error.value.field == "name"


def test_bad_pack_on_a_new_product_names_its_row(category):
    with pytest.raises(InvalidInput) as error:
        ca.create_product(details(category.id), [PackDetails("250 g", 250, 30000),
                                                 PackDetails("1 kg", 0, 100000)])
    assert error.value.field == "packs-1-quantity"
    assert db.session.scalar(select(Product.id)) is None


def test_first_pack_is_the_default(category):
    product = ca.create_product(details(category.id), [PackDetails("250 g", 250, 30000),
                                                       PackDetails("500 g", 500, 58000)])
    assert [(v.name, v.is_default, v.position) for v in product.variants] == [
        ("250 g", True, 0), ("500 g", False, 1)]


def test_choosing_another_default_keeps_exactly_one(ctx):
    product = make_product()
    ca.make_default_pack(product.id, variant_named(product, "1 kg").id)
    db.session.expire_all()
    defaults = db.session.scalars(select(Variant.name).where(
        Variant.product_id == product.id, Variant.is_default)).all()
    assert defaults == ["1 kg"]


def test_the_last_active_pack_cannot_be_hidden(ctx):
    product = make_product(packs=(("250 g", 250, 30000), ("500 g", 500, 58000)))
    ca.set_pack_active(product.id, variant_named(product, "500 g").id, False)
    with pytest.raises(DomainError, match="at least one pack"):
        ca.set_pack_active(product.id, variant_named(product, "250 g").id, False)


def test_hiding_the_default_moves_the_default_to_the_next_pack(ctx):
    product = make_product()
    ca.set_pack_active(product.id, variant_named(product, "250 g").id, False)
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.default_variant.name == "500 g"
    assert not variant_named(product, "250 g").is_default
    with pytest.raises(DomainError, match="Show this pack"):
        ca.make_default_pack(product.id, variant_named(product, "250 g").id)


def test_packs_are_renamed_repriced_and_reordered(ctx):
    product = make_product()
    small = variant_named(product, "250 g")
    ca.update_pack(product.id, small.id, PackDetails("Quarter kilo", 250, 31050))
    ca.move_pack(product.id, small.id, "down")
    ca.move_pack(product.id, small.id, "down")
    ca.move_pack(product.id, small.id, "down")  # already last: stays
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert [v.name for v in product.variants] == ["500 g", "1 kg", "Quarter kilo"]
    assert variant_named(product, "Quarter kilo").price_paise == 31050


def test_pack_names_are_unique_within_a_sweet(ctx):
    product = make_product()
    with pytest.raises(DomainError) as error:
        ca.add_pack(product.id, PackDetails("500 G", 500, 1000))
    assert error.value.field == "name"
    with pytest.raises(NotFound):
        ca.update_pack(product.id, 999_999, PackDetails("x", 1, 1))


def test_sold_by_cannot_change_once_there_are_packs(ctx):
    product = make_product()
    with pytest.raises(DomainError) as error:
        ca.update_product(product.id, details(product.category_id, name=product.name,
                                              unit=Unit.PIECE))
    assert error.value.field == "unit"


def test_renaming_a_product_moves_its_slug(ctx):
    product = make_product("Peda")
    ca.update_product(product.id, details(product.category_id, name="Mathura Peda"))
    assert db.session.get(Product, product.id).slug == "mathura-peda"


def test_categories_are_added_renamed_and_reordered(ctx):
    barfi = ca.create_category("Barfi")
    ladoo = ca.create_category("Ladoo")
    with pytest.raises(DomainError):
        ca.create_category(" barfi ")
    ca.rename_category(ladoo.id, "Laddoo")
    ca.move_category(ladoo.id, "up")
    db.session.expire_all()
    assert [(c.name, c.slug) for c in ca.list_categories()] == [
        ("Laddoo", "laddoo"), ("Barfi", "barfi")]
    assert barfi.id


def test_product_list_filters(ctx):
    a = make_product("Kaju Katli", stock=100)
    make_product("Rasgulla", active=False)
    with_threshold = db.session.get(Product, a.id)
    with_threshold.low_stock_threshold = 500
    db.session.commit()
    assert [p.name for p in ca.list_products("kaju")] == ["Kaju Katli"]
    assert [p.name for p in ca.list_products(status="hidden")] == ["Rasgulla"]
    assert [p.name for p in ca.list_products(status="low")] == ["Kaju Katli"]
    assert [p.name for p in ca.list_products(category_id=a.category_id)] == ["Kaju Katli"]
    assert ca.list_products("100%_") == []


def test_photo_is_judged_by_content_and_size():
    assert ca.check_photo(JPEG).ext == "jpg"
    assert ca.check_photo(photo_bytes("PNG")).ext == "png"
    assert ca.check_photo(photo_bytes("WEBP")).ext == "webp"
    with pytest.raises(InvalidInput, match="could not be read"):  # the magic bytes alone
        ca.check_photo(b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 50)
    with pytest.raises(InvalidInput, match="not a JPEG, PNG or WebP"):
        ca.check_photo(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    with pytest.raises(InvalidInput, match="larger than 5 MB"):
        ca.check_photo(JPEG + b"\x00" * (5 * 1024 * 1024))


def test_replacing_a_local_photo_removes_the_old_file(ctx, local_photos):
    product = make_product()
    ca.set_product_photo(product.id, JPEG)
    first = db.session.get(Product, product.id).image_key
    assert first.startswith("local:") and first.endswith(".jpg")
    assert (local_photos / first.removeprefix("local:")).read_bytes()[:3] == b"\xff\xd8\xff"
    ca.set_product_photo(product.id, photo_bytes("PNG"))
    second = db.session.get(Product, product.id).image_key
    # kept as a JPEG fallback with its renditions beside it (issue 13)
    assert second.endswith(".jpg") and second != first
    assert not (local_photos / first.removeprefix("local:")).exists()
    stem = second.removeprefix("local:")[:-4]
    assert all(p.name.startswith(stem) for p in local_photos.iterdir())


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_every_photo_is_re_encoded_without_metadata(fmt):
    from PIL import Image

    original = photo_bytes(fmt, size=(120, 90), gps=True, icc=srgb_icc())
    before = Image.open(io.BytesIO(original))
    assert before.getexif().get_ifd(0x8825) and before.info.get("icc_profile")
    photo = ca.check_photo(original)
    after = Image.open(io.BytesIO(photo.data))
    assert after.format == fmt and after.size == (120, 90) == (photo.width, photo.height)
    assert not after.getexif() and not after.info.get("icc_profile")
    assert not after.info.get("exif") and not after.info.get("xmp")
    assert after.convert("RGB").getpixel((60, 45)) == pytest.approx((200, 120, 40), abs=6)


def test_a_photo_taken_sideways_is_stored_upright():
    from PIL import Image

    photo = ca.check_photo(photo_bytes("JPEG", size=(80, 40), orientation=6))  # rotated 90°
    assert Image.open(io.BytesIO(photo.data)).size == (40, 80) == (photo.width, photo.height)


def test_bombs_and_broken_photos_are_refused_before_storing(ctx, local_photos):
    product = make_product()
    for data, message in [(bomb_png(), "at most 40 megapixels"),
                          (bomb_png(7000, 6000), "at most 40 megapixels"),
                          (truncated(photo_bytes("JPEG", size=(400, 300))), "could not be read"),
                          (truncated(photo_bytes("WEBP", size=(400, 300))), "could not be read")]:
        with pytest.raises(InvalidInput, match=message) as refused:
            ca.set_product_photo(product.id, data)
        assert refused.value.field == "photo"
    assert db.session.get(Product, product.id).image_key is None
    assert not local_photos.exists() or list(local_photos.iterdir()) == []


def test_refused_category_names_change_nothing(ctx):
    with pytest.raises(InvalidInput):
        ca.create_category("   ")
    assert db.session.scalar(select(Category.id)) is None


def test_photos_stored_before_cleaning_are_re_encoded_by_the_command(app, ctx, local_photos):
    from PIL import Image

    product = make_product()
    local_photos.mkdir(parents=True)
    old_name = "oldphoto1234.jpg"
    (local_photos / old_name).write_bytes(photo_bytes("JPEG", gps=True))  # as stored before
    product.image_key = f"local:{old_name}"
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["clean-photos"])
    assert "1 photos re-encoded" in result.output, result.output
    db.session.expire_all()
    key = db.session.get(Product, product.id).image_key
    assert key != f"local:{old_name}" and not (local_photos / old_name).exists()
    stored = Image.open(local_photos / key.removeprefix("local:"))
    assert not stored.getexif()
