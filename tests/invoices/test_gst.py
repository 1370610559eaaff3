"""GST arithmetic: GSTIN checks, places of supply, amounts in words, and the rounding rule
(a property test over any basket: taxable + tax = total, per-rate sums match the lines)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sweetshop.services import gst
from sweetshop.services.errors import InvalidInput


@pytest.mark.parametrize("gstin", ["27AAPFU0939F1ZV", "29AAGCB7383J1Z4", " 29aagcb7383j1z4 "])
def test_real_gstins_pass_the_checksum(gstin):
    assert gst.check_gstin(gstin) == gstin.strip().upper()


@pytest.mark.parametrize("gstin, says", [
    ("29AAGCB7383J1Z", "15 characters"),
    ("XXAAGCB7383J1Z4", "state code"),
    ("99AAGCB7383J1Z4", "not a GST state code"),
    ("291AGCB7383J1Z4", "PAN"),
    ("29AAGCB7383J1Z5", "last character does not match"),
    ("27AAPFU0939F1ZW", "last character does not match"),
])
def test_bad_gstins_say_what_is_wrong(gstin, says):
    with pytest.raises(InvalidInput) as refused:
        gst.check_gstin(gstin)
    assert says in refused.value.message


@pytest.mark.parametrize("paise, words", [
    (11500000, "One Lakh Fifteen Thousand Rupees Only"),
    (11550, "One Hundred Fifteen Rupees and Fifty Paise Only"),
    (100, "One Rupee Only"),
    (1, "Zero Rupees and One Paise Only"),
    (2_51_23_456_78, "Two Crore Fifty One Lakh Twenty Three Thousand Four Hundred Fifty Six "
                     "Rupees and Seventy Eight Paise Only"),
])
def test_amounts_in_words_use_indian_numbering(paise, words):
    assert gst.rupees_in_words(paise) == words


@pytest.mark.parametrize("pincode, state", [
    ("560038", "29"), ("400001", "27"), ("403001", "30"), ("110001", "07"), ("834001", "20"),
    ("800001", "10"), ("605001", "34"), ("737101", "11"), ("160017", "04"), ("248001", "05"),
    ("500001", "36"), ("520001", "37"), ("000000", None), ("999999", None),
])
def test_pincodes_give_their_state(pincode, state):
    assert gst.state_for_pincode(pincode) == state


def test_hsn_and_rate_checks():
    assert gst.check_hsn("1704") == "1704" and gst.check_hsn("21069099") == "21069099"
    for bad in ("170", "17041", "abcd", "", "123456789"):
        with pytest.raises(InvalidInput, match="4, 6 or 8 digits"):
            gst.check_hsn(bad)
    assert gst.parse_rate("5") == 500 and gst.parse_rate("0.25%") == 25
    for bad in ("7", "-5", "abc", "5.5", "100"):
        with pytest.raises(InvalidInput, match="must be one of"):
            gst.parse_rate(bad)


def test_one_line_splits_by_the_rule():
    intra = gst.split_inclusive(115000, 500, intra_state=True)
    assert (intra.taxable_paise, intra.cgst_paise, intra.sgst_paise) == (109524, 2738, 2738)
    inter = gst.split_inclusive(115000, 500, intra_state=False)
    assert (inter.taxable_paise, inter.igst_paise) == (109524, 5476)
    assert gst.split_inclusive(1, 500, True).tax_paise == 0  # a paisa has no tax in it


lines = st.lists(st.tuples(st.integers(min_value=0, max_value=10**9),
                           st.sampled_from(gst.RATES_BP)), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(lines, st.booleans())
def test_any_basket_adds_up_exactly(basket, intra):
    splits = [(rate, gst.split_inclusive(gross, rate, intra)) for gross, rate in basket]
    for (gross, rate), (_, s) in zip(basket, splits, strict=True):
        assert s.taxable_paise + s.tax_paise == gross
        assert min(s.taxable_paise, s.cgst_paise, s.sgst_paise, s.igst_paise) >= 0
        assert s.cgst_paise == s.sgst_paise
        assert (s.igst_paise == 0) if intra else (s.cgst_paise == 0)
        # within half a paisa of the exact tax (a CGST/SGST pair: half a paisa each)
        exact = gross * rate / (10_000 + rate)
        assert abs(s.tax_paise - exact) <= (1 if intra else 0.5)
    total = sum(gross for gross, _ in basket)
    assert sum(s.taxable_paise + s.tax_paise for _, s in splits) == total
    by_rate: dict[int, int] = {}
    for rate, s in splits:
        by_rate[rate] = by_rate.get(rate, 0) + s.taxable_paise + s.tax_paise
    assert sum(by_rate.values()) == total
    for rate in by_rate:
        assert by_rate[rate] == sum(g for g, r in basket if r == rate)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**9),
       st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30))
def test_apportioning_keeps_every_paisa(total, weights):
    shares = gst.apportion(total, weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
    else:
        assert sum(shares) == total and all(s >= 0 for s in shares)
        assert all(s == 0 for s, w in zip(shares, weights, strict=True) if w == 0)
