"""Hindi and English: choosing the language, pages and messages in it, formats for it."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sweetshop.extensions import db
from sweetshop.formatting import format_local_time, format_quantity, format_rupees
from sweetshop.i18n import in_language
from sweetshop.models import Notification, Order, Product
from tests.factories import make_order, make_product
from tests.views.conftest import (  # noqa: F401  (fixtures)
    VALID_CHECKOUT,
    Shopper,
    make_sweet,
    shopper,
)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def test_first_visit_follows_accept_language(client):
    hindi = client.get("/", headers={"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.8"})
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert '<html lang="hi-IN">' in html_of(hindi) and "सभी मिठाइयाँ" in html_of(hindi)
    assert '<html lang="en-IN">' in html_of(english) and "All sweets" in html_of(english)
    assert {"Cookie", "Accept-Language"} <= set(hindi.vary)


def test_unknown_languages_fall_back_to_english(client):
    page = client.get("/", headers={"Accept-Language": "fr-FR,de;q=0.5"})
    assert '<html lang="en-IN">' in html_of(page)


def test_the_switch_is_a_plain_link_that_remembers_the_choice(client):
    home = html_of(client.get("/", headers={"Accept-Language": "en"}))
    assert 'href="/language/hi?next=/"' in home and 'lang="hi"' in home and "हिन्दी" in home

    switched = client.get("/language/hi?next=/cart")
    assert switched.status_code == 303 and switched.headers["Location"] == "/cart"
    assert "lang=hi" in switched.headers["Set-Cookie"]
    # The cookie wins over the browser's language from now on.
    cart = html_of(client.get("/cart", headers={"Accept-Language": "en"}))
    assert '<html lang="hi-IN">' in cart and "आपका कार्ट" in cart
    assert 'href="/language/en?next=/cart"' in cart and ">English</a>" in cart

    back = client.get("/language/en?next=/")
    assert back.status_code == 303
    assert '<html lang="en-IN">' in html_of(client.get("/"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil"])
def test_the_switch_goes_back_only_to_our_own_pages(client, target):
    response = client.get("/language/hi", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_a_language_we_do_not_speak_is_404(client):
    assert client.get("/language/fr").status_code == 404


def test_the_catalogue_shows_hindi_names_and_falls_back_to_english(client, in_db):
    def build():
        kaju = make_product("Kaju Katli")
        kaju.name_hi, kaju.description_hi = "काजू कतली", "काजू की कतली।"
        kaju.category.name_hi = "बर्फ़ी"
        kaju.variants[0].name_hi = "250 ग्राम"
        make_product("Milk Cake")  # no Hindi name: shown in English
        db.session.commit()
        return kaju.slug
    slug = in_db(build)
    client.set_cookie("lang", "hi")

    home = html_of(client.get("/"))
    product = html_of(client.get(f"/p/{slug}"))

    assert "काजू कतली" in home and "Milk Cake" in home and "बर्फ़ी" in home
    assert "<h1>काजू कतली</h1>" in product and "काजू की कतली।" in product
    assert "250 ग्राम" in product and "कार्ट में डालें" in product
    client.set_cookie("lang", "en")
    assert "<h1>Kaju Katli</h1>" in html_of(client.get(f"/p/{slug}"))


def test_money_numbers_dates_and_weights_follow_the_language(app):
    placed = datetime(2026, 3, 1, 4, 5, tzinfo=UTC)  # 9:35 in Kolkata
    with app.test_request_context(headers={"Accept-Language": "hi"}):
        assert format_rupees(11500000) == "₹1,15,000"
        assert format_local_time(placed) == "1 मार्च 2026, 9:35 AM"
        assert format_quantity(1500, "g") == "1.5 किलो"
        assert format_quantity(250, "g") == "250 ग्राम"
        assert format_quantity(12, "pc") == "12 नग"
    with app.test_request_context(headers={"Accept-Language": "en-IN"}):
        assert format_rupees(11500000) == "₹1,15,000"
        assert format_local_time(placed) == "1 Mar 2026, 9:35 AM"
        assert format_quantity(1500, "g") == "1.5 kg"


def test_devanagari_digits_are_accepted_in_the_cart_quantity(shopper, make_sweet, in_db):
    kaju = make_sweet("Kaju Katli")
    shopper.add(kaju, "500 g")

    response = shopper.update(kaju.packs["500 g"], "३")

    assert response.status_code == 303
    from sweetshop.models import CartLine
    assert in_db(lambda: CartLine.query.one().quantity) == 3


def _place_order(shopper: Shopper, sweet) -> None:
    shopper.add(sweet, "500 g")
    form = shopper.checkout_form()
    response = shopper.client.post("/checkout", data={**VALID_CHECKOUT, **form})
    assert response.status_code == 303, html_of(response)


def test_an_order_placed_in_hindi_keeps_hindi_for_all_its_messages(shopper, make_sweet, in_db,
                                                                  app):
    kaju = make_sweet("Kaju Katli")
    in_db(lambda: setattr(db.session.get(Product, kaju.id), "name_hi", "काजू कतली")
          or db.session.commit())
    from sweetshop.services.shop import get_settings

    def owner_phone():
        get_settings().owner_phones = "+919811122233"
        db.session.commit()
    in_db(owner_phone)
    shopper.client.set_cookie("lang", "hi")

    _place_order(shopper, kaju)

    order = in_db(lambda: db.session.query(Order).one().language)
    assert order == "hi"
    bodies = in_db(lambda: {n.kind: (n.language, n.body) for n in db.session.query(Notification)})
    assert bodies["order_placed"][0] == "hi"
    assert "धन्यवाद" in bodies["order_placed"][1] and "ऑर्डर #1001" in bodies["order_placed"][1]
    assert "डिलीवरी पर नकद" in bodies["order_placed"][1]
    assert bodies["owner_new_order"][0] == "en"  # the owner's alert is in the shop's language
    assert bodies["owner_new_order"][1].startswith("New order #1001")

    # Later messages, written by the admin in English, still speak Hindi to the customer.
    from sweetshop.services.orders import change_status

    def accept():
        with in_language("en"):
            change_status(db.session.query(Order).one().id, "accepted", actor="owner")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        in_db(accept)
    accepted = in_db(lambda: db.session.query(Notification).filter_by(
        kind="order_accepted").one().body)
    assert "ऑर्डर #1001" in accepted and "accepted" not in accepted  # Hindi, not English


def test_an_order_placed_in_english_gets_english_messages(shopper, make_sweet, in_db):
    kaju = make_sweet("Kaju Katli")
    shopper.client.set_cookie("lang", "en")
    _place_order(shopper, kaju)
    body = in_db(lambda: db.session.query(Notification).filter_by(kind="order_placed").one().body)
    assert "thank you! Order #1001 is placed" in body


def test_a_one_time_code_speaks_the_language_of_the_page_that_asked(client, in_db):
    from tests.views.conftest import csrf_token_in

    in_db(lambda: make_order((make_product("Kaju Katli"), "500 g", 1)))  # an English order
    client.set_cookie("lang", "hi")
    token = csrf_token_in(html_of(client.get("/my-orders")))

    response = client.post("/my-orders/code", data={"csrf_token": token,
                                                    "phone": "+919876543210"})

    assert response.status_code == 303
    language, body = in_db(lambda: [(n.language, n.body) for n in db.session.query(
        Notification).filter_by(kind="lookup_code")][0])
    assert language == "hi" and "आपका कोड" in body and "किसी को न बताएँ" in body


def test_error_pages_speak_the_language(client):
    client.set_cookie("lang", "hi")
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "पेज नहीं मिला" in html_of(page) and '<html lang="hi-IN">' in html_of(page)
