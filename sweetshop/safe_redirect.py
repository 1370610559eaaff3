"""The one check of a `next` address a page may send someone on to after a form.

Only a path on our own site, under the given prefix, is accepted; anything else gives the
default. Refused outright: another host or scheme (`https://evil`, `//evil`, `/\\evil`),
backslashes, white space, control characters (CR/LF would reach the Location header),
dot segments (`/admin/../x`, also percent-encoded as `%2e%2e`), encoded and repeated slashes.
"""
from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next_path(target: str | None, default: str, prefix: str = "/") -> str:
    """`target` if it is a same-site path under `prefix` (e.g. "/admin/"), else `default`."""
    if not is_safe_path(target, prefix):
        return default
    return target


def is_safe_path(target: str | None, prefix: str = "/") -> bool:
    if (not isinstance(target, str) or not target or len(target) > MAX_LENGTH
            or any(c.isspace() for c in target)):
        return False
    # Checked raw and decoded, so "%0d%0a" and "%5c" are caught as well.
    if any(_CONTROL.search(text) or "\\" in text for text in (target, unquote(target))):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "%2f" in parts.path.lower():
        return False
    path = unquote(parts.path)
    if not path.startswith("/") or path.startswith("//"):
        return False
    # The path as a browser resolves it must be the path as written: no "." or ".."
    # segments (also "%2e%2e"), no "//" inside.
    normal = posixpath.normpath(path)
    if path.endswith("/") and normal != "/":
        normal += "/"
    if normal != path:
        return False
    return normal.startswith(prefix) or normal == prefix.rstrip("/")
