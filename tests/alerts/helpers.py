"""Helpers for the alerts tests: an owner with an alerted device, orders, running the
outbox and the ladder as the worker and the clock process would."""
from __future__ import annotations

from twilio.request_validator import RequestValidator

from sweetshop.extensions import db
from sweetshop.models import Notification, Order
from sweetshop.services import alerts, notifications
from sweetshop.services.admin_auth import create_or_reset_admin
from tests.admin.helpers import OWNER_EMAIL, OWNER_PASSWORD
from tests.notifications.helpers import AUTH_TOKEN
from tests.notifications.helpers import place_order as place_cod_order


def owner_with_device(push_service, email=OWNER_EMAIL):
    """An owner account and one browser subscribed for alerts (its keys made as a
    browser makes them). Returns (user, subscription info)."""
    user, _ = create_or_reset_admin(email, OWNER_PASSWORD)
    info = push_service.new_subscription()
    alerts.subscribe(user.id, info["endpoint"], info["keys"]["p256dh"], info["keys"]["auth"],
                     "Mozilla/5.0 (Linux; Android 14) Chrome/140.0 Mobile Safari/537.36")
    return user, info


def place_order(phones="+919811112222, +919833334444", sweet: str | None = None) -> Order:
    """A COD order through the real services (commits), the alert phones set first."""
    if sweet is None:
        return place_cod_order(owner_phones=phones)
    from sweetshop.services import cart, checkout
    from sweetshop.services.shop import get_settings
    from tests.factories import make_product

    product = make_product(sweet)
    get_settings().owner_phones = phones
    db.session.commit()
    token, _ = cart.add_to_cart(None, product.variants[1].id, 1)
    details = checkout.CustomerDetails(name="Asha Rao", phone="+919876543210",
                                       address="12 MG Road, Bengaluru", pincode="560038")
    return checkout.place_order(token, details, checkout.new_idempotency_key())


def rows(kind=None, channel=None) -> list[Notification]:
    db.session.expire_all()
    query = db.session.query(Notification).order_by(Notification.id)
    if kind:
        query = query.filter(Notification.kind == kind)
    if channel:
        query = query.filter(Notification.channel == channel)
    return query.all()


def run_outbox() -> list[str]:
    """Deliver every row that is queued and due, as the worker would (in this process)."""
    db.session.expire_all()
    ids = [n.id for n in db.session.query(Notification).filter(
        Notification.status.in_(("queued", "sending"))).order_by(Notification.id)]
    db.session.rollback()
    return [notifications.deliver(i) for i in ids]


def twilio_post(client, path: str, params: dict, *, base="https://shop.example.in"):
    """POST to our Twilio webhook as Twilio does: form-encoded, signed with the auth token
    over the public URL and the parameters."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(base + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})
