"""Owner stock changes: by a change or to a new total, always in the ledger, never negative."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import Product, StockMovement, Unit
from sweetshop.services.errors import InvalidInput, StockWouldGoNegative
from sweetshop.services.stock import adjust_stock, recent_movements
from tests.factories import make_product


def test_a_fresh_batch_adds_stock_and_is_written_to_the_ledger(ctx):
    product = make_product(stock=1000)
    movement = adjust_stock(product.id, change=2500, reason="fresh batch", actor="owner@x")
    assert (movement.change, movement.stock_after, movement.actor) == (2500, 3500, "owner@x")
    assert db.session.get(Product, product.id).stock == 3500


def test_a_count_correction_sets_the_total_through_a_change(ctx):
    product = make_product(stock=1000)
    movement = adjust_stock(product.id, new_total=800, reason="count correction", actor="o")
    assert (movement.change, movement.stock_after) == (-200, 800)
    rows = recent_movements(product.id)
    assert [(m.change, m.stock_after, m.reason) for m in rows] == [
        (-200, 800, "count correction"), (1000, 1000, "opening stock")]


def test_stock_can_never_go_negative(ctx):
    product = make_product(stock=300, unit=Unit.PIECE, packs=(("1 piece", 1, 2000),))
    with pytest.raises(StockWouldGoNegative, match="Only 300 pieces in stock"):
        adjust_stock(product.id, change=-301, reason="wastage", actor="o")
    with pytest.raises(StockWouldGoNegative):
        adjust_stock(product.id, new_total=-1, reason="count correction", actor="o")
    db.session.rollback()
    assert db.session.get(Product, product.id).stock == 300
    assert db.session.scalar(select(StockMovement.id).where(StockMovement.reason == "wastage")) is None


def test_reasons_are_checked_and_other_needs_a_note(ctx):
    product = make_product(stock=100)
    with pytest.raises(InvalidInput) as error:
        adjust_stock(product.id, change=1, reason="gift to the neighbour", actor="o")
    assert error.value.field == "reason"
    with pytest.raises(InvalidInput) as error:
        adjust_stock(product.id, change=1, reason="other", actor="o")
    assert error.value.field == "note"
    movement = adjust_stock(product.id, change=-20, reason="other", actor="o", note="tasting")
    assert movement.note == "tasting"


def test_no_change_is_refused_rather_than_logged(ctx):
    product = make_product(stock=100)
    with pytest.raises(InvalidInput, match="already 100 g"):
        adjust_stock(product.id, new_total=100, reason="count correction", actor="o")
