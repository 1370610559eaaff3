"""What each message says: short, plain, with the shop's name. One place for all the words."""
from __future__ import annotations

from flask import current_app

from ..formatting import format_rupees


def order_link(order) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/orders/{order.public_token}"


def admin_order_link(order) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/admin/orders/{order.id}"


def compose(kind: str, shop_name: str, order=None, **extra) -> tuple[str, dict]:
    """The SMS / free-text body and the WhatsApp template variables for a message kind."""
    n = order.number if order is not None else ""
    total = format_rupees(order.total_paise) if order is not None else ""
    link = order_link(order) if order is not None else ""
    cod_due = (order is not None and order.payment_method.value == "cod"
               and order.payment_status.value == "unpaid")
    texts = {
        "order_placed": (
            f"{shop_name}: thank you! Order #{n} is placed. Total {total}"
            f"{', cash on delivery' if cod_due else ''}. Track it: {link}"),
        "order_accepted": f"{shop_name}: order #{n} is accepted and being packed. Track: {link}",
        "order_ready": f"{shop_name}: order #{n} is packed and ready. Track: {link}",
        "order_out_for_delivery": (
            f"{shop_name}: order #{n} is out for delivery."
            f"{f' Please keep {total} ready.' if cod_due else ''} Track: {link}"),
        "order_delivered": f"{shop_name}: order #{n} is delivered. Enjoy your sweets!",
        "order_cancelled": (
            f"{shop_name}: order #{n} is cancelled. Reason: {extra.get('reason') or 'not given'}."
            f" Questions? Reply or call us."),
        "order_expired": (
            f"{shop_name}: order #{n} was cancelled because the payment did not complete. "
            "Nothing was charged; you are welcome to order again."),
        "payment_failed": (
            f"{shop_name}: the payment for order #{n} did not go through. "
            f"You can try again here: {link}"),
        "refund_done": (
            f"{shop_name}: we have refunded {format_rupees(extra.get('amount_paise', 0))} for "
            f"order #{n}. It reaches your account in 5-7 working days."),
        "owner_new_order": (
            f"New order #{n}: {total}, {extra.get('items', '')}, {order.customer_name if order else ''}. "
            f"{admin_order_link(order) if order is not None else ''}"),
        "lookup_code": (
            f"{shop_name}: your code is {extra.get('code')}. It expires in 10 minutes. "
            "Do not share it."),
    }
    body = texts[kind]
    variables = {"1": shop_name, "2": str(n), "3": total, "4": link}
    if kind == "order_cancelled":
        variables["5"] = extra.get("reason") or ""
    if kind == "lookup_code":
        variables = {"1": str(extra.get("code"))}
    return body, variables
