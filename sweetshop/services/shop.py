"""The shop's settings row."""
import re

from flask import g, has_app_context
from sqlalchemy.dialects.postgresql import insert

from ..extensions import db
from ..formatting import ascii_digits, format_rupees
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import ShopSettings
from ..phones import normalise_phone
from .errors import InvalidInput


def get_settings() -> ShopSettings:
    """The single settings row, created with defaults the first time it is asked for.

    The row is created in its own short, committed transaction (INSERT ... ON CONFLICT DO
    NOTHING), so concurrent first requests neither collide on the key nor wait on each other.
    """
    settings = db.session.get(ShopSettings, 1)
    if settings is None:
        with db.engine.begin() as connection:
            connection.execute(insert(ShopSettings).values(id=1).on_conflict_do_nothing())
        settings = db.session.get(ShopSettings, 1)
    # The session's identity map holds rows weakly: without a strong reference a second
    # read in the same request (the cart, then the layout) would query again.
    if has_app_context():
        g.shop_settings_row = settings
    return settings


# The largest amount the owner can type for any money setting: ₹10 lakh. Catches a slip
# of the finger (an extra zero or two) and keeps every sum far inside a 32-bit integer.
MAX_AMOUNT_PAISE = 10_00_000 * 100
MAX_PINCODES = 2000
PINCODE = re.compile(r"^[1-9][0-9]{5}$")
AMOUNT_FIELDS = {
    "delivery_fee_paise": _l("The delivery fee"),
    "free_delivery_above_paise": _l("The free delivery amount"),
    "min_order_paise": _l("The minimum order"),
    "cod_max_paise": _l("The cash on delivery limit"),
}


def parse_pincodes(text: str | None) -> list[str]:
    """'560001, 560002\\n560038' -> ['560001', '560002', '560038'] (in order, no repeats).

    Raises InvalidInput naming every entry that is not a 6-digit pincode.
    """
    entries = [ascii_digits(e) for e in re.split(r"[\s,;]+", text or "") if e]
    bad = [e for e in dict.fromkeys(entries) if not PINCODE.match(e)]
    if bad:
        shown = ", ".join(bad[:10]) + (_(' and %(num)s more', num=len(bad) - 10) if len(bad) > 10 else "")
        raise InvalidInput(_('These are not 6-digit pincodes: %(shown)s.', shown=shown),
                           field="serviceable_pincodes")
    pincodes = list(dict.fromkeys(entries))
    if len(pincodes) > MAX_PINCODES:
        raise InvalidInput(_('Please list at most %(num)s pincodes.', num=MAX_PINCODES),
                           field="serviceable_pincodes")
    return pincodes


def update_settings(*, name: str, phone: str | None, is_open: bool, delivery_fee_paise: int,
                    free_delivery_above_paise: int, min_order_paise: int,
                    serviceable_pincodes: str, cod_max_paise: int | None = None,
                    actor=None, owner_phones: str | None = None) -> ShopSettings:
    """Save the owner's settings; checkout applies them from the next request. Commits.

    Checks every value (name given, phone an Indian mobile in any usual format, amounts in
    paise between 0 and ₹10 lakh, each pincode 6 digits) and raises InvalidInput with the
    field at fault before changing anything. Stores the phone in E.164 and the pincodes
    normalised, one list separated by commas.
    """
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Please give the shop's name."), field="name")
    if len(name) > 80:
        raise InvalidInput(_("Please keep the name under 80 characters."), field="name")
    e164 = ""
    if phone and phone.strip():
        e164 = normalise_phone(phone.strip())
        if e164 is None:
            raise InvalidInput(_("Please give a valid Indian mobile number, e.g. 98765 43210."),
                               field="phone")
    amounts = {"delivery_fee_paise": delivery_fee_paise,
               "free_delivery_above_paise": free_delivery_above_paise,
               "min_order_paise": min_order_paise}
    if cod_max_paise is not None:  # set on the COD screen (services/cod_risk.py) now
        amounts["cod_max_paise"] = cod_max_paise
    for key, value in amounts.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput(_('%(what)s must be an amount in rupees.', what=AMOUNT_FIELDS[key]), field=key)
        if not 0 <= value <= MAX_AMOUNT_PAISE:
            raise InvalidInput(_('%(what)s must be between ₹0 and %(most)s.', what=AMOUNT_FIELDS[key], most=format_rupees(MAX_AMOUNT_PAISE)), field=key)
    pincodes = parse_pincodes(serviceable_pincodes)
    owners = parse_owner_phones(owner_phones) if owner_phones is not None else None

    settings = get_settings()
    settings.name = name
    settings.phone = e164
    settings.is_open = bool(is_open)
    for key, value in amounts.items():
        setattr(settings, key, value)
    settings.serviceable_pincodes = ", ".join(pincodes)
    if owners is not None:
        settings.owner_phones = ", ".join(owners)
    if actor is not None:
        from . import audit
        changed = [key for key, value in db.inspect(settings).attrs.items()
                   if value.history.has_changes()]
        audit.record(actor, "settings", "Shop settings: " + (", ".join(
            f"{key}={getattr(settings, key)}" for key in changed) or "saved, nothing changed"))
    db.session.commit()
    return settings


def parse_owner_phones(raw: str) -> list[str]:
    """Mobile numbers in any usual format, separated by commas or new lines -> E.164 list."""
    parts = [p.strip() for p in re.split(r"[,;\n]+", raw or "") if p.strip()]
    bad = [p for p in parts if normalise_phone(p) is None]
    if bad:
        raise InvalidInput(_("These are not Indian mobile numbers: ") + ", ".join(bad[:5]) + ".",
                           field="owner_phones")
    if len(parts) > 5:
        raise InvalidInput(_("Up to 5 phones can be told about new orders."), field="owner_phones")
    return list(dict.fromkeys(normalise_phone(p) for p in parts))
