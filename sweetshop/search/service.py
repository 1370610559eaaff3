"""Search the catalogue the way customers spell sweets, and remember what they searched for.

PostgreSQL does the matching (pg_trgm, full text with unaccent) over columns this module
writes on every catalogue change (`refresh_product`): names and aliases in Latin letters
(`search_names`), their Hinglish sound keys (`search_keys`, see keys.py) and all the words
(`search_text`). A query is turned into the same two forms, so "लड्डू", "ladoo" and "laddu"
meet "Motichoor Laddoo"; each of the three conditions is served by its GIN index.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Category, Product, SearchQuery, utcnow
from .keys import search_columns, sound_keys, to_latin

QUERY_LIMIT = 100           # characters of a query we read
RESULT_LIMIT = 24
# word_similarity() a name or sound key needs to count as a match (pg_trgm's default, 0.6,
# misses one-letter typos in short names: "kaju kalti" vs "kaju katli" is 0.5).
MATCH_THRESHOLD = 0.45
CLOSE_THRESHOLD = 0.2       # ... to be offered as a close match when nothing matched
CLOSE_LIMIT = 3
SOLD_WINDOW_DAYS = 60       # "what sells": quantity ordered in this many days
TYPING_WINDOW = timedelta(seconds=90)  # one person's keystrokes of one query count once
REPORT_DAYS = 14

_SEARCH = text("""
    WITH q AS (
        SELECT CAST(:latin AS text) AS latin, CAST(:keys AS text) AS keys,
               plainto_tsquery('simple', unaccent(CAST(:latin AS text))) AS ts
    ), sold AS (
        SELECT oi.product_id, SUM(oi.quantity) AS packs
        FROM order_item oi JOIN "order" o ON o.id = oi.order_id
        WHERE o.created_at > now() - make_interval(days => :sold_days)
          AND o.status NOT IN ('cancelled', 'expired', 'awaiting_payment')
        GROUP BY oi.product_id
    )
    SELECT p.id,
           GREATEST(word_similarity(q.latin, p.search_names),
                    word_similarity(q.keys, p.search_keys) * 0.9,
                    CASE WHEN to_tsvector('simple', p.search_text) @@ q.ts
                         THEN 0.4 + ts_rank(to_tsvector('simple', p.search_text), q.ts)
                         ELSE 0 END) AS score
    FROM product p CROSS JOIN q LEFT JOIN sold ON sold.product_id = p.id
    WHERE p.active
      AND (q.latin <% p.search_names OR (q.keys <> '' AND q.keys <% p.search_keys)
           OR to_tsvector('simple', p.search_text) @@ q.ts)
    -- Equal matches: the sweet whose own name (first of search_names) is most like the query,
    -- so "kalakand" puts Kalakand before Milk Cake (alias "kalakand cake"); then what sells.
    ORDER BY score DESC,
             similarity(q.latin, split_part(p.search_names, ' | ', 1)) DESC,
             COALESCE(sold.packs, 0) DESC, p.position, p.id
    LIMIT :limit
""")

_CLOSE = text("""
    SELECT p.id FROM product p
    WHERE p.active AND GREATEST(similarity(:latin, p.search_names),
                                word_similarity(:keys, p.search_keys) * 0.8) > :threshold
    ORDER BY GREATEST(similarity(:latin, p.search_names),
                      word_similarity(:keys, p.search_keys) * 0.8) DESC, p.position
    LIMIT :limit
""")


@dataclass
class SearchResult:
    query: str
    products: list[Product] = field(default_factory=list)
    close_matches: list[Product] = field(default_factory=list)


def clean_query(raw: str | None) -> str:
    return " ".join((raw or "").split())[:QUERY_LIMIT]


def search_products(raw_query: str | None) -> SearchResult:
    """The active sweets matching a query, best match first, then what sells. With no
    match: up to CLOSE_LIMIT close matches. Reads only (the caller logs the search)."""
    query = clean_query(raw_query)
    result = SearchResult(query=query)
    latin = to_latin(query)
    if not latin:
        return result
    # One-sound keys ("k" for "cake") would meet half the catalogue: names must do there.
    keys = " ".join(k for k in sound_keys(query).split() if len(k) > 1)
    # Only for this transaction: how similar is similar enough for the `<%` operator.
    db.session.execute(text("SELECT set_config('pg_trgm.word_similarity_threshold', "
                            ":t, true)"), {"t": str(MATCH_THRESHOLD)})
    ids = [row.id for row in db.session.execute(
        _SEARCH, {"latin": latin, "keys": keys, "sold_days": SOLD_WINDOW_DAYS,
                  "limit": RESULT_LIMIT})]
    if not ids:
        ids = [row.id for row in db.session.execute(
            _CLOSE, {"latin": latin, "keys": keys, "threshold": CLOSE_THRESHOLD,
                     "limit": CLOSE_LIMIT})]
        result.close_matches = _load(ids)
    else:
        result.products = _load(ids)
    return result


def _load(ids: list[int]) -> list[Product]:
    if not ids:
        return []
    products = db.session.scalars(
        select(Product).where(Product.id.in_(ids))
        .options(selectinload(Product.variants), selectinload(Product.category))).all()
    by_id = {p.id: p for p in products}
    return [by_id[i] for i in ids if i in by_id]


def categories_on_sale() -> list[Category]:
    """The categories that have something on sale (offered when a search found nothing)."""
    return list(db.session.scalars(
        select(Category).where(Category.products.any(Product.active.is_(True)))
        .order_by(Category.position, Category.name)))


def searcher_hash(network: str, user_agent: str) -> str:
    return hashlib.blake2b(f"{network}|{user_agent}".encode(), digest_size=8).hexdigest()


def log_search(query: str, results: int, searcher: str) -> None:
    """Record a search for the owner's "What people searched for". The keystrokes of one
    query typed with live results (each a prefix of the next, or the other way round, from
    the same searcher within TYPING_WINDOW) update one row instead of adding rows. Commits."""
    query = clean_query(query)
    normalized = to_latin(query)[:QUERY_LIMIT]
    if not normalized:
        return
    last = db.session.execute(
        select(SearchQuery.id, SearchQuery.normalized)
        .where(SearchQuery.searcher == searcher,
               SearchQuery.created_at > utcnow() - TYPING_WINDOW)
        .order_by(SearchQuery.id.desc()).limit(1)).first()
    if last and (normalized.startswith(last.normalized) or last.normalized.startswith(normalized)):
        db.session.execute(update(SearchQuery).where(SearchQuery.id == last.id).values(
            query=query, normalized=normalized, results=results, created_at=utcnow()))
    else:
        db.session.add(SearchQuery(query=query, normalized=normalized, results=results,
                                   searcher=searcher))
    db.session.commit()


@dataclass
class SearchedFor:
    query: str
    searches: int
    results: int


def top_searches(days: int = REPORT_DAYS, limit: int = 15) -> list[SearchedFor]:
    """The most frequent searches of the last `days` days, those that found nothing first."""
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(func.min(SearchQuery.query).label("query"),
               func.count().label("searches"),
               func.min(SearchQuery.results).label("results"))
        .where(SearchQuery.created_at >= since)
        .group_by(SearchQuery.normalized)
        .order_by((func.max(SearchQuery.results) == 0).desc(), func.count().desc(),
                  func.min(SearchQuery.query))
        .limit(limit)).all()
    return [SearchedFor(r.query, r.searches, r.results) for r in rows]


def refresh_product(product: Product) -> None:
    """Rewrite a product's search columns from its names, aliases, description and category.
    In the caller's transaction (catalogue services call it before they commit)."""
    # By id: the owner may just have moved it to another category (the relationship
    # still holds the old one until the flush).
    category = (db.session.get(Category, product.category_id) if product.category_id
                else product.category)
    columns = search_columns(
        name=product.name or "", name_hi=product.name_hi or "", aliases=product.aliases or "",
        description=product.description or "", description_hi=product.description_hi or "",
        category=category.name if category else "", category_hi=category.name_hi if category else "")
    product.search_names = columns["names"]
    product.search_keys = columns["keys"]
    product.search_text = columns["text"]


def refresh_category(category: Category) -> None:
    """A category's words are part of its products' search text: refresh them all."""
    for product in db.session.scalars(select(Product).where(Product.category_id == category.id)):
        refresh_product(product)


def refresh_all() -> int:
    """Every product's search columns (after a change of the rules in keys.py). Commits."""
    products = db.session.scalars(select(Product).options(selectinload(Product.category))).all()
    for product in products:
        refresh_product(product)
    db.session.commit()
    return len(products)


__all__ = ["search_products", "log_search", "top_searches", "refresh_product",
           "refresh_category", "refresh_all"]
