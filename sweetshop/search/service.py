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

from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Category, Product, SearchQuery, utcnow
from .keys import search_columns, sound_keys, to_latin

QUERY_LIMIT = 100           # characters of a query we read
RESULT_LIMIT = 12           # a phone screen or two; a longer list means a vaguer query
# word_similarity() a name or sound key needs to count as a match (pg_trgm's default, 0.6,
# misses one-letter typos in short names: "kaju kalti" vs "kaju katli" is 0.5). Set on every
# connection as pg_trgm.word_similarity_threshold (database.engine_options).
MATCH_THRESHOLD = 0.45
CLOSE_THRESHOLD = 0.25      # ... to be offered as a close match when nothing matched
CLOSE_LIMIT = 3
SOLD_WINDOW_DAYS = 60       # "what sells": quantity ordered in this many days
TYPING_WINDOW = timedelta(seconds=90)  # one person's keystrokes of one query count once
REPORT_DAYS = 14

# The query values are bound straight into the conditions (no CTE), so the planner sees
# them and answers from the three GIN indexes (a BitmapOr) instead of scanning every row.
_SEARCH_SQL = """
    SELECT p.id,
           GREATEST(word_similarity(:latin, p.search_names),
                    word_similarity(:keys, p.search_keys) * 0.9,
                    CASE WHEN p.search_tsv @@ plainto_tsquery('simple', unaccent(:latin))
                         THEN 0.4 + ts_rank(p.search_tsv,
                                            plainto_tsquery('simple', unaccent(:latin)))
                         ELSE 0 END) AS score
    FROM product p
    WHERE p.active
      AND (:latin <% p.search_names {keys_match}
           OR p.search_tsv @@ plainto_tsquery('simple', unaccent(:latin)))
    -- Equal matches: the sweet whose own name (first of search_names) is most like the query,
    -- so "kalakand" puts Kalakand before Milk Cake (alias "kalakand cake"); then what sold
    -- (counted only for the rows found, through ix_order_item_product_id).
    ORDER BY score DESC,
             similarity(:latin, split_part(p.search_names, ' | ', 1)) DESC,
             (SELECT COALESCE(SUM(oi.quantity), 0) FROM order_item oi
              JOIN "order" o ON o.id = oi.order_id
              WHERE oi.product_id = p.id
                AND o.created_at > now() - make_interval(days => :sold_days)
                AND o.status NOT IN ('cancelled', 'expired', 'awaiting_payment')) DESC,
             p.position, p.id
    LIMIT :limit
"""
# Without sound keys (a query of one-sound words) their index is not asked at all.
_SEARCH = {True: text(_SEARCH_SQL.format(keys_match="OR :keys <% p.search_keys")),
           False: text(_SEARCH_SQL.format(keys_match=""))}

_CLOSE = text("""
    SELECT p.id FROM product p
    WHERE p.active AND (:latin <% p.search_names OR :keys <% p.search_keys)
    ORDER BY GREATEST(word_similarity(:latin, p.search_names),
                      word_similarity(:keys, p.search_keys) * 0.8) DESC, p.position
    LIMIT :limit
""")


_LOG = text("""
    WITH last AS (
        SELECT id, normalized FROM search_query
        WHERE searcher = :searcher AND created_at > :since ORDER BY id DESC LIMIT 1
    ), typed_on AS (
        UPDATE search_query s SET query = :query, normalized = :normalized,
               results = :results, created_at = :now
        FROM last WHERE s.id = last.id AND last.normalized <> :normalized
          AND (starts_with(:normalized, last.normalized) OR starts_with(last.normalized, :normalized))
        RETURNING s.id
    )
    INSERT INTO search_query (query, normalized, results, searcher, created_at)
    SELECT :query, :normalized, :results, :searcher, :now
    WHERE NOT EXISTS (SELECT 1 FROM last WHERE last.normalized = :normalized
                          OR starts_with(:normalized, last.normalized)
                          OR starts_with(last.normalized, :normalized))
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
    ids = [row.id for row in db.session.execute(
        _SEARCH[bool(keys)], {"latin": latin, "keys": keys, "sold_days": SOLD_WINDOW_DAYS,
                  "limit": RESULT_LIMIT})]
    if not ids:
        # Nothing matched: the same indexes, asked with a lower bar (for this transaction).
        db.session.execute(text("SELECT set_config('pg_trgm.word_similarity_threshold', "
                                ":bar, true)"), {"bar": str(CLOSE_THRESHOLD)})
        ids = [row.id for row in db.session.execute(
            _CLOSE, {"latin": latin, "keys": keys or latin, "limit": CLOSE_LIMIT})]
        result.close_matches = _load(ids)
    else:
        result.products = _load(ids)
    return result


def _load(ids: list[int]) -> list[Product]:
    if not ids:
        return []
    products = db.session.scalars(
        select(Product).where(Product.id.in_(ids)).options(selectinload(Product.variants))).all()
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
    # One statement (a search is a read; its log must stay cheap): the same query again (a
    # reload) changes nothing, a longer or shorter one updates the row, anything else adds one.
    db.session.execute(_LOG, {"query": query, "normalized": normalized, "results": results,
                              "searcher": searcher, "since": utcnow() - TYPING_WINDOW,
                              "now": utcnow()})
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
