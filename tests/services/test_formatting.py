"""Money, quantities and times as a person in India reads them."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sweetshop.formatting import (
    ascii_digits,
    format_local_time,
    format_quantity,
    format_rupees,
    parse_whole_number,
)
from sweetshop.models import Unit


@pytest.mark.parametrize("paise, text", [
    (0, "₹0"),
    (30000, "₹300"),
    (99900, "₹999"),
    (100000, "₹1,000"),
    (115000, "₹1,150"),
    (11500000, "₹1,15,000"),
    (1000000000, "₹1,00,00,000"),
    (1234567800, "₹1,23,45,678"),
    (115050, "₹1,150.50"),
    (5, "₹0.05"),
    (2599, "₹25.99"),
    (-4000, "−₹40"),
])
def test_rupees_use_indian_grouping_and_show_paise_only_when_there_are_some(paise, text):
    assert format_rupees(paise) == text


def test_no_amount_formats_as_nothing():
    assert format_rupees(None) == ""


@pytest.mark.parametrize("amount, unit, text", [
    (250, Unit.GRAM, "250 g"),
    (500, "g", "500 g"),
    (999, Unit.GRAM, "999 g"),
    (1000, Unit.GRAM, "1 kg"),
    (1500, Unit.GRAM, "1.5 kg"),
    (1250, Unit.GRAM, "1.25 kg"),
    (2000, Unit.GRAM, "2 kg"),
    (1, Unit.PIECE, "1 piece"),
    (12, Unit.PIECE, "12 pieces"),
    (0, "pc", "0 pieces"),
])
def test_quantities_read_in_grams_kilograms_or_pieces(amount, unit, text):
    assert format_quantity(amount, unit) == text


def test_times_are_shown_in_india_time():
    placed = datetime(2026, 3, 1, 4, 5, tzinfo=UTC)  # 09:35 in Kolkata

    assert format_local_time(placed) == "1 Mar 2026, 9:35 AM"
    assert format_local_time(None) == ""


def test_rupee_formatting_is_used_in_templates(app):
    with app.app_context():
        rendered = app.jinja_env.from_string("{{ 11500000 | rupees }} / {{ 1500 | quantity('g') }}")
        assert rendered.render() == "₹1,15,000 / 1.5 kg"


def test_minutes_keep_their_leading_zero():
    placed = datetime(2026, 11, 20, 12, 35, tzinfo=UTC)  # 18:05 in Kolkata

    assert format_local_time(placed) == "20 Nov 2026, 6:05 PM"


@pytest.mark.parametrize("typed, paise", [
    ("580", 58000), ("580.5", 58050), ("580.50", 58050), ("₹1,150", 115000),
    ("Rs. 1150.00", 115000), (" 40 ", 4000), ("0", 0),
    ("-5", None), ("−5", None), ("5.555", None), ("abc", None), ("", None), (None, None),
    ("1" * 10, None),
])
def test_owners_type_rupees_in_any_usual_way(typed, paise):
    from sweetshop.formatting import parse_rupees, rupees_text
    assert parse_rupees(typed) == paise
    if paise is not None:
        assert parse_rupees(rupees_text(paise)) == paise


@pytest.mark.parametrize("typed, number", [
    ("1042", 1042), (" 1042 ", 1042), ("१०४२", 1042), ("١٠٤٢", 1042), ("１０４２", 1042),
    ("৫৬", 56), ("0", 0), ("999999999", 999999999),
    ("²", None), ("1²", None), ("①", None), ("1 042", None), ("-5", None), ("+5", None),
    ("1_000", None), ("1.0", None), ("", None), (None, None), ("1234567890", None),
])
def test_whole_numbers_in_any_script_but_not_look_alikes(typed, number):
    assert parse_whole_number(typed) == number


def test_digits_of_other_scripts_become_ascii_and_the_rest_is_kept():
    assert ascii_digits("५६००३८") == "560038"
    assert ascii_digits("+९१ ९८७६५-४३२१०") == "+91 98765-43210"
    assert ascii_digits("1²") == "1²"


def test_pincodes_typed_in_devanagari_are_stored_in_ascii():
    from sweetshop.services.shop import parse_pincodes

    assert parse_pincodes("५६००३८, 560001") == ["560038", "560001"]
