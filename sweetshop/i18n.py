"""Stand-ins for Flask-Babel's gettext functions, with the same signatures.

Words that change with a number go through `ngettext` now, so the day the shop speaks
Hindi this module imports Flask-Babel's functions instead and no caller changes.
"""
from __future__ import annotations


def gettext(string: str, **variables) -> str:
    return string % variables if variables else string


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """`singular` for 1, else `plural`, %-formatted with `num` and `variables` (as Babel's)."""
    variables.setdefault("num", num)
    return (singular if num == 1 else plural) % variables
