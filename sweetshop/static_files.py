"""Static files with content-hashed URLs (/static/css/shop.css?v=<hash>) and a year-long,
immutable cache: a changed file gets a new URL, so phones never keep a stale stylesheet."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, request

YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    hashes: dict[str, str] = {}

    def file_hash(filename: str) -> str | None:
        cached = hashes.get(filename)
        if cached is None or app.debug:
            path = Path(app.static_folder) / filename
            try:
                cached = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            except OSError:
                return None
            hashes[filename] = cached
        return cached

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "v" not in values and "filename" in values:
            digest = file_hash(values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_static(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response
