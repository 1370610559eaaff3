"""How much stock unpaid online orders may hold (issue 10, item 2).

An online order takes its stock at placement and holds it while it waits for payment, so
without limits anyone could hold the whole shelf, anonymously, by choosing "Pay online" and
never paying. Two limits:
- at most PAYMENT_HOLDS_PER_PHONE / _PER_DEVICE (the cart) / _PER_NETWORK orders awaiting
  online payment at once, checked in place_order's transaction (`check_payment_holds`);
- an order whose payment page was never opened is held for PAYMENT_UNOPENED_EXPIRY_MINUTES
  only; opening the page (`note_pay_page_opened`) gives it PAYMENT_EXPIRY_MINUTES.
Cash on delivery is not limited here: it asks for no payment, and the owner sees each order.
"""
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Order, OrderStatus, utcnow
from ...networks import network_of
from ..errors import InvalidInput
from .common import unopened_expiry_delta

# What the customer reads next to the payment choice (strings kept here, for gettext).
TOO_MANY_WAITING = (_l("You already have {count} orders waiting for payment. Pay for one of "
                    "them (or switch it to cash on delivery), or choose cash on delivery "
                    "for this order."))
TOO_MANY_WAITING_ONE = (_l("You already have an order waiting for payment. Pay for it (or "
                        "switch it to cash on delivery), or choose cash on delivery for "
                        "this order."))
TOO_MANY_FROM_NETWORK = (_l("Too many orders from your network are waiting for payment right "
                         "now. Please try again in a few minutes, or choose cash on delivery."))


def hold_network(address: str | None) -> str:
    """The client network an order's hold counts against: the shop's one limit key
    (sweetshop/networks.py: the IPv4 address, or the /64 of an IPv6 one). `address` is the
    client address as the app sees it (after TRUSTED_PROXIES)."""
    return network_of(address)[:64]


def check_payment_holds(*, phone: str, cart_id: int | None, network: str) -> None:
    """Refuse one more online order over the hold limits; part of place_order's transaction.

    Takes transaction-scoped advisory locks on the phone and the network (sorted; the cart
    row is already locked by the caller), so two checkouts racing from two carts count one
    after the other and cannot both slip under a limit. On refusal rolls back and raises
    InvalidInput for the payment choice; nothing is written."""
    cfg = current_app.config
    names = sorted({f"payment-hold:phone:{phone}", f"payment-hold:network:{network}"})
    for name in names:
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))
    waiting = Order.status == OrderStatus.AWAITING_PAYMENT

    def count(condition) -> int:
        return db.session.scalar(select(func.count()).select_from(Order).where(waiting, condition))

    limit = cfg["PAYMENT_HOLDS_PER_PHONE"]
    if count(Order.phone == phone) >= limit:
        _refuse(TOO_MANY_WAITING_ONE if limit == 1 else TOO_MANY_WAITING.format(count=limit))
    limit = cfg["PAYMENT_HOLDS_PER_DEVICE"]
    if cart_id is not None and count(Order.hold_cart_id == cart_id) >= limit:
        _refuse(TOO_MANY_WAITING_ONE if limit == 1 else TOO_MANY_WAITING.format(count=limit))
    if network and count(Order.hold_network == network) >= cfg["PAYMENT_HOLDS_PER_NETWORK"]:
        _refuse(TOO_MANY_FROM_NETWORK)


def _refuse(message: str) -> None:
    db.session.rollback()
    raise InvalidInput(message, field="payment_method")


def note_pay_page_opened(order_id: int, now: datetime | None = None) -> bool:
    """The customer opened the payment page: the order now holds its stock for the full
    PAYMENT_EXPIRY_MINUTES. Only while it is still within the short hold (a page opened
    later does not bring a lapsed hold back). Idempotent; one conditional UPDATE; commits.
    Returns whether it changed anything."""
    now = now or utcnow()
    changed = db.session.execute(
        update(Order).where(Order.id == order_id, Order.status == OrderStatus.AWAITING_PAYMENT,
                            Order.pay_page_opened_at.is_(None),
                            Order.created_at > now - unopened_expiry_delta())
        .values(pay_page_opened_at=now).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(changed)
