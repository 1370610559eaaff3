#!/usr/bin/env python3
"""Run Sweetshop locally: services, migrations, demo data, web server and worker (`make run`).

1. DATABASE_URL / REDIS_URL from the environment, else embedded PostgreSQL and Redis with
   their data in instance/ (see sweetshop/devservices.py).
2. flask db upgrade; flask seed-demo; flask seed-demo-owner (the demo owner, only on a
   database with no owner yet: a password changed since is never reset).
3. gunicorn wsgi:app on 127.0.0.1:$PORT (8000), an RQ worker and the periodic sweeper,
   until Ctrl-C or SIGTERM; then they and the embedded servers this run started are
   stopped. A child that exits is started again (after 1 s, doubling to 30 s while it keeps
   failing soon after starting); the others keep serving meanwhile.

Options: --no-seed skips seed-demo and seed-demo-owner; --port overrides $PORT.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: flask, gunicorn, rq
RQ_QUEUES = ["default", "notifications"]  # the same queues as the Procfile's worker
# The demo owner's email, as sweetshop/demo.py creates it (for the line printed at start).
DEMO_OWNER_EMAIL = "owner@example.com"


def load_devservices():
    """Import sweetshop/devservices.py by path, so a half-written app package cannot break it."""
    spec = importlib.util.spec_from_file_location("sweetshop_devservices", ROOT / "sweetshop" / "devservices.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def flask(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([tool("flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, **kwargs)


def flask_commands(env: dict[str, str]) -> set[str]:
    """Names of the CLI commands the app registers (empty if the app does not load)."""
    result = flask("--help", env=env, capture_output=True, text=True)
    commands, in_section = set(), False
    for line in result.stdout.splitlines():
        if line.strip() == "Commands:":
            in_section = True
        elif in_section and line.startswith("  ") and line.strip():
            commands.add(line.split()[0])
    return commands


def seed_demo_owner(env: dict[str, str]) -> tuple[str, str] | None:
    """flask seed-demo-owner: creates the demo owner only on a database without an owner, so
    a password changed since survives restarts. Returns (email, password) to print when it
    created the account, None when an owner existed (or the command failed)."""
    say("flask seed-demo-owner")
    result = flask("seed-demo-owner", env=env, stdin=subprocess.DEVNULL,
                   capture_output=True, text=True)
    print(result.stdout, end="", flush=True)
    print(result.stderr, end="", file=sys.stderr, flush=True)
    if result.returncode != 0:
        say("seed-demo-owner failed (see above); continuing")
        return None
    if not result.stdout.startswith("Created"):
        return None
    return DEMO_OWNER_EMAIL, result.stdout.partition("password: ")[2].strip()


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the runner dies, even by SIGKILL (Linux only)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start(argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Own session: Ctrl-C reaches only this runner, which then stops the children in order
    # (a second SIGINT would turn RQ's warm shutdown into a cold one).
    return subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True, preexec_fn=_die_with_parent)


def stop(proc: subprocess.Popen, name: str, timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    say(f"stopping {name}")
    proc.send_signal(signal.SIGTERM)  # gunicorn: graceful; rq: warm shutdown (finish the job)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class Supervised:
    """A child process that is started again when it exits, with backoff while it keeps
    failing within a minute of starting (a crash loop should not spin the CPU)."""

    FIRST_DELAY, MAX_DELAY, STABLE_AFTER = 1.0, 30.0, 60.0

    def __init__(self, name: str, argv: list[str], env: dict[str, str]):
        self.name, self.argv, self.env = name, argv, env
        self.delay = self.FIRST_DELAY
        self.restarts = 0
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restart_at: float | None = None

    def start(self) -> subprocess.Popen:
        self.proc = start(self.argv, self.env)
        self.started_at = time.monotonic()
        self.restart_at = None
        return self.proc

    def check(self, now: float | None = None) -> None:
        """Called every half second: notice an exit, and start it again when it is time."""
        now = time.monotonic() if now is None else now
        if self.restart_at is not None:
            if now >= self.restart_at:
                say(f"starting {self.name} again")
                self.restarts += 1
                self.start()
            return
        if self.proc is None or self.proc.poll() is None:
            return
        if now - self.started_at >= self.STABLE_AFTER:
            self.delay = self.FIRST_DELAY  # it ran fine for a while: no backoff
        say(f"{self.name} exited with status {self.proc.returncode}; "
            f"starting it again in {self.delay:g} s")
        self.restart_at = now + self.delay
        self.delay = min(self.delay * 2, self.MAX_DELAY)


class Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
    parser.add_argument("--no-seed", action="store_true", help="skip seed-demo and seed-demo-owner")
    args = parser.parse_args()

    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    devservices = load_devservices()
    children: list[Supervised] = []
    try:
        instance_dir = ROOT / "instance"
        say("services")
        urls = devservices.ensure_all(instance_dir)
        for name, url in urls.items():
            print(f"    {name}={url}", flush=True)

        env = dict(os.environ, **urls, PYTHONUNBUFFERED="1")
        owner_login = None
        env.setdefault("SWEETSHOP_ENV", "development")
        env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{args.port}")  # links in messages

        say("flask db upgrade")
        if flask("db", "upgrade", env=env).returncode != 0:
            say("migrations failed; stopping")
            return 1

        if not args.no_seed:
            commands = flask_commands(env)
            if "seed-demo" in commands:
                say("flask seed-demo")
                if flask("seed-demo", env=env).returncode != 0:
                    say("seed-demo failed; stopping")
                    return 1
            else:
                say("no seed-demo command yet; skipping")
            if "seed-demo-owner" in commands:
                owner_login = seed_demo_owner(env)
            else:
                say("no seed-demo-owner command yet; skipping")

        say("starting gunicorn, the RQ worker and the periodic sweeper")
        web = Supervised("gunicorn", [
            # The Procfile's web process (gevent workers, settings in gunicorn.conf.py).
            tool("gunicorn"), "wsgi:app", "--config", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{args.port}",
            # No gunicorn access log: the app writes one line per request itself, with the
            # route's name instead of the path (paths carry order and cart tokens).
            "--workers", str(args.workers)], env)
        worker = Supervised("rq worker", [
            tool("rq"), "worker", "--worker-class", "sweetshop.worker.Worker",
            "--url", env["REDIS_URL"], *RQ_QUEUES], env)
        # The periodic sweeper: re-enqueues messages whose job was lost, expires unpaid orders.
        clock = Supervised("periodic sweeper", [tool("flask"), "--app", "wsgi", "periodic"], env)
        children.extend([web, worker, clock])
        for child in children:
            child.start()

        if not wait_for_port(args.port, web.proc):
            say("gunicorn did not start; stopping")
            return 1
        print(f"\nSweetshop is running at http://127.0.0.1:{args.port}  (Ctrl-C to stop)", flush=True)
        if owner_login:
            print(f"Admin: http://127.0.0.1:{args.port}/admin/  email {owner_login[0]}  "
                  f"password {owner_login[1]}", flush=True)
        elif not args.no_seed:
            print(f"Admin: http://127.0.0.1:{args.port}/admin/  (your owner account; its password "
                  "is unchanged)", flush=True)
        print(flush=True)

        while True:
            for child in children:
                child.check()
            time.sleep(0.5)
    except (Stop, KeyboardInterrupt):
        print(flush=True)
        return 0
    finally:
        # Ignore further Ctrl-C while shutting down, so cleanup is not cut short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in reversed(children):
            if child.proc is not None:
                stop(child.proc, child.name)
        if devservices._started:
            say("stopping embedded services")
        devservices.stop_all()


if __name__ == "__main__":
    sys.exit(main())
