"""The owner's catalogue: categories, products, packs and photos.

Every function that changes something commits its own transaction and raises a DomainError
(with the form field it is about) when a rule refuses the change. Pack changes lock the
product row, so two phones editing packs at once cannot leave a product with no active
pack or with two defaults.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from .. import images
from ..extensions import db
from ..formatting import format_rupees
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..images import CleanImage
from ..integrations import cloudinary as photos
from ..models import Category, Product, Unit, Variant
from ..search.keys import slug_words, split_aliases
from ..search.service import refresh_category, refresh_product
from .errors import DomainError, InvalidInput, NotFound

log = logging.getLogger(__name__)

PRODUCT_STATUSES = ("all", "active", "hidden", "low")
MAX_PACK_QUANTITY = 100_000      # 100 kg or 100,000 pieces in one pack is surely a typo
MAX_PRICE_PAISE = 10_000_000     # ₹1,00,000 for one pack, likewise


class PhotoNotSaved(DomainError):
    """The photo store (Cloudinary) failed; nothing about the product changed."""
    status_code = 503


@dataclass(frozen=True)
class ProductDetails:
    name: str
    description: str
    category_id: int
    unit: Unit
    active: bool
    low_stock_threshold: int
    # Hindi beside English (either may be empty), and the other names customers search by.
    name_hi: str = ""
    description_hi: str = ""
    aliases: str = ""


@dataclass(frozen=True)
class PackDetails:
    name: str
    quantity: int
    price_paise: int
    name_hi: str = ""


# --- reading -----------------------------------------------------------------------------

def list_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))


def list_products(search: str = "", category_id: int | None = None,
                  status: str = "all") -> list[Product]:
    """Products for the admin list, filtered by name, category and active/hidden/low stock."""
    stmt = (select(Product).join(Product.category)
            .options(joinedload(Product.category), selectinload(Product.variants))
            .order_by(Category.position, Category.id, Product.position, Product.name))
    search = (search or "").strip()[:80]
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Product.name.ilike(f"%{escaped}%", escape="\\"))
    if category_id:
        stmt = stmt.where(Product.category_id == category_id)
    if status == "active":
        stmt = stmt.where(Product.active.is_(True))
    elif status == "hidden":
        stmt = stmt.where(Product.active.is_(False))
    elif status == "low":
        stmt = stmt.where(Product.stock <= Product.low_stock_threshold)
    return list(db.session.scalars(stmt).unique())


def get_product(product_id: int) -> Product:
    product = db.session.scalars(
        select(Product).where(Product.id == product_id)
        .options(joinedload(Product.category), selectinload(Product.variants))).first()
    if product is None:
        raise NotFound(_("We could not find that sweet."))
    return product


def is_low_on_stock(product: Product) -> bool:
    return product.stock <= product.low_stock_threshold


# --- slugs -------------------------------------------------------------------------------

def slugify(text: str) -> str:
    """'Kaju Katli (Premium)' -> 'kaju-katli-premium', 'मलाई पेड़ा' -> 'malai-peda'
    (transliterated: search.keys.to_latin). A name with no letters to transliterate (emoji,
    a script we do not romanize) gets a short word made from its characters' code points."""
    slug = slug_words(text)[:60].strip("-")
    if not slug:
        slug = "s-" + "-".join(f"{ord(c):x}" for c in (text or "").strip()[:4]).lower()
    return slug.strip("-") or "sweet"


def _unique_slug(model, name: str, exclude_id: int | None = None) -> str:
    base = slugify(name)
    taken = set(db.session.scalars(
        select(model.slug).where(model.slug.like(f"{base}%"),
                                 model.id != (exclude_id or 0))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_name(name: str, limit: int, what: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Please give the category a name.") if what == "category"
                           else _("Please give the sweet a name."), field="name")
    if len(name) > limit:
        raise InvalidInput(_('Please keep the name under %(limit)s characters.', limit=limit), field="name")
    return name


# --- categories --------------------------------------------------------------------------

def _check_category_name_free(name: str, exclude_id: int | None = None) -> None:
    clash = db.session.scalar(select(Category.id).where(
        func.lower(Category.name) == name.lower(), Category.id != (exclude_id or 0)))
    if clash:
        raise DomainError(_("There is already a category with that name."), field="name")


def _clean_hindi(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    if len(text) > limit:
        raise InvalidInput(_("Please keep the Hindi name under %(limit)s characters.",
                             limit=limit), field="name_hi")
    return text


def create_category(name: str, name_hi: str = "") -> Category:
    """Add a category at the end of the list. Commits."""
    name_hi = _clean_hindi(name_hi, 80)
    name = _clean_name(name or name_hi, 80, "category")
    _check_category_name_free(name)
    last = db.session.scalar(select(func.max(Category.position))) or 0
    category = Category(name=name, name_hi=name_hi, slug=_unique_slug(Category, name),
                        position=last + 1)
    db.session.add(category)
    _commit_or_clash(_("There is already a category with that name."))
    return category


def rename_category(category_id: int, name: str, name_hi: str | None = None) -> Category:
    """Rename (and the Hindi name, unless None); the slug follows the name so storefront
    links read well; the category's sweets are found by its new words. Commits."""
    category = db.session.get(Category, category_id, with_for_update=True)
    if category is None:
        raise NotFound(_("We could not find that category."))
    if name_hi is not None:
        category.name_hi = _clean_hindi(name_hi, 80)
    name = _clean_name(name or category.name_hi, 80, "category")
    _check_category_name_free(name, category.id)
    if name != category.name:
        category.name = name
        category.slug = _unique_slug(Category, name, category.id)
    refresh_category(category)
    _commit_or_clash(_("There is already a category with that name."))
    return category


def move_category(category_id: int, direction: str) -> None:
    """Swap a category with its neighbour ("up" or "down"). Commits."""
    categories = list(db.session.scalars(
        select(Category).order_by(Category.position, Category.id).with_for_update()))
    _move(categories, category_id, direction, "category")
    db.session.commit()


def _move(items: list, item_id: int, direction: str, what: str) -> None:
    """Renumber items 0..n-1 in their order, with item_id moved one place up or down."""
    index = next((i for i, item in enumerate(items) if item.id == item_id), None)
    if index is None:
        raise NotFound(_("We could not find that category.") if what == "category"
                       else _("We could not find that pack."))
    if direction not in ("up", "down"):
        raise InvalidInput(_("Move it up or down."))
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    for position, item in enumerate(items):
        item.position = position


def _commit_or_clash(message: str, field: str = "name") -> None:
    # Two owners adding the same name at once: the unique index decides, we explain.
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(message, field=field) from None


# --- products ----------------------------------------------------------------------------

def _check_product_details(details: ProductDetails, exclude_id: int | None = None) -> str:
    name = _clean_name(details.name or details.name_hi, 120, "sweet")
    _clean_hindi(details.name_hi, 120)
    if len(details.aliases or "") > 500:
        raise InvalidInput(_("Please keep the other names under 500 characters."),
                           field="aliases")
    if db.session.get(Category, details.category_id) is None:
        raise InvalidInput(_("Please choose a category from the list."), field="category_id")
    if not 0 <= details.low_stock_threshold <= 10_000_000:
        raise InvalidInput(_("The threshold must be zero or more."), field="low_stock_threshold")
    clash = db.session.scalar(select(Product.id).where(
        func.lower(Product.name) == name.lower(), Product.id != (exclude_id or 0)))
    if clash:
        raise DomainError(_("There is already a sweet with that name."), field="name")
    return name


def create_product(details: ProductDetails, packs: list[PackDetails]) -> Product:
    """A new product with its first packs (at least one; the first is the default). Commits."""
    name = _check_product_details(details)
    if not packs:
        raise DomainError(_("Please add at least one pack, so customers can buy it."), field="packs")
    seen: set[str] = set()
    for index, pack in enumerate(packs):
        try:
            _check_pack(pack, details.unit)
        except DomainError as error:  # say which pack: field "packs-<index>-<name>"
            raise InvalidInput(error.message, field=f"packs-{index}-{error.field}") from None
        if pack.name.lower() in seen:
            raise DomainError(_('There are two packs called “%(name)s”.', name=pack.name),
                              field=f"packs-{index}-name")
        seen.add(pack.name.lower())
    last = db.session.scalar(select(func.max(Product.position))) or 0
    product = Product(name=name, slug=_unique_slug(Product, name),
                      description=(details.description or "").strip(),
                      category_id=details.category_id, unit=details.unit, active=details.active,
                      low_stock_threshold=details.low_stock_threshold, position=last + 1, stock=0,
                      name_hi=_clean_hindi(details.name_hi, 120),
                      description_hi=(details.description_hi or "").strip(),
                      aliases=_clean_aliases(details.aliases))
    db.session.add(product)
    refresh_product(product)
    for position, pack in enumerate(packs):
        product.variants.append(Variant(name=pack.name, name_hi=_clean_hindi(pack.name_hi, 60),
                                        quantity=pack.quantity,
                                        price_paise=pack.price_paise, position=position,
                                        is_default=position == 0, active=True))
    _commit_or_clash(_("There is already a sweet with that name."))
    return product


def update_product(product_id: int, details: ProductDetails) -> Product:
    """Change a product's details. "Sold by" can change only before it has packs or stock,
    since their numbers are in the old unit. Commits."""
    product = db.session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound(_("We could not find that sweet."))
    name = _check_product_details(details, product.id)
    if details.unit != product.unit and (product.variants or product.stock):
        raise DomainError(_("“Sold by” cannot change once the sweet has packs or stock."),
                          field="unit")
    if name != product.name:
        product.name = name
        product.slug = _unique_slug(Product, name, product.id)
    product.description = (details.description or "").strip()
    product.category_id = details.category_id
    product.unit = details.unit
    product.active = details.active
    product.low_stock_threshold = details.low_stock_threshold
    product.name_hi = _clean_hindi(details.name_hi, 120)
    product.description_hi = (details.description_hi or "").strip()
    product.aliases = _clean_aliases(details.aliases)
    refresh_product(product)
    _commit_or_clash(_("There is already a sweet with that name."))
    return product


def _clean_aliases(aliases: str | None) -> str:
    """'kaju barfi ,, काजू  कतली' -> 'kaju barfi, काजू कतली'."""
    return ", ".join(dict.fromkeys(" ".join(a.split()) for a in split_aliases(aliases or "")))


# --- packs -------------------------------------------------------------------------------

def _check_pack(pack: PackDetails, unit: Unit) -> None:
    if not pack.name.strip():
        raise InvalidInput(_("Please give the pack a name, like “500 g box”."), field="name")
    if len(pack.name) > 60:
        raise InvalidInput(_("Please keep the pack name under 60 characters."), field="name")
    if not 0 < pack.quantity <= MAX_PACK_QUANTITY:
        raise InvalidInput(_("The quantity must be a whole number of grams above zero.")
                           if unit is Unit.GRAM else
                           _("The quantity must be a whole number of pieces above zero."),
                           field="quantity")
    if not 0 < pack.price_paise <= MAX_PRICE_PAISE:
        raise InvalidInput(_("The price must be above ₹0 and at most ₹1,00,000."), field="price")


def _locked_product_and_pack(product_id: int, variant_id: int | None = None):
    product = db.session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound(_("We could not find that sweet."))
    db.session.refresh(product, ["variants"])
    if variant_id is None:
        return product, None
    variant = next((v for v in product.variants if v.id == variant_id), None)
    if variant is None:
        raise NotFound(_("We could not find that pack."))
    return product, variant


def _check_pack_name_free(product: Product, name: str, exclude_id: int | None = None) -> None:
    if any(v.name.lower() == name.lower() and v.id != exclude_id for v in product.variants):
        raise DomainError(_("This sweet already has a pack with that name."), field="name")


def add_pack(product_id: int, pack: PackDetails, actor=None) -> Variant:
    """Add a pack at the end; the first active pack of a product becomes its default. Commits."""
    product, _ = _locked_product_and_pack(product_id)
    pack = PackDetails(" ".join(pack.name.split()), pack.quantity, pack.price_paise,
                       _clean_hindi(pack.name_hi, 60))
    _check_pack(pack, product.unit)
    _check_pack_name_free(product, pack.name)
    variant = Variant(name=pack.name, name_hi=pack.name_hi, quantity=pack.quantity,
                      price_paise=pack.price_paise,
                      position=max((v.position for v in product.variants), default=-1) + 1,
                      active=True, is_default=not any(v.is_default for v in product.variants))
    product.variants.append(variant)
    if actor is not None:
        from . import audit
        audit.record(actor, "price", f"{product.name}: new pack {pack.name} at "
                     f"{format_rupees(pack.price_paise)}", product_id=product.id)
    db.session.commit()
    return variant


def update_pack(product_id: int, variant_id: int, pack: PackDetails, actor=None) -> Variant:
    """Rename or re-price a pack. Orders already placed keep their own copy. Commits."""
    product, variant = _locked_product_and_pack(product_id, variant_id)
    pack = PackDetails(" ".join(pack.name.split()), pack.quantity, pack.price_paise,
                       _clean_hindi(pack.name_hi, 60))
    _check_pack(pack, product.unit)
    _check_pack_name_free(product, pack.name, variant.id)
    old_price = variant.price_paise
    variant.name, variant.quantity, variant.price_paise = pack.name, pack.quantity, pack.price_paise
    variant.name_hi = pack.name_hi
    if actor is not None:
        from . import audit
        audit.record(actor, "price", f"{product.name}, {pack.name}: "
                     f"{format_rupees(old_price)} → {format_rupees(pack.price_paise)}",
                     product_id=product.id)
    db.session.commit()
    return variant


def move_pack(product_id: int, variant_id: int, direction: str) -> None:
    """Swap a pack with its neighbour in the order customers see. Commits."""
    product, _ = _locked_product_and_pack(product_id, variant_id)
    ordered = sorted(product.variants, key=lambda v: (v.position, v.id))
    _move(ordered, variant_id, direction, "pack")
    db.session.commit()


def set_pack_active(product_id: int, variant_id: int, active: bool) -> Variant:
    """Hide or show a pack. The last active pack cannot be hidden; hiding the default makes
    the next active pack the default. Commits."""
    product, variant = _locked_product_and_pack(product_id, variant_id)
    if not active and variant.active:
        others = [v for v in sorted(product.variants, key=lambda v: (v.position, v.id))
                  if v.active and v.id != variant.id]
        if not others:
            raise DomainError(_("A sweet needs at least one pack on sale. Add another pack "
                              "first, or hide the whole sweet."), field="pack")
        if variant.is_default:
            variant.is_default = False
            db.session.flush()  # one default per product (partial unique index): clear first
            others[0].is_default = True
    variant.active = active
    if active and not any(v.is_default for v in product.variants):
        variant.is_default = True
    db.session.commit()
    return variant


def make_default_pack(product_id: int, variant_id: int) -> Variant:
    """The pack chosen when a customer opens the sweet. Must be on sale. Commits."""
    product, variant = _locked_product_and_pack(product_id, variant_id)
    if not variant.active:
        raise DomainError(_("Show this pack before making it the default."), field="pack")
    for other in product.variants:
        if other.is_default and other.id != variant.id:
            other.is_default = False
    db.session.flush()  # clear the old default before setting the new (partial unique index)
    variant.is_default = True
    db.session.commit()
    return variant


# --- photos ------------------------------------------------------------------------------

PHOTO_TOO_LARGE = (_l("That photo is too large: at most {megapixels} megapixels (for example "
                   "7,000 × 5,700). Please make it smaller or choose another."))
PHOTO_UNREADABLE = (_l("That photo could not be read: the file may be damaged or incomplete. "
                    "Please choose another."))


def check_photo(data: bytes) -> CleanImage:
    """The photo decoded and re-encoded without metadata (EXIF/GPS, profiles), or
    InvalidInput (field 'photo'): over 5 MB, not a JPEG/PNG/WebP by its content, more
    than ~40 megapixels, or not decodable. Nothing is ever stored byte for byte."""
    if len(data) > photos.MAX_BYTES:
        raise InvalidInput(_("That photo is larger than 5 MB. Please choose a smaller one."),
                           field="photo")
    kind = photos.sniff_image_type(data)
    if kind is None:
        raise InvalidInput(_("That file is not a JPEG, PNG or WebP photo. Please choose a photo."),
                           field="photo")
    try:
        return images.clean_image(data, kind)
    except images.ImageRefused as refused:
        log.info("Photo refused: %s", refused)
        if refused.reason == "too_large":
            raise InvalidInput(PHOTO_TOO_LARGE.format(
                megapixels=images.MAX_PIXELS // 1_000_000), field="photo") from None
        raise InvalidInput(PHOTO_UNREADABLE, field="photo") from None


def set_product_photo(product_id: int, photo: CleanImage | bytes) -> Product:
    """Store a new photo and point the product at it, then remove the old one. Commits.

    `photo` is what check_photo returned (raw bytes are checked here). The upload happens
    before the row is locked (it may take seconds). If saving the key fails, the new
    upload is removed again; if removing the old photo fails, it is logged: an orphaned
    file is better than a product without its photo.
    """
    if not isinstance(photo, CleanImage):
        photo = check_photo(photo)
    if db.session.get(Product, product_id) is None:
        raise NotFound(_("We could not find that sweet."))
    db.session.rollback()  # no transaction held open during the upload
    try:
        key = photos.store_image(photo)
    except photos.ImageStoreError:
        log.exception("Photo upload failed for product %s", product_id)
        raise PhotoNotSaved(_("The photo could not be uploaded just now. Please try again."),
                            field="photo") from None
    try:
        product = db.session.get(Product, product_id, with_for_update=True)
        if product is None:
            raise NotFound(_("We could not find that sweet."))
        old_key, product.image_key = product.image_key, key
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _delete_quietly(key)
        raise
    _delete_quietly(old_key)
    return product


def clean_stored_photos() -> tuple[int, int]:
    """Re-encode every photo kept on local disk before uploads were cleaned (they may carry
    the owner's GPS position), under a new name, removing the old file. Returns (cleaned,
    refused); a refused file is logged and left as it is. Commits per product. Meant to run
    once after upgrading: running it again re-encodes again (harmless, slightly lossy).
    Photos already at Cloudinary are not touched: their originals there may still carry
    metadata (upload them again from the product page to replace them)."""
    local = photos.local_store()
    cleaned = refused = 0
    rows = db.session.execute(select(Product.id, Product.image_key).where(
        Product.image_key.startswith(local.prefix)).order_by(Product.id)).all()
    db.session.rollback()
    for product_id, key in rows:
        path = local.path_for(key[len(local.prefix):])
        if path is None or not path.is_file():
            continue
        try:
            set_product_photo(product_id, path.read_bytes())
            cleaned += 1
        except DomainError as error:
            log.warning("Photo %s of product %s left as it is: %s", key, product_id,
                        error.message)
            refused += 1
    return cleaned, refused


def _delete_quietly(key: str | None) -> None:
    try:
        photos.delete_image(key)
    except photos.ImageStoreError:
        log.exception("Could not remove the photo %s", key)
