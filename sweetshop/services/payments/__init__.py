"""Online payment with Razorpay: the rules, one module per concern (checkout, capture,
webhooks, expiry, holds, refunds, sweeper, panel). Callers import this package: `payments.refund(...)`.

Who calls what:
- checkout: `start_online_payment` (after place_order made an awaiting_payment order),
  `confirm_checkout_payment` (the browser's success callback), `switch_to_cod`;
- the webhook: `store_webhook_event` (in the request), `process_webhook_event` (RQ job);
- the periodic sweeper: `reconcile_awaiting`, `expire_unpaid_orders`, `sweep`;
- the owner: `refund`.

Guarantees that hold whichever path a payment arrives by (callback, webhook, reconciliation,
in any order, any number of times):
- `mark_paid` is the only way an order becomes paid. It locks the order row, then the
  payment row, then products in id order (the same order as checkout and cancelling, so no
  deadlocks); it checks amount and currency against what we asked Razorpay for; a payment
  already recorded is a no-op, and an order never moves back from paid.
- Stock moves only through the ledger: held at placement, returned at expiry, taken again
  when a payment arrives after expiry (or refunded automatically when it is gone).
- Refunds carry X-Refund-Idempotency = our key, so retries and double taps refund once.
"""
from .capture import mark_paid, record_failed_attempt
from .checkout import (
    checkout_options,
    confirm_checkout_payment,
    start_online_payment,
    switch_to_cod,
)
from .common import (
    EVENT_JOB,
    REFUND_JOB,
    cod_allowed,
    expires_at,
    expiry_delta,
    payment_for,
    refundable_paise,
)
from .expiry import expire_unpaid_orders, reconcile_awaiting
from .holds import check_payment_holds, hold_network, note_pay_page_opened
from .panel import PaymentPanel, payment_panel
from .refunds import apply_refund_update, new_refund_key, refund, send_refund
from .sweeper import payment_tasks, sweep
from .webhooks import process_webhook_event, store_webhook_event

__all__ = [
    "EVENT_JOB", "REFUND_JOB", "PaymentPanel", "apply_refund_update", "checkout_options",
    "cod_allowed", "confirm_checkout_payment", "expire_unpaid_orders", "expires_at",
    "expiry_delta", "mark_paid", "new_refund_key", "payment_for", "payment_panel",
    "payment_tasks", "process_webhook_event", "reconcile_awaiting", "record_failed_attempt",
    "refund", "refundable_paise", "send_refund", "start_online_payment", "store_webhook_event",
    "sweep", "switch_to_cod", "check_payment_holds", "hold_network", "note_pay_page_opened",
]
