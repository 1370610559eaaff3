"""Every setting, read from the environment and documented once, here.

| Variable            | Meaning                                                        | Default |
|---------------------|----------------------------------------------------------------|---------|
| SWEETSHOP_ENV       | production, development or testing                             | production |
| SECRET_KEY          | signs sessions and CSRF tokens; production refuses a default    | dev-only value outside production |
| DATABASE_URL        | PostgreSQL URL (postgres://, postgresql://, postgresql+psycopg://) | required (make run starts an embedded one) |
| REDIS_URL           | Redis URL for the job queue and rate limits                    | required (make run starts an embedded one) |
| PUBLIC_BASE_URL     | the shop's public address, for links in messages               | http://127.0.0.1:8000 |
| CART_DAYS           | how long a cart cookie lives                                   | 30 |
| MAX_LINE_QUANTITY   | most packs of one kind in a cart line                          | 20 |
"""
from __future__ import annotations

import os

DEV_SECRET = "dev-only-not-secret"


def _database_url(raw: str | None) -> str | None:
    """Accept the URL forms hosts hand out and point SQLAlchemy at psycopg 3."""
    if not raw:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


class Config:
    def __init__(self, env: dict[str, str] | None = None):
        env = dict(os.environ if env is None else env)
        self.ENV_NAME = env.get("SWEETSHOP_ENV", "production")
        self.SECRET_KEY = env.get("SECRET_KEY") or DEV_SECRET
        self.SQLALCHEMY_DATABASE_URI = _database_url(env.get("DATABASE_URL"))
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        self.CART_DAYS = int(env.get("CART_DAYS", "30"))
        self.MAX_LINE_QUANTITY = int(env.get("MAX_LINE_QUANTITY", "20"))
        # CSRF tokens live as long as the session: a phone left on a form for hours still works.
        self.WTF_CSRF_TIME_LIMIT = None
        self.MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # photos are at most 5 MB, plus form overhead
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.ENV_NAME == "production"
        self.TESTING = self.ENV_NAME == "testing"

    def validate(self) -> None:
        if self.ENV_NAME == "production" and self.SECRET_KEY in ("", DEV_SECRET):
            raise RuntimeError("SECRET_KEY must be set to a long random value in production")
        if len(self.SECRET_KEY) < 16 and self.ENV_NAME == "production":
            raise RuntimeError("SECRET_KEY is too short for production")
        if not self.SQLALCHEMY_DATABASE_URI:
            raise RuntimeError("DATABASE_URL is not set (make run starts an embedded PostgreSQL)")

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
