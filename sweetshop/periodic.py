"""The periodic sweeper (Procfile `clock`): recovers work whose RQ job was lost.

Run `flask --app wsgi periodic` (loops) or `flask --app wsgi periodic --once`. Each task is
idempotent and reads its state from PostgreSQL, so running two by mistake is harmless.
"""
from __future__ import annotations

import logging
import time

from flask import current_app

log = logging.getLogger(__name__)


def tasks():
    """(name, function) pairs; later features add their sweeps here."""
    from .services import (
        alerts,
        backups,
        cod_risk,
        notifications,
        order_lookup,
        otp,
        payments,
        reminders,
    )

    # Expired codes first, so the sweep does not re-enqueue a code that is past its use.
    return [("expired_codes", notifications.expire_secrets),
            ("alert_steps", alerts.tick),
            ("notifications", notifications.sweep), ("lookup_codes", otp.prune),
            ("lookup_sessions", order_lookup.prune_lookup_sessions),
            *payments.payment_tasks(),
            ("day_reminders", reminders.queue_day_reminders),
            ("unconfirmed_cod_orders", cod_risk.cancel_unconfirmed),
            ("nightly_backup", backups.nightly_backup)]  # only with BACKUP_AT set


def run_once() -> dict[str, int]:
    from .extensions import db

    results = {}
    for name, fn in tasks():
        try:
            results[name] = fn()
        except Exception:  # one failing task must not stop the others
            log.exception("Periodic task %s failed", name)
            db.session.rollback()
            results[name] = -1
    # A failed backup is its own alert (sweetshop_backup_last_success...), not a silent sweeper.
    if all(value != -1 for name, value in results.items() if name != "nightly_backup"):
        from .metrics import record_sweeper_success
        record_sweeper_success()  # /metrics: the sweeper's last successful run
    return results


def run_forever() -> None:  # pragma: no cover - a loop around run_once
    interval = current_app.config["PERIODIC_INTERVAL"]
    log.info("Periodic sweeper every %s s", interval)
    while True:
        results = run_once()
        if any(results.values()):
            log.info("Periodic: %s", results)
        time.sleep(interval)
