"""PostgreSQL restarted, killed, paused or full, under the Procfile's web process
(issue 10, items 24, 25 and 27).

The test starts a PostgreSQL of its own (127.0.0.1:25401) and gunicorn as the Procfile
starts it (127.0.0.1:18302), then breaks the database and reads what customers get: only
the shop's own 503 page (Retry-After, the layout rendered without the database) or the
real page, never a bare 500; recovery on the first request after the database is back;
an answer within about 5 s while it is paused. The longer run with load is
bench/db_outages.py.
"""
from __future__ import annotations

import os
import secrets
import threading
import time

import psycopg
import pytest

from tests.conftest import TEST_CONFIG, TEST_REDIS_URL, free_port
from tests.fault_servers import ProcfileWeb, ScratchPostgres

PG_PORT = free_port()
WEB_PORT = free_port()
SHOP_NAME = "Mithai Ghar of the faults"
OUTAGE_WORDS = "Back in a moment"


@pytest.fixture(scope="module")
def postgres():
    server = ScratchPostgres(PG_PORT, max_connections=12)
    try:
        server.start()
        server.database_url = server.create_database("shop")
        _migrate_and_name_the_shop(server.database_url)
        yield server
    finally:
        server.close()


def _migrate_and_name_the_shop(url: str) -> None:
    from flask_migrate import upgrade

    from sweetshop import create_app
    from sweetshop.extensions import db
    from sweetshop.services.shop import get_settings
    from tests.factories import make_product

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        get_settings().name = SHOP_NAME
        db.session.commit()
        make_product("Kaju Katli")
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def web(postgres, tmp_path_factory):
    env = dict(os.environ, DATABASE_URL=postgres.database_url, REDIS_URL=TEST_REDIS_URL,
               SWEETSHOP_ENV="production", SECRET_KEY=secrets.token_urlsafe(32),
               WEB_CONCURRENCY="1", DB_POOL_SIZE="2", DB_MAX_OVERFLOW="2")
    server = ProcfileWeb(WEB_PORT, env, tmp_path_factory.mktemp("web") / "gunicorn.log")
    yield server
    server.close()


@pytest.fixture
def healthy_shop(postgres, web):
    """A healthy database and a warm web process before each test; after it, no bare 500
    and no traceback in gunicorn's log."""
    postgres.resume()
    if postgres.proc.poll() is not None:
        postgres.start()
    status = 0
    for _ in range(20):
        status = web.get("/")[0]
        if status == 200:
            break
        time.sleep(0.2)
    assert status == 200
    log_start = len(web.log())
    yield web
    new_log = web.log()[log_start:]
    assert "Traceback" not in new_log and "Internal Server Error" not in new_log, new_log[-3000:]


def assert_outage_page(answer, htmx: bool = False) -> None:
    status, headers, body, _ = answer
    assert status == 503, (status, body[:500])
    assert headers.get("Retry-After") == "5"
    if htmx:
        assert "<html" not in body and "Nothing was lost" in body
    else:
        # The shop's own page, its layout drawn from the last settings it read.
        assert OUTAGE_WORDS in body and 'class="site-header"' in body and SHOP_NAME in body


@pytest.mark.parametrize("how", ["fast", "kill"])
def test_a_restarted_or_killed_database_gives_the_shop_page_then_recovers_at_once(
        postgres, healthy_shop, how):
    shop = healthy_shop
    postgres.stop(how)

    assert_outage_page(shop.get("/"))
    assert_outage_page(shop.get("/cart"))
    assert_outage_page(shop.get("/", headers={"HX-Request": "true"}), htmx=True)
    status, _, body, _ = shop.get("/health")
    assert status == 503 and '"postgres":"unreachable"' in body.replace(" ", "")

    postgres.start()

    # The first request after the restart finds the dead pooled connections and replaces them.
    assert [shop.get("/")[0] for _ in range(3)] == [200, 200, 200]
    assert shop.get("/health")[0] == 200


def test_a_paused_database_gives_the_shop_page_within_seconds_and_service_resumes(
        postgres, healthy_shop):
    shop = healthy_shop
    postgres.pause()
    try:
        # While one request waits on the paused database, the same (single) worker answers
        # others: psycopg waits cooperatively under gevent.
        waiting = threading.Thread(target=shop.get, args=("/",), kwargs={"timeout": 15})
        waiting.start()
        time.sleep(0.3)
        status, _, _, seconds = shop.get("/ping", timeout=5)
        assert status == 200 and seconds < 1, seconds
        waiting.join()

        answer = shop.get("/", timeout=15)
        assert_outage_page(answer)
        assert answer[3] < 7, f"the outage page took {answer[3]:.1f} s"
        status, _, body, seconds = shop.get("/health", timeout=15)
        assert status == 503 and seconds < 7
        assert '"postgres":"timeout"' in body.replace(" ", ""), body
        print(f"paused: outage page after {answer[3]:.2f} s, /health after {seconds:.2f} s")
    finally:
        postgres.resume()

    statuses = []
    for _ in range(3):
        statuses.append(shop.get("/")[0])
    assert statuses[-2:] == [200, 200], statuses


def _fill_every_slot(postgres) -> list[psycopg.Connection]:
    """Connections until PostgreSQL refuses more (max_connections reached)."""
    held = []
    while True:
        try:
            held.append(psycopg.connect(postgres.database_url.replace("+psycopg", ""),
                                        connect_timeout=2))
        except psycopg.OperationalError as error:
            assert "too many clients" in str(error) or "reserved" in str(error), error
            return held


def test_a_full_database_gives_the_shop_page_after_a_short_wait_then_serves(postgres,
                                                                          healthy_shop):
    shop = healthy_shop
    held = _fill_every_slot(postgres)
    try:
        # Drop the web's own connections, then take their slots too: it must connect anew.
        held[0].execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = 'shop' AND pid NOT IN (SELECT unnest(%s::int[]))",
                        ([c.info.backend_pid for c in held],))
        time.sleep(1.2)  # longer than DB_PING_AFTER_IDLE: the web pings them, finds them dead
        held += _fill_every_slot(postgres)

        answer = shop.get("/")
        assert_outage_page(answer)
        assert 1 < answer[3] < 6, f"answered after {answer[3]:.1f} s"  # waited, briefly
        print(f"full: outage page after {answer[3]:.2f} s")

        # A slot that frees up while a request waits is taken: the customer gets the page.
        threading.Timer(0.5, held.pop().close).start()
        assert shop.get("/")[0] == 200
    finally:
        for connection in held:
            connection.close()
