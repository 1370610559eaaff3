"""Extension singletons, bound to the app in create_app (no app import here)."""
from flask_compress import Compress
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .networks import client_network

# Stable constraint names, so Alembic migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ShopSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy with bounded PostgreSQL connections and a teardown that cannot fail
    on a connection the server dropped (see sweetshop/database.py)."""

    def _make_engine(self, bind_key, options, app):
        from .database import instrument_engine

        engine = super()._make_engine(bind_key, options, app)
        instrument_engine(engine, app.config)
        return engine

    def _teardown_session(self, exc):
        from .database import remove_session

        remove_session(self.session)


db = ShopSQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
# Every per-address limit counts by client network (IPv4 address, IPv6 /64);
# storage and limits: sweetshop/rate_limits.py
limiter = Limiter(key_func=client_network)
compress = Compress()  # gzip / brotli for HTML, CSS, JS and JSON


class RedisConnection:
    """One Redis client per Redis URL, created lazily so the app starts even when Redis is
    down. Its pool (shared with Flask-Limiter's storage) has short timeouts and a circuit
    breaker (sweetshop/redis_breaker.py), so a paused Redis costs a request at most one
    short timeout."""

    def __init__(self):
        self._clients: dict[str, object] = {}
        self._pools: dict[str, object] = {}

    def init_app(self, app):
        app.extensions["redis_url"] = app.config["REDIS_URL"]

    def pool(self, app=None, url: str | None = None):
        from flask import current_app

        from .redis_breaker import guarded_pool

        config = (app or current_app).config
        url = url or config["REDIS_URL"]
        if url not in self._pools:
            self._pools[url] = guarded_pool(
                url, open_seconds=config.get("REDIS_BREAKER_SECONDS", 5),
                socket_timeout=config.get("REDIS_SOCKET_TIMEOUT", 0.5))
        return self._pools[url]

    def breaker(self, app=None):
        return self.pool(app).breaker

    def client(self, app=None):
        from flask import current_app
        from redis import Redis

        url = (app or current_app).config["REDIS_URL"]
        if url not in self._clients:
            self._clients[url] = Redis(connection_pool=self.pool(app, url))
        return self._clients[url]


redis_conn = RedisConnection()
