"""Static files with content-hashed URLs (/static/css/shop.css?v=<hash>), a year-long
immutable cache, and compression done once at the highest level (brotli 11, gzip 9)
rather than on every request: a changed file gets a new URL, so phones never keep a
stale stylesheet, and the bytes on the wire are as few as they can be."""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import brotli
from flask import Flask, request

YEAR = 365 * 24 * 3600
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}


def init_app(app: Flask) -> None:
    hashes: dict[str, str] = {}
    compressed: dict[tuple[str, str, str], bytes] = {}

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

    def encoded(filename: str, digest: str, encoding: str) -> bytes:
        key = (filename, digest, encoding)
        if key not in compressed:
            raw = (Path(app.static_folder) / filename).read_bytes()
            compressed[key] = (brotli.compress(raw, quality=11) if encoding == "br"
                               else gzip.compress(raw, compresslevel=9, mtime=0))
        return compressed[key]

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "v" not in values and "filename" in values:
            digest = file_hash(values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_static(response):
        if request.endpoint != "static" or response.status_code != 200:
            return response
        filename = (request.view_args or {}).get("filename", "")
        digest = request.args.get("v")
        if not digest or digest != file_hash(filename):
            return response  # an old or made-up version: served, but not cached for long
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        accepted = request.accept_encodings
        encoding = "br" if accepted["br"] else "gzip" if accepted["gzip"] else None
        if encoding and response.mimetype in COMPRESSIBLE:
            response.direct_passthrough = False
            response.set_data(encoded(filename, digest, encoding))
            response.headers["Content-Encoding"] = encoding  # Flask-Compress then leaves it
            response.headers["Vary"] = "Accept-Encoding"
            response.headers.pop("ETag", None)
        return response
