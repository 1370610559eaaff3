"""What each message says: short, plain, with the shop's name. One place for all the words.

Text a customer typed (a name, a note) reaches the owner's phone only through `quote()`:
one line, no control characters, no links, and a bounded length, so an order form cannot
be used to put a convincing phishing text on the owner's phone.
"""
from __future__ import annotations

import re
import unicodedata

from flask import current_app

from ..formatting import format_quantity, format_rupees
from ..i18n import gettext, ngettext
from ..models.catalog import Unit
from ..phones import display_phone

NAME_LIMIT = 40        # characters of a customer's name quoted to the owner
NOTE_LIMIT = 80        # ... of their note
ITEMS_SHOWN = 3        # order lines named in the owner's message; the rest are counted
REDACTED_CODE = "••••••"  # what a one-time code reads as once it is no longer needed

# Characters that are not text: C0/C1 controls (newlines, escape), format characters
# (bidi overrides, zero-width joiners), private use, surrogates, unassigned, and the line
# and paragraph separators. Format characters are removed (they split words invisibly,
# e.g. "evil.exa\u200bmple"); the others become a space.
_REMOVED_CATEGORIES = {"Cf"}
_SPACED_CATEGORIES = {"Cc", "Co", "Cs", "Cn", "Zl", "Zp"}
# Full stops that IDNA (and so phones' link detection) reads as a dot in a domain name.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
# A word that is a link for certain: a scheme, www., a dotted name with a path, an e-mail.
_LINK = re.compile(r"""
    \w[\w+.-]*://                              # http://, https://, upi://, ...
  | \b(?:https?|mailto|tel|sms|javascript|data|intent|file):   # schemes without //
  | \bwww\d{0,3}\.                             # www.example
  | (?:[\w-]+\.)+[^\W\d_]{2,}(?::\d+)?/       # evil.example/kyc (not "No.12/4")
  | \b\d{1,3}(?:\.\d{1,3}){3}\b                # 203.0.113.5, with or without a path
  | [^\s@]@[\w-]+(?:\.[\w-]+)+                 # someone@example.com
""", re.IGNORECASE | re.VERBOSE)
# A dot between a letter or digit and a letter: "evil.example" would still be linked by a
# phone. A space after the dot breaks the link and is what the text meant anyway
# ("S.Kumar" -> "S. Kumar", "twice.Gate" -> "twice. Gate"); "1.5 kg" is untouched.
_GLUED_DOT = re.compile(r"(?<=[^\W_])\.(?=[^\W\d_])")


def quote(text: str | None, limit: int) -> str:
    """Customer text made safe to put in the owner's message: NFKC-normalised (full-width
    "ｅｖｉｌ．ｅｘａｍｐｌｅ" is plain ASCII after it), control and invisible characters
    gone, one line, every link-like word dropped and every other domain-like word broken,
    then cut to `limit` characters with "…" (never between a letter and its accent)."""
    text = unicodedata.normalize("NFKC", str(text or "")).translate(_DOTS)
    text = "".join(
        "" if unicodedata.category(ch) in _REMOVED_CATEGORIES
        else " " if unicodedata.category(ch) in _SPACED_CATEGORIES else ch
        for ch in text)
    words = [_GLUED_DOT.sub(". ", word) for word in text.split() if not _LINK.search(word)]
    text = " ".join(" ".join(words).split())
    if len(text) <= limit:
        return text
    cut = limit - 1
    while cut > 0 and unicodedata.category(text[cut]).startswith("M"):  # a vowel sign, an accent
        cut -= 1
    return text[:cut].rstrip(" ,;:-") + "…"


def sentence(text: str) -> str:
    """`text` ending in one full stop: "instead." stays, "instead" gets one, "" stays ""."""
    text = (text or "").strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def items_summary(order) -> str:
    """'2 × Kaju Katli 500 g, 1 × Rasgulla Box of 12, and 2 more', at most ITEMS_SHOWN lines."""
    items = list(order.items)
    named = [f"{item.quantity} × {item.product_name} {item.pack_name}".strip()
             for item in items[:ITEMS_SHOWN]]
    rest = len(items) - len(named)
    if rest:
        named.append(ngettext("and %(num)d more line", "and %(num)d more lines", rest))
    return quote(", ".join(named), 160)


def stock_left(product, variant, *, shared: bool) -> str:
    """What is left of a sweet, for a cart line that wants more than that.

    By weight in kg or g ("Only 1.5 kg of Kaju Katli is left."); by the piece in this line's
    own packs ("Only 6 × Box of 12 of Rasgulla are left.") when the pack fits at least once
    and no other pack of the sweet shares the stock in this cart, else in pieces.
    """
    stock, name = product.stock, product.name
    if Unit(product.unit) is Unit.GRAM:
        left = gettext("Only %(amount)s of %(name)s is left",
                       amount=format_quantity(stock, product.unit), name=name)
    elif not shared and variant.quantity > 1 and stock >= variant.quantity:
        left = ngettext("Only %(num)d × %(pack)s of %(name)s is left",
                        "Only %(num)d × %(pack)s of %(name)s are left",
                        stock // variant.quantity, pack=variant.name, name=name)
    else:
        left = ngettext("Only %(num)d piece of %(name)s is left",
                        "Only %(num)d pieces of %(name)s are left", stock, name=name)
    together = gettext(", for all packs together") if shared else ""
    return left + together + gettext(". Please reduce the quantity.")


def order_link(order) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/orders/{order.public_token}"


def admin_order_link(order) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/admin/orders/{order.id}"


def _owner_new_order(order, total: str, cod_due: bool) -> str:
    name, note = quote(order.customer_name, NAME_LIMIT), quote(order.note, NOTE_LIMIT)
    headline = (gettext("New order #%(number)s: %(total)s, cash on delivery.",
                        number=order.number, total=total) if cod_due else
                gettext("New order #%(number)s: %(total)s.", number=order.number, total=total))
    return " ".join(part for part in (
        headline,
        sentence(items_summary(order)),
        sentence(gettext("From %(name)s", name=name)) if name else "",
        gettext("Note: “%(note)s”", note=note) if note else "",
        admin_order_link(order),
    ) if part)


def compose(kind: str, shop_name: str, order=None, *, shop_phone: str = "",
            **extra) -> tuple[str, dict]:
    """The SMS / free-text body and the WhatsApp template variables for a message kind, in
    the language in force (callers choose it: services/notifications.py)."""
    n = order.number if order is not None else ""
    total = format_rupees(order.total_paise) if order is not None else ""
    link = order_link(order) if order is not None else ""
    cod_due = (order is not None and order.payment_method.value == "cod"
               and order.payment_status.value == "unpaid")
    words = {"shop": shop_name, "number": n, "total": total, "link": link}
    call_us = (" " + gettext("Questions? Call us on %(phone)s.", phone=display_phone(shop_phone))
               if shop_phone else "")
    if kind == "order_cancelled":
        reason = sentence(extra.get("reason") or gettext("not given"))
        body = gettext("%(shop)s: order #%(number)s is cancelled. Reason: %(reason)s",
                       reason=reason, **words) + call_us
    elif kind == "owner_new_order":
        body = _owner_new_order(order, total, cod_due)
    elif kind == "order_placed":
        body = (gettext("%(shop)s: thank you! Order #%(number)s is placed. Total %(total)s, "
                        "cash on delivery. Track it: %(link)s", **words) if cod_due else
                gettext("%(shop)s: thank you! Order #%(number)s is placed. Total %(total)s. "
                        "Track it: %(link)s", **words))
    elif kind == "order_out_for_delivery":
        body = (gettext("%(shop)s: order #%(number)s is out for delivery. Please keep %(total)s "
                        "ready. Track: %(link)s", **words) if cod_due else
                gettext("%(shop)s: order #%(number)s is out for delivery. Track: %(link)s",
                        **words))
    elif kind == "refund_done":
        body = gettext("%(shop)s: we have refunded %(amount)s for order #%(number)s. It reaches "
                       "your account in 5-7 working days.",
                       amount=format_rupees(extra.get("amount_paise", 0)), **words)
    elif kind == "lookup_code":
        body = gettext("%(shop)s: your code is %(code)s. It expires in 10 minutes. "
                       "Do not share it.", shop=shop_name, code=extra.get("code"))
    else:
        body = {
            "order_accepted": gettext(
                "%(shop)s: order #%(number)s is accepted and being packed. Track: %(link)s",
                **words),
            "order_ready": gettext(
                "%(shop)s: order #%(number)s is packed and ready. Track: %(link)s", **words),
            "order_delivered": gettext(
                "%(shop)s: order #%(number)s is delivered. Enjoy your sweets!", **words),
            "order_expired": gettext(
                "%(shop)s: order #%(number)s was cancelled because the payment did not "
                "complete. Nothing was charged; you are welcome to order again.", **words),
            "payment_failed": gettext(
                "%(shop)s: the payment for order #%(number)s did not go through. You can try "
                "again here: %(link)s", **words),
        }[kind]
    variables = {"1": shop_name, "2": str(n), "3": total, "4": link}
    if kind == "order_cancelled":
        variables["5"] = extra.get("reason") or ""
    if kind == "lookup_code":
        variables = {"1": str(extra.get("code"))}
    return body, variables


def redacted_code_message(shop_name: str) -> tuple[str, dict]:
    """A one-time code's message as it is kept once sent or expired: its shape, not the code."""
    return compose("lookup_code", shop_name, code=REDACTED_CODE)
