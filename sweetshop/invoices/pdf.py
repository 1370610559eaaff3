"""Invoices as PDF, by WeasyPrint (HTML and CSS to PDF; Pango draws the text).

The PDF is the invoice's own HTML page, printed: one template for both. Fonts are the
system's: DejaVu Sans has the rupee sign, Lohit Devanagari Hindi (the Makefile installs
both). Nothing is fetched over the network while rendering: only our stylesheet and a logo
in the local photo store are read; any other URL is refused, so a PDF never waits on a
remote server.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template


def _fetcher(allowed: list[Path]):
    """WeasyPrint's fetcher, limited to files under `allowed` (no network, no other file)."""
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher, URLFetchingError

    class LocalFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" else None
            if path is None or not path.is_file() or not any(
                    path.is_relative_to(root) for root in allowed):
                raise URLFetchingError(f"not fetched while rendering a PDF: {url[:80]}")
            return super().fetch(url, headers)

    return LocalFilesOnly(allowed_protocols={"file"}, timeout=5)


def logo_file(key: str) -> str | None:
    """A file:// URL for a logo kept in the local photo store, else None."""
    if not key:
        return None
    try:
        from ..integrations.cloudinary import local_store

        store = local_store()
        path = store.path_for(key.removeprefix(store.prefix)) if key.startswith(store.prefix) \
            else None
    except (KeyError, AttributeError, ValueError):
        return None
    return path.resolve().as_uri() if path is not None and path.is_file() else None


def render_pdf(document, paper: str = "a4", **context) -> bytes:
    import weasyprint

    static = Path(current_app.static_folder).resolve()
    allowed = [static]
    try:
        from ..integrations.cloudinary import local_store

        allowed.append(Path(local_store().folder).resolve())
    except (KeyError, AttributeError):
        pass
    html = render_template("invoices/document.html", document=document, paper=paper,
                           for_pdf=True, stylesheet=(static / "css" / "invoice.css").as_uri(),
                           logo=logo_file(document.logo_key), **context)
    return weasyprint.HTML(string=html, base_url=static.as_uri() + "/",
                           url_fetcher=_fetcher(allowed)).write_pdf()
