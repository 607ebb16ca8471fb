"""Command line: `matrix-social [serve] [-c config.yaml] [-g] [--role all|ingest|api] [--port N]`
runs the service (docs/replicas.md for the roles); subcommands do the rest.

  matrix-social dev [--data DIR]        local Synapse + this service, a demo user
  matrix-social reindex [-c config]     rebuild the index from the rooms' history
  matrix-social quarantine list|retry [EVENT] [-c config]   events that could not be indexed
  matrix-social connections export|import --user @alice [--file F] [-c config]
  matrix-social moderation list|show ID|resolve ID|takedown EVENT|suspend USER|unsuspend USER
                           |suspensions|policies
                           [--reason WHY] [--by WHO] [-c config]   the moderation queue
  matrix-social send-matrix-message --to @x:y --content TEXT   (MATRIX_SOCIAL_TOKEN)
  matrix-social report-activity --kind KIND --data JSON        (MATRIX_SOCIAL_TOKEN)
  matrix-social social-config export [FILE] | import FILE      (MATRIX_SOCIAL_TOKEN)
  matrix-social example-config [--check]   write matrix_social/example-config.yaml from the
                                           table of keys (config/sections.py)
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "dev":
        try:
            from .devstack.run import main as dev_main
        except ModuleNotFoundError as e:
            if not (e.name or "").startswith(f"{__package__}.devstack"):
                raise
            sys.exit("matrix-social dev runs from a source checkout: pip install -e '.[dev]'")
        dev_main(argv[1:])
        return
    if argv and argv[0] == "reindex":
        from .operator_commands import reindex_main

        reindex_main(argv[1:])
        return
    if argv and argv[0] == "quarantine":
        from .operator_commands import quarantine_main

        quarantine_main(argv[1:])
        return
    if argv and argv[0] == "moderation":
        from .operator_commands import moderation_main

        moderation_main(argv[1:])
        return
    if argv and argv[0] == "connections":
        from .operator_commands import connections_main

        connections_main(argv[1:])
        return
    if argv and argv[0] == "send-matrix-message":
        from .ipc_cli import cli

        cli(argv[1:])
        return
    if argv and argv[0] == "report-activity":
        from .ipc_cli import report_activity_cli

        report_activity_cli(argv[1:])
        return
    if argv and argv[0] == "social-config":
        from .ipc_cli import social_config_cli

        social_config_cli(argv[1:])
        return
    if argv and argv[0] == "example-config":
        from .config.example import main as example_main
        from .config.sections import use_platform_sections
        from .external.registry import config_sections

        use_platform_sections(config_sections())
        example_main(argv[1:])
        return
    if argv and argv[0] == "serve":
        argv = argv[1:]
    from .bridge import SocialBridge

    SocialBridge(argv).run()
