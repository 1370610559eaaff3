"""The shop's public profile (issue 13): address, FSSAI licence, WhatsApp number, theme
colour and logo, and the policy pages the owner writes.

The profile is what the footer, the shop page and link previews show; policies are plain
text rendered as escaped paragraphs (no HTML from anyone reaches a page).
"""
from __future__ import annotations

import re

from markupsafe import Markup, escape

from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import ShopPage, utcnow
from ..phones import normalise_phone
from .errors import InvalidInput
from .shop import get_settings

FSSAI = re.compile(r"^[0-9]{14}$")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_THEME = "#8a1c2b"
MAX_ADDRESS = 300
MAX_POLICY = 20_000

# slug -> (title, default text while the owner has written none)
POLICIES = {
    "refunds": (_l("Cancellation and refunds"),
                _l("You can cancel an order until we start packing it: call or WhatsApp us with "
                "the order number.\n\nIf we cannot deliver, or something arrives damaged or "
                "wrong, tell us on the day and we replace it or refund you in full. Online "
                "payments are refunded to the same account in 5-7 working days.\n\nSweets are "
                "fresh food, so we cannot take them back once delivered in good condition.")),
    "delivery": (_l("Delivery"),
                 _l("We deliver ourselves, the same day, to the pincodes listed on our shop page. "
                 "The delivery fee and the amount above which delivery is free are shown on "
                 "every page and at checkout.\n\nPlease keep your phone on: our delivery "
                 "person calls when near.")),
    "privacy": (_l("Privacy"),
                _l("We keep your name, phone number and address to deliver your order and to "
                "tell you about it, and your orders for our accounts (tax law asks us to "
                "keep bills for 8 years).\n\nWe never sell or share them for advertising. If "
                "you tick \"Remember me next time\", this browser keeps a random "
                "key that lets checkout fill in your details; \"Forget me\" removes it.\n\n"
                "To see or delete what we keep about you, call or WhatsApp us: we erase your "
                "name, addresses and notes and keep only what the law requires (Digital "
                "Personal Data Protection Act, 2023).")),
    "terms": (_l("Terms"),
              _l("Prices include taxes. An order is confirmed when you see its order number. We "
              "may cancel an order we cannot fulfil and refund anything paid.\n\nPhotos show "
              "the sweet; the pieces you receive are made by hand and may look a little "
              "different.")),
}


def policy_title(slug: str) -> str:
    return str(POLICIES[slug][0])


def policy_text(slug: str) -> str:
    """The owner's text for a policy, or the default while there is none."""
    page = db.session.get(ShopPage, slug)
    return page.body if page is not None and page.body.strip() else str(POLICIES[slug][1])


def save_policy(slug: str, body: str, actor: str) -> ShopPage:
    """Save the owner's text of one policy page (empty: back to the default). Commits."""
    if slug not in POLICIES:
        raise InvalidInput(_("There is no such page."), field="body")
    body = (body or "").replace("\r\n", "\n").strip()
    if len(body) > MAX_POLICY:
        raise InvalidInput(_("Please keep the page under %(n)s characters.", n=f"{MAX_POLICY:,}"),
                           field="body")
    page = db.session.get(ShopPage, slug, with_for_update=True) or ShopPage(slug=slug)
    page.body, page.updated_at, page.updated_by = body, utcnow(), actor
    db.session.add(page)
    db.session.commit()
    return page


def paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs: blank lines part paragraphs, single newlines become
    <br>. Everything is escaped, so whatever the owner typed is shown, never run."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text or "") if b.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.split("\n")))
        for b in blocks)


# --- colour contrast (WCAG 2.x) --------------------------------------------------------------

def _channel(c: int) -> float:
    c = c / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# The theme colour is the header's background under white text, and the colour of links
# and buttons on the page's cream background (#fffaf3): both must reach AA (4.5:1).
PAGE_BACKGROUND = "#fffaf3"


def check_theme_colour(colour: str) -> str:
    colour = (colour or "").strip().lower()
    if not HEX_COLOUR.match(colour):
        raise InvalidInput(_("Please choose a colour like #8a1c2b."), field="theme_color")
    worst = min(contrast_ratio(colour, "#ffffff"), contrast_ratio(colour, PAGE_BACKGROUND))
    if worst < 4.5:
        raise InvalidInput(_(
            "That colour is too light for white text and links (contrast %(ratio)s:1; at "
            "least 4.5:1 is needed to be readable). Please choose a darker shade.",
            ratio=f"{worst:.1f}"), field="theme_color")
    return colour


def update_profile(*, address: str, fssai_number: str, whatsapp_number: str,
                   theme_color: str, tagline: str = "") -> None:
    """Save the shop's public profile (values as check_profile takes them). Commits."""
    values = check_profile(address=address, fssai_number=fssai_number,
                           whatsapp_number=whatsapp_number, theme_color=theme_color,
                           tagline=tagline)
    settings = get_settings()
    for key, value in values.items():
        setattr(settings, key, value)
    db.session.commit()


def check_profile(*, address: str, fssai_number: str, whatsapp_number: str,
                  theme_color: str, tagline: str = "") -> dict:
    """The profile's values cleaned (address lines tidied, FSSAI 14 digits or empty,
    WhatsApp in E.164 or empty, the colour AA on white and on the page), or InvalidInput
    naming the field. Changes nothing."""
    address = "\n".join(" ".join(line.split()) for line in (address or "").strip().splitlines())
    address = re.sub(r"\n{2,}", "\n", address)
    if len(address) > MAX_ADDRESS:
        raise InvalidInput(_("Please keep the address under %(n)s characters.", n=MAX_ADDRESS),
                           field="address")
    fssai = re.sub(r"[\s-]", "", fssai_number or "")
    if fssai and not FSSAI.match(fssai):
        raise InvalidInput(_("An FSSAI licence number has 14 digits."), field="fssai_number")
    whatsapp = ""
    if (whatsapp_number or "").strip():
        whatsapp = normalise_phone(whatsapp_number.strip()) or ""
        if not whatsapp:
            raise InvalidInput(_("Please give a valid Indian mobile number, e.g. 98765 43210."),
                               field="whatsapp_number")
    colour = check_theme_colour(theme_color or DEFAULT_THEME)
    tagline = " ".join((tagline or "").split())
    if len(tagline) > 160:
        raise InvalidInput(_("Please keep the tagline under 160 characters."), field="tagline")
    return {"address": address, "fssai_number": fssai, "whatsapp_number": whatsapp,
            "theme_color": colour, "tagline": tagline}


def set_logo(photo) -> None:
    """Store the (cleaned) logo at most 96 px high and point the settings at it; the old
    one is removed after the commit. Commits."""
    from .. import images
    from ..integrations import cloudinary as photos

    key = photos.store_logo(images.small_logo(photo))
    settings = get_settings()
    old, settings.logo_key = settings.logo_key, key
    db.session.commit()
    _remove_quietly(old)


def remove_logo() -> None:
    settings = get_settings()
    old, settings.logo_key = settings.logo_key, None
    db.session.commit()
    _remove_quietly(old)


def _remove_quietly(key):
    from ..integrations import cloudinary as photos
    try:
        photos.delete_image(key)
    except photos.ImageStoreError:
        pass


def whatsapp_link(number: str, text: str = "") -> str:
    """https://wa.me/<digits>?text=… (the link WhatsApp documents for click to chat)."""
    from urllib.parse import quote

    digits = re.sub(r"\D", "", number or "")
    return f"https://wa.me/{digits}" + (f"?text={quote(text)}" if text else "")


def map_link(address: str) -> str:
    from urllib.parse import quote

    return "https://www.google.com/maps/search/?api=1&query=" + quote(" ".join(address.split()))
