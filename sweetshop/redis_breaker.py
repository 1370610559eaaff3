"""A circuit breaker for the Redis clients used while serving requests.

When Redis is paused or unreachable, every command would otherwise wait out its own
timeout (rate limits, then the enqueue after commit): seconds per request. Instead, the
first failure opens the breaker for a few seconds, and while it is open every command
on these clients fails at once with `RedisSkipped` (a redis ConnectionError, so callers'
existing handling applies: rate limits fail open or closed, enqueueing leaves the intent
for the sweeper). After the pause the next command tries Redis again; one more failure
opens it again. So an outage costs one request at most one socket timeout (~0.5 s) per
pause, and the others nothing.

The breaker sits in the connection class, under every command and pipeline, and is
shared by everything in this process that uses the same Redis URL (Flask-Limiter's
storage and the queue use one connection pool). RQ workers use their own clients
without it: they wait for Redis instead (sweetshop/worker.py).
"""
from __future__ import annotations

import logging
import threading
import time

from redis.backoff import NoBackoff
from redis.connection import (
    Connection,
    ConnectionPool,
    SSLConnection,
    UnixDomainSocketConnection,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

log = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


class RedisSkipped(RedisConnectionError):
    """Raised without touching Redis while the breaker is open."""


class Breaker:
    def __init__(self, name: str, open_seconds: float):
        self.name = name
        self.open_seconds = open_seconds
        self._open_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def seconds_left(self) -> float:
        return max(0.0, self._open_until - time.monotonic())

    def check(self) -> None:
        if self.is_open():
            raise RedisSkipped(f"Redis skipped for {self.seconds_left():.1f} s after a failure")

    def trip(self, exc: Exception) -> None:
        with self._lock:
            was_open = self.is_open()
            self._open_until = time.monotonic() + self.open_seconds
        if not was_open:
            log.warning("Redis at %s failed (%s: %s); skipping it for %s s", self.name,
                        exc.__class__.__name__, exc, self.open_seconds)

    def reset(self) -> None:
        self._open_until = 0.0


def connection_class(breaker: Breaker, base: type[Connection] = Connection) -> type[Connection]:
    """A redis-py connection class (TCP, TLS or Unix socket: `base`) that consults `breaker`
    before talking to Redis and opens it when connecting, sending or reading fails
    (refused, reset, timed out)."""

    class BreakerConnection(base):
        def connect(self):
            breaker.check()
            try:
                return super().connect()
            except RedisSkipped:
                raise
            except REDIS_DOWN as exc:
                breaker.trip(exc)
                raise

        def send_packed_command(self, command, check_health=True):
            breaker.check()
            try:
                return super().send_packed_command(command, check_health)
            except RedisSkipped:
                raise
            except REDIS_DOWN as exc:
                breaker.trip(exc)
                raise

        def read_response(self, *args, **kwargs):
            try:
                return super().read_response(*args, **kwargs)
            except REDIS_DOWN as exc:
                breaker.trip(exc)
                raise

    return BreakerConnection


def guarded_pool(url: str, *, open_seconds: float, socket_timeout: float) -> ConnectionPool:
    """A connection pool for `url` behind its own breaker (`pool.breaker`): short connect and
    read timeouts, and no retries (redis-py retries 3 times with up to 10 s backoff by
    default, which is where a paused Redis cost a request 9.8 s)."""
    breaker = Breaker(url.rsplit("@", 1)[-1], open_seconds)
    scheme = url.split(":", 1)[0]
    base = {"rediss": SSLConnection, "unix": UnixDomainSocketConnection}.get(scheme, Connection)
    pool = ConnectionPool.from_url(
        url, connection_class=connection_class(breaker, base), socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout, retry=Retry(NoBackoff(), 0),
        health_check_interval=0)
    pool.breaker = breaker
    return pool
