""""Tell me when it's back": a phone number waits for a sold-out sweet; when stock returns it
gets one message, through the outbox.

Guarantees: at most MAX_PER_PHONE sweets waited for per number (counted under an advisory
lock on the number, so two quick requests cannot both pass at 9), one row per number and
sweet (a unique key; asking twice is fine), and one message per row: the row is claimed
(notified_at set) in the same transaction as the outbox row, so a retry or a second stock
movement never sends it again.
"""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from ..extensions import db
from ..i18n import gettext as _
from ..models import Product, StockAlert, utcnow
from ..phones import normalise_phone
from .errors import InvalidInput

MAX_PER_PHONE = 10
LANGUAGES = ("en", "hi")


def request_alert(product_id: int, phone: str, language: str = "en") -> bool:
    """Remember that `phone` wants a message when the sweet is back. Returns False when it
    was already waiting. Raises InvalidInput (bad number, already 10 sweets). Commits."""
    e164 = normalise_phone((phone or "").strip())
    if e164 is None:
        raise InvalidInput(_("Please give a valid Indian mobile number, e.g. 98765 43210."),
                           field="phone")
    language = language if language in LANGUAGES else "en"
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"stock-alert:{e164}"))))
    waiting = db.session.scalar(select(func.count()).select_from(StockAlert).where(
        StockAlert.phone == e164, StockAlert.notified_at.is_(None)))
    already = db.session.scalar(select(StockAlert.id).where(
        StockAlert.phone == e164, StockAlert.product_id == product_id,
        StockAlert.notified_at.is_(None)))
    if already:
        db.session.commit()
        return False
    if waiting >= MAX_PER_PHONE:
        db.session.rollback()
        raise InvalidInput(_("This number already waits for %(n)d sweets, the most we keep. "
                             "We will message you as they come back.", n=MAX_PER_PHONE),
                           field="phone")
    db.session.execute(
        insert(StockAlert).values(phone=e164, product_id=product_id, language=language,
                                  created_at=utcnow())
        .on_conflict_do_update(constraint="uq_stock_alert_phone_product",
                               set_={"notified_at": None, "language": language,
                                     "created_at": utcnow()}))
    db.session.commit()
    return True


def notify_back_in_stock(product: Product) -> int:
    """Queue one message per number waiting for `product`, if a pack can be bought now.
    In the caller's transaction (which has the product locked and changed its stock);
    returns how many were queued."""
    from .notifications import queue_message

    if not product.active or not product.in_stock:
        return 0
    claimed = db.session.execute(
        update(StockAlert).where(StockAlert.product_id == product.id,
                                 StockAlert.notified_at.is_(None))
        .values(notified_at=utcnow()).returning(StockAlert.phone, StockAlert.language)).all()
    for phone, language in claimed:
        queue_message("back_in_stock", phone, product_name=product.name,
                      product_url=_product_url(product), language=language)
    return len(claimed)


def _product_url(product: Product) -> str:
    from flask import current_app

    return f"{current_app.config['PUBLIC_BASE_URL']}/p/{product.slug}"
