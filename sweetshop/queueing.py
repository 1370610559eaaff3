"""Handing work to RQ. Enqueueing never breaks the caller: if Redis is down, the intent is
already in PostgreSQL and the periodic sweeper enqueues it later."""
from __future__ import annotations

import logging

from flask import current_app

from .extensions import redis_conn

log = logging.getLogger(__name__)


def get_queue(name: str = "default"):
    from rq import Queue

    return Queue(name, connection=redis_conn.client(),
                 is_async=current_app.config.get("RQ_ASYNC", True))


def enqueue(func: str, *args, queue: str = "default", **options) -> bool:
    """Enqueue `func` (a dotted path) with args; False (logged) when Redis cannot be reached."""
    try:
        get_queue(queue).enqueue(func, *args, **options)
        return True
    except Exception as exc:  # RedisError, ConnectionError, timeouts: the sweeper retries
        log.warning("Could not enqueue %s%r (%s); the sweeper will pick it up", func, args, exc)
        return False
