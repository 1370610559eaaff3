#!/usr/bin/env python3
"""Make the test PostgreSQL and Redis answer before `make test` runs pytest.

Reads TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test) and
TEST_REDIS_URL (default redis://127.0.0.1:6379/15). A local server that does not answer is
started with the Debian tools when they exist (pg_ctlcluster, redis-server), and the test
database is created if missing. Never fails: when a server cannot be had, it says so and
leaves the decision to tests/conftest.py.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from sqlalchemy.engine import make_url

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def say(message: str) -> None:
    print(f"test-services: {message}", flush=True)


def wait_until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)


def admin_conninfo(url) -> str:
    """libpq URL for the maintenance database on the same server."""
    return url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


def postgres_answers(url) -> bool:
    try:
        with psycopg.connect(admin_conninfo(url), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def start_postgres() -> None:
    if not shutil.which("pg_ctlcluster") or not Path("/etc/postgresql").is_dir():
        return
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".") if p.isdigit()])
    if not versions:
        return
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
    say(shlex.join(command))
    subprocess.run(command, check=False)


def ensure_database(url) -> None:
    with psycopg.connect(admin_conninfo(url), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone():
            say(f"creating database {url.database}")
            conn.execute(f'CREATE DATABASE "{url.database}"')


def redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(port: int) -> None:
    if not shutil.which("redis-server"):
        return
    for directory in ("/var/lib/redis", "/var/log/redis"):
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError:
            pass
    command = [
        "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", str(port),
        "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
    ]
    say(shlex.join(command))
    subprocess.run(command, check=False)


def main() -> int:
    db_url = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_DATABASE_URL))
    local_db = (db_url.host or "localhost") in LOCAL_HOSTS
    if not postgres_answers(db_url) and local_db:
        start_postgres()
        wait_until(lambda: postgres_answers(db_url), 20)
    if postgres_answers(db_url):
        ensure_database(db_url)
        say(f"PostgreSQL ok ({db_url.render_as_string(hide_password=True)})")
    else:
        say(f"PostgreSQL does not answer at {db_url.host}:{db_url.port or 5432}; the tests decide what to do")

    redis_url = urlsplit(os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL))
    host, port = redis_url.hostname or "127.0.0.1", redis_url.port or 6379
    if not redis_answers(host, port) and host in LOCAL_HOSTS:
        start_redis(port)
        wait_until(lambda: redis_answers(host, port), 10)
    if redis_answers(host, port):
        say(f"Redis ok ({host}:{port})")
    else:
        say(f"Redis does not answer at {host}:{port}; the tests decide what to do")
    return 0


if __name__ == "__main__":
    sys.exit(main())
