"""How money, quantities and times read to a person in India. Used as Jinja filters."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from .i18n import ngettext
from .models.catalog import Unit

KOLKATA = ZoneInfo("Asia/Kolkata")


def _indian_grouping(n: int) -> str:
    """1150 -> 1,150; 1234567 -> 12,34,567 (lakh grouping)."""
    s = str(n)
    if len(s) <= 3:
        return s
    head, tail = s[:-3], s[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ",".join(groups) + "," + tail


def format_rupees(paise: int | None) -> str:
    if paise is None:
        return ""
    sign = "−" if paise < 0 else ""
    rupees, rest = divmod(abs(int(paise)), 100)
    text = f"{sign}₹{_indian_grouping(rupees)}"
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
        kg = amount / 1000
        return f"{kg:g} kg"
    return f"{amount} g"


def format_local_time(value: datetime | None, fmt: str = "%d %b %Y, %I:%M %p") -> str:
    if value is None:
        return ""
    # No leading zeros on the day or the hour ("1 Mar 2026, 9:35 AM"), minutes untouched.
    return re.sub(r"(^|\s)0(\d)", r"\1\2", value.astimezone(KOLKATA).strftime(fmt))


def mask_address(address: str | None, keep: int = 6) -> str:
    """The first few characters of the first line and an ellipsis: '12 MG …'. For pages
    reachable by a link that may be forwarded, where the full address should not be."""
    first = re.split(r"[\n,]", (address or "").strip(), maxsplit=1)[0].strip()
    return (first[:keep].rstrip() + "…") if first else "…"


def local_today():
    """Today's date in Asia/Kolkata (the shop's day)."""
    from datetime import datetime as _datetime

    return _datetime.now(KOLKATA).date()
