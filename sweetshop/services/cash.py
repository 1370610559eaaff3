"""Cash at the end of the day: what each person collected at the door (from the orders)
against what they handed to the owner, the difference to explain, and the day's totals by
payment method for the shop's books.

Arithmetic, per person and day (Asia/Kolkata): collected = cash taken on delivered orders;
outstanding = collected - handed over - explained. The day balances when outstanding is 0.

Recording is safe against double counting: each form carries a one-time key (a double tap
or a resubmit is one row, INSERT ... ON CONFLICT DO NOTHING), and entries for one person and
day are serialised by a transaction-scoped advisory lock, under which a handover larger
than what is outstanding is refused (two phones recording the same handover: the second is
refused, not added).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from ..extensions import db
from ..formatting import format_rupees, local_today
from ..i18n import gettext as _
from ..models import AdminUser, CashEntry, Payment
from ..models import Order as O
from . import audit
from .errors import InvalidInput, NotFound
from .orders import local_day_bounds

KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
HISTORY_DAYS = 14


@dataclass
class PersonDay:
    staff: AdminUser
    collected_paise: int = 0
    orders: int = 0
    handed_paise: int = 0
    explained_paise: int = 0
    entries: list[CashEntry] = field(default_factory=list)

    @property
    def outstanding_paise(self) -> int:
        return self.collected_paise - self.handed_paise - self.explained_paise

    @property
    def balanced(self) -> bool:
        return self.outstanding_paise == 0


@dataclass
class DayTotals:
    cash_paise: int
    upi_paise: int
    online_paise: int

    @property
    def total_paise(self) -> int:
        return self.cash_paise + self.upi_paise + self.online_paise


def _collected(day: date, staff_id: int | None = None) -> dict[int, tuple[int, int]]:
    """staff id -> (cash collected, orders) on `day`."""
    start, end = local_day_bounds(day)
    stmt = (select(O.collected_by_id, func.coalesce(func.sum(O.collected_paise), 0), func.count())
            .where(O.collected_method == "cash", O.collected_by_id.is_not(None),
                   O.cash_received_at >= start, O.cash_received_at < end)
            .group_by(O.collected_by_id))
    if staff_id is not None:
        stmt = stmt.where(O.collected_by_id == staff_id)
    return {sid: (int(total), n) for sid, total, n in db.session.execute(stmt)}


def person_day(staff_id: int, day: date) -> PersonDay:
    staff = db.session.get(AdminUser, staff_id)
    if staff is None:
        raise NotFound(_("We could not find that person."))
    row = PersonDay(staff=staff)
    row.collected_paise, row.orders = _collected(day, staff_id).get(staff_id, (0, 0))
    for entry in db.session.scalars(select(CashEntry).where(
            CashEntry.staff_id == staff_id, CashEntry.day == day).order_by(CashEntry.id)):
        row.entries.append(entry)
        if entry.kind == "handover":
            row.handed_paise += entry.amount_paise
        else:
            row.explained_paise += entry.amount_paise
    return row


def cash_day(day: date) -> list[PersonDay]:
    """Everyone who collected cash or handed some over on `day`, plus every active
    delivery person (so a day with nothing collected shows too)."""
    ids = set(_collected(day))
    ids |= set(db.session.scalars(select(CashEntry.staff_id).where(CashEntry.day == day)))
    ids |= set(db.session.scalars(select(AdminUser.id).where(
        AdminUser.role == "delivery", AdminUser.active.is_(True))))
    rows = [person_day(sid, day) for sid in sorted(ids)]
    return sorted(rows, key=lambda r: (r.staff.display_name.lower(), r.staff.id))


def day_totals(day: date) -> DayTotals:
    """Money in on `day` by how it came: cash and UPI at the door, online (Razorpay)."""
    start, end = local_day_bounds(day)
    at_door = dict(db.session.execute(
        select(O.collected_method, func.coalesce(func.sum(O.collected_paise), 0))
        .where(O.collected_method.is_not(None), O.cash_received_at >= start,
               O.cash_received_at < end).group_by(O.collected_method)).all())
    online = db.session.scalar(select(func.coalesce(func.sum(Payment.amount_paise), 0)).where(
        Payment.paid_at >= start, Payment.paid_at < end)) or 0
    return DayTotals(cash_paise=int(at_door.get("cash", 0)), upi_paise=int(at_door.get("upi", 0)),
                     online_paise=int(online))


@dataclass
class HistoryDay:
    day: date
    collected_paise: int
    handed_paise: int
    explained_paise: int

    @property
    def outstanding_paise(self) -> int:
        return self.collected_paise - self.handed_paise - self.explained_paise


def history(until: date | None = None, days: int = HISTORY_DAYS) -> list[HistoryDay]:
    """The last `days` days, newest first: collected, handed over, explained, outstanding."""
    until = until or local_today()
    out = []
    for i in range(days):
        day = until - timedelta(days=i)
        rows = cash_day(day)
        out.append(HistoryDay(day, sum(r.collected_paise for r in rows),
                              sum(r.handed_paise for r in rows),
                              sum(r.explained_paise for r in rows)))
    return out


def record_entry(*, staff_id: int, day: date, kind: str, amount_paise: int, note: str,
                 key: str, actor) -> tuple[CashEntry | None, bool]:
    """Record cash handed over, or a difference explained. Commits.

    Returns (the entry, True) when written, (the earlier entry, False) for a key already
    used (a double tap). Refuses: an unknown person, a day in the future, an amount of 0 or
    below for a handover, a handover above what is outstanding, an explanation without a
    note. Takes an advisory lock on (person, day) before reading what is outstanding.
    """
    if not key or not KEY.match(key):
        raise InvalidInput(_("This form has expired. Please open the Cash page again."))
    if kind not in ("handover", "explained"):
        raise InvalidInput(_("Please choose what to record."), field="kind")
    if day > local_today():
        raise InvalidInput(_("That day has not happened yet."), field="day")
    note = " ".join((note or "").split())[:500]
    if kind == "handover" and amount_paise <= 0:
        raise InvalidInput(_("Please give the amount handed over."), field="amount")
    if kind == "explained":
        if amount_paise == 0:
            raise InvalidInput(_("Please give the amount explained."), field="amount")
        if not note:
            raise InvalidInput(_("Please say what explains the difference."), field="note")
    existing = db.session.scalar(select(CashEntry).where(CashEntry.idempotency_key == key))
    if existing is not None:
        return existing, False
    db.session.execute(select(func.pg_advisory_xact_lock(
        func.hashtext(f"cash:{staff_id}:{day.isoformat()}"))))
    existing = db.session.scalar(select(CashEntry).where(CashEntry.idempotency_key == key))
    if existing is not None:  # the same form, committed while we waited for the lock
        db.session.rollback()
        return existing, False
    row = person_day(staff_id, day)
    if kind == "handover" and amount_paise > row.outstanding_paise:
        db.session.rollback()
        raise InvalidInput(_("Only %(amount)s is outstanding from %(name)s for that day. Is "
                             "this handover recorded already? Record any extra as an "
                             "explained difference.",
                             amount=format_rupees(max(row.outstanding_paise, 0)),
                             name=row.staff.display_name), field="amount")
    stmt = insert(CashEntry).values(
        staff_id=staff_id, day=day, kind=kind, amount_paise=amount_paise, note=note,
        idempotency_key=key, recorded_by_id=getattr(actor, "staff_id", None),
        recorded_by=str(actor)[:120], created_at=func.now(),
    ).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(CashEntry.id)
    new_id = db.session.scalar(stmt)
    if new_id is None:
        db.session.rollback()
        return db.session.scalar(select(CashEntry).where(CashEntry.idempotency_key == key)), False
    words = (_("%(name)s handed over %(amount)s", name=row.staff.display_name,
               amount=format_rupees(amount_paise)) if kind == "handover" else
             _("Difference of %(amount)s for %(name)s explained: %(note)s",
               amount=format_rupees(amount_paise), name=row.staff.display_name, note=note))
    audit.record(actor, "cash", f"{day.isoformat()}: {words}")
    db.session.commit()
    return db.session.get(CashEntry, new_id), True


def day_csv(day: date) -> str:
    """The day for the books: one line per person, then the totals by payment method."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["day", "person", "role", "orders", "cash_collected_rupees",
                "handed_over_rupees", "explained_rupees", "outstanding_rupees"])

    def r(paise):
        return f"{paise / 100:.2f}"
    for row in cash_day(day):
        w.writerow([day.isoformat(), _safe_cell(row.staff.display_name), row.staff.role,
                    row.orders, r(row.collected_paise), r(row.handed_paise),
                    r(row.explained_paise), r(row.outstanding_paise)])
    totals = day_totals(day)
    w.writerow([])
    w.writerow(["day", "method", "amount_rupees"])
    for method, paise in (("cash", totals.cash_paise), ("upi_at_door", totals.upi_paise),
                          ("online", totals.online_paise), ("total", totals.total_paise)):
        w.writerow([day.isoformat(), method, r(paise)])
    return out.getvalue()


def _safe_cell(text: str) -> str:
    """No spreadsheet formulas from a name (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


