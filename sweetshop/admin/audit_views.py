"""The owner's audit page: who changed what, when, filterable by person and kind."""
from flask import render_template, request

from ..services import audit as audit_service
from . import bp


@bp.get("/audit")
def audit_log():
    staff = request.args.get("staff", "")
    page = request.args.get("page", "1")
    kind = request.args.get("kind", "")
    result = audit_service.list_events(
        staff_id=int(staff) if staff.isdigit() and len(staff) < 10 else None,
        kind=kind if kind in audit_service.KINDS else None,
        page=int(page) if page.isdigit() and len(page) < 6 else 1)
    return render_template("admin/audit.html", result=result, people=audit_service.people(),
                           kinds=audit_service.KINDS, staff=staff, kind=kind)
