"""Builders for assorted-box tests: sweets by weight, a box type allowing them, boxes in carts."""
from __future__ import annotations

from sweetshop.models import BoxDivision, BoxPricing, Unit
from sweetshop.services import boxes as box_service
from sweetshop.services.box_types import BoxTypeDetails, save_box_type
from tests.factories import make_product

# Four sweets at ₹1,150, ₹800, ₹600 and ₹520 a kilogram (their 1 kg packs).
SWEETS = (("Kaju Katli", 115000), ("Milk Cake", 80000), ("Motichoor Laddoo", 60000),
          ("Besan Laddoo", 52000))


def make_sweets(stock: int = 5000) -> list:
    return [make_product(name, stock=stock, packs=(("250 g", 250, price // 4 + 2000),
                                                   ("500 g", 500, price // 2 + 1000),
                                                   ("1 kg", 1000, price)))
            for name, price in SWEETS]


def make_box_type(sweets, *, name: str = "Assorted gift box", size: int = 1000,
                  compartments: int | None = 4, step: int | None = None,
                  min_sweets: int = 1, max_sweets: int = 4, box_charge_paise: int = 0,
                  fixed_price_paise: int | None = None, unit: Unit = Unit.GRAM,
                  active: bool = True):
    division = BoxDivision.COMPARTMENTS if step is None else BoxDivision.FREE
    return save_box_type(BoxTypeDetails(
        name=name, description="Four sweets in one box.", unit=unit, size=size,
        division=division, compartments=compartments if step is None else None, step=step,
        min_sweets=min_sweets, max_sweets=max_sweets, box_charge_paise=box_charge_paise,
        pricing=BoxPricing.FIXED if fixed_price_paise else BoxPricing.SUM,
        fixed_price_paise=fixed_price_paise, sweet_ids=tuple(s.id for s in sweets),
        active=active))


def add_box(token, box_type, parts: dict, gift_message: str = "", quantity: int = 1):
    """parts: {product: amount} or {product id: amount}."""
    parts = {getattr(p, "id", p): amount for p, amount in parts.items()}
    return box_service.add_box_to_cart(token, box_type.id, parts, gift_message, quantity)[0]
