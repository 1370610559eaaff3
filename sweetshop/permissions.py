"""Who may reach which page: one table, endpoint -> roles, checked on the server for every
request to the admin and the delivery view (admin.require_owner, delivery.require_staff).

The owner reaches everything. Any other role reaches only the endpoints listed for it here;
an endpoint missing from the table is the owner's alone, so a page added later is closed to
counter and delivery staff until someone decides otherwise. Endpoints are per method in this
app (a GET page and its POST have different endpoints), so the table is per method too.
tests/admin/test_auth.py walks the whole URL map for every role against this table.
"""
from __future__ import annotations

OWNER, COUNTER, DELIVERY = "owner", "counter", "delivery"
ROLE_LABELS = {OWNER: "Owner", COUNTER: "Counter", DELIVERY: "Delivery"}

_COUNTER = frozenset({COUNTER})
_ANY_STAFF = frozenset({COUNTER, DELIVERY})
_DELIVERY = frozenset({DELIVERY})

# endpoint -> the roles besides the owner that may use it.
PERMISSIONS: dict[str, frozenset[str]] = {
    # Everyone signed in
    "admin.logout": _ANY_STAFF,
    # Counter: orders, stock, packing; not prices, settings, refunds, staff, payments, cash
    "admin.dashboard": _COUNTER,
    "admin.waiting_orders": _COUNTER,
    "admin.list_orders": _COUNTER,
    "admin.show_order": _COUNTER,
    "admin.change_order_status": _COUNTER,
    "admin.deliver_order": _COUNTER,  # with the handover code; the override is the owner's
    "admin.confirm_cod_order": _COUNTER,
    "admin.resend_message": _COUNTER,
    "admin.list_products": _COUNTER,
    "admin.edit_product": _COUNTER,  # to reach the stock form; saving prices is the owner's
    "admin.adjust_stock": _COUNTER,
    # Counter: the kitchen's day (issue 11): what to make, what to pack; not hours or windows
    "kitchen.production_sheet": _COUNTER,
    "kitchen.production_csv": _COUNTER,
    "kitchen.packing_slips": _COUNTER,
    # Counter: a customer's invoice, to print or send (issue 15); not the month, the export
    # or the tax settings
    "invoices.show_invoice": _COUNTER,
    "invoices.invoice_pdf": _COUNTER,
    # Counter: alerts for new orders on their own phone (issue 17); the escalation settings
    # (alerts.update_alerts) stay the owner's
    "alerts.edit_alerts": _COUNTER,
    "alerts.add_device": _COUNTER,
    "alerts.stop_device": _COUNTER,
    "alerts.accept_from_push": _COUNTER,
    # The delivery person's own view
    "delivery.list_deliveries": _DELIVERY,
    "delivery.show_delivery": _DELIVERY,
    "delivery.deliver": _DELIVERY,
    "delivery.record_return": _DELIVERY,
    "delivery.upi_qr": _DELIVERY,
}

# Where each role lands after signing in (and from a page it may not see, via the 403 page).
HOME = {OWNER: "admin.dashboard", COUNTER: "admin.dashboard", DELIVERY: "delivery.list_deliveries"}


def allowed(role: str | None, endpoint: str | None) -> bool:
    """May a member of staff with `role` use `endpoint`? Unknown roles reach nothing."""
    if role == OWNER:
        return True
    if role not in ROLE_LABELS or not endpoint:
        return False
    return role in PERMISSIONS.get(endpoint, frozenset())
