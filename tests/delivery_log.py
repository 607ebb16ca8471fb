"""What went wrong between Synapse and the bridge during a run, told at its end.

A test that fails because the homeserver stopped delivering to the appservice (it marks it
down after a refused transaction and backs off for up to 8.5 minutes) fails far from the
cause. Every worker appends here what the bridge refused (the `matrix_social.txn` log) and
what Synapse logged about pushing to it, with the test that was running; the run's summary
prints it, so a CI log names the test and the error that started a stall.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

# Not MATRIX_SOCIAL_*: mautrix reads variables with that prefix as config overrides.
ENV = "SOCIAL_TESTS_DELIVERY_LOG"
_SYNAPSE_MARKS = ("push_bulk to", "Scheduling retries", "Error creating appservice transaction")


def prepare() -> None:
    """In the process that starts the run (before the workers exist)."""
    if ENV not in os.environ:
        os.environ[ENV] = tempfile.mkdtemp(prefix="matrix-social-delivery-")


def _path() -> Path | None:
    directory = os.environ.get(ENV)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return Path(directory) / f"{worker}.log" if directory else None


def _current_test() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "(between tests)").rsplit(" ", 1)[0]


def append(source: str, message: str, during_test: bool = True) -> None:
    path = _path()
    if path is None:
        return
    when = f"{time.strftime('%H:%M:%S')} {_current_test()}: " if during_test else ""
    with open(path, "a") as log:
        log.write(f"[{source}] {when}{message.splitlines()[0][:300]}\n")


class RefusedTransactions(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        append("bridge", record.getMessage())


_handler = RefusedTransactions()


def watch_bridge() -> None:
    """Refused and slow transactions, and listeners slow on one event."""
    for name in ("matrix_social.txn", "matrix_social.dispatch"):
        logger = logging.getLogger(name)
        if _handler not in logger.handlers:
            logger.addHandler(_handler)


def collect_synapse(log_path: Path, name: str) -> None:
    """Synapse's lines about pushing to the appservice (read when its stack stops)."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return
    marked = [line for line in lines if any(mark in line for mark in _SYNAPSE_MARKS)]
    for line in marked[:20]:
        append(f"synapse {name}", line, during_test=False)
    if len(marked) > 20:
        append(f"synapse {name}", f"... and {len(marked) - 20} more such lines", False)


def summary() -> list[str]:
    directory = os.environ.get(ENV)
    if not directory or not Path(directory).is_dir():
        return []
    lines: list[str] = []
    for path in sorted(Path(directory).glob("*.log")):
        lines += [f"{path.stem} {line}" for line in path.read_text().splitlines()]
    return lines


def recent(count: int = 5) -> str:
    """This worker's last lines (for a failure message)."""
    path = _path()
    if path is None or not path.exists():
        return "no failed delivery logged"
    return " | ".join(path.read_text().splitlines()[-count:])
