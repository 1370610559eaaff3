"""Stock changes, always through the ledger."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..formatting import format_quantity
from ..i18n import gettext as _
from ..models import Product, StockMovement
from .errors import InvalidInput, NotFound, StockWouldGoNegative

# Why the owner changes stock by hand (the ledger's reason); "other" needs a note.
ADJUST_REASONS = ("fresh batch", "wastage", "count correction", "other")
MAX_STOCK = 10_000_000  # 10 tonnes or ten million pieces: anything above is a typo


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


def adjust_stock(product_id: int, *, change: int | None = None, new_total: int | None = None,
                 reason: str, actor: str, note: str = "") -> StockMovement:
    """The owner's stock change: by `change` (+/-) or to `new_total`, in the base unit. Commits.

    Locks the product row (FOR UPDATE) so a concurrent order or a second phone cannot
    interleave; a new total is turned into a change against the locked value, so the ledger
    always adds up. Refuses a result below zero, no change at all, and unknown reasons.
    """
    if (change is None) == (new_total is None):
        raise InvalidInput(_("Give either a change or a new total."), field="amount")
    if reason not in ADJUST_REASONS:
        raise InvalidInput(_("Please choose a reason from the list."), field="reason")
    note = (note or "").strip()[:200]
    if reason == "other" and not note:
        raise InvalidInput(_("Please say why in the note."), field="note")
    product = db.session.scalar(select(Product).where(Product.id == product_id).with_for_update())
    if product is None:
        raise NotFound(_("We could not find that sweet."))
    if new_total is not None:
        if new_total < 0:
            raise StockWouldGoNegative(_("Stock cannot be below zero."), field="amount")
        change = new_total - product.stock
    if product.stock + change < 0:
        raise StockWouldGoNegative(
            _('Only %(stock)s in stock, so at most that can be taken off.', stock=format_quantity(product.stock, product.unit)), field="amount")
    if product.stock + change > MAX_STOCK:
        raise InvalidInput(_("That is more stock than the shop could hold. Please check the number."),
                           field="amount")
    if change == 0:
        raise InvalidInput(_('Stock is already %(stock)s; nothing changed.', stock=format_quantity(product.stock, product.unit)), field="amount")
    movement = record_movement(product, change, reason, actor=actor, note=note)
    from . import audit
    audit.record(actor, "stock", f"{product.name}: {'+' if change > 0 else ''}"
                 f"{format_quantity(change, product.unit) if change > 0 else '-' + format_quantity(-change, product.unit)}"
                 f" ({reason}{': ' + note if note else ''}), now "
                 f"{format_quantity(product.stock, product.unit)}", product_id=product.id)
    if change > 0:  # "Tell me when it's back": one message each, in this transaction
        from .stock_alerts import notify_back_in_stock
        notify_back_in_stock(product)
    db.session.commit()
    return movement


def recent_movements(product_id: int, limit: int = 20) -> list[StockMovement]:
    """The product's latest ledger rows, newest first."""
    return list(db.session.scalars(
        select(StockMovement).where(StockMovement.product_id == product_id)
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc()).limit(limit)))
