"""Indian phone numbers in any usual format, stored in E.164."""
from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_phone(raw: str | None, region: str = "IN") -> str | None:
    """'98765 43210', '+91-98765-43210', '098765 43210' -> '+919876543210'; None if not a mobile."""
    if not raw or len(raw) > 32:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    # We deliver in India and text Indian mobiles: "+1 415 ..." is valid, but not ours.
    if number.country_code != phonenumbers.country_code_for_region(region):
        return None
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except NumberParseException:
        return e164


def mask_phone(e164: str) -> str:
    """'+919876543210' -> '+91 98•••••210': enough for its owner to recognise, no more."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return "•" * 6
    national = str(number.national_number)
    if len(national) < 6:
        return f"+{number.country_code} " + "•" * len(national)
    return f"+{number.country_code} {national[:2]}{'•' * (len(national) - 5)}{national[-3:]}"
