"""The benchmark harness at tiny sizes, so it cannot rot: every figure row gets written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHAPES = ("active", "quiet", "wide", "popular")
# Written out here, not taken from the harness, so a row the harness stops producing fails.
PER_BACKEND = (
    [f"feed-{s}" for s in SHAPES] + [f"feed-deep-{s}" for s in SHAPES]
    + [f"feed-overhead-{s}" for s in SHAPES] + [f"feed-overhead-deep-{s}" for s in SHAPES]
    + ["trending-posts", "ingest", "ingest-vs-bare", "rss", "api-posts", "conversations",
       "search", "native", "e2e-feed", "e2e-sync"]
)
EXPECTED = [f"{key}-{backend}" for backend in ("postgres", "sqlite") for key in PER_BACKEND]


def test_bench_smoke_writes_every_figure(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    run = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = out.read_text()
    rows = [line.split(" | ")[0].removeprefix("| ") for line in report.splitlines()
            if line.startswith("| ") and not line.startswith(("| key", "| ---"))]
    assert sorted(rows) == sorted(EXPECTED)
    for key in EXPECTED:
        assert key in run.stdout, key
    assert "## Machine" in report and "## Changes made to meet the targets" in report


def test_bench_reads_smoke_writes_its_rows(tmp_path):
    """bench.reads (issue 28: trending refresh per minute of traffic, search) at tiny sizes;
    its kept ranking must equal a count from scratch on both databases."""
    out = tmp_path / "BENCHMARKS.md"
    run = subprocess.run([sys.executable, "-m", "bench.reads", "--smoke", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = out.read_text()
    for backend in ("postgres", "sqlite"):
        for key in ("trending-refresh", "search-common", "search-rare"):
            assert f"| {key}-{backend} |" in report, (key, backend)
    assert "equal to a count from scratch: yes" in report
    assert "**NO**" not in report
