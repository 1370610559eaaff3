"""Test fixtures: a real PostgreSQL and Redis, a clean database for every test.

TEST_DATABASE_URL / TEST_REDIS_URL choose the servers; by default the local ones CI runs on
127.0.0.1, or, where those do not answer, the embedded servers `make run` uses.
The schema is built once per run by the real migrations; each test then starts from
empty tables (every row deleted, sequences restarted), so tests that commit, use several
connections or drive a live server in a browser all see the same clean state.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from sweetshop.extensions import db

LOCAL_POSTGRES = ("127.0.0.1", 5432)
LOCAL_REDIS = ("127.0.0.1", 6379)


def _answers(address: tuple[str, int]) -> bool:
    import socket

    try:
        socket.create_connection(address, timeout=1).close()
        return True
    except OSError:
        return False


def _test_servers() -> tuple[str, str]:
    """TEST_DATABASE_URL / TEST_REDIS_URL, else the local servers developers and CI run,
    else the embedded servers `make run` uses (databases of their own under instance/)."""
    db_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    if db_url is None and _answers(LOCAL_POSTGRES):
        db_url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    if redis_url is None and _answers(LOCAL_REDIS):
        redis_url = "redis://127.0.0.1:6379/15"
    if db_url is None or redis_url is None:
        import importlib.util
        from pathlib import Path

        root = Path(__file__).resolve().parents[1]
        spec = importlib.util.spec_from_file_location("devservices",
                                                      root / "sweetshop" / "devservices.py")
        devservices = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(devservices)
        saved = {k: os.environ.pop(k, None) for k in ("DATABASE_URL", "REDIS_URL")}
        try:
            if db_url is None:
                db_url = devservices.ensure_database_url(root / "instance", "sweetshop_test")
            if redis_url is None:
                redis_url = devservices.ensure_redis_url(root / "instance", db=15)
        finally:
            os.environ.update({k: v for k, v in saved.items() if v is not None})
    return db_url, redis_url


def _for_this_worker(db_url: str, redis_url: str) -> tuple[str, str]:
    """Under pytest-xdist each worker gets its own database (`<name>_gw1`, created here) and
    Redis database (the base number minus the worker's), since every test empties both."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or worker == "gw0":
        return db_url, redis_url
    index = int(worker[2:])
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    name = f"{url.database}_{worker}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            try:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            except Exception:  # another run created it between our look and our create
                pass
    admin.dispose()
    base, _, number = redis_url.rpartition("/")
    redis_db = (int(number or 0) - index) % 16
    return url.set(database=name).render_as_string(hide_password=False), f"{base}/{redis_db}"


TEST_DATABASE_URL, TEST_REDIS_URL = _for_this_worker(*_test_servers())


def free_port() -> int:
    """A port nothing listens on now, for servers a test starts (never a fixed one: two
    workers or two checkouts running the suite side by side would collide)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

TEST_CONFIG = {
    "SWEETSHOP_ENV": "testing",
    "ENV_NAME": "testing",
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
    "REDIS_URL": TEST_REDIS_URL,
    "SESSION_COOKIE_SECURE": False,
    "SERVER_NAME": None,
    # Rate limits are off for the suite (tests post far faster than people);
    # tests/test_rate_limits.py switches them on for its own app.
    "RATELIMIT_ENABLED": False,
}


def _reset_schema(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    from sweetshop import create_app

    _reset_schema(TEST_DATABASE_URL)
    app = create_app(TEST_CONFIG)
    with app.app_context():
        upgrade()
    return app


_sequences: list[str] = []


def _empty_every_table(db) -> None:
    """What TRUNCATE ... RESTART IDENTITY does, about ten times faster on the few rows a test
    leaves (TRUNCATE replaces every table's files): DELETE child tables first, restart every
    sequence (identity columns restart at their START, e.g. order numbers at 1001)."""
    try:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        if not _sequences:
            _sequences.extend(db.session.scalars(text(
                "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences "
                "WHERE schemaname = 'public'")))
        for sequence in _sequences:
            db.session.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
        db.session.commit()
    except Exception:  # e.g. a foreign-key cycle DELETE cannot order: the slow, sure way
        db.session.rollback()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()


@pytest.fixture(autouse=True)
def clean_state(request, app):
    """Empty every table and the test Redis database before each test."""
    if "no_db" in request.keywords:
        yield
        return
    from sweetshop.extensions import db, redis_conn

    with app.app_context():
        _empty_every_table(db)
        try:
            redis_conn.client().flushdb()
        except Exception:  # a test may have stopped Redis on purpose
            pass
        db.session.remove()
    yield


@pytest.fixture
def ctx(app):
    """An application context for service tests."""

    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def in_db(app):
    """Run a function in a fresh app context and session: in_db(lambda: Order.query.count()).

    View tests must not make requests inside their own app context (Flask would share `g`
    and the session between requests), so their set-up and checks go through this.
    """

    def run(fn):
        with app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    return run


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def htmx_headers():
    return {"HX-Request": "true"}
