#!/usr/bin/env python3
"""Bench set-up and checks that need the database, run inside the app (never in a request).

Called by bench/run.py with the bench environment (DATABASE_URL, SECRET_KEY, ...):

    python bench/fixtures.py info                     ids of the packs the bench uses
    python bench/fixtures.py set-stock SLUG N         set a product's stock to N (base unit)
    python bench/fixtures.py product-state SLUG       its stock and how many orders include it
    python bench/fixtures.py slot-cap N               orders per slot (0: none); prints the old
    python bench/fixtures.py slot-state VALUE         a slot's bookings ("2026-10-31T17:00")
    python bench/fixtures.py generate-products N      sweets added until there are N (Hinglish
                                                      names, Hindi names, aliases): search bench

Each prints one JSON object. Stock changes go through the ledger (record_movement under a
row lock), as any other change does.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    from sqlalchemy import func, select

    from sweetshop import create_app
    from sweetshop.extensions import db
    from sweetshop.models import Product
    from sweetshop.models.orders import OrderItem
    from sweetshop.services.stock import record_movement

    app = create_app()
    with app.app_context():
        def product(slug: str, lock: bool = False) -> Product:
            query = select(Product).where(Product.slug == slug)
            found = db.session.scalar(query.with_for_update() if lock else query)
            if found is None:
                raise SystemExit(f"no product {slug!r}: did seed-demo run?")
            return found

        command, *args = argv
        if command == "info":
            packs = {}
            for slug in ("kaju-katli", "motichoor-laddoo", "soan-papdi", "gulab-jamun"):
                p = product(slug)
                packs[slug] = {"stock": p.stock, "unit": p.unit.value,
                               "variants": {v.name: v.id for v in p.variants}}
            out = {"products": packs}
        elif command == "set-stock":
            slug, target = args[0], int(args[1])
            p = product(slug, lock=True)
            before = p.stock
            if target != before:
                record_movement(p, target - before, "count correction", actor="bench",
                                note="make bench")
            db.session.commit()
            out = {"slug": slug, "before": before, "stock": target}
        elif command == "product-state":
            p = product(args[0])
            orders = db.session.scalar(
                select(func.count(func.distinct(OrderItem.order_id)))
                .where(OrderItem.product_id == p.id))
            out = {"slug": p.slug, "stock": p.stock, "orders": orders}
        elif command == "slot-cap":
            from sweetshop.services.shop import get_settings
            settings = get_settings()
            before = settings.slot_max_orders
            settings.slot_max_orders = int(args[0])
            db.session.commit()
            out = {"before": before, "slot_max_orders": int(args[0])}
        elif command == "slot-state":
            from datetime import datetime

            from sweetshop.formatting import KOLKATA
            from sweetshop.models import Order, SlotBooking
            at = datetime.fromisoformat(args[0]).replace(tzinfo=KOLKATA)
            rows = db.session.scalars(select(SlotBooking).where(SlotBooking.starts_at == at)).all()
            out = {"booked": sum(r.orders for r in rows), "orders_in_slot": db.session.scalar(
                select(func.count()).select_from(Order).where(Order.slot_starts_at == at))}
        elif command == "generate-products":
            target = int(args[0])
            have = db.session.scalar(select(func.count(Product.id)))
            out = {"added": _generate_products(target - have),
                   "total": db.session.scalar(select(func.count(Product.id)))}
        else:
            raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(out))
    return 0


# Words of generated sweets: the search bench needs a catalogue of realistic size and names.
_FLAVOURS = [("kesar", "केसर"), ("badam", "बादाम"), ("pista", "पिस्ता"), ("malai", "मलाई"),
             ("gud", "गुड़"), ("nariyal", "नारियल"), ("chocolate", "चॉकलेट"), ("gulkand", "गुलकंद"),
             ("anjeer", "अंजीर"), ("khajur", "खजूर"), ("til", "तिल"), ("mawa", "मावा"),
             ("elaichi", "इलायची"), ("chandan", "चंदन"), ("kesariya", "केसरिया"),
             ("rajbhog", "राजभोग"), ("makhana", "मखाना"), ("santra", "संतरा"), ("aam", "आम"),
             ("paan", "पान")]
_SWEETS = [("barfi", "बर्फ़ी"), ("peda", "पेड़ा"), ("laddoo", "लड्डू"), ("halwa", "हलवा"),
           ("katli", "कतली"), ("roll", "रोल"), ("chikki", "चिक्की"), ("sandesh", "संदेश"),
           ("kalakand", "कलाकंद"), ("gujiya", "गुजिया"), ("pak", "पाक"), ("modak", "मोदक"),
           ("chamcham", "चमचम"), ("rasmalai", "रसमलाई"), ("ghevar", "घेवर"), ("imarti", "इमरती"),
           ("balushahi", "बालूशाही"), ("shrikhand", "श्रीखंड"), ("lauj", "लौज"), ("mysore pak",
                                                                                  "मैसूर पाक")]
_STYLES = ["", "special", "dry", "sugar free", "premium", "desi ghee", "royal", "mini"]


def _generate_products(n: int) -> int:
    """N more active sweets with one pack each and their search columns (idempotent per name).
    Commits."""
    import itertools

    from sqlalchemy import text

    from sweetshop.extensions import db
    from sweetshop.models import Category, Product, Unit, Variant
    from sweetshop.search.service import refresh_product

    category = db.session.query(Category).filter_by(slug="bench-generated").first()
    if category is None:
        category = Category(name="Bench generated", name_hi="बेंच", slug="bench-generated",
                            position=99)
        db.session.add(category)
    names = itertools.product(_STYLES, _FLAVOURS, _SWEETS)  # 8 × 20 × 20 = 3,200 names
    added = 0
    for i, (style, (flavour, flavour_hi), (sweet, sweet_hi)) in enumerate(names):
        if added >= n:
            break
        name = " ".join(w for w in (style, flavour, sweet) if w).title()
        slug = "bench-" + "-".join(name.lower().split())
        if db.session.query(Product.id).filter_by(slug=slug).first():
            continue
        product = Product(category=category, name=name, name_hi=f"{flavour_hi} {sweet_hi}",
                          slug=slug, aliases=f"{flavour} {sweet}s", unit=Unit.GRAM, stock=10_000,
                          description=f"{name}: made fresh every morning.", position=100 + i)
        product.variants.append(Variant(name="500 g", quantity=500, price_paise=30_000 + i,
                                        is_default=True))
        db.session.add(product)
        db.session.flush()
        refresh_product(product)
        added += 1
    db.session.commit()
    # As autovacuum would on a live shop: the planner needs to know the catalogue's size to
    # answer searches from their indexes rather than by reading every row.
    db.session.execute(text("ANALYZE product"))
    db.session.commit()
    return added


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
