"""The bench environment: its own database and Redis db, migrated and seeded, and gunicorn
started as the Procfile's web process, on a free loopback port, in production mode (with the
rate limits raised: see wsgi_bench.py).

    with BenchStack() as stack:
        stack.base_url      http://127.0.0.1:<port>
        stack.fixture(...)  run bench/fixtures.py in the same environment

Everything this starts (gunicorn; the embedded servers if it had to start them) is stopped
on exit. DATABASE_URL / REDIS_URL from the environment are used as they are (nothing is
dropped); otherwise the embedded servers of `make run` hold a database `sweetshop_bench`
that is dropped and created anew on each run, and Redis db 3 is flushed.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: flask, gunicorn
BENCH_DB = "sweetshop_bench"
BENCH_REDIS_DB = 3


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def _load_devservices():
    """Import sweetshop/devservices.py by path, as scripts/run_dev.py does."""
    spec = importlib.util.spec_from_file_location("sweetshop_devservices",
                                                  ROOT / "sweetshop" / "devservices.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_web_command() -> str:
    """The Procfile's web line, bound to loopback instead of every interface, serving
    bench/wsgi_bench.py (the same app with its rate limits raised) instead of wsgi:app."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            command = line.split(":", 1)[1].strip()
            if "wsgi:app" not in command:
                raise SystemExit(f"the Procfile's web process no longer serves wsgi:app: {command}")
            command = command.replace("wsgi:app", "wsgi_bench:app --pythonpath bench", 1)
            return command.replace("0.0.0.0", "127.0.0.1")
    raise SystemExit("Procfile has no web process")


class BenchStack:
    def __init__(self, workers: int | None = None):
        self.workers = workers
        self.devservices = None
        self.env: dict[str, str] = {}
        self.port = 0
        self.web: subprocess.Popen | None = None
        self.notes: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> BenchStack:
        try:
            self._services()
            self._migrate_and_seed()
            self._start_web()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.web is not None and self.web.poll() is None:
            say("stopping gunicorn")
            os.killpg(self.web.pid, signal.SIGTERM)  # its own session: master and workers
            try:
                self.web.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.web.pid, signal.SIGKILL)
                self.web.wait()
        if self.devservices is not None and self.devservices._started:
            say("stopping the embedded servers this run started")
            self.devservices.stop_all()

    # --- steps -------------------------------------------------------------------------

    def _services(self) -> None:
        external_db = bool(os.environ.get("DATABASE_URL"))
        external_redis = bool(os.environ.get("REDIS_URL"))
        self.devservices = _load_devservices()
        instance_dir = ROOT / "instance"
        say("services")
        database_url = self.devservices.ensure_database_url(instance_dir, dbname=BENCH_DB)
        if not external_db:
            database_url = self._recreate_database(database_url)
        redis_url = self.devservices.ensure_redis_url(instance_dir, db=BENCH_REDIS_DB)
        if not external_redis:
            import redis
            redis.Redis.from_url(redis_url).flushdb()
        self.notes["database"] = "DATABASE_URL (as given)" if external_db else \
            f"embedded PostgreSQL, database {BENCH_DB} (created anew)"
        self.notes["redis"] = "REDIS_URL (as given)" if external_redis else \
            f"embedded Redis, db {BENCH_REDIS_DB} (flushed)"
        print(f"    database: {self.notes['database']}\n    redis:    {self.notes['redis']}",
              flush=True)
        self.env = dict(
            os.environ,
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            SWEETSHOP_ENV="production",
            SECRET_KEY=secrets.token_urlsafe(32),  # production refuses the default
            PYTHONUNBUFFERED="1",
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        if self.workers:
            self.env["WEB_CONCURRENCY"] = str(self.workers)

    def _recreate_database(self, url: str) -> str:
        """A fresh sweetshop_bench on the embedded server, so every run starts alike."""
        import psycopg

        parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        return self.devservices.ensure_database_url(ROOT / "instance", dbname=BENCH_DB)

    def _flask(self, *args: str) -> None:
        result = subprocess.run([_tool("flask"), "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"flask {' '.join(args)} failed")

    def _migrate_and_seed(self) -> None:
        say("flask db upgrade; flask seed-demo")
        self._flask("db", "upgrade")
        self._flask("seed-demo")

    def _start_web(self) -> None:
        self.port = _free_port()
        command = procfile_web_command()
        self.notes["web"] = command
        self.notes["workers"] = self.env.get("WEB_CONCURRENCY", "3")
        say(f"gunicorn as in the Procfile, PORT={self.port}: {command}")
        env = dict(self.env, PORT=str(self.port))
        self.web = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT, env=env,
                                    start_new_session=True, stdout=subprocess.DEVNULL,
                                    stderr=open(ROOT / "bench" / "results" / "gunicorn.log", "w"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise SystemExit("gunicorn exited; see bench/results/gunicorn.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start within 30 s")
        # Warm every worker (first requests pay for template compilation and connections).
        import urllib.request
        for _ in range(int(self.notes["workers"]) * 4):
            urllib.request.urlopen(f"{self.base_url}/ping", timeout=10).read()

    # --- helpers -----------------------------------------------------------------------

    def fixture(self, *args: str) -> dict:
        result = subprocess.run([sys.executable, str(ROOT / "bench" / "fixtures.py"), *args],
                                cwd=ROOT, env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"bench/fixtures.py {' '.join(args)} failed")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def cpu_times(self) -> dict[str, dict[int, float]]:
        """CPU seconds (user + system) so far of the gunicorn workers and of the PostgreSQL
        backends serving the bench database (embedded server or a local one)."""
        import psutil

        out: dict[str, dict[int, float]] = {"app": {}, "db": {}}
        try:
            workers = psutil.Process(self.web.pid).children()
        except psutil.Error:
            workers = []
        for proc in workers:
            try:
                t = proc.cpu_times()
                out["app"][proc.pid] = t.user + t.system
            except psutil.Error:
                pass
        dbname = urlsplit(self.env["DATABASE_URL"]).path.lstrip("/")
        for proc in psutil.process_iter(["name", "cmdline"]):
            try:
                cmd = " ".join(proc.info["cmdline"] or [])
                if proc.info["name"] == "postgres" and f" {dbname} " in f" {cmd} ":
                    t = proc.cpu_times()
                    out["db"][proc.pid] = t.user + t.system
            except psutil.Error:
                pass
        return out

    def gunicorn_errors(self) -> list[str]:
        """Tracebacks / worker timeouts gunicorn logged during the run."""
        log = (ROOT / "bench" / "results" / "gunicorn.log").read_text(errors="replace")
        return [line for line in log.splitlines()
                if re.search(r"Traceback|WORKER TIMEOUT|\bERROR\b", line)]
