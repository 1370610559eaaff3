"""The installable admin and its alerts: manifest, service worker, offline page, the
devices getting alerts, the escalation settings, and the push's Accept."""
from __future__ import annotations

import json
from pathlib import Path

from flask import (
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from ..i18n import gettext as _
from ..services import alerts as alerts_service
from ..services.errors import DomainError
from ..services.shop import get_settings
from . import bp
from .forms import AlertSettingsForm

THEME = "#8a1c2b"
ICONS = [("icons/admin-192.png", "192x192", "any"), ("icons/admin-512.png", "512x512", "any"),
         ("icons/admin-maskable-512.png", "512x512", "maskable")]
# What the service worker keeps for when the network is down: the offline page and what it
# needs to look right. Never admin HTML or data.
OFFLINE_ASSETS = ("css/shop.css", "css/admin.css", "icons/admin-192.png")


@bp.get("/manifest.webmanifest")
def manifest():
    shop_name = get_settings().name
    body = {
        "id": "/admin/", "name": _("%(shop)s · Admin", shop=shop_name),
        "short_name": _("Orders"), "start_url": url_for("admin.dashboard"),
        "scope": "/admin/", "display": "standalone", "orientation": "portrait",
        "theme_color": THEME, "background_color": "#fffaf3",
        "description": _("Take the shop's orders, with an alert for every new one."),
        "icons": [{"src": url_for("static", filename=src), "sizes": sizes, "type": "image/png",
                   "purpose": purpose} for src, sizes, purpose in ICONS],
    }
    response = Response(json.dumps(body, ensure_ascii=False),
                        mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker():
    """static/js/admin-sw.js with the offline page's own URLs first: a changed stylesheet
    changes the script, so browsers install the new worker and its fresh copy."""
    urls = [url_for("alerts.offline")] + [url_for("static", filename=f) for f in OFFLINE_ASSETS]
    version = "-".join(u.rsplit("=", 1)[-1][:8] for u in urls[1:])
    script = (Path(current_app.static_folder) / "js" / "admin-sw.js").read_text()
    head = f"var OFFLINE_URLS = {json.dumps(urls)};\nvar CACHE = 'admin-offline-{version}';\n"
    response = Response(head + script, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/admin/"
    return response


@bp.get("/offline")
def offline():
    return render_template("alerts/offline.html")


def _form(settings) -> AlertSettingsForm:
    return AlertSettingsForm(formdata=None, obj=settings)


def _page(form, status=200):
    return render_template(
        "alerts/settings.html", form=form, devices=alerts_service.devices_of(g.admin.id),
        vapid_key=current_app.config.get("VAPID_PUBLIC_KEY") or "",
        phones=get_settings().owner_phone_list), status


@bp.get("/alerts")
def edit_alerts():
    return _page(_form(get_settings()))


@bp.post("/alerts")
def update_alerts():
    form = AlertSettingsForm()
    if not form.validate():
        return _page(form, 422)
    try:
        alerts_service.update_alert_settings(
            reminder_minutes=form.alert_reminder_minutes.data,
            call_minutes=form.alert_call_minutes.data, language=form.alert_language.data,
            at_night=form.alert_at_night.data, auto_accept=form.auto_accept.data,
            auto_accept_from=form.auto_accept_from.data,
            auto_accept_until=form.auto_accept_until.data)
    except DomainError as error:
        target = getattr(form, error.field or "", None)
        if target is None:
            raise
        target.errors = [error.message]
        return _page(form, 422)
    flash(_("Alert settings saved."), "success")
    return redirect(url_for("alerts.edit_alerts"), 303)


@bp.post("/alerts/devices")
def add_device():
    """"Alert this device": the browser's push subscription (JSON from admin-alerts.js)."""
    data = request.get_json(silent=True) or {}
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    try:
        device = alerts_service.subscribe(
            g.admin.id, str(data.get("endpoint") or ""), str(keys.get("p256dh") or ""),
            str(keys.get("auth") or ""), request.headers.get("User-Agent", ""))
    except DomainError as error:
        return jsonify(ok=False, message=error.message), 422
    return jsonify(ok=True, id=device.id, label=device.label), 201


@bp.post("/alerts/devices/<id:device_id>/stop")
def stop_device(device_id: int):
    alerts_service.stop_alerts(g.admin.id, device_id)
    flash(_("Alerts stopped on that device."), "success")
    return redirect(url_for("alerts.edit_alerts"), 303)


@bp.post("/alerts/orders/<id:order_id>/accept")
def accept_from_push(order_id: int):
    """The push's Accept button (the service worker posts the push's token)."""
    data = request.get_json(silent=True) or {}
    try:
        order = alerts_service.accept_from_push(order_id, str(data.get("token") or ""), g.admin)
    except DomainError as error:
        return jsonify(ok=False, message=error.message), error.status_code
    return jsonify(ok=True, message=_("Order #%(n)s accepted.", n=order.number))
