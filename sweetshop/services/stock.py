"""Stock changes, always through the ledger."""
from __future__ import annotations

from ..extensions import db
from ..models import Product, StockMovement


def record_movement(product: Product, change: int, reason: str, *, order_id: int | None = None,
                    actor: str = "system", note: str = "") -> StockMovement:
    """Apply a change to a product the caller has locked, and write it to the ledger.

    Does not commit: the caller's transaction covers the change and its ledger row together.
    The database CHECK (stock >= 0) refuses anything that would go negative.
    """
    product.stock += change
    movement = StockMovement(product=product, change=change, stock_after=product.stock,
                             reason=reason, order_id=order_id, actor=actor, note=note)
    db.session.add(movement)
    return movement
