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
    headline = (gettext("New order #%(number)s: %(total)s, cash on delivery.",
                        number=order.number, total=total) if cod_due else
                gettext("New order #%(number)s: %(total)s.", number=order.number, total=total))
    return " ".join(part for part in (
        headline,
        when_part(order),
        sentence(items_summary(order)),
        sentence(gettext("From %(name)s", name=name)) if name else "",
        gettext("Note: “%(note)s”", note=note) if note else "",
        admin_order_link(order),
    ) if part)


def _handover(order) -> str:
    code = getattr(order, "handover_code", None)
    return (" " + gettext("Your handover code is %(code)s: give it to the delivery person "
                          "when you have your sweets.", code=code)) if code else ""


def compose(kind: str, shop_name: str, order=None, *, shop_phone: str = "",
            shop_address: str = "", **extra) -> tuple[str, dict]:
    """The SMS / free-text body and the WhatsApp template variables for a message kind, in
    the language in force (callers choose it: services/notifications.py). Each sentence is
    translated whole; optional parts (the time, the invoice, the handover code) are
    sentences of their own."""
    n = order.number if order is not None else ""
    total = format_rupees(order.total_paise) if order is not None else ""
    link = order_link(order) if order is not None else ""
    cod_due = (order is not None and order.payment_method.value == "cod"
               and order.payment_status.value == "unpaid")
    words = {"shop": shop_name, "number": n, "total": total, "link": link}
    call_us = (" " + gettext("Questions? Call us on %(phone)s.", phone=display_phone(shop_phone))
               if shop_phone else "")
    if kind == "back_in_stock":
        name, url = extra.get("product_name", ""), extra.get("product_url", "")
        body = gettext("%(shop)s: %(name)s is back in stock. %(url)s", shop=shop_name,
                       name=name, url=url)
        return body, {"1": shop_name, "2": name, "3": url}
    when = f" {when_part(order)}" if when_part(order) else ""
    pickup = order is not None and order.fulfilment == "pickup"
    address = " ".join(shop_address.split())
    note = extra.get("credit_note")
    if kind == "credit_note":
        original = note.original.number if note.original is not None else ""
        body = gettext("%(shop)s: credit note %(note)s for %(amount)s against invoice "
                       "%(invoice)s (order #%(number)s). See it here: %(url)s",
                       note=note.number or "", amount=format_rupees(note.total_paise),
                       invoice=original, url=credit_note_link(note), **words)
    elif kind == "order_cancelled":
        reason = sentence(extra.get("reason") or gettext("not given"))
        body = gettext("%(shop)s: order #%(number)s is cancelled. Reason: %(reason)s",
                       reason=reason, **words) + call_us
    elif kind == "owner_new_order":
        body = _owner_new_order(order, total, cod_due)
    elif kind == "owner_reminder":
        body = gettext("Reminder: order #%(number)s (%(total)s) is waiting to be accepted. "
                       "%(url)s", url=admin_order_link(order) if order is not None else "",
                       **words)
    elif kind == "order_placed":
        body = (gettext("%(shop)s: thank you! Order #%(number)s is placed.%(when)s Total "
                        "%(total)s, cash on delivery.", when=when, **words) if cod_due else
                gettext("%(shop)s: thank you! Order #%(number)s is placed.%(when)s Total "
                        "%(total)s.", when=when, **words))
        if getattr(order, "cod_confirmation", "") == "pending":
            body += " " + gettext("Please confirm it here: %(link)s (or reply YES on WhatsApp).",
                                  **words)
        else:
            body += " " + gettext("Track it: %(link)s", **words)
        body += " " + gettext("Invoice: %(url)s", url=invoice_link(order))
    elif kind == "order_accepted":
        body = gettext("%(shop)s: order #%(number)s is accepted and being packed.%(when)s "
                       "Track: %(link)s", when=when, **words)
    elif kind == "order_ready":
        if pickup and address:
            body = gettext("%(shop)s: order #%(number)s is packed and ready for pickup at "
                           "%(address)s.%(when)s Track: %(link)s", address=address, when=when,
                           **words)
        elif pickup:
            body = gettext("%(shop)s: order #%(number)s is packed and ready for pickup."
                           "%(when)s Track: %(link)s", when=when, **words)
        else:
            body = gettext("%(shop)s: order #%(number)s is packed and ready.%(when)s Track: "
                           "%(link)s", when=when, **words)
    elif kind == "order_reminder":
        body = gettext("%(shop)s: a reminder, order #%(number)s is for today.%(when)s",
                       when=when, **words)
        if pickup:
            body += " " + (gettext("Collect it at %(address)s.", address=address) if address
                           else gettext("Collect it."))
        if order is not None and order.amount_to_collect_paise:
            body += " " + gettext("Please keep %(amount)s ready.",
                                  amount=format_rupees(order.amount_to_collect_paise))
        body += " " + gettext("Track: %(link)s", **words)
    elif kind == "order_out_for_delivery":
        body = gettext("%(shop)s: order #%(number)s is out for delivery.", **words)
        if cod_due:
            body += " " + gettext("Please keep %(amount)s ready.", amount=total)
        body += _handover(order) + " " + gettext("Track: %(link)s", **words)
    elif kind == "refund_done":
        body = gettext("%(shop)s: we have refunded %(amount)s for order #%(number)s. It reaches "
                       "your account in 5-7 working days.",
                       amount=format_rupees(extra.get("amount_paise", 0)), **words)
    elif kind == "lookup_code":
        body = gettext("%(shop)s: your code is %(code)s. It expires in 10 minutes. "
                       "Do not share it.", shop=shop_name, code=extra.get("code"))
    else:
        body = {
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
