"""Command line: `matrix-social [-c config.yaml] [-g]` runs the service; subcommands do the rest."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "dev":
        from .devstack.run import main as dev_main

        dev_main(argv[1:])
        return
    from .bridge import SocialBridge

    SocialBridge(argv).run()
