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
    """One Redis client per app, created lazily so the app starts even when Redis is down."""

    def __init__(self):
        self._clients: dict[str, object] = {}

    def init_app(self, app):
        app.extensions["redis_url"] = app.config["REDIS_URL"]

    def client(self, app=None):
        from flask import current_app
        from redis import Redis

        url = (app or current_app).config["REDIS_URL"]
        if url not in self._clients:
            self._clients[url] = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return self._clients[url]


redis_conn = RedisConnection()
