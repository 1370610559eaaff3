"""The shop's health in words, for the owner's dashboard: the same figures /metrics gives
the person who runs the server (sweetshop/metrics.py), said as sentences.

`describe_health()` reads them once (three small queries, one Redis round trip) and
never raises: a source that cannot be read becomes a sentence too.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ..i18n import gettext as _
from ..i18n import ngettext

log = logging.getLogger(__name__)

# The thresholds of docs/alerts.yml, so the owner hears what the alerts say.
MESSAGES_STUCK_SECONDS = 10 * 60
SWEEPER_SILENT_SECONDS = 5 * 60
WEBHOOKS_STUCK_SECONDS = 10 * 60


@dataclass(frozen=True)
class HealthLine:
    ok: bool
    text: str


def _minutes(seconds: float) -> int:
    return max(1, int(seconds // 60))


def describe_health(now: float | None = None) -> list[HealthLine]:
    from ..metrics import queue_state, shop_state

    now = time.time() if now is None else now
    lines: list[HealthLine] = []
    try:
        state = shop_state()
    except Exception as exc:
        log.warning("Shop health: database not readable (%s)", exc.__class__.__name__)
        from ..database import discard_session
        from ..extensions import db
        discard_session(db.session)
        return [HealthLine(False, _("The order book could not be read just now."))]

    waiting, oldest = state["outbox"]["message"]
    if not waiting:
        lines.append(HealthLine(True, _("Messages are going out.")))
    elif oldest >= MESSAGES_STUCK_SECONDS:
        lines.append(HealthLine(False, ngettext(
            "%(num)s message has been waiting %(minutes)s minutes.",
            "%(num)s messages have been waiting %(minutes)s minutes.",
            waiting, minutes=_minutes(oldest))))
    else:
        lines.append(HealthLine(True, ngettext(
            "Messages are going out (%(num)s on its way).",
            "Messages are going out (%(num)s on their way).", waiting)))

    events, events_oldest = state["webhooks"]
    if events and events_oldest >= WEBHOOKS_STUCK_SECONDS:
        lines.append(HealthLine(False, ngettext(
            "%(num)s payment update from Razorpay has been waiting %(minutes)s minutes.",
            "%(num)s payment updates from Razorpay have been waiting %(minutes)s minutes.",
            events, minutes=_minutes(events_oldest))))
    else:
        lines.append(HealthLine(True, _("Payment updates from Razorpay are being recorded.")))

    refunds, refunds_oldest = state["outbox"]["refund"]
    if refunds and refunds_oldest >= MESSAGES_STUCK_SECONDS:
        lines.append(HealthLine(False, ngettext(
            "%(num)s refund has not reached Razorpay for %(minutes)s minutes.",
            "%(num)s refunds have not reached Razorpay for %(minutes)s minutes.",
            refunds, minutes=_minutes(refunds_oldest))))

    try:
        queues = queue_state()
    except Exception as exc:
        log.warning("Shop health: Redis not readable (%s)", exc.__class__.__name__)
        lines.append(HealthLine(False, _("The background helper's queue cannot be reached; "
                                         "messages wait until it is back.")))
        return lines
    last = queues["sweeper_last_success"]
    if last is None or now - last >= SWEEPER_SILENT_SECONDS:
        lines.append(HealthLine(False, _(
            "The background helper has not checked in for a while: late messages and "
            "unpaid orders are not being looked after.") if last is None else ngettext(
            "The background helper last checked in %(num)s minute ago.",
            "The background helper last checked in %(num)s minutes ago.",
            _minutes(now - last))))
    else:
        lines.append(HealthLine(True, _("The background helper is checking in.")))
    failed = sum(failures for _waiting, failures in queues["queues"].values())
    if failed:
        lines.append(HealthLine(False, ngettext(
            "%(num)s background job failed; the person who runs the server can see why.",
            "%(num)s background jobs failed; the person who runs the server can see why.",
            failed)))
    return lines
