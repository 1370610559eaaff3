"""Catalogue pages come from a cache (sweetshop/page_cache.py), yet never show anything
stale: each change the owner or an order can make is read back at once, on the page and
on its htmx fragment."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, text

from sweetshop import page_cache
from sweetshop.extensions import db
from sweetshop.models import Category, Product, Variant
from sweetshop.services.stock import record_movement
from tests.views.conftest import csrf_token_in

PAGES = ["/", "/c/{category}", "/p/{slug}"]


def paths(sweet) -> list[str]:
    return [p.format(category=sweet.category_slug, slug=sweet.slug) for p in PAGES]


def read_all(client, sweet) -> list[str]:
    """Each catalogue page, full and as its htmx fragment, read twice (the second from the
    cache when nothing changed)."""
    pages = []
    for path in paths(sweet):
        for headers in (None, {"HX-Request": "true"}):
            client.get(path, headers=headers)
            response = client.get(path, headers=headers)
            assert response.status_code == 200, path
            pages.append(response.get_data(as_text=True))
    return pages


def change(in_db, sweet, fn):
    def run():
        fn(db.session.get(Product, sweet.id))
        db.session.commit()
    in_db(run)


HOME, HOME_FRAGMENT, CATEGORY, CATEGORY_FRAGMENT, PRODUCT, PRODUCT_FRAGMENT = range(6)


@pytest.mark.parametrize("what, edit, seen, where", [
    ("price", lambda p: setattr(p.variants[0], "price_paise", 31150), "₹311.50",
     (HOME, HOME_FRAGMENT, CATEGORY, CATEGORY_FRAGMENT, PRODUCT)),
    ("name", lambda p: setattr(p, "name", "Kesar Kaju Katli"), "Kesar Kaju Katli",
     (HOME, HOME_FRAGMENT, CATEGORY, CATEGORY_FRAGMENT, PRODUCT)),
    ("pack name", lambda p: setattr(p.variants[0], "name", "Quarter kilo"), "Quarter kilo",
     (PRODUCT,)),
    ("new pack", lambda p: p.variants.append(Variant(name="Party tray 2 kg", quantity=2000,
                                                      price_paise=220000, position=9)),
     "Party tray 2 kg", (PRODUCT,)),
    ("category", lambda p: setattr(p.category, "name", "Festive Barfi"), "Festive Barfi",
     (HOME, CATEGORY)),
])
def test_an_owner_change_is_on_every_page_at_once(client, in_db, make_sweet, what, edit, seen,
                                                  where):
    sweet = make_sweet("Kaju Katli", stock=5000, category="Barfi")
    before = read_all(client, sweet)
    change(in_db, sweet, edit)
    after = read_all(client, sweet)
    assert all(seen not in page for page in before)
    assert [i for i in where if seen not in after[i]] == [], what


def test_a_setting_is_on_the_page_at_once(client, in_db, make_sweet, shop_settings):
    sweet = make_sweet("Kaju Katli", stock=5000)
    read_all(client, sweet)
    shop_settings(name="Mithai Mahal of Indiranagar")
    assert all("Mithai Mahal of Indiranagar" in client.get(p).get_data(as_text=True)
               for p in paths(sweet))
    shop_settings(is_open=False)
    assert all("closed" in client.get(p).get_data(as_text=True).lower() for p in paths(sweet))


def test_stock_is_read_live_on_every_page(client, in_db, make_sweet):
    sweet = make_sweet("Kaju Katli", stock=5000)
    read_all(client, sweet)
    change(in_db, sweet, lambda p: record_movement(p, -5000, "sold out", actor="test"))
    home, _, category, _, product, fragment = read_all(client, sweet)
    assert "Out of stock" in home and "Out of stock" in category
    assert "sold out" in product and "disabled" in product
    change(in_db, sweet, lambda p: record_movement(p, 600, "fresh batch", actor="test"))
    product = client.get(f"/p/{sweet.slug}").get_data(as_text=True)
    assert "Only 2 left" in product and "Out of stock" not in client.get("/").get_data(
        as_text=True)


def test_a_hidden_sweet_leaves_every_page_at_once(client, in_db, make_sweet):
    sweet = make_sweet("Kaju Katli", stock=5000)
    read_all(client, sweet)
    change(in_db, sweet, lambda p: setattr(p, "active", False))
    assert "Kaju Katli" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/p/{sweet.slug}").status_code == 404


def test_a_change_made_outside_the_app_bumps_the_version_too(app, client, in_db, make_sweet):
    """The triggers are in PostgreSQL: a price fixed in psql shows as surely as one from the
    admin; a rolled-back change bumps nothing; stock alone bumps nothing."""
    sweet = make_sweet("Kaju Katli", stock=5000)
    read_all(client, sweet)
    with app.app_context():
        version = page_cache.read_live(None, None)[0]
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE product SET stock = stock - 250 WHERE id = :id"),
                               {"id": sweet.id})
        assert page_cache.read_live(None, None)[0] == version
        with db.engine.connect() as connection:
            connection.execute(text("UPDATE variant SET price_paise = 99900 WHERE product_id = :id"),
                               {"id": sweet.id})
            connection.rollback()
        assert page_cache.read_live(None, None)[0] == version
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE variant SET price_paise = 99900 WHERE product_id = :id"),
                               {"id": sweet.id})
        assert page_cache.read_live(None, None)[0] > version
    assert "₹999" in client.get(f"/p/{sweet.slug}").get_data(as_text=True)


def test_each_visitor_gets_their_own_csrf_token_and_can_add_from_a_cached_page(
        app, in_db, make_sweet):
    sweet = make_sweet("Kaju Katli", stock=5000)
    first, second = app.test_client(), app.test_client()
    first_page = first.get(f"/p/{sweet.slug}").get_data(as_text=True)
    second_page = second.get(f"/p/{sweet.slug}").get_data(as_text=True)  # from the cache
    assert csrf_token_in(first_page) != csrf_token_in(second_page)
    assert page_cache.CSRF_PLACEHOLDER not in second_page
    added = second.post("/cart/add", data={"variant_id": sweet.packs["500 g"], "quantity": 1,
                                           "csrf_token": csrf_token_in(second_page)})
    assert added.status_code == 303
    # The badge is the visitor's own, read live: 1 now, on a page that was cached with 0.
    for path in (f"/p/{sweet.slug}", "/"):
        badge = second.get(path).get_data(as_text=True).split('id="cart-count"')[1][:60]
        assert ">1<" in badge, badge
    assert ">1<" not in first.get("/").get_data(as_text=True).split('id="cart-count"')[1][:60]


def test_a_cached_page_needs_no_transaction(app, client, make_sweet):
    """Nothing to roll back: every connection goes back to the pool idle (psycopg then sends
    no ROLLBACK), so the page's one statement is its one round trip."""
    sweet = make_sweet("Kaju Katli", stock=5000)
    client.get(f"/p/{sweet.slug}")
    with app.app_context():
        pool = db.engine.pool
    states = []

    def returned(dbapi_connection, record, reset_state):
        states.append(dbapi_connection.info.transaction_status.name)

    event.listen(pool, "reset", returned)
    try:
        assert client.get(f"/p/{sweet.slug}").status_code == 200
    finally:
        event.remove(pool, "reset", returned)
    assert states and set(states) == {"IDLE"}, states


def test_concurrent_readers_and_a_price_change_never_see_the_old_price_after_commit(
        app, in_db, make_sweet):
    """Readers in threads (as gthread workers) keep reading while the price changes: once
    the change has committed, no page read after it shows the old price."""
    sweet = make_sweet("Kaju Katli", stock=5000)
    committed = threading.Event()
    stale_after_commit = []
    stop = threading.Event()

    def reader():
        client = app.test_client()
        while not stop.is_set():
            was_committed = committed.is_set()
            html = client.get(f"/p/{sweet.slug}").get_data(as_text=True)
            if was_committed and "₹300" in html:
                stale_after_commit.append(html)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        change(in_db, sweet, lambda p: [setattr(v, "price_paise", v.price_paise + 1100)
                                        for v in p.variants])
        committed.set()
        threading.Event().wait(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert stale_after_commit == []


def test_a_new_category_shows_in_the_menu_at_once(client, in_db, make_sweet):
    sweet = make_sweet("Kaju Katli", stock=5000)
    read_all(client, sweet)

    def add():
        product = db.session.get(Product, sweet.id)
        product.category = Category(name="Sugar-free", slug="sugar-free", position=0)
        db.session.commit()
    in_db(add)
    assert "Sugar-free" in client.get("/").get_data(as_text=True)


def test_each_cart_sees_its_own_steppers_on_a_cached_home_page(app, in_db, make_sweet):
    """The cards' − n + steppers come from the cart, read live with the version: two
    visitors never see each other's quantities, and a change shows at once."""
    from sweetshop.services import cart as cart_service

    sweet = make_sweet("Kaju Katli", stock=5000)
    default = sweet.packs["250 g"]
    token = in_db(lambda: cart_service.add_to_cart(None, default, 2)[0])
    empty, full = app.test_client(), app.test_client()
    full.set_cookie("cart", token)
    assert 'class="stepper"' not in empty.get("/").get_data(as_text=True)
    page = full.get("/").get_data(as_text=True)
    assert 'class="stepper"' in page and 'aria-live="polite">2<' in page
    assert 'class="stepper"' not in empty.get("/").get_data(as_text=True)  # from the cache
    in_db(lambda: cart_service.add_to_cart(token, default, 1))
    assert 'aria-live="polite">3<' in full.get("/").get_data(as_text=True)
