"""Issue 13, trust and delivery terms: the shop page, policies (owner text shown safely),
the delivery strip, the pincode check, WhatsApp and call buttons, the theme colour."""
from __future__ import annotations


def test_home_shows_delivery_terms_before_the_cart(client, shop_settings):
    shop_settings(delivery_fee_paise=4000, free_delivery_above_paise=99900, min_order_paise=20000)
    html = client.get("/").get_data(as_text=True)
    strip = html[html.index('class="strip"'):html.index('<main')]
    assert "Delivery ₹40" in strip and "Free above ₹999" in strip and "Min. order ₹200" in strip
    assert "_hours_today" not in html  # the hours partial (issue 11) renders nothing yet


def test_shop_page_shows_address_map_fssai_and_contact(client, shop_settings):
    shop_settings(address="14, 2nd Cross\nChickpet, Bengaluru 560053",
                  fssai_number="11224999000123", phone="+919876543210",
                  whatsapp_number="+919812345678")
    html = client.get("/about").get_data(as_text=True)
    assert "14, 2nd Cross, Chickpet, Bengaluru 560053" in html
    assert "https://www.google.com/maps/search/?api=1&amp;query=14%2C%202nd%20Cross" in html
    assert "11224999000123" in html and 'href="tel:+919876543210"' in html
    assert 'href="https://wa.me/919812345678?text=' in html
    footer = client.get("/").get_data(as_text=True).split('<footer', 1)[1]
    assert "FSSAI licence no. 11224999000123" in footer and "/policies/privacy" in footer
    assert "WhatsApp us" in footer and "Call us" in footer


def test_policy_text_the_owner_types_is_shown_as_text_never_html(client, in_db):
    from sweetshop.services.shop_profile import save_policy
    in_db(lambda: save_policy("refunds", "Call us <b>first</b>.\n\n<script>x()</script>", "o@x"))
    html = client.get("/policies/refunds").get_data(as_text=True)
    assert "<p>Call us &lt;b&gt;first&lt;/b&gt;.</p>" in html
    assert "<script>x()" not in html and "&lt;script&gt;" in html
    assert "Digital Personal Data Protection Act" in client.get("/policies/privacy").get_data(
        as_text=True)  # the default until the owner writes one
    assert client.get("/policies/nope").status_code == 404


def test_pincode_check_answers_in_place_and_lists_areas_when_no(client, shop_settings):
    shop_settings(serviceable_pincodes="560001, 560038")
    yes = client.get("/delivery-check?pincode=560038", headers={"HX-Request": "true"})
    body = yes.get_data(as_text=True)
    assert yes.status_code == 200 and "Yes, we deliver to 560038" in body and "<html" not in body
    assert "pincode=560038" in yes.headers["Set-Cookie"]
    no = client.get("/delivery-check?pincode=110001").get_data(as_text=True)
    assert "do not deliver to 110001" in no and "560001, 560038" in no and "<html" in no
    bad = client.get("/delivery-check?pincode=12", headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "6 digits" in bad.get_data(as_text=True)


def test_the_checked_pincode_is_remembered_at_checkout(client, make_sweet, shopper,
                                                       shop_settings):
    shop_settings(serviceable_pincodes="560038")
    kaju = make_sweet("Kaju Katli", stock=2000)
    client.get("/delivery-check?pincode=560038")
    shopper.add(kaju, "500 g")
    checkout = client.get("/checkout").get_data(as_text=True)
    assert 'name="pincode"' in checkout and 'value="560038"' in checkout
    assert "/policies/privacy" in checkout and "never share them for advertising" in checkout


def test_theme_colour_is_a_cached_stylesheet_not_an_inline_style(client, shop_settings):
    shop_settings(theme_color="#1e4d2b")
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/theme/1e4d2b.css">' in html and "style=" not in html
    css = client.get("/theme/1e4d2b.css")
    assert css.get_data(as_text=True) == ":root{--brand:#1e4d2b}\n"
    assert "immutable" in css.headers["Cache-Control"]
    assert client.get("/theme/zzz.css").status_code == 404


def test_a_theme_colour_too_light_for_white_text_is_refused(ctx):
    import pytest

    from sweetshop.services.errors import InvalidInput
    from sweetshop.services.shop_profile import check_theme_colour, contrast_ratio
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert check_theme_colour("#8A1C2B") == "#8a1c2b"
    with pytest.raises(InvalidInput, match="too light") as refused:
        check_theme_colour("#f4c430")  # saffron: 1.6:1 on white
    assert refused.value.field == "theme_color"
    with pytest.raises(InvalidInput, match="like #8a1c2b"):
        check_theme_colour("red")
