"""Indian mobile numbers in any usual format become E.164; anything else is refused."""
from __future__ import annotations

import pytest

from sweetshop.phones import display_phone, normalise_phone


@pytest.mark.parametrize("typed", [
    "98765 43210",
    "+91-98765-43210",
    "098765 43210",
    "+91 98765 43210",
    "9876543210",
    "919876543210",
    "+91 (98765) 43210",
    "  98765-43210  ",
    "+91 9876 543 210",
])
def test_usual_ways_of_writing_a_mobile_become_e164(typed):
    assert normalise_phone(typed) == "+919876543210"


@pytest.mark.parametrize("typed", [
    "12345",                 # too short
    "98765 4321",            # one digit missing
    "98765432101",           # one digit too many
    "987654321012345",       # far too long
    "9" * 40,                # longer than any phone
    "abcdefghij",            # letters
    "98765 4321O",           # a letter O for a zero
    "call me",
    "080 2345 6789",         # a Bengaluru landline
    "+91 22 2345 6789",      # a Mumbai landline
    "022-23456789",
    "0000000000",
    "5876543210",            # Indian mobiles start with 6 to 9
    "+1 415 555 2671",       # valid, but not an Indian number
    "+44 7911 123456",
    "",
    None,
])
def test_things_that_are_not_an_indian_mobile_are_refused(typed):
    assert normalise_phone(typed) is None


def test_a_stored_number_displays_in_international_format():
    assert display_phone("+919876543210") == "+91 98765 43210"
    assert display_phone("not a number") == "not a number"
