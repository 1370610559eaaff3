"""Static files: content-hashed URLs, cached for a year, compressed once at top level."""
import gzip
import re
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parents[2]


def test_pages_link_hashed_static_urls_served_compressed_and_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/shop\.css\?v=[0-9a-f]{12})"', html).group(1)
    raw = (ROOT / "static/css/shop.css").read_bytes()
    br = client.get(css, headers={"Accept-Encoding": "br"})
    assert br.headers["Content-Encoding"] == "br"
    assert br.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert brotli.decompress(br.data) == raw
    gz = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == raw
    plain = client.get(css)
    assert "Content-Encoding" not in plain.headers and plain.data == raw


def test_a_stale_or_made_up_version_is_not_cached_for_a_year(client):
    response = client.get("/static/css/shop.css?v=000000000000")
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")
