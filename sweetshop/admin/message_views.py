"""The owner resends a customer message from the order page."""
from flask import flash, redirect, render_template, url_for

from ..extensions import db
from ..htmx import is_htmx
from ..i18n import gettext as _
from ..models import Notification
from ..services import notifications
from . import actor, bp


@bp.post("/messages/<id:notification_id>/resend")
def resend_message(notification_id: int):
    copy = notifications.resend(notification_id, actor())
    order_id = copy.order_id
    if is_htmx() and order_id:
        messages = db.session.query(Notification).filter_by(order_id=order_id) \
            .filter(Notification.channel.notin_(("push", "call"))) \
            .order_by(Notification.id).all()  # pushes and calls: the Alerts timeline
        return render_template("admin/orders/_messages.html", messages=messages,
                               order_id=order_id, resent=copy.id)
    flash(_("The message is on its way again."), "success")
    if order_id:
        return redirect(url_for("admin.show_order", order_id=order_id), 303)
    return redirect(url_for("admin.dashboard"), 303)
