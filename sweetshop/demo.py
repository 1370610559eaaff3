"""The demo catalogue: real mithai, sensible prices, one sweet sold out."""
from __future__ import annotations

from sqlalchemy import select

from .extensions import db
from .models import AdminUser, Category, Product, Unit, Variant
from .services.admin_auth import create_or_reset_admin
from .services.catalog_admin import slugify
from .services.shop import get_settings
from .services.stock import record_movement

# The owner account `make run` creates on a fresh database, so the admin pages can be tried.
DEMO_OWNER_EMAIL = "owner@example.com"
DEMO_OWNER_PASSWORD = "mithai-demo-2026"

CATEGORIES = [
    ("Barfi & Katli", "barfi-katli"),
    ("Laddoo", "laddoo"),
    ("Bengali & Syrup Sweets", "bengali-syrup"),
    ("Halwa & Festive", "halwa-festive"),
]

# (category slug, name, description, unit, stock, [(pack name, quantity, price in rupees)])
PRODUCTS = [
    ("barfi-katli", "Kaju Katli",
     "Thin diamonds of cashew fudge, finished with edible silver leaf. Our best seller.",
     Unit.GRAM, 4000, [("250 g", 250, 300), ("500 g", 500, 580), ("1 kg", 1000, 1150)]),
    ("barfi-katli", "Milk Cake",
     "Slow-cooked milk, caramelised until grainy and golden at the heart.",
     Unit.GRAM, 3000, [("250 g", 250, 180), ("500 g", 500, 350), ("1 kg", 1000, 680)]),
    ("barfi-katli", "Kalakand",
     "Soft, moist milk cake from fresh chhena, with cardamom and pistachio.",
     Unit.GRAM, 2500, [("250 g", 250, 170), ("500 g", 500, 330), ("1 kg", 1000, 640)]),
    ("barfi-katli", "Dry Fruit Barfi",
     "Dates, figs, almonds and cashews pressed together, with no added sugar.",
     Unit.GRAM, 0, [("250 g", 250, 420), ("500 g", 500, 820)]),
    ("barfi-katli", "Soan Papdi",
     "Flaky, melt-in-the-mouth layers of gram flour and ghee.",
     Unit.GRAM, 6000, [("250 g", 250, 110), ("500 g", 500, 210), ("1 kg", 1000, 400)]),
    ("laddoo", "Motichoor Laddoo",
     "Tiny pearls of boondi fried in ghee, soaked in saffron syrup.",
     Unit.GRAM, 5000, [("250 g", 250, 150), ("500 g", 500, 290), ("1 kg", 1000, 560)]),
    ("laddoo", "Besan Laddoo",
     "Gram flour roasted slowly in pure ghee until nutty, with cardamom.",
     Unit.GRAM, 4000, [("250 g", 250, 160), ("500 g", 500, 310), ("1 kg", 1000, 600)]),
    ("bengali-syrup", "Gulab Jamun",
     "Khoya dumplings fried golden and soaked in rose-scented syrup. Sold by the piece.",
     Unit.PIECE, 120, [("Single piece", 1, 25), ("Tin of 12", 12, 280), ("Tin of 24", 24, 540)]),
    ("bengali-syrup", "Rasgulla",
     "Spongy chhena balls in light sugar syrup, the Bengali way.",
     Unit.PIECE, 80, [("Box of 6", 6, 150), ("Box of 12", 12, 290)]),
    ("halwa-festive", "Jalebi",
     "Crisp spirals fried to order and dipped in warm saffron syrup.",
     Unit.GRAM, 3000, [("250 g", 250, 100), ("500 g", 500, 190)]),
    ("halwa-festive", "Moong Dal Halwa",
     "Lentils cooked for hours in ghee and milk, a winter favourite.",
     Unit.GRAM, 2000, [("250 g", 250, 200), ("500 g", 500, 390)]),
]


def seed_demo(pictures: bool = True) -> bool:
    """Load the demo catalogue once. Idempotent: returns False (and changes nothing) when the
    catalogue already has these sweets."""
    if db.session.scalar(select(Product).where(Product.name == "Kaju Katli")) is not None:
        return False
    settings = get_settings()
    settings.name = "Mithaas Sweets"
    settings.tagline = "Fresh mithai, made every morning in ghee"
    settings.phone = "+919876543210"
    settings.delivery_fee_paise = 4000
    settings.free_delivery_above_paise = 99900
    settings.min_order_paise = 20000
    settings.address = "14, 2nd Cross, Chickpet Main Road\nBengaluru, Karnataka 560053"
    settings.fssai_number = "11224999000123"
    settings.serviceable_pincodes = ", ".join(DEMO_PINCODES)
    categories = {}
    for position, (name, slug) in enumerate(CATEGORIES):
        category = db.session.scalar(select(Category).where(Category.slug == slug))
        if category is None:
            category = Category(name=name, slug=slug, position=position)
            db.session.add(category)
        categories[slug] = category
    for position, (cat, name, description, unit, stock, packs) in enumerate(PRODUCTS):
        product = Product(category=categories[cat], name=name, slug=slugify(name),
                          description=description, unit=unit, stock=0, position=position,
                          low_stock_threshold=1000 if unit is Unit.GRAM else 24)
        db.session.add(product)
        for i, (pack, quantity, rupees) in enumerate(packs):
            product.variants.append(Variant(name=pack, quantity=quantity,
                                            price_paise=rupees * 100, position=i,
                                            is_default=(i == 0)))
        if stock:
            db.session.flush()
            record_movement(product, stock, "opening stock", actor="seed-demo")
    db.session.commit()
    if pictures:
        add_demo_pictures()
    return True


# Central Bengaluru, around the (made-up) shop.
DEMO_PINCODES = ("560001", "560002", "560009", "560025", "560038", "560053", "560004")


def add_demo_pictures() -> int:
    """Give each demo sweet without a photo its drawn picture (sweetshop/demo_pictures),
    through the same path as an owner's upload. Returns how many were added."""
    from .demo_pictures import PICTURES, draw
    from .services.catalog_admin import set_product_photo

    added = 0
    for product in db.session.scalars(select(Product).where(
            Product.name.in_(PICTURES), Product.image_key.is_(None))).all():
        set_product_photo(product.id, draw(PICTURES[product.name]))
        added += 1
    return added


def seed_demo_owner(email: str = DEMO_OWNER_EMAIL, password: str = DEMO_OWNER_PASSWORD) -> bool:
    """Create the demo owner, only while the shop has no owner account at all. Returns False
    and changes nothing otherwise, so a password changed since (or an owner of one's own)
    survives every restart of `make run`. Commits when it creates."""
    if db.session.scalar(select(AdminUser.id).limit(1)) is not None:
        return False
    create_or_reset_admin(email, password)
    return True
