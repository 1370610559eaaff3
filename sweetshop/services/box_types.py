"""The owner's box types: size, how a box is divided, which sweets go in, price, mixes.

Every function that changes something commits its own transaction and raises a DomainError
naming the form field it is about; on a refusal nothing is written.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..formatting import format_quantity
from ..i18n import gettext as _
from ..models import BoxDivision, BoxMix, BoxMixPart, BoxPricing, BoxType, Product, Unit
from .boxes import box_problems
from .errors import InvalidInput, NotFound

MAX_BOX_SIZE = 100_000          # 100 kg or 100,000 pieces in one box is surely a typo
MAX_PRICE_PAISE = 10_000_000    # ₹1,00,000 for one box, likewise
MAX_STEPS = 40                  # portions a customer chooses from, per sweet


@dataclass(frozen=True)
class BoxTypeDetails:
    name: str
    description: str = ""
    unit: Unit = Unit.GRAM
    size: int = 1000
    division: BoxDivision = BoxDivision.COMPARTMENTS
    compartments: int | None = 4   # for compartments
    step: int | None = None        # for free portions
    min_sweets: int = 1
    max_sweets: int = 4
    box_charge_paise: int = 0
    pricing: BoxPricing = BoxPricing.SUM
    fixed_price_paise: int | None = None
    sweet_ids: tuple[int, ...] = field(default_factory=tuple)
    active: bool = True


def list_box_types() -> list[BoxType]:
    return list(db.session.scalars(
        select(BoxType).options(selectinload(BoxType.sweets), selectinload(BoxType.mixes))
        .order_by(BoxType.position, BoxType.name)))


def get_box_type(box_type_id: int) -> BoxType:
    box_type = db.session.scalars(
        select(BoxType).where(BoxType.id == box_type_id).options(
            selectinload(BoxType.sweets).selectinload(Product.variants),
            selectinload(BoxType.mixes))).first() if 0 < box_type_id < 2**31 else None
    if box_type is None:
        raise NotFound(_("We could not find that box type."))
    return box_type


def sweets_for(unit: Unit | None = None) -> list[Product]:
    """Every sweet the owner could allow in a box (hidden ones too: they just cannot be
    chosen while hidden)."""
    stmt = select(Product).order_by(Product.position, Product.name)
    if unit is not None:
        stmt = stmt.where(Product.unit == unit)
    return list(db.session.scalars(stmt))


def _slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120] or "box"


def _check(details: BoxTypeDetails) -> int:
    """The portion step, once every rule holds; raises InvalidInput naming the field."""
    name = details.name.strip()
    if not name or len(name) > 120:
        raise InvalidInput(_("Please give the box a name (up to 120 characters)."), field="name")
    if not 0 < details.size <= MAX_BOX_SIZE:
        raise InvalidInput(_("Please give the box's size, e.g. 1000 for 1 kg."), field="size")
    if details.division is BoxDivision.COMPARTMENTS:
        count = details.compartments or 0
        if count < 1 or details.size % count:
            raise InvalidInput(_("The compartments must divide the box evenly, e.g. 4 × 250 g."),
                               field="compartments")
        step = details.size // count
    else:
        step = details.step or 0
        if step < 1 or details.size % step:
            raise InvalidInput(_("The step must divide the box evenly, e.g. 50 g in a 1 kg box."),
                               field="step")
    if details.size // step > MAX_STEPS:
        raise InvalidInput(_("That makes more than %(n)d portions to choose from; please use "
                             "a larger step.", n=MAX_STEPS), field="step")
    if details.min_sweets < 1:
        raise InvalidInput(_("At least one sweet must go in."), field="min_sweets")
    if details.max_sweets < details.min_sweets:
        raise InvalidInput(_("The most sweets cannot be fewer than the fewest."),
                           field="max_sweets")
    if details.min_sweets > details.size // step:
        raise InvalidInput(_("The box has room for only %(n)d portions.", n=details.size // step),
                           field="min_sweets")
    if not 0 <= details.box_charge_paise <= MAX_PRICE_PAISE:
        raise InvalidInput(_("Please give a box charge between ₹0 and ₹1,00,000."),
                           field="box_charge")
    if details.pricing is BoxPricing.FIXED and not (
            details.fixed_price_paise and 0 < details.fixed_price_paise <= MAX_PRICE_PAISE):
        raise InvalidInput(_("Please give the fixed price of one box."), field="fixed_price")
    return step


def _sweets(details: BoxTypeDetails) -> list[Product]:
    ids = sorted(set(details.sweet_ids))
    products = list(db.session.scalars(select(Product).where(Product.id.in_(ids)))) if ids else []
    if len(products) != len(ids):
        raise InvalidInput(_("One of those sweets no longer exists."), field="sweet_ids")
    for product in products:
        if Unit(product.unit) is not Unit(details.unit):
            unit = _("by weight") if Unit(details.unit) is Unit.GRAM else _("by the piece")
            raise InvalidInput(_("%(name)s is not sold %(unit)s like this box.",
                                 name=product.name, unit=unit), field="sweet_ids")
    if len(products) < details.min_sweets:
        raise InvalidInput(_("Allow at least as many sweets as the box needs."),
                           field="sweet_ids")
    return products


def save_box_type(details: BoxTypeDetails, box_type_id: int | None = None) -> BoxType:
    """Create a box type, or change one. Commits. Boxes already in carts are checked again
    against the new rules when the cart is shown; orders keep what they were sold as."""
    step = _check(details)
    name = details.name.strip()
    clash = db.session.scalar(select(BoxType.id).where(
        func.lower(BoxType.name) == name.lower(), BoxType.id != (box_type_id or 0)))
    if clash:
        raise InvalidInput(_("There is already a box called %(name)s.", name=name), field="name")
    sweets = _sweets(details)
    if box_type_id is None:
        box_type = BoxType(name=name, slug=_unique_slug(name),
                           position=(db.session.scalar(select(func.max(BoxType.position)))
                                     or 0) + 1)
        db.session.add(box_type)
    else:
        box_type = get_box_type(box_type_id)
        if box_type.name != name:
            box_type.slug = _unique_slug(name, box_type.id)
        box_type.name = name
    box_type.description = details.description.strip()[:2000]
    box_type.unit = details.unit
    box_type.size = details.size
    box_type.division = details.division
    box_type.step = step
    box_type.min_sweets = details.min_sweets
    box_type.max_sweets = details.max_sweets
    box_type.box_charge_paise = details.box_charge_paise
    box_type.pricing = details.pricing
    box_type.fixed_price_paise = (details.fixed_price_paise
                                  if details.pricing is BoxPricing.FIXED else None)
    box_type.sweets = sweets
    box_type.active = details.active
    db.session.commit()
    return box_type


def _unique_slug(name: str, own_id: int | None = None) -> str:
    base = _slugify(name)
    slug, n = base, 1
    while db.session.scalar(select(BoxType.id).where(BoxType.slug == slug,
                                                     BoxType.id != (own_id or 0))):
        n += 1
        slug = f"{base}-{n}"
    return slug


def set_box_type_active(box_type_id: int, active: bool) -> BoxType:
    box_type = get_box_type(box_type_id)
    box_type.active = active
    db.session.commit()
    return box_type


def save_mix(box_type_id: int, name: str, parts: dict[int, int]) -> BoxMix:
    """Add a ready-made mix, or replace the one of the same name. Its parts must make a
    valid box of this type (stock aside: a mix is a suggestion, checked again when bought)."""
    box_type = get_box_type(box_type_id)
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise InvalidInput(_("Please name the mix (up to 80 characters)."), field="mix_name")
    problems = box_problems(box_type, parts)
    if problems:
        raise InvalidInput(" ".join(problems), field="parts")
    mix = next((m for m in box_type.mixes if m.name.lower() == name.lower()), None)
    if mix is None:
        mix = BoxMix(name=name, position=len(box_type.mixes) + 1)
        box_type.mixes.append(mix)
    mix.parts = [BoxMixPart(product_id=pid, quantity=qty) for pid, qty in sorted(parts.items())]
    db.session.commit()
    return mix


def delete_mix(box_type_id: int, mix_id: int) -> None:
    box_type = get_box_type(box_type_id)
    mix = next((m for m in box_type.mixes if m.id == mix_id), None)
    if mix is None:
        db.session.rollback()
        return  # already gone
    box_type.mixes.remove(mix)
    db.session.commit()


def describe(box_type: BoxType) -> str:
    """'1 kg · 4 × 250 g' or '1 kg · portions of 50 g', for the owner's list."""
    size = format_quantity(box_type.size, box_type.unit)
    step = format_quantity(box_type.step, box_type.unit)
    if box_type.division is BoxDivision.COMPARTMENTS:
        return _("%(size)s · %(count)d × %(step)s", size=size, count=box_type.compartments,
                 step=step)
    return _("%(size)s · portions of %(step)s", size=size, step=step)
