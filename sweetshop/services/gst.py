"""GST arithmetic and identifiers, defined once: GSTIN and HSN checks, states and place of
supply, the tax taken out of tax-inclusive prices, and amounts in words.

Rounding (the one rule every invoice and credit note uses): prices are tax-inclusive, and
each line is split on its own, to the paisa, half up:
  intra-state: CGST = SGST = round(gross × (rate/2) / (100 + rate)); taxable = gross − both
  inter-state: IGST = round(gross × rate / (100 + rate));            taxable = gross − IGST
so taxable + tax = gross on every line by construction, and every total (per rate, per
tax, per document) is a plain sum of lines: the totals always add up exactly, and CGST
and SGST are always equal on a line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from .errors import InvalidInput

# GST rates in hundredths of a percent (500 = 5%). The rates the GST Council has notified
# for goods and services (after the September 2025 rationalisation 5% and 18% are the main
# ones; 12% and 28% remain for a few goods); 0 is for exempt or nil-rated supplies.
RATES_BP = (0, 25, 300, 500, 1200, 1800, 2800, 4000)
DEFAULT_RATE_BP = 500     # mithai and namkeen: 5% from 22 September 2025
DEFAULT_HSN = "1704"      # sugar confectionery; namkeen is 2106
DELIVERY_SAC = "996813"   # local delivery services
HSN = re.compile(r"^(?:\d{4}|\d{6}|\d{8})$")

STATES: dict[str, str] = {
    "01": "Jammu and Kashmir", "02": "Himachal Pradesh", "03": "Punjab", "04": "Chandigarh",
    "05": "Uttarakhand", "06": "Haryana", "07": "Delhi", "08": "Rajasthan",
    "09": "Uttar Pradesh", "10": "Bihar", "11": "Sikkim", "12": "Arunachal Pradesh",
    "13": "Nagaland", "14": "Manipur", "15": "Mizoram", "16": "Tripura", "17": "Meghalaya",
    "18": "Assam", "19": "West Bengal", "20": "Jharkhand", "21": "Odisha",
    "22": "Chhattisgarh", "23": "Madhya Pradesh", "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu", "27": "Maharashtra", "29": "Karnataka",
    "30": "Goa", "31": "Lakshadweep", "32": "Kerala", "33": "Tamil Nadu", "34": "Puducherry",
    "35": "Andaman and Nicobar Islands", "36": "Telangana", "37": "Andhra Pradesh",
    "38": "Ladakh", "97": "Other Territory",
}


def rate_label(rate_bp: int) -> str:
    """500 -> '5%', 25 -> '0.25%'."""
    whole, part = divmod(rate_bp, 100)
    return f"{whole}%" if not part else f"{whole}.{part:02d}".rstrip("0") + "%"


def half_rate_label(rate_bp: int) -> str:
    """The CGST (or SGST) rate, half the GST rate: 500 -> '2.5%', 25 -> '0.125%'."""
    text = f"{Decimal(rate_bp) / 200:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def rate_percent_text(rate_bp: int) -> str:
    """500 -> '5', 25 -> '0.25': the rate as GSTR-1's templates want it."""
    return rate_label(rate_bp)[:-1]


def parse_rate(text) -> int:
    """'5', '5%', '0.25' -> basis points; InvalidInput for anything not a GST rate."""
    raw = str(text if text is not None else "").strip().rstrip("%").strip()
    match = re.fullmatch(r"(\d{1,2})(?:\.(\d{1,2}))?", raw)
    value = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0")) if match \
        else None
    if value not in RATES_BP:
        choices = ", ".join(rate_label(r) for r in RATES_BP)
        raise InvalidInput(_("The GST rate must be one of %(choices)s.", choices=choices),
                           field="gst_rate")
    return value


def check_hsn(code: str, field: str = "hsn_code", what: str = _l("HSN code")) -> str:
    code = re.sub(r"\s+", "", code or "")
    if not HSN.match(code):
        raise InvalidInput(_("The %(what)s must be 4, 6 or 8 digits, e.g. 1704.", what=what),
                           field=field)
    return code


# --- GSTIN ---------------------------------------------------------------------------------
# 2 digits state code, 10 characters PAN (5 letters, 4 digits, 1 letter), 1 entity number
# (1-9, A-Z), 'Z' by default, then a check character: the GSTN's mod-36 Luhn variant.
GSTIN_SHAPE = re.compile(r"^(\d{2})([A-Z]{5}\d{4}[A-Z])([1-9A-Z])([A-Z0-9])([0-9A-Z])$")
_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def gstin_check_character(first14: str) -> str:
    total = 0
    for i, ch in enumerate(first14):
        value = _CHARS.index(ch) * (2 if i % 2 else 1)
        total += value // 36 + value % 36
    return _CHARS[(36 - total % 36) % 36]


def check_gstin(raw: str, field: str = "gstin") -> str:
    """A GSTIN typed in any case with spaces -> its 15 characters; InvalidInput saying what
    is wrong (length, state code, PAN part, check character) otherwise."""
    gstin = re.sub(r"[\s-]+", "", raw or "").upper()
    if len(gstin) != 15:
        raise InvalidInput(_("A GSTIN has 15 characters, e.g. 29ABCDE1234F1Z5."), field=field)
    match = GSTIN_SHAPE.match(gstin)
    if match is None or not re.fullmatch(r"[A-Z]{5}\d{4}[A-Z]", gstin[2:12]):
        if not gstin[:2].isdigit():
            raise InvalidInput(_("A GSTIN starts with the 2-digit state code."), field=field)
        raise InvalidInput(_("Characters 3 to 12 of a GSTIN are the PAN (5 letters, 4 digits, "
                             "1 letter)."), field=field)
    if match.group(1) not in STATES:
        raise InvalidInput(_("%(code)s is not a GST state code.", code=match.group(1)),
                           field=field)
    if gstin_check_character(gstin[:14]) != gstin[14]:
        raise InvalidInput(_("This GSTIN's last character does not match the rest: please "
                             "check it for a typing mistake."), field=field)
    return gstin


# --- place of supply -------------------------------------------------------------------------
# Pincode prefixes -> GST state code (India Post's postal circles, longest prefix wins).
# Pincodes follow postal circles, not state borders, so a few towns near a border may be
# placed in the neighbouring state; the owner sees the state on every invoice.
_PIN_RANGES: list[tuple[int, int, str]] = [
    (110, 110, "07"), (121, 136, "06"), (140, 159, "03"), (160, 160, "04"),
    (171, 177, "02"), (180, 193, "01"), (194, 194, "38"), (201, 285, "09"),
    (246, 246, "05"), (248, 249, "05"), (262, 263, "05"), (301, 345, "08"),
    (360, 396, "24"), (400, 445, "27"), (403, 403, "30"), (450, 488, "23"),
    (490, 497, "22"), (500, 509, "36"), (510, 535, "37"), (560, 591, "29"),
    (600, 643, "33"), (670, 695, "32"), (700, 743, "19"), (737, 737, "11"),
    (744, 744, "35"), (751, 770, "21"), (781, 788, "18"), (790, 792, "12"),
    (793, 794, "17"), (795, 795, "14"), (796, 796, "15"), (797, 798, "13"),
    (799, 799, "16"), (800, 855, "10"), (814, 816, "20"), (822, 822, "20"),
    (825, 835, "20"),
]
_PIN_PREFIXES = {  # finer exceptions inside the ranges above
    "6050": "34", "6051": "34", "60960": "34", "53346": "34", "67331": "34",
    "68255": "31", "39621": "26", "39622": "26", "39623": "26", "39624": "26", "36252": "26",
}


def state_for_pincode(pincode: str) -> str | None:
    """The GST state code of a 6-digit pincode, or None when it is not known."""
    pincode = (pincode or "").strip()
    if not re.fullmatch(r"[1-9]\d{5}", pincode):
        return None
    for length in (5, 4):
        if pincode[:length] in _PIN_PREFIXES:
            return _PIN_PREFIXES[pincode[:length]]
    prefix = int(pincode[:3])
    found = None
    for low, high, code in _PIN_RANGES:  # later (narrower) ranges override earlier ones
        if low <= prefix <= high:
            found = code
    return found


def state_label(code: str) -> str:
    """'29' -> '29-Karnataka', as GSTR-1 writes a place of supply."""
    return f"{code}-{STATES[code]}" if code in STATES else code


# --- the tax in a tax-inclusive amount ---------------------------------------------------------

def _round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, in integers (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class TaxSplit:
    gross_paise: int
    taxable_paise: int
    cgst_paise: int
    sgst_paise: int
    igst_paise: int

    @property
    def tax_paise(self) -> int:
        return self.cgst_paise + self.sgst_paise + self.igst_paise


def split_inclusive(gross_paise: int, rate_bp: int, intra_state: bool) -> TaxSplit:
    """The taxable value and tax in `gross_paise` (tax-inclusive), by the module's rule."""
    if gross_paise < 0:
        raise ValueError("amounts are never negative")
    if intra_state:
        half = _round_div(gross_paise * rate_bp, 2 * (10_000 + rate_bp))
        return TaxSplit(gross_paise, gross_paise - 2 * half, half, half, 0)
    igst = _round_div(gross_paise * rate_bp, 10_000 + rate_bp)
    return TaxSplit(gross_paise, gross_paise - igst, 0, 0, igst)


def apportion(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights`, in whole paise that add up to `total`
    exactly (largest remainder; ties to the earlier line). For partial credit notes."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


# --- amounts in words (Indian numbering) -----------------------------------------------------
_ONES = ("", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
         "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen",
         "Eighteen", "Nineteen")
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")


def _below_hundred(n: int) -> str:
    if n < 20:
        return _ONES[n]
    return (_TENS[n // 10] + (" " + _ONES[n % 10] if n % 10 else "")).strip()


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = [f"{_ONES[hundreds]} Hundred"] if hundreds else []
    if rest:
        parts.append(_below_hundred(rest))
    return " ".join(parts)


def number_in_words(n: int) -> str:
    """1_15_000 -> 'One Lakh Fifteen Thousand' (crore, lakh, thousand, hundred)."""
    if n == 0:
        return "Zero"
    parts = []
    crores, n = divmod(n, 1_00_00_000)
    if crores:
        parts.append(f"{number_in_words(crores)} Crore")
    for size, name in ((1_00_000, "Lakh"), (1_000, "Thousand")):
        count, n = divmod(n, size)
        if count:
            parts.append(f"{_below_hundred(count)} {name}")
    if n:
        parts.append(_below_thousand(n))
    return " ".join(parts)


def rupees_in_words(paise: int) -> str:
    """11500000 -> 'One Lakh Fifteen Thousand Rupees Only';
    11550 -> 'One Hundred Fifteen Rupees and Fifty Paise Only'."""
    rupees, rest = divmod(abs(int(paise)), 100)
    text = f"{number_in_words(rupees)} Rupee{'' if rupees == 1 else 's'}"
    if rest:
        text += f" and {number_in_words(rest)} Paise"
    return text + " Only"
