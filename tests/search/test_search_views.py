"""GET /search: a plain page without JavaScript, its results block for htmx, the owner's log."""
from __future__ import annotations

from datetime import timedelta

import pytest

from sweetshop.demo import seed_demo
from sweetshop.extensions import db
from sweetshop.models import SearchQuery, utcnow
from sweetshop.search import service
from tests.admin.conftest import owner, owner_client  # noqa: F401  (fixtures)


@pytest.fixture
def demo(in_db):
    in_db(seed_demo)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def test_every_storefront_page_has_a_plain_search_form(client, demo):
    for path in ("/", "/cart", "/my-orders", "/p/kaju-katli"):
        page = html_of(client.get(path))
        assert 'role="search" method="get" action="/search"' in page, path
        assert 'name="q"' in page and "hx-get" not in page.split('role="search"')[1][:600]


def test_search_page_without_javascript_lists_the_matches(client, demo):
    page = client.get("/search", query_string={"q": "kaju kalti"})
    html = html_of(page)
    assert page.status_code == 200 and "<html" in html
    assert "Kaju Katli" in html and 'value="kaju kalti"' in html
    # On the search page the box updates the results in place with htmx, same URL.
    assert 'hx-get="/search"' in html and 'hx-replace-url="true"' in html
    assert 'hx-trigger="input changed delay:300ms"' in html


def test_htmx_gets_only_the_results(client, demo, htmx_headers):
    response = client.get("/search?q=laddu", headers=htmx_headers)
    html = html_of(response)
    assert "<html" not in html and "Motichoor Laddoo" in html and "Besan Laddoo" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_hindi_search_in_hindi_shows_hindi_names(client, demo):
    client.set_cookie("lang", "hi")
    html = html_of(client.get("/search", query_string={"q": "लड्डू"}))
    assert "मोतीचूर लड्डू" in html and "बेसन लड्डू" in html
    assert '<html lang="hi-IN">' in html


def test_nothing_found_offers_close_matches_categories_and_whatsapp(client, demo):
    html = html_of(client.get("/search", query_string={"q": "rasmalai"}))
    assert "Nothing found for “rasmalai”" in html
    assert "Rasgulla" in html                      # a close match
    assert "/c/laddoo" in html                     # the categories
    assert "https://wa.me/919876543210?text=" in html  # ask the shop (demo phone)


def test_an_empty_search_asks_for_a_name(client, demo):
    html = html_of(client.get("/search"))
    assert "Type the name of a sweet" in html


def test_typing_one_query_is_logged_once(client, demo, htmx_headers, in_db):
    for typed in ("k", "ka", "kaj", "kaju"):
        client.get("/search", query_string={"q": typed}, headers=htmx_headers)
    client.get("/search", query_string={"q": "pizza"})

    rows = in_db(lambda: [(r.query, r.results) for r in
                          db.session.query(SearchQuery).order_by(SearchQuery.id)])
    assert [query for query, _ in rows] == ["kaju", "pizza"]
    assert rows[0][1] >= 1 and rows[1][1] == 0


def test_the_dashboard_lists_searches_that_found_nothing_first(ctx):
    now = utcnow()
    for query, results, searcher, age in [
            ("kaju katli", 1, "a", 1), ("kaju katli", 1, "b", 2), ("kaju katli", 1, "c", 3),
            ("rasmalai", 0, "d", 1), ("old", 0, "e", 20)]:
        db.session.add(SearchQuery(query=query, normalized=query, results=results,
                                   searcher=searcher, created_at=now - timedelta(days=age)))
    db.session.commit()

    rows = [(r.query, r.searches, r.results) for r in service.top_searches()]

    assert rows == [("rasmalai", 1, 0), ("kaju katli", 3, 1)]


def test_the_owner_sees_what_people_searched_for(owner_client, in_db):
    in_db(lambda: (db.session.add(SearchQuery(query="rasmalai", normalized="rasmalai",
                                              results=0, searcher="x")), db.session.commit()))
    html = html_of(owner_client.get("/admin/"))
    assert "What people searched for" in html and "rasmalai" in html
