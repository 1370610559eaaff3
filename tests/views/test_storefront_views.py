"""Browsing: home, category and product pages, the pack swap fragment, errors, /health."""
from __future__ import annotations

import pytest

from sweetshop.models import Unit


@pytest.fixture
def shop(make_sweet):
    """Kaju Katli and Besan Laddoo in stock, Dry Fruit Barfi sold out, one sweet off sale."""
    return {
        "Kaju Katli": make_sweet("Kaju Katli", stock=4000, category="Barfi Katli"),
        "Dry Fruit Barfi": make_sweet("Dry Fruit Barfi", stock=0, category="Barfi Katli",
                                      packs=(("250 g", 250, 42000), ("500 g", 500, 82000))),
        "Besan Laddoo": make_sweet("Besan Laddoo", stock=3000, category="Laddoo",
                                   packs=(("250 g", 250, 16000), ("1 kg", 1000, 60000))),
        "Old Recipe Halwa": make_sweet("Old Recipe Halwa", active=False, category="Laddoo"),
    }


def html_of(response) -> str:
    return response.get_data(as_text=True)


def test_home_lists_sweets_with_from_prices_and_marks_the_sold_out_one(client, shop):
    response = client.get("/")

    assert response.status_code == 200
    html = html_of(response)
    assert html.startswith("<!doctype html>")
    # the default pack's price, in bold, and the pack (issue 13)
    assert "Kaju Katli" in html and "<b>₹300</b>" in html
    assert "Besan Laddoo" in html and "<b>₹160</b>" in html
    assert "Dry Fruit Barfi" in html and "<b>₹420</b>" in html
    assert html.count("Out of stock") == 1
    card = html[html.index("Dry Fruit Barfi"):]
    assert card.index("Out of stock") < card.index("</li>")
    assert "Old Recipe Halwa" not in html
    assert f'href="/p/{shop["Kaju Katli"].slug}"' in html


def test_home_lists_the_categories(client, shop):
    html = html_of(client.get("/"))

    assert 'href="/c/barfi-katli"' in html and 'href="/c/laddoo"' in html


def test_home_with_an_empty_catalogue_still_renders(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "Nothing here just now" in html_of(response)


def test_a_category_page_shows_only_its_sweets(client, shop):
    response = client.get("/c/laddoo")

    assert response.status_code == 200
    html = html_of(response)
    assert "Besan Laddoo" in html
    assert "Kaju Katli" not in html
    assert 'aria-current="page">Laddoo' in html


def test_a_category_fragment_for_htmx_has_no_page_around_it(client, shop, htmx_headers):
    response = client.get("/c/barfi-katli", headers=htmx_headers)

    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html and "Kaju Katli" in html
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("path", ["/c/no-such-category", "/p/no-such-sweet", "/c/" + "x" * 300,
                                  "/p/" + "x" * 300, "/no-such-page"],
                         ids=["category", "product", "long-category", "long-product", "page"])
def test_unknown_pages_are_a_friendly_404(client, shop, path):
    response = client.get(path)

    assert response.status_code == 404
    html = html_of(response)
    assert "<html" in html and "Back to the shop" in html


def test_a_sweet_taken_off_sale_is_a_404(client, shop):
    assert client.get(f"/p/{shop['Old Recipe Halwa'].slug}").status_code == 404


def test_an_unknown_page_for_htmx_is_a_small_error_fragment(client, shop, htmx_headers):
    response = client.get("/p/no-such-sweet", headers=htmx_headers)

    assert response.status_code == 404
    html = html_of(response)
    assert "<html" not in html and 'role="alert"' in html


def test_a_product_page_shows_its_packs_as_radio_buttons(client, shop):
    kaju = shop["Kaju Katli"]

    response = client.get(f"/p/{kaju.slug}")

    assert response.status_code == 200
    html = html_of(response)
    assert "<html" in html and "<h1>Kaju Katli</h1>" in html
    for name, price in (("250 g", "₹300"), ("500 g", "₹580"), ("1 kg", "₹1,150")):
        assert f'value="{kaju.packs[name]}"' in html
        assert f">{name}</span>" in html and price in html
    assert "Add to cart" in html


def test_choosing_a_pack_with_htmx_returns_only_its_price_and_availability(client, shop,
                                                                           htmx_headers):
    kaju = shop["Kaju Katli"]

    response = client.get(f"/p/{kaju.slug}?variant_id={kaju.packs['1 kg']}",
                          headers=htmx_headers)

    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html and "<form" not in html and "<h1>" not in html
    assert "₹1,150" in html and "for 1 kg" in html
    assert "In stock" in html


def test_choosing_a_pack_without_htmx_renders_the_whole_page_with_it_chosen(client, shop):
    kaju = shop["Kaju Katli"]

    response = client.get(f"/p/{kaju.slug}?variant_id={kaju.packs['500 g']}")

    html = html_of(response)
    assert "<html" in html
    assert f'value="{kaju.packs["500 g"]}"' in html
    chosen = html[html.index(f'value="{kaju.packs["500 g"]}"'):]
    assert chosen[:chosen.index(">")].rstrip().endswith("checked")
    assert "for 500 g" in html


def test_a_boosted_navigation_gets_the_full_page(client, shop):
    response = client.get(f"/p/{shop['Kaju Katli'].slug}",
                          headers={"HX-Request": "true", "HX-Boosted": "true"})

    assert "<html" in html_of(response)


@pytest.mark.parametrize("garbage", ["abc", "-1", "0", "1e9", "9" * 5000, "", "%00", "[]"],
                         ids=["letters", "negative", "zero", "float", "5000-digits", "empty",
                              "percent-00", "brackets"])
def test_a_garbage_pack_choice_falls_back_to_the_default_pack(client, shop, htmx_headers,
                                                               garbage):
    kaju = shop["Kaju Katli"]

    full = client.get(f"/p/{kaju.slug}", query_string={"variant_id": garbage})
    fragment = client.get(f"/p/{kaju.slug}", query_string={"variant_id": garbage},
                          headers=htmx_headers)

    assert full.status_code == fragment.status_code == 200
    assert "for 250 g" in html_of(fragment)


def test_a_pack_of_another_sweet_is_not_shown_on_this_one(client, shop, htmx_headers):
    laddoo_kilo = shop["Besan Laddoo"].packs["1 kg"]

    response = client.get(f"/p/{shop['Kaju Katli'].slug}?variant_id={laddoo_kilo}",
                          headers=htmx_headers)

    assert "₹600" not in html_of(response) and "₹300" in html_of(response)


def test_a_sold_out_sweet_shows_out_of_stock_and_no_working_add_button(client, shop):
    html = html_of(client.get(f"/p/{shop['Dry Fruit Barfi'].slug}"))

    assert "Out of stock" in html
    assert 'type="submit" disabled' in html


def test_a_sweet_sold_by_the_piece_shows_its_boxes(client, make_sweet):
    jamun = make_sweet("Gulab Jamun", unit=Unit.PIECE, stock=120,
                       packs=(("Single piece", 1, 2500), ("Tin of 12", 12, 28000)))

    html = html_of(client.get(f"/p/{jamun.slug}"))

    assert "Tin of 12" in html and "₹280" in html and "per kg" not in html


def test_health_reports_postgres_and_redis(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "postgres": "ok", "redis": "ok"}


def test_health_is_503_when_redis_does_not_answer(app):
    from sweetshop import create_app

    keys = ("SWEETSHOP_ENV", "ENV_NAME", "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")
    broken = create_app({**{k: app.config[k] for k in keys if k in app.config},
                         "REDIS_URL": "redis://127.0.0.1:1/0"})

    response = broken.test_client().get("/health")

    assert response.status_code == 503
    body = response.get_json()
    assert body["postgres"] == "ok" and body["redis"].startswith("error")
    assert body["status"] == "degraded"


def test_pages_carry_a_strict_content_security_policy(client, shop):
    response = client.get("/")

    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_a_category_address_longer_than_any_slug_is_404_even_if_it_starts_like_one(
        client, make_sweet):
    long_name = "Festive " + "x" * 72  # its slug is exactly 80 characters, the longest allowed
    sweet = make_sweet("Kaju Katli", category=long_name)
    assert len(sweet.category_slug) == 80

    assert client.get(f"/c/{sweet.category_slug}").status_code == 200
    assert client.get(f"/c/{sweet.category_slug}-more").status_code == 404


@pytest.mark.parametrize("path", ["/p/kaju%00katli", "/c/laddoo%00", "/orders/abc%00def",
                                  "/?q=%00", "/p/kaju?variant_id=1%00"],
                         ids=["product", "category", "order", "query", "pack-choice"])
def test_a_nul_character_in_the_address_is_a_400_not_a_500(client, shop, path):
    response = client.get(path)

    assert response.status_code == 400
    assert "characters we cannot read" in html_of(response)
