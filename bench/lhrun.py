"""Lighthouse (pinned in bench/package.json) with the system Chromium, default mobile profile
(Moto G Power, simulated slow 4G, 4x CPU slowdown), median of the runs per page."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLI = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
                "--disable-background-networking --disable-component-update")
CATEGORIES = ("performance", "accessibility", "best-practices")


def version() -> str:
    return json.loads((CLI.parent.parent / "package.json").read_text())["version"]


def run_once(url: str, out_path: Path, extra_headers: dict[str, str] | None = None) -> dict:
    if not CLI.exists():
        raise SystemExit("Lighthouse is missing: run `make bench-tools` (npm ci in bench/)")
    argv = ["node", str(CLI), url, "--output=json", f"--output-path={out_path}", "--quiet",
            f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"]
    if extra_headers:
        argv.append(f"--extra-headers={json.dumps(extra_headers)}")
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, CHROME_PATH=CHROME))
    if result.returncode != 0 or not out_path.exists():
        raise SystemExit(f"lighthouse failed on {url}:\n{result.stderr[-3000:]}")
    report = json.loads(out_path.read_text())
    if report.get("runtimeError"):
        raise SystemExit(f"lighthouse on {url}: {report['runtimeError']}")
    audits = report["audits"]
    failing = {}
    for cat in ("accessibility", "best-practices", "performance"):
        for ref in report["categories"][cat]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                failing[ref["id"]] = {"category": cat, "score": audit["score"],
                                      "title": audit.get("title"),
                                      "displayValue": audit.get("displayValue")}
    return {
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "best_practices": round(report["categories"]["best-practices"]["score"] * 100),
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "speed_index_ms": audits["speed-index"]["numericValue"],
        "total_byte_weight": audits["total-byte-weight"]["numericValue"],
        "failing_audits": failing,
    }


def measure(base_url: str, pages: dict[str, tuple[str, dict | None]], out_dir: Path, *,
            runs: int = 3, log=print) -> dict:
    """pages: name -> (path, extra headers or None)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, (path, headers) in pages.items():
        reports = []
        for i in range(1, runs + 1):
            r = run_once(base_url + path, out_dir / f"{name}-{i}.json", headers)
            reports.append(r)
            log(f"    {name:<9} run {i}/{runs}: performance {r['performance']}  "
                f"accessibility {r['accessibility']}  best practices {r['best_practices']}  "
                f"LCP {r['lcp_ms']:.0f} ms  TBT {r['tbt_ms']:.0f} ms  CLS {r['cls']:.3f}")
        # the median run by performance gives the metrics; the other scores are medians too
        by_perf = sorted(reports, key=lambda r: r["performance"])
        median_run = by_perf[len(by_perf) // 2]
        failing = {}
        for r in reports:
            failing.update(r["failing_audits"])
        results[name] = {
            "path": path,
            "performance": statistics.median(r["performance"] for r in reports),
            "accessibility": statistics.median(r["accessibility"] for r in reports),
            "best_practices": statistics.median(r["best_practices"] for r in reports),
            "lcp_ms": median_run["lcp_ms"],
            "tbt_ms": median_run["tbt_ms"],
            "cls": median_run["cls"],
            "fcp_ms": median_run["fcp_ms"],
            "speed_index_ms": median_run["speed_index_ms"],
            "total_byte_weight": median_run["total_byte_weight"],
            "runs": [{k: r[k] for k in ("performance", "accessibility", "best_practices",
                                        "lcp_ms", "tbt_ms", "cls")} for r in reports],
            "failing_audits": failing,
        }
    return {"lighthouse": version(), "profile": "default mobile (simulated slow 4G, 4x CPU)",
            "runs": runs, "pages": results}
