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
    named = [f"{item.quantity} × {item.product_name} {item.pack_name}".strip() + _box_parts(item)
             for item in items[:ITEMS_SHOWN]]
    rest = len(items) - len(named)
    if rest:
        named.append(ngettext("and %(num)d more line", "and %(num)d more lines", rest))
    return quote(", ".join(named), 160)


def _box_parts(item) -> str:
    """' (Kaju Katli 250 g, Milk Cake 250 g)' after an assorted box; '' after a pack."""
    parts = getattr(item, "parts", None) or []
    if not parts:
        return ""
    return " (" + ", ".join(f"{part.product_name} {format_quantity(part.quantity, part.unit)}"
                            for part in parts) + ")"


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


def invoice_link(order) -> str:
    from .invoices import document_link, invoice_token

    return document_link(invoice_token(order))


def credit_note_link(note) -> str:
    from .invoices import credit_note_token, document_link

    return document_link(credit_note_token(note)) if note.id is not None else ""


def admin_order_link(order) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/admin/orders/{order.id}"


def when_part(order) -> str:
    """The order's time as a sentence for a message ("Delivery on Sat 31 Oct, 4–6 pm."), or
    "" for an "as soon as possible" delivery, the one kind of order that has no time."""
    if order is None or (order.slot_starts_at is None and order.fulfilment != "pickup"):
        return ""
    from .slots import when_text
    return sentence(when_text(order))


def _owner_new_order(order, total: str, cod_due: bool) -> str:
    name, note = quote(order.customer_name, NAME_LIMIT), quote(order.note, NOTE_LIMIT)
    return " ".join(part for part in (
        f"New order #{order.number}: {total}{', cash on delivery' if cod_due else ''}.",
        when_part(order),
        sentence(items_summary(order)),
        sentence(f"From {name}") if name else "",
        f"Note: “{note}”" if note else "",
        admin_order_link(order),
    ) if part)


def _handover(order) -> str:
    code = getattr(order, "handover_code", None)
    return (f" Your handover code is {code}: give it to the delivery person when you have "
            "your sweets.") if code else ""


def compose(kind: str, shop_name: str, order=None, *, shop_phone: str = "",
            shop_address: str = "", **extra) -> tuple[str, dict]:
    """The SMS / free-text body and the WhatsApp template variables for a message kind."""
    n = order.number if order is not None else ""
    total = format_rupees(order.total_paise) if order is not None else ""
    link = order_link(order) if order is not None else ""
    cod_due = (order is not None and order.payment_method.value == "cod"
               and order.payment_status.value == "unpaid")
    call_us = f" Questions? Call us on {display_phone(shop_phone)}." if shop_phone else ""
    if kind == "back_in_stock":
        name, url = extra.get("product_name", ""), extra.get("product_url", "")
        body = (f"{shop_name}: {name} फिर से उपलब्ध है। {url}" if extra.get("language") == "hi"
                else f"{shop_name}: {name} is back in stock. {url}")
        return body, {"1": shop_name, "2": name, "3": url}
    when = f" {when_part(order)}" if when_part(order) else ""
    pickup = order is not None and order.fulfilment == "pickup"
    at_shop = f" at {' '.join(shop_address.split())}" if pickup and shop_address else ""
    note = extra.get("credit_note")
    invoice = invoice_link(order) if kind == "order_placed" and order is not None else ""
    if kind == "credit_note":
        original = note.original.number if note.original is not None else ""
        body = (f"{shop_name}: credit note {note.number or ''} for "
                f"{format_rupees(note.total_paise)} against invoice {original} "
                f"(order #{n}). See it here: {credit_note_link(note)}")
    elif kind == "order_cancelled":
        body = (f"{shop_name}: order #{n} is cancelled. "
                f"Reason: {sentence(extra.get('reason') or 'not given')}{call_us}")
    elif kind == "owner_new_order":
        body = _owner_new_order(order, total, cod_due)
    else:
        body = {
            "owner_reminder": (
                f"Reminder: order #{n} ({total}) is waiting to be accepted. "
                f"{admin_order_link(order) if order is not None else ''}"),
            "order_placed": (
                f"{shop_name}: thank you! Order #{n} is placed.{when} Total {total}"
                f"{', cash on delivery' if cod_due else ''}. "
                + (f"Please confirm it here: {link} (or reply YES on WhatsApp)."
                   if getattr(order, "cod_confirmation", "") == "pending"
                   else f"Track it: {link}")
                + f" Invoice: {invoice}"),
            "order_accepted": (f"{shop_name}: order #{n} is accepted and being packed.{when} "
                               f"Track: {link}"),
            "order_ready": (
                f"{shop_name}: order #{n} is packed and ready for pickup{at_shop}.{when} "
                f"Track: {link}" if pickup else
                f"{shop_name}: order #{n} is packed and ready.{when} Track: {link}"),
            "order_reminder": (
                f"{shop_name}: a reminder, order #{n} is for today.{when}"
                f"{f' Collect it{at_shop}.' if pickup else ''}"
                f"{f' Please keep {format_rupees(order.amount_to_collect_paise)} ready.' if order is not None and order.amount_to_collect_paise else ''}"
                f" Track: {link}"),
            "order_out_for_delivery": (
                f"{shop_name}: order #{n} is out for delivery."
                f"{f' Please keep {total} ready.' if cod_due else ''}"
                f"{_handover(order)} Track: {link}"),
            "order_delivered": f"{shop_name}: order #{n} is delivered. Enjoy your sweets!",
            "order_expired": (
                f"{shop_name}: order #{n} was cancelled because the payment did not complete. "
                "Nothing was charged; you are welcome to order again."),
            "payment_failed": (
                f"{shop_name}: the payment for order #{n} did not go through. "
                f"You can try again here: {link}"),
            "refund_done": (
                f"{shop_name}: we have refunded {format_rupees(extra.get('amount_paise', 0))} "
                f"for order #{n}. It reaches your account in 5-7 working days."),
            "lookup_code": (
                f"{shop_name}: your code is {extra.get('code')}. It expires in 10 minutes. "
                "Do not share it."),
        }[kind]
    variables = {"1": shop_name, "2": str(n), "3": total, "4": link}
    if kind == "order_cancelled":
        variables["5"] = extra.get("reason") or ""
    if kind == "order_out_for_delivery":
        variables["5"] = getattr(order, "handover_code", None) or ""
    if kind == "lookup_code":
        variables = {"1": str(extra.get("code"))}
    if kind == "credit_note":
        variables["3"] = format_rupees(note.total_paise)
        variables["4"] = credit_note_link(note)
        variables["5"] = note.number or ""
    return body, variables


def redacted_code_message(shop_name: str) -> tuple[str, dict]:
    """A one-time code's message as it is kept once sent or expired: its shape, not the code."""
    return compose("lookup_code", shop_name, code=REDACTED_CODE)
