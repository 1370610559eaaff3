"""Boxes and plain packs racing for the same sweets, and random boxes thrown at the server.

The race uses REAL COMMITS AND SEVERAL DATABASE CONNECTIONS at once (a thread per customer,
each with its own app context and session, released together by a barrier), like
tests/services/test_concurrency.py, whose pool-sized app and race() it reuses.
"""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from sweetshop.extensions import db
from sweetshop.models import BoxType, CartBox, Order, OrderStatus, Product, StockMovement
from sweetshop.services import boxes as box_service
from sweetshop.services import cart as cart_service
from sweetshop.services.checkout import new_idempotency_key, place_order
from sweetshop.services.errors import DomainError
from sweetshop.services.orders import change_status
from sweetshop.services.stock import record_movement
from tests.boxes.helpers import add_box, make_box_type, make_sweets
from tests.factories import make_product, variant_named
from tests.services.test_concurrency import CUSTOMER, outcome, race, racing_app  # noqa: F401


def ledger_totals() -> dict[int, int]:
    return dict(db.session.execute(
        select(StockMovement.product_id, func.sum(StockMovement.change))
        .group_by(StockMovement.product_id)).tuples().all())


def drawn_by_orders(statuses=None) -> dict[int, int]:
    """What the orders took of each sweet, read back from their items and box parts."""
    drawn: dict[int, int] = defaultdict(int)
    stmt = select(Order)
    if statuses is not None:
        stmt = stmt.where(Order.status.in_(statuses))
    for order in db.session.scalars(stmt):
        for item in order.items:
            for product_id, quantity in item.stock_draws().items():
                drawn[product_id] += quantity
    return drawn


def test_boxes_and_plain_packs_racing_for_the_same_sweets_never_oversell(racing_app):  # noqa: F811
    opening = {"Kaju Katli": 2000, "Milk Cake": 1000, "Motichoor Laddoo": 1000,
               "Besan Laddoo": 1000}
    with racing_app.app_context():
        kaju, milk, moti, besan = make_sweets(stock=0)
        for product in (kaju, milk, moti, besan):
            record_movement(product, opening[product.name], "opening stock", actor="test")
        db.session.commit()
        box_type = make_box_type([kaju, milk, moti, besan])
        ids = {p.name: p.id for p in (kaju, milk, moti, besan)}
        carts = []  # (token, what it needs)
        for _ in range(7):  # Kaju-heavy boxes
            carts.append((add_box(None, box_type, {kaju: 500, milk: 250, moti: 250}),
                          {kaju.id: 500, milk.id: 250, moti.id: 250}))
        for _ in range(7):  # plain 500 g packs of Kaju Katli
            carts.append((cart_service.add_to_cart(None, variant_named(kaju, "500 g").id)[0],
                          {kaju.id: 500}))
        for _ in range(6):  # mixed carts: a box and a pack of two of its sweets
            token = add_box(None, box_type, {kaju: 250, milk: 250, besan: 500})
            token, _ = cart_service.add_to_cart(token, variant_named(besan, "250 g").id)
            token, _ = cart_service.add_to_cart(token, variant_named(kaju, "250 g").id)
            carts.append((token, {kaju.id: 500, milk.id: 250, besan.id: 750}))
        db.session.remove()

    results = race(racing_app, [(token, new_idempotency_key()) for token, _ in carts])

    # Only orders and clear refusals: no deadlock, no lost update, no CHECK violation.
    assert set(outcome(results)) <= {"order", "OutOfStock"}, results
    with racing_app.app_context():
        stock = {p.id: p.stock for p in db.session.scalars(select(Product))}
        drawn = drawn_by_orders()
        ledger = ledger_totals()
        for name, product_id in ids.items():
            assert stock[product_id] >= 0
            assert stock[product_id] == opening[name] - drawn[product_id], name
            assert ledger[product_id] == stock[product_id], name
        assert drawn[ids["Kaju Katli"]] <= 2000
        # one ledger row per sweet per order
        rows = Counter(db.session.execute(
            select(StockMovement.order_id, StockMovement.product_id)
            .where(StockMovement.reason == "sale")).tuples().all())
        assert set(rows.values()) == {1}
        # every refused cart really needed more than was left at the end
        for (_, needs), result in zip(carts, results, strict=True):
            if not isinstance(result, int):
                assert any(needs[pid] > stock[pid] for pid in needs), (needs, stock)
        placed = sum(isinstance(r, int) for r in results)
        assert placed >= 4  # 2 kg of Kaju Katli is at least four 500 g draws
        assert db.session.query(CartBox).count() == sum(
            1 for (_, needs), r in zip(carts, results, strict=True)
            if not isinstance(r, int) and len(needs) > 1)
        db.session.remove()


# --- random boxes ---------------------------------------------------------------------------

@pytest.fixture
def world(ctx):
    """Built once for all the examples (hypothesis runs them in one test, one database)."""
    sweets = make_sweets(stock=20000)
    jalebi = make_product("Jalebi", stock=20000)      # not allowed in either box
    hidden = make_product("Old Barfi", stock=20000)   # allowed, then hidden
    compartments = make_box_type([*sweets, hidden], name="Gift box", min_sweets=2)
    free = make_box_type(sweets, name="Free mix", size=400, step=50, min_sweets=1,
                         max_sweets=3, box_charge_paise=2500)
    hidden.active = False
    db.session.commit()
    ids = [s.id for s in sweets] + [jalebi.id, hidden.id]
    return {"ids": ids, "boxes": [compartments.id, free.id], "opening": dict.fromkeys(ids, 20000),
            "kaju_pack": variant_named(sweets[0], "500 g").id}


portion = st.one_of(st.sampled_from([0, 50, 100, 250, 500, 750, 1000]),
                    st.integers(min_value=-300, max_value=1500))


@st.composite
def valid_parts(draw, size_steps: int = 4):
    """A split of the box into steps among 1-4 sweets, as (sweet index, steps)."""
    count = draw(st.integers(1, 4))
    cuts = sorted(draw(st.lists(st.integers(1, size_steps - 1), min_size=count - 1,
                                max_size=count - 1, unique=True))) if count > 1 else []
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, size_steps], strict=True)]
    sweets = draw(st.permutations([0, 1, 2, 3]))[:count]
    return [("steps", i, n) for i, n in zip(sweets, sizes, strict=True)]


def test_random_boxes_thrown_at_the_server_keep_the_stock_arithmetic_balanced(world):
    """Random box contents (tampered or valid, some boxes with a pack, some cancelled): a
    refused box writes nothing, an accepted one follows its rules, and for every sweet the
    ledger adds up to its stock and the stock is its opening less what live orders took."""
    seen = Counter()

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(box=st.integers(0, 1),
           parts=st.one_of(st.lists(st.tuples(st.integers(0, 5), portion), max_size=5),
                           valid_parts()),
           boxes=st.integers(1, 3), with_pack=st.booleans(), cancel=st.booleans())
    def throw(box, parts, boxes, with_pack, cancel):
        box_type = db.session.get(BoxType, world["boxes"][box])
        form = {}
        for part in parts:
            if part[0] == "steps":  # a valid split: steps of this box's portion
                form[f"part-{world['ids'][part[1]]}"] = str(part[2] * box_type.size // 4)
            else:
                form[f"part-{world['ids'][part[0]]}"] = str(part[1])
        before = {p.id: p.stock for p in db.session.scalars(select(Product))}
        token = None
        if with_pack:
            token, _ = cart_service.add_to_cart(None, world["kaju_pack"], 1)
        try:
            token = box_service.add_box_to_cart(token, box_type.id, _Form(form), "", boxes)[0]
        except DomainError:
            db.session.rollback()
            seen["refused"] += 1
            after = {p.id: p.stock for p in db.session.scalars(select(Product))}
            assert after == before  # a refused box writes nothing
        else:
            order = place_order(token, CUSTOMER, new_idempotency_key())
            seen["ordered"] += 1
            for item in order.items:
                if item.is_box:  # every accepted box is full and within its rules
                    assert sum(p.quantity for p in item.parts) == box_type.size
                    assert box_type.min_sweets <= len(item.parts) <= box_type.max_sweets
                    assert all(p.quantity % box_type.step == 0 for p in item.parts)
                    assert item.product_name == box_type.name
            if cancel:
                change_status(order.id, OrderStatus.CANCELLED, actor="test", note="random")

        db.session.expire_all()
        stock = {p.id: p.stock for p in db.session.scalars(select(Product))}
        ledger = ledger_totals()
        kept = drawn_by_orders([s for s in OrderStatus if s is not OrderStatus.CANCELLED])
        for product_id, opening in world["opening"].items():
            assert stock[product_id] >= 0
            assert ledger[product_id] == stock[product_id]
            assert opening - stock[product_id] == kept.get(product_id, 0)
        db.session.query(CartBox).delete()
        db.session.commit()

    throw()
    assert seen["ordered"] >= 10 and seen["refused"] >= 10, seen


class _Form(dict):
    """What request.form looks like to the service: string keys, string values."""
