"""The benchmark harness at tiny sizes, so it cannot rot: every figure row gets written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHAPES = ("active", "quiet", "wide", "popular")
# Written out here, not taken from the harness, so a row the harness stops producing fails.
PER_BACKEND = (
    [f"feed-{s}" for s in SHAPES] + [f"feed-deep-{s}" for s in SHAPES]
    + [f"feed-overhead-{s}" for s in SHAPES] + [f"feed-overhead-deep-{s}" for s in SHAPES]
    + ["trending-posts", "ingest", "ingest-vs-bare", "rss", "api-posts", "conversations",
       "search", "native", "e2e-feed", "e2e-sync"]
)


def test_bench_smoke_writes_every_figure(tmp_path):
    """On PostgreSQL, the production database (each run starts a homeserver for its
    end-to-end rows); the SQLite run is the long variant."""
    _smoke_writes_every_figure(tmp_path, "postgres")


@pytest.mark.slow
def test_bench_smoke_writes_every_figure_on_sqlite(tmp_path):
    _smoke_writes_every_figure(tmp_path, "sqlite")


def _smoke_writes_every_figure(tmp_path, backend: str) -> None:
    out = tmp_path / "BENCHMARKS.md"
    run = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out),
                          "--backends", backend],
                         cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = out.read_text()
    rows = [line.split(" | ")[0].removeprefix("| ") for line in report.splitlines()
            if line.startswith("| ") and not line.startswith(("| key", "| ---"))]
    expected = [f"{key}-{backend}" for key in PER_BACKEND]
    assert sorted(rows) == sorted(expected)
    for key in expected:
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


def test_bench_safety_views_smoke_writes_its_rows(tmp_path):
    """bench.safety_views (issue 24: feed and trending with blocks and muted words) at tiny
    sizes; each of the twin's pages is checked against the plain one (what is hidden, her
    counts from scratch) on both databases, or the run fails."""
    out = tmp_path / "BENCHMARKS.md"
    run = subprocess.run([sys.executable, "-m", "bench.safety_views", "--smoke", "--runs", "3",
                          "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = out.read_text()
    for database in ("PostgreSQL", "SQLite"):
        for figure in ("feed first page, active", "feed first page, popular",
                       "trending posts, first page"):
            assert f"| {database} | {figure} |" in report, (database, figure)
