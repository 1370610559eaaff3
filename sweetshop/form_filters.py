"""WTForms filters shared by every form: tidy what people type before it is validated."""
from .formatting import ascii_digits as _ascii_digits


def strip(value):
    return value.strip() if isinstance(value, str) else value


def one_line(value):
    """Runs of spaces and line breaks become one space (names, search terms)."""
    return " ".join(value.split()) if isinstance(value, str) else value


def no_spaces(value):
    return "".join(value.split()) if isinstance(value, str) else value


def ascii_digits(value):
    """Digits typed in another script (a Hindi keyboard's '५६००३८') as ASCII ('560038'),
    so codes and pincodes are checked and stored one way. Look-alikes ('²') stay as they are."""
    return _ascii_digits(value) if isinstance(value, str) else value
