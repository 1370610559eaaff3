"""Page weight of a first visit: the page and everything it loads, as bytes on the wire
(response headers + body as sent, with Accept-Encoding: br, gzip), split by kind; the
compressed bodies alone are recorded too ("body_only").

Resources are found by parsing the HTML: <link rel=stylesheet|icon|preload>, <script src>,
<img src/srcset>, <source srcset>, plus url(...) inside the stylesheets. Each URL counts
once per page. For a srcset, the candidate a phone would pick counts (the narrowest at
least 720 px wide, about 412 CSS px at DPR 1.75; else the widest). Product photos
(/media/... or Cloudinary) are reported apart: the budget leaves them out.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from shopper import Shopper

PHONE_PIXELS = 720
KINDS = ("html", "css", "js", "images", "photos", "other")


class _Resources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []  # (kind, url)
        # Inside a <picture> a browser fetches one candidate: from the first <source> whose
        # type it takes (AVIF, then WebP), else the <img>. Only that one counts.
        self.picture_chosen: bool | None = None

    def handle_endtag(self, tag):
        if tag == "picture":
            self.picture_chosen = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link":
            rel = (a.get("rel") or "").lower().split()
            href = a.get("href")
            if not href:
                return
            if "stylesheet" in rel:
                self.found.append(("css", href))
            elif "icon" in rel or "apple-touch-icon" in rel:
                self.found.append(("images", href))
            elif "preload" in rel or "modulepreload" in rel:
                kind = {"style": "css", "script": "js", "image": "images"}.get(a.get("as"), "other")
                self.found.append(("js" if "modulepreload" in rel else kind, href))
        elif tag == "script" and a.get("src"):
            self.found.append(("js", a["src"]))
        elif tag == "picture":
            self.picture_chosen = False
        elif tag in ("img", "source"):
            if self.picture_chosen:
                return
            if self.picture_chosen is False:
                self.picture_chosen = True
            chosen = _pick_from_srcset(a.get("srcset")) or a.get("src")
            if chosen:
                self.found.append(("images", chosen))


def _pick_from_srcset(srcset: str | None) -> str | None:
    if not srcset:
        return None
    candidates = []
    for part in srcset.split(","):
        bits = part.strip().split()
        if not bits:
            continue
        width = 0
        if len(bits) > 1 and bits[1].endswith("w"):
            width = int(bits[1][:-1] or 0)
        elif len(bits) > 1 and bits[1].endswith("x"):
            width = int(float(bits[1][:-1]) * 400)
        candidates.append((width, bits[0]))
    wide_enough = sorted(c for c in candidates if c[0] >= PHONE_PIXELS)
    return (wide_enough[0] if wide_enough else max(candidates))[1]


def _is_photo(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path.startswith("/media/") or "cloudinary.com" in (parts.hostname or "")


def weigh(base_url: str, path: str, cookies: dict[str, str] | None = None) -> dict:
    """One page with an empty cache: {kind: bytes}, the total without photos, the files."""
    browser = Shopper(base_url, cookies=dict(cookies or {}))
    page = browser.get(path)
    if page.status != 200:
        raise RuntimeError(f"GET {path} answered {page.status}")
    page_url = urljoin(base_url, path)
    parser = _Resources()
    parser.feed(page.text)
    sizes = dict.fromkeys(KINDS, 0)
    sizes["html"] = page.wire_bytes
    bodies = dict.fromkeys(KINDS, 0)
    bodies["html"] = len(page.raw)
    files = [{"url": path, "kind": "html", "bytes": page.wire_bytes, "body_bytes": len(page.raw),
              "encoding": page.header("Content-Encoding") or "identity"}]
    seen = {page_url}
    queue = list(parser.found)
    while queue:
        kind, ref = queue.pop(0)
        if ref.startswith("data:"):
            continue
        url = urljoin(page_url, ref)
        if url in seen:
            continue
        seen.add(url)
        if kind == "images" and _is_photo(url):
            kind = "photos"
        if urlsplit(url).netloc != urlsplit(base_url).netloc:
            files.append({"url": url, "kind": kind, "bytes": None, "note": "other host, not fetched"})
            continue
        parts = urlsplit(url)
        resp = browser.get(parts.path + (f"?{parts.query}" if parts.query else ""),
                           headers={"Accept": "*/*"})
        if resp.status != 200:
            raise RuntimeError(f"{path}: {url} answered {resp.status}")
        sizes[kind] += resp.wire_bytes
        bodies[kind] += len(resp.raw)
        files.append({"url": url, "kind": kind, "bytes": resp.wire_bytes, "body_bytes": len(resp.raw),
                      "encoding": resp.header("Content-Encoding") or "identity",
                      "cache_control": resp.header("Cache-Control")})
        if kind == "css":
            for ref2 in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", resp.text):
                ext = ref2.rsplit(".", 1)[-1].split("?")[0].lower()
                queue.append(("other" if ext in ("woff", "woff2", "ttf", "otf") else "images",
                              urljoin(url, ref2)))
    browser.close()
    total = sum(v for k, v in sizes.items() if k != "photos")
    return {"path": path, **sizes, "total_without_photos": total,
            "body_only": {**bodies, "total_without_photos":
                          sum(v for k, v in bodies.items() if k != "photos")},
            "files": files}
