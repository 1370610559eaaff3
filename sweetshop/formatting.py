"""How money, quantities and times read to a person in India. Used as Jinja filters."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal

from .i18n import format_locale, gettext, ngettext
from .models.catalog import Unit

KOLKATA = ZoneInfo("Asia/Kolkata")


def format_number(value: int | float, language: str | None = None) -> str:
    """A number as the language writes it (Babel's en_IN / hi_IN): 115000 -> '1,15,000'."""
    return format_decimal(value, locale=format_locale(language))


def format_rupees(paise: int | None) -> str:
    """Paise as rupees for the page's language: 11500000 -> '₹1,15,000', 58050 -> '₹580.50'."""
    if paise is None:
        return ""
    sign = "−" if paise < 0 else ""
    rupees, rest = divmod(abs(int(paise)), 100)
    text = f"{sign}₹{format_number(rupees)}"
    return f"{text}.{rest:02d}" if rest else text


def parse_whole_number(text: str | None, max_digits: int = 9) -> int | None:
    """A typed whole number -> int; None when it is not one. Digits of any script people
    type on Indian phones count ('१०४२' -> 1042, as phonenumbers reads them); superscripts
    and other look-alikes ('²', '①') do not: str.isdigit() takes those, int() does not."""
    text = (text or "").strip()
    if not text or len(text) > max_digits or not text.isdecimal():
        return None
    return int(text)


def ascii_digits(text: str) -> str:
    """'९८७६५' -> '98765': decimal digits of any script as ASCII, other characters kept."""
    return "".join(str(int(c)) if c.isdecimal() else c for c in text)


# Devanagari (०-९) through Malayalam: the scripts' digit blocks sit at U+0966 + 0x80 * k.
_INDIAN_DIGITS = {0x0966 + 0x80 * block + d: str(d) for block in range(9) for d in range(10)}


def indian_digits(text: str) -> str:
    """'२५०' -> '250': digits of India's scripts (Devanagari, Bengali, Gurmukhi, Gujarati,
    Odia, Tamil, Telugu, Kannada, Malayalam) as ASCII; everything else untouched."""
    return text.translate(_INDIAN_DIGITS)


_TYPED_RUPEES = re.compile(r"^(\d{1,9})(?:\.(\d{1,2}))?$")


def parse_rupees(text: str | None) -> int | None:
    """What the owner types, in rupees -> paise: '580' -> 58000, '580.5' -> 58050,
    '₹1,150.00' / 'Rs 1150' -> 115000. None when it is not an amount (negative included).
    Services still check the range: nine digits of rupees would not fit a price column."""
    cleaned = re.sub(r"^(₹|rs\.?|inr)", "", (text or "").strip().lower().replace(" ", ""))
    match = _TYPED_RUPEES.match(cleaned.replace(",", ""))
    if not match:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def rupees_text(paise: int | None) -> str:
    """Paise as the owner would type them back: 58000 -> '580', 58050 -> '580.50'."""
    if paise is None:
        return ""
    rupees, rest = divmod(int(paise), 100)
    return f"{rupees}.{rest:02d}" if rest else str(rupees)


def format_quantity(amount: int, unit: Unit | str) -> str:
    """Grams read as kg from 1 kg up; pieces read as pieces."""
    unit = Unit(unit)
    if unit is Unit.PIECE:
        return ngettext("%(num)d piece", "%(num)d pieces", amount)
    if amount >= 1000:
        return gettext("%(amount)s kg", amount=format_number(round(amount / 1000, 3)))
    return gettext("%(amount)s g", amount=format_number(amount))


_STRFTIME_TO_CLDR = {"d": "d", "b": "MMM", "B": "MMMM", "Y": "y", "y": "yy", "I": "h",
                     "m": "MM", "M": "mm", "H": "H", "p": "a", "a": "EEE", "A": "EEEE"}


def format_local_time(value: datetime | None, fmt: str = "d MMM y, h:mm a") -> str:
    """A moment in Asia/Kolkata, in the page's language: '1 Mar 2026, 9:35 am' (en_IN),
    '1 मार्च 2026, 9:35 am' (hi_IN). `fmt` is a CLDR pattern."""
    if value is None:
        return ""
    if "%" in fmt:  # a strftime format, as callers wrote before Babel: the same fields
        fmt = re.sub(r"%([dbBYyImMHpaA])", lambda m: _STRFTIME_TO_CLDR[m.group(1)], fmt)
    text = format_datetime(value.astimezone(KOLKATA), fmt, locale=format_locale())
    # AM / PM as Indian readers know them from clocks and tickets (CLDR writes "am").
    return re.sub(r"\b(am|pm)\b", lambda m: m.group(1).upper(), text)


def mask_address(address: str | None, keep: int = 6) -> str:
    """The first few characters of the first line and an ellipsis: '12 MG …'. For pages
    reachable by a link that may be forwarded, where the full address should not be."""
    first = re.split(r"[\n,]", (address or "").strip(), maxsplit=1)[0].strip()
    return (first[:keep].rstrip() + "…") if first else "…"


def local_today():
    """Today's date in Asia/Kolkata (the shop's day)."""
    from datetime import datetime as _datetime

    return _datetime.now(KOLKATA).date()
