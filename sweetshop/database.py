"""PostgreSQL connections that never leave a customer waiting: every wait is bounded, dead
connections are dropped at once, and an outage is told apart from a bug.

- engine_options(config): the pool (DB_POOL_SIZE, DB_MAX_OVERFLOW, DB_POOL_TIMEOUT)
  and the connection settings (connect timeout, statement and lock timeouts, TCP
  keepalives) for SQLAlchemy, from the DB_* settings in config.py.
- instrument_engine(engine, config): connections idle longer than DB_PING_AFTER_IDLE are
  pinged when taken from the pool (busy ones are not: no round trip per request); they are
  BoundedConnection, whose every wait for
  the server (query, commit, rollback, pre-ping) ends after DB_ANSWER_TIMEOUT seconds. A
  paused server (SIGSTOP, a frozen VM) cannot enforce its own statement_timeout and its
  kernel still acknowledges our packets, so only the client can bound that wait; the
  connection is then closed, SQLAlchemy sees a disconnect and empties the pool. Connects
  refused because the server is full or starting up are retried within DB_POOL_TIMEOUT.
- outage_kind(exc): "timeout", "unreachable", "busy" or "disk full" when an exception means
  the database cannot serve us right now (the web answers 503 and /health says which),
  else None.
- discard_session(session): roll back or, when the connection is dead, drop the session,
  without raising: for error handlers and request teardown.
- no_time_limits(connection): lift the limits for migrations, which may run for minutes.
"""
from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Mapping

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)


class DatabaseTimeout(psycopg.OperationalError):
    """PostgreSQL did not answer within DB_ANSWER_TIMEOUT; the connection was closed."""


class BoundedConnection(psycopg.Connection):
    """A psycopg connection whose waits for the server end after `answer_timeout` seconds.

    psycopg runs every operation as a generator that the wait function drives; while
    nothing arrives, the wait function sends it READY_NONE every 0.1 s. The wrapper checks
    the deadline then, so a server that does not answer at all is given up on in time.
    """

    answer_timeout: float | None = None  # seconds; None: wait as long as it takes

    def wait(self, gen, interval=0.1):
        if self.answer_timeout:
            gen = self._within(gen, self.answer_timeout)
        return super().wait(gen, interval)

    def _within(self, gen, limit: float):
        """`gen`, failing once the server has sent nothing for `limit` seconds (a long
        result that keeps arriving is fine: the server's statement_timeout bounds that)."""
        deadline = time.monotonic() + limit
        try:
            waiting_for = next(gen)
            while True:
                ready = yield waiting_for
                if ready:
                    deadline = time.monotonic() + limit
                elif time.monotonic() > deadline:
                    gen.close()
                    self.pgconn.finish()  # closed: SQLAlchemy treats it as a disconnect
                    raise DatabaseTimeout(f"PostgreSQL did not answer within {limit:g} s")
                waiting_for = gen.send(ready)
        except StopIteration as stop:
            return stop.value


def engine_options(config: Mapping) -> dict:
    """SQLAlchemy create_engine() options from the DB_* settings (see config.py)."""
    # How alike a word must be for search's `<%` matches (search/service.py MATCH_THRESHOLD),
    # set once per connection rather than per search; pg_trgm adopts it when it loads.
    server_settings = ["-c pg_trgm.word_similarity_threshold=0.45"]
    if config.get("DB_STATEMENT_TIMEOUT"):
        server_settings.append(f"-c statement_timeout={int(config['DB_STATEMENT_TIMEOUT'] * 1000)}")
    if config.get("DB_LOCK_TIMEOUT"):
        server_settings.append(f"-c lock_timeout={int(config['DB_LOCK_TIMEOUT'] * 1000)}")
    connect_args = {
        # psycopg enforces this itself (at least 2 s), for the TCP connect and the start-up.
        "connect_timeout": max(2, round(config.get("DB_CONNECT_TIMEOUT", 2))),
        # A server or network that vanished without a word is noticed on idle connections.
        "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 5, "keepalives_count": 3,
    }
    if config.get("DB_ANSWER_TIMEOUT"):
        # Data sent but never acknowledged (a cut network) fails the socket in the same time.
        connect_args["tcp_user_timeout"] = int(config["DB_ANSWER_TIMEOUT"] * 1000)
    if server_settings:
        connect_args["options"] = " ".join(server_settings)
    return {
        # No ping on every checkout (a round trip per request at a rush): instrument_engine
        # pings only connections idle longer than DB_PING_AFTER_IDLE, which are the ones a
        # restart or an idle timeout could have dropped unseen.
        "pool_pre_ping": False,
        "pool_size": config.get("DB_POOL_SIZE", 5),
        "max_overflow": config.get("DB_MAX_OVERFLOW", 5),
        "pool_timeout": config.get("DB_POOL_TIMEOUT", 2),
        "pool_recycle": 1800,  # and one a proxy closed while idle
        "connect_args": connect_args,
    }


def instrument_engine(engine, config: Mapping) -> None:
    """Bounded connections for a PostgreSQL engine, with connects retried while it is full."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    connection_class = type("BoundedConnection", (BoundedConnection,),
                            {"answer_timeout": config.get("DB_ANSWER_TIMEOUT") or None})
    retry_for = float(config.get("DB_POOL_TIMEOUT", 2))
    ping_after = float(config.get("DB_PING_AFTER_IDLE", 1))

    @event.listens_for(engine, "checkin")
    def idle_from(dbapi_connection, connection_record):
        connection_record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, connection_record, connection_proxy):
        """A connection busy a moment ago is alive (a dead one failed its request and was
        dropped with the pool); one that sat idle is pinged, and replaced if it is dead."""
        idle_since = connection_record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= ping_after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            log.info("A pooled connection was dead (%s); connecting afresh", _first_line(error))
            raise sa_exc.DisconnectionError() from error  # the pool replaces it and retries

    @event.listens_for(engine, "do_connect")
    def connect(dialect, connection_record, cargs, cparams):
        deadline = time.monotonic() + retry_for
        pause = 0.05
        while True:
            try:
                return connection_class.connect(*cargs, **cparams)
            except psycopg.OperationalError as error:
                # Full (max_connections) or starting up after a restart: a slot or the
                # server is likely back within moments, so wait briefly, then give up.
                if not _refused_for_now(error) or time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.5)


def _refused_for_now(error: Exception) -> bool:
    text = str(error)
    return ("too many clients" in text or "remaining connection slots" in text
            or "the database system is starting up" in text
            or "the database system is not yet accepting connections" in text
            or isinstance(error, (pg_errors.TooManyConnections, pg_errors.CannotConnectNow)))


def outage_kind(error: BaseException) -> str | None:
    """"timeout", "unreachable", "busy" or "disk full" if PostgreSQL cannot serve us just now.

    None for everything else (a bad query, a constraint violated: those are bugs).
    """
    if isinstance(error, sa_exc.TimeoutError):  # every pooled connection in use
        return "busy"
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated and not isinstance(error.orig, psycopg.Error):
            return "unreachable"
        error = error.orig
    if isinstance(error, DatabaseTimeout | pg_errors.QueryCanceled | pg_errors.ConnectionTimeout):
        return "timeout"
    if isinstance(error, pg_errors.LockNotAvailable | pg_errors.DeadlockDetected
                  | pg_errors.SerializationFailure):
        return "busy"
    if isinstance(error, psycopg.OperationalError) and _refused_for_now(error):
        return "busy"
    if isinstance(error, psycopg.InterfaceError) and "closed" in str(error):
        return "unreachable"
    if isinstance(error, pg_errors.DiskFull):  # writes fail; reads may still work
        return "disk full"
    if isinstance(error, pg_errors.AdminShutdown | pg_errors.CrashShutdown
                  | pg_errors.CannotConnectNow | pg_errors.ConnectionException):
        return "unreachable"
    if isinstance(error, psycopg.OperationalError) and error.sqlstate is None:
        # Raised by the client, not the server: connection refused, lost or closed.
        return "unreachable"
    return None


def discard_session(session) -> None:
    """End the session's transaction whatever state its connection is in; never raises.

    A rollback on a connection the server dropped fails; the session is then invalidated
    (its connections closed, not returned to the pool) and removed, so the next request
    starts with a fresh one.
    """
    try:
        session.rollback()
        return
    except Exception as error:
        log.info("Rollback failed (%s); dropping the session's connections", _first_line(error))
    try:
        session.invalidate()
    except Exception:
        log.debug("Invalidating the session failed too", exc_info=True)


def remove_session(scoped_session) -> None:
    """Request teardown: close and forget the session; a dead connection must not raise."""
    try:
        scoped_session.remove()
    except Exception as error:
        log.info("Closing the session failed (%s); dropping its connections", _first_line(error))
        try:
            scoped_session().invalidate()
        except Exception:
            log.debug("Invalidating the session failed too", exc_info=True)
        scoped_session.registry.clear()


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [error.__class__.__name__])[0]


@contextlib.contextmanager
def no_time_limits(connection) -> Iterator[None]:
    """Lift statement_timeout and the answer timeout on one SQLAlchemy connection, for
    migrations (a table rewrite may take minutes); lock_timeout stays, so a migration
    that cannot get its lock fails fast instead of queueing every request behind it."""
    dbapi_connection = connection.connection.dbapi_connection
    bounded = isinstance(dbapi_connection, BoundedConnection)
    saved = dbapi_connection.answer_timeout if bounded else None
    if bounded:
        dbapi_connection.answer_timeout = None
    connection.exec_driver_sql("SET statement_timeout = 0")
    connection.commit()  # so the migrations run in a transaction of their own
    try:
        yield
    finally:
        if bounded:
            dbapi_connection.answer_timeout = saved
        with contextlib.suppress(Exception):
            connection.exec_driver_sql("RESET statement_timeout")
            connection.commit()
