"""The audit trail: who changed what, when. Written by the services that make the change,
in the caller's transaction (so a change and its audit row commit or roll back together)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import AdminUser, AuditEvent

KINDS = ("status", "delivery", "stock", "price", "settings", "refund", "staff", "cash", "cod")
PAGE_SIZE = 50


def record(actor, kind: str, summary: str, *, order_id: int | None = None,
           product_id: int | None = None) -> None:
    """Add one audit row; does not commit. `actor` is admin.actor() (a str with staff_id)."""
    db.session.add(AuditEvent(staff_id=getattr(actor, "staff_id", None),
                              actor=str(actor)[:120], kind=kind, summary=summary[:2000],
                              order_id=order_id, product_id=product_id))


@dataclass
class AuditPage:
    events: list[AuditEvent]
    page: int
    pages: int


def list_events(*, staff_id: int | None = None, kind: str | None = None,
                page: int = 1) -> AuditPage:
    """Newest first, optionally for one person and one kind of change."""
    stmt = select(AuditEvent)
    if staff_id:
        stmt = stmt.where(AuditEvent.staff_id == staff_id)
    if kind in KINDS:
        stmt = stmt.where(AuditEvent.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    events = db.session.scalars(
        stmt.options(selectinload(AuditEvent.staff))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return AuditPage(list(events), page, pages)


def people() -> list[AdminUser]:
    return list(db.session.scalars(select(AdminUser).order_by(AdminUser.name, AdminUser.id)))
