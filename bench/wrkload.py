"""HTTP load with wrk on loopback: warm up, then rounds of every endpoint in turn (so a noisy
moment hits them all alike), median of the rounds, and each one's ratio to /ping."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "wrk" / "report.lua"


@dataclass
class Endpoint:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    posts: list[tuple[str, str]] | None = None  # (cookie, form body) per simulated shopper
    fragment: bool = False                      # an htmx fragment: p99 budget applies


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing: run `make bench-tools` (apt-get install wrk)")
    return found


def wrk_version() -> str:
    out = subprocess.run([wrk_binary(), "--version"], capture_output=True, text=True)
    return (out.stdout + out.stderr).split("Copyright")[0].strip()


def run_wrk(base_url: str, endpoint: Endpoint, *, threads: int, connections: int,
            duration: str) -> dict:
    env = dict(os.environ)
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as posts_file:
        if endpoint.posts:
            for cookie, body in endpoint.posts:
                posts_file.write(f"{cookie}\t{body}\n")
            env["BENCH_REQUESTS"] = posts_file.name
    argv = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency",
            "--timeout", "10s", "-s", str(SCRIPT), "-H", "Accept-Encoding: br, gzip"]
    for name, value in endpoint.headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(base_url + endpoint.path)
    try:
        out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    finally:
        os.unlink(posts_file.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed for {endpoint.name}:\n{out.stdout}\n{out.stderr}")
    data = json.loads(line[len("BENCH_JSON "):])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    # wrk's own line, kept so a reader can check the figures against it
    data["non_2xx_3xx_line"] = next((ln.strip() for ln in out.stdout.splitlines()
                                     if "Non-2xx or 3xx" in ln), "")
    return data


def _cpu_delta(probe, before: dict[str, dict[int, float]]) -> dict[str, float]:
    after = probe()
    return {group: sum(t - before[group].get(pid, 0.0) for pid, t in pids.items())
            for group, pids in after.items()}


def measure(base_url: str, endpoints: list[Endpoint], *, rounds: int = 3, threads: int = 2,
            connections: int = 16, duration: str = "10s", warmup: str = "3s",
            cpu_probe=None, log=print) -> dict:
    """cpu_probe: () -> {group: {pid: cpu seconds}} for the server's processes (gunicorn
    workers, PostgreSQL backends): CPU per request is much steadier than requests/s on a
    shared machine, and says where the time goes."""
    for endpoint in endpoints:
        log(f"    warm-up {endpoint.name} ({warmup})")
        run_wrk(base_url, endpoint, threads=threads, connections=connections, duration=warmup)
    runs: dict[str, list[dict]] = {e.name: [] for e in endpoints}
    for r in range(1, rounds + 1):
        for endpoint in endpoints:
            before = cpu_probe() if cpu_probe else None
            load_before = os.getloadavg()[0]
            data = run_wrk(base_url, endpoint, threads=threads, connections=connections,
                           duration=duration)
            if cpu_probe:
                data["cpu_ms_per_request"] = {
                    group: seconds * 1000 / max(data["requests"], 1)
                    for group, seconds in _cpu_delta(cpu_probe, before).items()}
            data["loadavg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            runs[endpoint.name].append(data)
            log(f"    round {r}/{rounds} {endpoint.name:<14} {data['rps']:8.0f} req/s  "
                f"p50 {data['latency_us']['p50'] / 1000:6.1f} ms  "
                f"p99 {data['latency_us']['p99'] / 1000:6.1f} ms  "
                f"non-2xx/3xx {data['errors']['status']}  5xx {data['status']['5xx']}"
                + "".join(f"  {g} CPU {ms:.2f} ms/req"
                          for g, ms in (data.get("cpu_ms_per_request") or {}).items()))
    results = {}
    for endpoint in endpoints:
        rs = runs[endpoint.name]
        results[endpoint.name] = {
            "path": endpoint.path,
            "method": "POST" if endpoint.posts else "GET",
            "fragment": endpoint.fragment,
            "rps": statistics.median(x["rps"] for x in rs),
            "p50_ms": statistics.median(x["latency_us"]["p50"] for x in rs) / 1000,
            "p99_ms": statistics.median(x["latency_us"]["p99"] for x in rs) / 1000,
            "requests": sum(x["requests"] for x in rs),
            "non_2xx_3xx": sum(x["errors"]["status"] for x in rs),
            "status_5xx": sum(x["status"]["5xx"] for x in rs),
            "socket_errors": sum(x["errors"][k] for x in rs
                                 for k in ("connect", "read", "write", "timeout")),
            "cpu_ms_per_request": {
                group: statistics.median(x["cpu_ms_per_request"][group] for x in rs)
                for group in (rs[0].get("cpu_ms_per_request") or {})},
            "runs": [{"rps": round(x["rps"], 1), "p50_ms": x["latency_us"]["p50"] / 1000,
                      "p99_ms": x["latency_us"]["p99"] / 1000, "status": x["status"],
                      "non_2xx_3xx": x["errors"]["status"], "loadavg_1m": x["loadavg_1m"],
                      "cpu_ms_per_request": x.get("cpu_ms_per_request")} for x in rs],
        }
    # Ratios are taken round by round (the endpoint against /ping measured minutes apart at
    # most), then the median: a noisy minute moves both sides of a ratio alike.
    ping_runs = runs.get("ping")
    for name, r in results.items():
        if not ping_runs:
            r["ratio_to_ping"] = None
            continue
        r["ratio_to_ping"] = statistics.median(
            x["rps"] / p["rps"] for x, p in zip(runs[name], ping_runs, strict=False))
        r["best_p99_ms"] = min(x["latency_us"]["p99"] for x in runs[name]) / 1000
        cpu, ping_cpu = r.get("cpu_ms_per_request"), results["ping"].get("cpu_ms_per_request")
        if cpu and ping_cpu and sum(cpu.values()):
            # what the throughput ratio would be if server CPU were the only limit
            r["cpu_cost_ratio_to_ping"] = sum(ping_cpu.values()) / sum(cpu.values())
    return {"tool": wrk_version(), "threads": threads, "connections": connections,
            "duration": duration, "warmup": warmup, "rounds": rounds, "endpoints": results}
