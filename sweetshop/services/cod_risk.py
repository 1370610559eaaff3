"""Cash-on-delivery risk: who may pay cash, a first cash order's confirmation, the COD fee
and the prepaid discount, and the per-phone record of cash orders.

A refusal at checkout (blocked number, too many refused deliveries) happens inside
place_order's transaction before anything is written. Confirmations are conditional
updates ('pending' -> 'confirmed'), so a WhatsApp YES, the customer's button and the
counter's call arriving together confirm once.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import CodBlock, Order, OrderStatus, PaymentMethod, utcnow
from ..phones import normalise_phone
from . import audit
from .errors import InvalidInput, NotFound

S = OrderStatus
REFUSED = _l("Cash on delivery is not available for this number. Please pay online.")
MAX_BLOCKS = 5000


def cash_order_counts(phone: str) -> dict[str, int]:
    """Cash orders of one phone by outcome: delivered, refused at the door, cancelled."""
    rows = dict(db.session.execute(
        select(Order.status, func.count()).where(Order.phone == phone,
                                                 Order.payment_method == PaymentMethod.COD)
        .group_by(Order.status)).all())
    return {"delivered": rows.get(S.DELIVERED, 0), "refused": rows.get(S.RETURNED, 0),
            "cancelled": rows.get(S.CANCELLED, 0)}


def refuses_cash(phone: str, settings) -> bool:
    """True if this number may only pay online: on the block list, or as many refused cash
    deliveries as the owner's limit (cod_max_refusals; 0: no limit)."""
    if db.session.get(CodBlock, phone) is not None:
        return True
    limit = settings.cod_max_refusals
    if not limit:
        return False
    refused = db.session.scalar(select(func.count()).where(
        Order.phone == phone, Order.payment_method == PaymentMethod.COD,
        Order.status == S.RETURNED)) or 0
    return refused >= limit


def needs_confirmation(phone: str, settings) -> bool:
    """A number's first cash order (none of its cash orders delivered yet) waits for a yes,
    when the owner asks for it."""
    if not settings.cod_confirm_first:
        return False
    return not db.session.scalar(select(func.count()).where(
        Order.phone == phone, Order.payment_method == PaymentMethod.COD,
        Order.status == S.DELIVERED))


def payment_adjustment(settings, method: PaymentMethod, total_paise: int) -> int:
    """+ the COD fee for cash, - the prepaid discount for online (never below ₹1 to pay)."""
    if method is PaymentMethod.COD:
        return settings.cod_fee_paise or 0
    discount = min(settings.prepaid_discount_paise or 0, max(0, total_paise - 100))
    return -discount


def confirm(order_id: int, actor, via: str) -> bool:
    """Confirm a pending first cash order (via: 'call', 'link', 'whatsapp'). True if this
    call confirmed it, False if it was not pending. Commits."""
    confirmed = db.session.scalar(
        update(Order).where(Order.id == order_id, Order.cod_confirmation == "pending")
        .values(cod_confirmation="confirmed", cod_confirmed_by=f"{actor} ({via})"[:120])
        .returning(Order.number))
    if confirmed:
        audit.record(actor, "cod", f"Order #{confirmed}: first cash order confirmed ({via})",
                     order_id=order_id)
    db.session.commit()
    return bool(confirmed)


def confirm_latest_by_phone(phone: str) -> Order | None:
    """A customer's WhatsApp YES: confirm their newest pending cash order, if any."""
    order = db.session.scalars(
        select(Order).where(Order.phone == phone, Order.cod_confirmation == "pending",
                            Order.status == S.PLACED)
        .order_by(Order.created_at.desc())).first()
    if order is None:
        return None
    confirm(order.id, "customer", "whatsapp")
    return order


def unconfirmed_orders(limit: int = 20) -> list[Order]:
    return list(db.session.scalars(
        select(Order).where(Order.cod_confirmation == "pending", Order.status == S.PLACED)
        .order_by(Order.created_at).limit(limit)))


def cancel_unconfirmed(now=None) -> int:
    """Periodic: cancel first cash orders left unconfirmed for the owner's N hours (0: never).
    Each through change_status (locked, stock back, the customer told). Idempotent."""
    from .orders import change_status
    from .shop import get_settings

    hours = get_settings().cod_autocancel_hours
    if not hours:
        return 0
    cutoff = (now or utcnow()) - timedelta(hours=hours)
    ids = list(db.session.scalars(select(Order.id).where(
        Order.cod_confirmation == "pending", Order.status == S.PLACED,
        Order.created_at < cutoff)))
    db.session.rollback()
    done = 0
    for order_id in ids:
        try:
            change_status(order_id, S.CANCELLED, "system", expected_from=S.PLACED,
                          note=f"Not confirmed by the customer within {hours} hours")
            done += 1
        except Exception:  # moved on meanwhile (confirmed, cancelled): nothing to do
            db.session.rollback()
    return done


# --- the block list ---------------------------------------------------------------------

def list_blocks() -> list[CodBlock]:
    return list(db.session.scalars(select(CodBlock).order_by(CodBlock.created_at.desc())))


def block_phone(phone: str, reason: str, actor) -> CodBlock:
    e164 = normalise_phone((phone or "").strip())
    if e164 is None:
        raise InvalidInput(_("Please give a valid Indian mobile number, e.g. 98765 43210."),
                           field="phone")
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 200:
        raise InvalidInput(_("Please give a reason (up to 200 characters)."), field="reason")
    if db.session.get(CodBlock, e164) is not None:
        raise InvalidInput(_("This number is already blocked."), field="phone")
    if (db.session.scalar(select(func.count()).select_from(CodBlock)) or 0) >= MAX_BLOCKS:
        raise InvalidInput(_("The block list is full."), field="phone")
    block = CodBlock(phone=e164, reason=reason, blocked_by=str(actor)[:120])
    db.session.add(block)
    audit.record(actor, "cod", f"Blocked cash on delivery for {e164}: {reason}")
    db.session.commit()
    return block


def unblock_phone(phone: str, actor) -> None:
    block = db.session.get(CodBlock, phone or "")
    if block is None:
        raise NotFound(_("That number is not on the block list."))
    db.session.delete(block)
    audit.record(actor, "cod", f"Unblocked cash on delivery for {phone}")
    db.session.commit()


COD_FIELDS = {
    "cod_max_paise": _l("The cash on delivery limit"),
    "cod_fee_paise": _l("The cash on delivery fee"),
    "prepaid_discount_paise": _l("The discount for paying online"),
}


def update_cod_settings(*, cod_max_paise: int, cod_confirm_first: bool, cod_autocancel_hours: int,
                        cod_max_refusals: int, cod_fee_paise: int, prepaid_discount_paise: int,
                        upi_vpa: str, actor):
    """The COD risk screen's settings. Checks every value before changing anything. Commits."""
    import re

    from ..formatting import format_rupees
    from .shop import MAX_AMOUNT_PAISE, get_settings

    amounts = {"cod_max_paise": cod_max_paise, "cod_fee_paise": cod_fee_paise,
               "prepaid_discount_paise": prepaid_discount_paise}
    for key, value in amounts.items():
        if not isinstance(value, int) or isinstance(value, bool) or \
                not 0 <= value <= MAX_AMOUNT_PAISE:
            raise InvalidInput(_("%(what)s must be between ₹0 and %(most)s.", what=COD_FIELDS[key],
                                 most=format_rupees(MAX_AMOUNT_PAISE)), field=key)
    if cod_fee_paise and prepaid_discount_paise:
        raise InvalidInput(_("Please choose a COD fee or a prepaid discount, not both."),
                           field="prepaid_discount_paise")
    if not 0 <= (cod_autocancel_hours or 0) <= 168:
        raise InvalidInput(_("Please give between 0 and 168 hours."), field="cod_autocancel_hours")
    if not 0 <= (cod_max_refusals or 0) <= 50:
        raise InvalidInput(_("Please give between 0 and 50."), field="cod_max_refusals")
    upi_vpa = (upi_vpa or "").strip()
    if upi_vpa and not re.fullmatch(r"[A-Za-z0-9._-]{2,49}@[A-Za-z0-9.-]{2,20}", upi_vpa):
        raise InvalidInput(_("That does not look like a UPI id (e.g. mithaas@okhdfcbank)."),
                           field="upi_vpa")
    settings = get_settings()
    for key, value in amounts.items():
        setattr(settings, key, value)
    settings.cod_confirm_first = bool(cod_confirm_first)
    settings.cod_autocancel_hours = cod_autocancel_hours or 0
    settings.cod_max_refusals = cod_max_refusals or 0
    settings.upi_vpa = upi_vpa
    audit.record(actor, "settings", "COD settings: " + ", ".join(
        f"{k}={getattr(settings, k)}" for k in (*amounts, "cod_confirm_first",
                                                "cod_autocancel_hours", "cod_max_refusals",
                                                "upi_vpa")))
    db.session.commit()
    return settings
