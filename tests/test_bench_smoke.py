"""The benchmark harness at tiny sizes, so it cannot rot: every figure row gets written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.report import figure_keys

ROOT = Path(__file__).resolve().parent.parent


def test_bench_smoke_writes_every_figure(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    run = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = out.read_text()
    for key in figure_keys(["postgres", "sqlite"]):
        assert f"| {key} |" in report, key
        assert key in run.stdout, key
    assert "## Machine" in report
