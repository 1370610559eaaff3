#!/usr/bin/env python3
"""Slow clients against the Procfile's web process: does the shop still answer?

N connections trickle a request: half send one header line every INTERVAL seconds and never
finish the headers (slowloris), half send complete headers of a POST and then its body one
byte every INTERVAL seconds. Meanwhile /ping is requested on fresh connections, one after
another; every ping must be answered, p99 under 100 ms (issue 10, item 6).

    bench/slowloris.py                      its own bench stack (bench/stack.py), 50 slow
                                            connections, one line every 5 s, for 60 s
    bench/slowloris.py --url http://127.0.0.1:8000 --connections 50 --duration 30

Also a part of bench/run.py (skip it with --skip-slowloris); measure() is what both use,
and tests/test_slow_clients.py runs a short version of it.
"""
from __future__ import annotations

import argparse
import http.client
import json
import socket
import sys
import threading
import time
from urllib.parse import urlsplit

BUDGET_P99_MS = 100


class SlowClients:
    """`count` connections that trickle their requests until close()."""

    def __init__(self, host: str, port: int, count: int, interval: float):
        self.host, self.port, self.count, self.interval = host, port, count, interval
        self.sockets: list[socket.socket] = []
        self.dropped = 0  # connections the server closed (it gave up on them, or crashed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> SlowClients:
        for i in range(self.count):
            s = socket.create_connection((self.host, self.port), timeout=5)
            if i % 2 == 0:  # headers that never end
                s.sendall(f"GET / HTTP/1.1\r\nHost: {self.host}\r\n".encode())
            else:  # a body that never ends
                s.sendall(f"POST /cart/add HTTP/1.1\r\nHost: {self.host}\r\n"
                          "Content-Type: application/x-www-form-urlencoded\r\n"
                          "Content-Length: 100000\r\n\r\nq".encode())
            self.sockets.append(s)
        self._thread.start()
        return self

    def _trickle(self) -> None:
        n = 0
        while not self._stop.wait(self.interval):
            n += 1
            for i, s in enumerate(list(self.sockets)):
                try:
                    s.sendall(f"X-Slow-{n}: {n}\r\n".encode() if i % 2 == 0 else b"u")
                except OSError:
                    self.sockets.remove(s)
                    self.dropped += 1

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 1)
        for s in self.sockets:
            s.close()


def ping(host: str, port: int, timeout: float) -> tuple[int, float]:
    """(status, seconds) of GET /ping on a new connection; status 0 if it failed."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", "/ping")
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    except (OSError, http.client.HTTPException):
        return 0, time.monotonic() - started
    finally:
        connection.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def measure(base_url: str, connections: int = 50, interval: float = 5.0, duration: float = 60.0,
            ping_every: float = 0.1, ping_timeout: float = 5.0, pings: int | None = None) -> dict:
    """Hold `connections` slow clients while /ping is asked every `ping_every` s, for
    `duration` s (or `pings` times); the pings' latencies and what became of the clients."""
    parts = urlsplit(base_url)
    host, port = parts.hostname, parts.port or 80
    results: list[tuple[int, float]] = []
    with SlowClients(host, port, connections, interval) as slow:
        time.sleep(min(1.0, interval))  # let the server take them all in
        deadline = time.monotonic() + duration
        while (len(results) < pings) if pings else (time.monotonic() < deadline):
            results.append(ping(host, port, ping_timeout))
            time.sleep(ping_every)
        still_open = len(slow.sockets)
    ok = [seconds for status, seconds in results if status == 200]
    return {
        "slow_connections": connections, "interval_s": interval,
        "slow_still_open": still_open, "slow_dropped": connections - still_open,
        "pings": len(results), "answered": len(ok),
        "failed": len(results) - len(ok),
        "failures": [f"{status or 'no answer'} after {seconds:.2f} s"
                     for status, seconds in results if status != 200][:10],
        "p50_ms": round(percentile(ok, 0.5) * 1000, 1),
        "p99_ms": round(percentile(ok, 0.99) * 1000, 1),
        "max_ms": round(max(ok) * 1000, 1) if ok else None,
    }


def budget_misses(result: dict) -> list[str]:
    misses = []
    if result["failed"]:
        misses.append(f"slow clients: {result['failed']} of {result['pings']} pings unanswered (0)")
    if result["p99_ms"] > BUDGET_P99_MS:
        misses.append(f"slow clients: /ping p99 {result['p99_ms']} ms (< {BUDGET_P99_MS} ms)")
    return misses


def describe(result: dict) -> str:
    return (f"{result['slow_connections']} slow connections (a line every "
            f"{result['interval_s']:g} s, {result['slow_still_open']} still open at the end): "
            f"{result['answered']}/{result['pings']} pings answered, p50 {result['p50_ms']} ms, "
            f"p99 {result['p99_ms']} ms, max {result['max_ms']} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running shop (default: start the bench stack)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    options = {"connections": args.connections, "interval": args.interval,
               "duration": args.duration}
    if args.url:
        result = measure(args.url, **options)
    else:
        from stack import BenchStack
        with BenchStack(workers=args.workers) as stack:
            result = measure(stack.base_url, **options)
    print(describe(result))
    print(json.dumps(result))
    misses = budget_misses(result)
    for miss in misses:
        print(f"  MISSED  {miss}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
