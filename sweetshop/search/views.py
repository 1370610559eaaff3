"""GET /search?q=: the search page, and its results block for htmx as the customer types."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, request

from ..htmx import render_page_or_block, wants_fragment
from ..i18n import gettext as _
from ..networks import network_of
from ..services.shop import get_settings
from . import service

bp = Blueprint("search", __name__)


@bp.get("/search")
def search_products():
    query = service.clean_query(request.args.get("q"))
    result = service.search_products(query)
    categories = service.categories_on_sale() if query and not result.products else []
    response = render_page_or_block(
        "search/results.html", "results", result=result, query=query, categories=categories,
        ask_on_whatsapp=_whatsapp_link(query) if query and not result.products else None)
    if query:  # after rendering: the log's commit would expire the products it shows
        service.log_search(query, len(result.products), service.searcher_hash(
            network_of(request.remote_addr or ""), request.headers.get("User-Agent", "")[:200]))
    if wants_fragment():
        response.headers["Cache-Control"] = "no-store"
    return response


def _whatsapp_link(query: str) -> str | None:
    """A wa.me link to the shop's phone with the question already written."""
    digits = "".join(c for c in (get_settings().phone or "") if c.isdigit())
    if not digits:
        return None
    text = _("Hello! Do you have %(query)s?", query=query)
    return f"https://wa.me/{digits}?text={quote(text)}"
