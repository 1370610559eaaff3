"""Sweetshop: the online storefront of a small mithai shop."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import error_tracking, logs, metrics, rate_limits, static_files
from .config import Config
from .extensions import compress, csrf, db, migrate, redis_conn
from .url_converters import IdConverter

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    # Before any blueprint: their rules are compiled with the converters known then.
    app.url_map.converters["id"] = IdConverter
    settings = Config()
    app.config.update(settings.as_dict())
    if config:
        app.config.update(config)
    _validate(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    if app.config.get("TRUSTED_PROXIES"):
        # Behind a proxy, rate limits and sign-in throttling must see the customer's
        # address, not the proxy's; only as many hops as we trust, or anyone could forge it.
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    # One line per event (JSON in production), personal data masked: sweetshop/logs.py.
    logs.configure_logging(app)
    error_tracking.init_error_tracking(app.config)

    from .database import engine_options
    # The DB_* settings, with any SQLALCHEMY_ENGINE_OPTIONS given (tests) on top.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options(app.config), **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    redis_conn.init_app(app)
    compress.init_app(app)
    static_files.init_app(app)
    from . import i18n
    i18n.init_app(app)

    from . import models  # noqa: F401  (register tables with the metadata)
    # First of the request hooks: the request id is set before any other hook can log.
    logs.init_request_log(app)
    metrics.init_app(app)
    from .web import register_web
    register_web(app)

    rate_limits.init_app(app)  # after the blueprints: limits are attached by endpoint

    from .cli import register_cli
    register_cli(app)
    return app


def _validate(app: Flask) -> None:
    cfg = Config.__new__(Config)
    for key, value in app.config.items():
        if key.isupper():
            setattr(cfg, key, value)
    cfg.validate()
