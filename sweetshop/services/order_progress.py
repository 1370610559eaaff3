"""The customer's view of where an order is: every step, done, current or still to come.

Read-only. The steps are what a customer waits for (placed, being prepared, out for delivery,
delivered); "ready" counts as still being prepared, and a step the shop skipped (straight
from accepted to out for delivery) is done once a later one is. A cancelled or expired order
shows the steps it reached, then how it ended. The words live in the template.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Order, OrderStatus
from .payments import expires_at

S = OrderStatus

# (step, the statuses that mean the order is at that step), in the order they happen.
STEPS: tuple[tuple[str, frozenset[OrderStatus]], ...] = (
    ("placed", frozenset({S.AWAITING_PAYMENT, S.PLACED})),
    ("preparing", frozenset({S.ACCEPTED, S.READY})),
    ("out_for_delivery", frozenset({S.OUT_FOR_DELIVERY})),
    ("delivered", frozenset({S.DELIVERED})),
)
ENDINGS = {S.CANCELLED: "cancelled", S.EXPIRED: "expired"}


@dataclass(frozen=True)
class Step:
    name: str                 # placed, preparing, out_for_delivery, delivered, cancelled, expired
    done: bool
    current: bool             # the step the order is at (aria-current="step")
    at: datetime | None = None           # when the order reached it
    expected_at: datetime | None = None  # when it is due, where the shop knows
    status: OrderStatus | None = None    # the status within the step (ready, awaiting_payment)
    note: str = ""                       # the reason, for a cancellation


def _rank(status: OrderStatus | None) -> int:
    """The index of the step a status belongs to; -1 for none (a cancellation, an expiry)."""
    return next((i for i, (_, statuses) in enumerate(STEPS) if status in statuses), -1)


def order_progress(order: Order) -> list[Step]:
    """The steps to show for `order`, oldest first, from its status and recorded history."""
    reached_at: dict[int, datetime] = {}
    for change in order.history:  # oldest first: the latest arrival at a step wins
        if (rank := _rank(change.to_status)) >= 0 and change.to_status is not S.AWAITING_PAYMENT:
            reached_at[rank] = change.created_at
    ending = ENDINGS.get(order.status)
    if ending is None:
        # The step the order is at is current, and done only once delivered.
        current = _rank(order.status)
        awaiting = order.status is S.AWAITING_PAYMENT
        return [Step(name, done=i < current or order.status is S.DELIVERED, current=i == current,
                     at=reached_at.get(i) if i <= current else None,
                     expected_at=expires_at(order) if awaiting and i == current else None,
                     status=order.status if i == current else None)
                for i, (name, _) in enumerate(STEPS)]

    # Cancelled or expired: the steps it got to (never a greyed "delivered" it will not reach).
    last = next((c for c in reversed(order.history) if c.to_status is order.status), None)
    reached = max((_rank(c.to_status) for c in order.history
                   if c.to_status is not S.AWAITING_PAYMENT), default=-1)
    steps = [Step(name, done=True, current=False, at=reached_at.get(i))
             for i, (name, _) in enumerate(STEPS[:reached + 1])]
    steps.append(Step(ending, done=True, current=True, at=last.created_at if last else None,
                      note=last.note if last and order.status is S.CANCELLED else ""))
    return steps
