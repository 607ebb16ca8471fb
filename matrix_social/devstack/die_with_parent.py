"""Start a child process that the kernel stops when the process that started it dies.

`matrix-social dev`, the tests and the bench start Synapse and the service as processes of
their own (new sessions, so a terminal's Ctrl-C reaches only the parent, which stops them in
order). Killed outright (SIGKILL, an out-of-memory kill, a CI timeout), the parent runs no
cleanup, and its children would live on holding ports and files. So each child is started
through this module (`python -m matrix_social.devstack.die_with_parent PARENT_PID -- CMD...`),
which asks Linux to send it SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG; kept across
exec) and then becomes CMD. Linux ties the signal to the *thread* that started the child: start
children from a thread that lives as long as the parent (the main thread). Elsewhere than Linux
it only runs CMD.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def command(argv: list[str]) -> list[str]:
    """`argv`, to be started so that it ends when this process does."""
    if not sys.platform.startswith("linux"):
        return list(argv)
    return [sys.executable, "-m", __name__, str(os.getpid()), "--", *argv]


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def main(args: list[str]) -> None:
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: python -m matrix_social.devstack.die_with_parent PARENT_PID -- CMD...")
    parent, argv = int(args[0]), args[2:]
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the signal was asked for
        sys.exit(1)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
