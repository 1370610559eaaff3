"""RQ job functions. Thin: each takes ids, runs one service function inside an app context.

Jobs are idempotent (they re-read state and do nothing when the work is already done), so
a job enqueued twice, or re-enqueued by the sweeper, is harmless.
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _app():
    from . import create_app

    return create_app()


def _run(fn, *args):
    from flask import has_app_context

    if has_app_context():  # an in-process worker in tests already has one
        return fn(*args)
    with _app().app_context():
        try:
            return fn(*args)
        finally:
            from .extensions import db
            db.session.remove()


def send_notification(notification_id: int) -> str:
    from .services.notifications import deliver

    return _run(deliver, notification_id)


def process_payment_event(event_row_id: int) -> str:
    from .services.payments import process_webhook_event

    return _run(process_webhook_event, event_row_id)


def send_refund(refund_id: int) -> str:
    from .services.payments import send_refund as send

    return _run(send, refund_id)


def hang_up_calls(sids: list[str]) -> None:
    from .services.alerts import hang_up_calls as hang_up

    return _run(hang_up, sids)
