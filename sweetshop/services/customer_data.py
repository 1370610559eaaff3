"""The owner's "Delete customer data" for one phone number (DPDP Act 2023: erasure on request).

Orders keep what tax law needs (number, date, items, amounts, payment, pincode for the
place of supply); the customer's name, phone, address and notes are erased from them and
from the messages about them. Remembered phones, "tell me when it's back" requests,
lookup codes and sessions, and the number's WhatsApp window are deleted. One transaction,
with the number's orders locked; refused while an order is still on its way (it could not
be delivered or told about). Logged without the number itself (DataErasure).
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select, update

from ..extensions import db
from ..i18n import gettext as _
from ..models import (
    DataErasure,
    KnownPhone,
    LookupCode,
    LookupSession,
    Notification,
    Order,
    RememberedDevice,
    StockAlert,
    WhatsAppWindow,
)
from ..phones import normalise_phone
from .errors import InvalidInput
from .order_lookup import is_final

ERASED = ""


@dataclass(frozen=True)
class ErasureResult:
    orders: int
    hint: str


def phone_digest(e164: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"erasure:" + e164.encode(), hashlib.sha256).hexdigest()


def erase_customer_data(phone: str, actor: str) -> ErasureResult:
    """Erase what we keep about one customer (see the module). Raises InvalidInput for a
    number that is not one, or while an order of theirs is not yet final. Commits."""
    e164 = normalise_phone((phone or "").strip())
    if e164 is None:
        raise InvalidInput(_("Please give a valid Indian mobile number, e.g. 98765 43210."),
                           field="phone")
    orders = db.session.scalars(select(Order).where(Order.phone == e164)
                                .order_by(Order.id).with_for_update()).all()
    open_orders = [o.number for o in orders if not is_final(o)]
    if open_orders:
        db.session.rollback()
        raise InvalidInput(_("Order #%(numbers)s is still on its way. Please erase after it is "
                             "delivered or cancelled.",
                             numbers=", #".join(str(n) for n in open_orders)), field="phone")
    ids = [o.id for o in orders]
    for order in orders:
        order.customer_name, order.phone, order.address, order.note = ERASED, ERASED, ERASED, ERASED
    if ids:
        db.session.execute(update(Notification).where(Notification.order_id.in_(ids))
                           .where(Notification.to == e164)
                           .values(to=ERASED, body=_("(erased on request)"), variables={}))
    db.session.execute(update(Notification).where(Notification.to == e164)
                       .values(to=ERASED, body=_("(erased on request)"), variables={}))
    # Owner alerts quoted the customer's name and address: those bodies go too.
    if ids:
        db.session.execute(update(Notification).where(Notification.order_id.in_(ids),
                                                      Notification.kind == "owner_new_order")
                           .values(body=_("(erased on request)"), variables={}))
    for model in (RememberedDevice, StockAlert, LookupCode, LookupSession):
        db.session.execute(delete(model).where(model.phone == e164))
    db.session.execute(delete(KnownPhone).where(KnownPhone.phone == e164))
    db.session.execute(delete(WhatsAppWindow).where(WhatsAppWindow.phone == e164))
    hint = e164[-2:]
    db.session.add(DataErasure(phone_digest=phone_digest(e164), phone_hint=hint,
                               orders_erased=len(ids), actor=actor))
    db.session.commit()
    return ErasureResult(orders=len(ids), hint=hint)


def recent_erasures(limit: int = 20) -> list[DataErasure]:
    return list(db.session.scalars(select(DataErasure).order_by(DataErasure.id.desc())
                                   .limit(limit)))
