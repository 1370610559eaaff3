"""Cash accountability: what each delivery person handed to the owner, and the COD block list."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .admin import AdminUser
from .base import created_at_column


class CashEntry(db.Model):
    """One line of a delivery person's day, recorded by the owner: cash handed over
    ("handover", amount > 0), or a difference explained and settled ("explained", with a
    note; + for a shortfall written off, - for an excess). The form's one-time key makes a
    double tap one row."""
    __tablename__ = "cash_entry"
    __table_args__ = (
        CheckConstraint("kind IN ('handover', 'explained')", name="known_kind"),
        CheckConstraint("amount_paise <> 0", name="amount_not_zero"),
        CheckConstraint("kind <> 'handover' OR amount_paise > 0", name="handover_positive"),
        Index("ix_cash_entry_staff_day", "staff_id", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("admin_user.id"))
    day: Mapped[date] = mapped_column(Date)  # Asia/Kolkata
    kind: Mapped[str] = mapped_column(String(10))
    amount_paise: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_user.id", ondelete="SET NULL"))
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = created_at_column()

    staff: Mapped[AdminUser] = relationship(foreign_keys=[staff_id])


class CodBlock(db.Model):
    """A phone number the owner does not take cash orders from (pay online only)."""
    __tablename__ = "cod_block"
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)  # E.164
    reason: Mapped[str] = mapped_column(String(200))
    blocked_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = created_at_column()
