"""The pool and the time limits of every PostgreSQL connection (DB_* settings, see
sweetshop/database.py). The same limits under a broken server: test_database_outages.py."""
from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import errors as pg_errors
from sqlalchemy import exc, text

from sweetshop import create_app
from sweetshop.database import DatabaseTimeout, no_time_limits, outage_kind
from sweetshop.extensions import db
from tests.conftest import TEST_CONFIG


@pytest.fixture
def app_with(app):
    made = []

    def build(**settings):
        made.append(create_app({**TEST_CONFIG, **settings}))
        return made[-1]

    yield build
    for other in made:
        with other.app_context():
            db.engine.dispose()


def test_pool_size_overflow_and_wait_are_settings(app_with):
    shop = app_with(DB_POOL_SIZE=7, DB_MAX_OVERFLOW=3, DB_POOL_TIMEOUT=3)

    with shop.app_context():
        pool = db.engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout) == (7, 3, 3)
        assert not pool._pre_ping  # pinged only after DB_PING_AFTER_IDLE (database.py)


def test_every_connection_has_statement_and_lock_timeouts(ctx):
    assert db.session.execute(text("SHOW statement_timeout")).scalar() == "2500ms"
    assert db.session.execute(text("SHOW lock_timeout")).scalar() == "2s"


def test_a_server_that_does_not_answer_is_given_up_on_and_the_next_request_reconnects(app_with):
    # The server's own statement_timeout is off, as it would be for a paused server.
    shop = app_with(DB_STATEMENT_TIMEOUT=0, DB_ANSWER_TIMEOUT=0.5)

    with shop.app_context():
        started = time.monotonic()
        with pytest.raises(exc.OperationalError) as raised:
            db.session.execute(text("SELECT pg_sleep(3)"))
        assert time.monotonic() - started < 1.5
        assert isinstance(raised.value.orig, DatabaseTimeout)
        assert raised.value.connection_invalidated
        assert outage_kind(raised.value) == "timeout"
        db.session.rollback()

        assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_migrations_run_without_the_time_limits_and_restore_them(app_with):
    shop = app_with(DB_ANSWER_TIMEOUT=0.3)

    with shop.app_context(), db.engine.connect() as connection:
        with no_time_limits(connection):
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
            connection.exec_driver_sql("SELECT pg_sleep(0.6)")
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "2500ms"
        with pytest.raises(exc.OperationalError):
            connection.exec_driver_sql("SELECT pg_sleep(0.6)")


def test_outages_are_told_apart_from_bugs(ctx):
    with pytest.raises(exc.ProgrammingError) as raised:
        db.session.execute(text("SELECT no_such_column FROM shop_settings"))
    db.session.rollback()

    assert outage_kind(raised.value) is None
    assert outage_kind(exc.TimeoutError("QueuePool limit reached")) == "busy"
    assert outage_kind(pg_errors.DiskFull("could not extend file")) == "disk full"
    assert outage_kind(pg_errors.TooManyConnections("sorry, too many clients")) == "busy"
    assert outage_kind(pg_errors.AdminShutdown("terminating connection")) == "unreachable"
    assert outage_kind(pg_errors.UniqueViolation("duplicate key")) is None


def test_a_lock_wait_is_bounded_and_counts_as_busy(app, in_db):
    from sweetshop.services.shop import get_settings

    in_db(lambda: (get_settings(), db.session.commit()))
    with app.app_context(), db.engine.connect() as holder, db.engine.connect() as waiter:
        holder.exec_driver_sql("SELECT * FROM shop_settings FOR UPDATE")
        started = time.monotonic()
        with pytest.raises(exc.OperationalError) as raised:
            waiter.exec_driver_sql("UPDATE shop_settings SET name = name")
        assert 1.5 < time.monotonic() - started < 4
        assert outage_kind(raised.value) == "busy"
        holder.rollback()


def test_without_the_database_pages_are_the_shops_503_drawn_without_it(app_with):
    # Nothing listens on this port: every connection is refused.
    shop = app_with(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:25499/x")
    client = shop.test_client()

    page = client.get("/")
    fragment = client.get("/cart", headers={"HX-Request": "true"})
    health = client.get("/health")

    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    html = page.get_data(as_text=True)
    assert "Back in a moment" in html and 'class="site-header"' in html
    assert fragment.status_code == 503 and "<html" not in fragment.get_data(as_text=True)
    assert health.status_code == 503 and health.get_json()["postgres"] == "unreachable"


def test_the_layout_reads_a_copy_of_the_settings_that_a_commit_cannot_expire(app):
    from flask import render_template_string

    from tests.sql_statements import counting_statements

    with app.test_request_context("/"):
        assert render_template_string("{{ shop().name }}")
        db.session.commit()  # expires every object the session holds
        with counting_statements(app) as statements:
            html = render_template_string("{{ shop().name }} {{ shop().is_open }}")
        assert statements == [] and "Sweetshop" in html
        db.session.remove()


def test_when_every_pooled_connection_is_busy_a_request_waits_briefly_then_gets_the_503_page(
        app_with):
    shop = app_with(DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, DB_POOL_TIMEOUT=1)

    with shop.app_context():
        engine = db.engine
    with engine.connect():  # the pool's only connection, held
        started = time.monotonic()
        response = shop.test_client().get("/")
        waited = time.monotonic() - started

    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "Back in a moment" in response.get_data(as_text=True)
    assert 0.9 < waited < 3
    assert shop.test_client().get("/").status_code == 200  # and served once it is free


def test_a_connection_that_dies_before_teardown_does_not_break_the_response(app_with):
    shop = app_with()

    @shop.route("/_probe")
    def probe():
        backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as other:  # the server drops this request's connection
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend)})")
        return "served"

    client = shop.test_client()
    response = client.get("/_probe")  # teardown's rollback now fails on a dead connection

    assert response.status_code == 200 and response.get_data(as_text=True) == "served"
    assert client.get("/_probe").status_code == 200  # a fresh connection, nothing left over


def test_only_a_connection_that_sat_idle_is_pinged_and_a_dead_one_is_replaced(app_with):
    """No round trip per checkout at a rush; a connection that sat idle (and may have been
    dropped by a restart) is pinged, and one the server killed is replaced unseen."""
    shop = app_with(DB_PING_AFTER_IDLE=0.2, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0)
    with shop.app_context():
        engine = db.engine
    pings = []
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda dbapi_connection: pings.append(1) or original(
        dbapi_connection)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        for _ in range(5):  # busy: straight back into use, no ping
            with engine.connect() as conn:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == pid
        assert pings == []
        with psycopg.connect(str(engine.url.set(drivername="postgresql")
                                 .render_as_string(hide_password=False)),
                             autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.3)
        with engine.connect() as conn:  # idle, pinged, found dead, replaced
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
        assert pings == [1]
    finally:
        engine.dialect.do_ping = original
