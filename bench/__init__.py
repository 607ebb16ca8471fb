"""The benchmark harness: `python -m bench` (full) or `python -m bench --smoke` (seconds)."""
