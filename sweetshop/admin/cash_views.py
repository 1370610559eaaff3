"""The owner's Cash page: each person's day, handovers, explained differences, CSV."""
from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for

from ..formatting import local_today, parse_rupees
from ..i18n import gettext as _
from ..services import cash as cash_service
from ..services.checkout import new_idempotency_key
from ..services.errors import DomainError
from . import actor, bp


def _day() -> date:
    try:
        day = date.fromisoformat(request.values.get("day", "")[:10])
    except ValueError:
        return local_today()
    return day if date(2000, 1, 1) <= day <= local_today() else local_today()


def _render(day, status=200, errors=None, form=None):
    return render_template(
        "admin/cash.html", day=day, people=cash_service.cash_day(day),
        totals=cash_service.day_totals(day), history=cash_service.history(),
        today=local_today(), key=new_idempotency_key(), errors=errors or {},
        form=form or {}), status


@bp.get("/cash")
def cash_report():
    return _render(_day())


@bp.post("/cash")
def record_cash():
    day = _day()
    form = request.form
    amount_text = (form.get("amount") or "").strip().lstrip("−-")
    negative = (form.get("amount") or "").strip()[:1] in ("-", "−")
    amount = parse_rupees(amount_text)
    staff = form.get("staff_id", "")
    key = (form.get("staff_id", ""), form.get("kind", ""))
    if amount is None or not staff.isdigit() or len(staff) > 9:
        return _render(day, 422, errors={key: _("Please give an amount in rupees, e.g. 1150.")},
                       form=form)
    if negative and form.get("kind") == "explained":
        amount = -amount
    try:
        _entry, created = cash_service.record_entry(
            staff_id=int(staff), day=day, kind=form.get("kind", ""), amount_paise=amount,
            note=form.get("note", "")[:500], key=form.get("idempotency_key", "")[:64],
            actor=actor())
    except DomainError as error:
        return _render(day, error.status_code, errors={key: error.message}, form=form)
    flash(_("Recorded.") if created else _("That was recorded already."), "success")
    return redirect(url_for("admin.cash_report", day=day.isoformat()), 303)


@bp.get("/cash.csv")
def cash_csv():
    day = _day()
    return Response(cash_service.day_csv(day), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="cash-{day.isoformat()}.csv"'})
