"""What customers searched for: one row per search (typing a query counts once)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import created_at_column


class SearchQuery(db.Model):
    __tablename__ = "search_query"
    __table_args__ = (
        Index("ix_search_query_created_at", "created_at"),
        Index("ix_search_query_searcher", "searcher", "id"),  # one searcher's last query
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(100))       # as typed (trimmed, one line)
    normalized: Mapped[str] = mapped_column(String(100), index=True)  # Latin, lowercase
    results: Mapped[int] = mapped_column(Integer, default=0)
    # A hash of who searched (network + browser), only so that the letters of one query
    # typed with live results count as one search, not one per keystroke.
    searcher: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = created_at_column()
