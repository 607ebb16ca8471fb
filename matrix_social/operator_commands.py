"""Operator commands on a configured service (safe while the service runs):

  matrix-social reindex [-c config.yaml]             rebuild the index from the rooms
  matrix-social quarantine list [-c config.yaml]     events that could not be indexed
  matrix-social quarantine retry [EVENT] [-c ...]    apply them again (all, or one)
  matrix-social connections export|import --user @alice [--file F] [-c ...]
                                                     her social-connections.json
  matrix-social moderation list [--status open|resolved] | show ID | resolve ID
                           | takedown EVENT | suspend USER | unsuspend USER
                           [--reason WHY] [--by WHO] [-c ...]
                                                     the moderation queue and its actions,
                                                     each logged with who and why (USER of
                                                     this server or of any other)
  matrix-social moderation suspensions [-c ...]      everybody suspended, by whom and why
  matrix-social moderation policies [-c ...]         the policy lists followed, their rule
                                                     counts, and whom of the index they bar

They listen on an ephemeral loopback port, so they never take the service's port.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from .bridge import SocialBridge
from .matrix.reindex import Reindexer
from .services import Services


def _run(argv: list[str], action: Callable[[Services], Awaitable[int]],
         homeserver: bool) -> None:
    bridge = SocialBridge(argv)
    bridge.preinit()
    bridge.prepare()

    async def run() -> int:
        await bridge.start_db()
        if homeserver:
            await bridge.az.start("127.0.0.1", 0)
        try:
            return await action(bridge.services)
        finally:
            if homeserver:
                await bridge.az.stop()
            await bridge.stop_db()

    sys.exit(bridge.loop.run_until_complete(run()))


async def _reindex(services: Services) -> int:
    progress = await Reindexer(services.az.intent, services.db, services.ids, services.owners,
                               services.ingest, services.settings.bridge.feed_alias_prefix
                               ).run()
    for room_id, why in progress.skipped.items():
        print(f"skipped {room_id}: {why}", file=sys.stderr)
    return 0


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


async def _list(services: Services) -> int:
    rows = await services.quarantine.list()
    for row in rows:
        kept = (f"truncated copy of {row['event_size']} bytes, sha256 {row['event_sha256']}"
                if row["truncated"] else "kept whole")
        print(f"{row['event_id']}\t{row['type']}\t{row['sender']}\t{row['room_id']}\t"
              f"first {_when(row['first_seen'])}\tattempts {row['attempts']}\t{kept}\t"
              f"{row['error']}")
    print(f"{len(rows)} quarantined event(s)", file=sys.stderr)
    return 0


def _retry(event_id: str | None) -> Callable[[Services], Awaitable[int]]:
    async def retry(services: Services) -> int:
        targets = [event_id] if event_id else [
            row["event_id"] for row in await services.quarantine.list()]
        still = 0
        for target in targets:
            try:
                indexed = await services.quarantine.retry(target, services.ingest.apply)
            except LookupError as e:
                print(str(e), file=sys.stderr)
                return 2
            still += not indexed
            print(f"{target}: {'indexed' if indexed else 'still quarantined'}")
        return 1 if still else 0

    return retry


def reindex_main(argv: list[str]) -> None:
    _run(argv, _reindex, homeserver=True)


def quarantine_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="matrix-social quarantine")
    parser.add_argument("action", choices=("list", "retry"))
    parser.add_argument("event_id", nargs="?")
    args, rest = parser.parse_known_args(argv)
    if args.action == "list":
        _run(rest, _list, homeserver=False)
    else:
        _run(rest, _retry(args.event_id), homeserver=False)


# --- connections export / import ---------------------------------------------------------------

def _connections(action: str, user: str, path: str) -> Callable[[Services], Awaitable[int]]:
    async def run(services: Services) -> int:
        from .external.connections_file import export_connections, import_connections

        if services.ids.local_localpart(user) is None:
            print(f"{user} is not a user of this server", file=sys.stderr)
            return 2
        try:
            if action == "export":
                count = await export_connections(services.db, services.token_cipher, user, path)
                print(f"{count} connection(s) of {user} written to {path}")
            else:
                count = await import_connections(services.db, services.token_cipher, user, path)
                print(f"{count} connection(s) of {user} imported from {path}")
        except (OSError, ValueError) as e:
            print(f"connections {action}: {e}", file=sys.stderr)
            return 1
        return 0

    return run


def connections_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="matrix-social connections",
        description="Read or write a user's social-connections.json (docs/connections-file.md). "
                    "The file holds her tokens in the clear: it is written readable by its "
                    "owner only, and nothing of it is logged.")
    parser.add_argument("action", choices=("export", "import"))
    parser.add_argument("--user", required=True, help="the Matrix user, e.g. @alice:example.org")
    parser.add_argument("--file", default="social-connections.json")
    args, rest = parser.parse_known_args(argv)
    _run(rest, _connections(args.action, args.user, args.file), homeserver=False)


# --- moderation ---------------------------------------------------------------------------------

def _moderation(args: argparse.Namespace) -> Callable[[Services], Awaitable[int]]:
    async def run(services: Services) -> int:
        import json

        from .errors import SocialError

        moderation = services.moderation
        try:
            if args.action == "policies":
                return _print_policies(await moderation.policies())
            if args.action == "suspensions":
                found = await moderation.suspensions()
                for row in found:
                    where = "this server" if row["local"] else "another server"
                    print(f"{row['user']['user_id']}\t{where}\t{_when(row['since'])}\t"
                          f"{row['actor']}\t{row['reason']}")
                print(f"{len(found)} suspended user(s)", file=sys.stderr)
                return 0
            if args.action == "list":
                page = await moderation.reports(args.status, None, 1000)
                for r in page["items"]:
                    target = r["event_id"] or r["user_id"]
                    print(f"{r['id']}\t{r['status']}\t{_when(r['created_at'])}\t"
                          f"{r['category']}\t{r['reporter']}\t{target}\t{r['reason']}")
                print(f"{len(page['items'])} report(s)", file=sys.stderr)
                return 0
            if args.action == "show":
                answer = await moderation.report(args.target)
            elif args.action == "resolve":
                answer = await moderation.resolve(args.target, args.by, args.reason)
            elif args.action == "takedown":
                answer = await moderation.takedown(args.target, args.by, args.reason)
            elif args.action == "suspend":
                answer = await moderation.suspend(args.target, args.by, args.reason)
                await moderation.swept()  # what another process indexed meanwhile, too
            else:
                answer = await moderation.unsuspend(args.target, args.by, args.reason)
        except SocialError as e:
            print(f"moderation {args.action}: {e}", file=sys.stderr)
            return 2
        print(json.dumps(answer, indent=2))
        return 0

    return run


def _print_policies(found: dict) -> int:
    for room in found["rooms"]:
        print(f"room\t{room['configured_as']}\t{room['room_id']}\t"
              f"{room['rules']['user']} user rule(s)\t{room['rules']['server']} server rule(s)"
              f"\tread {_when(room['synced_at'])}")
    subscribed = {room["configured_as"] for room in found["rooms"]}
    for configured in found["configured"]:
        if configured not in subscribed:
            print(f"room\t{configured}\tnot joined yet (see the service's log)")
    for user in found["matched_users"]:
        why = f"\t{user['reason']}" if user["reason"] else ""
        print(f"barred\t{user['user_id']}\t{user['kind']} rule {user['entity']}\t"
              f"{user['room_id']}{why}")
    print(f"{len(found['rooms'])} policy room(s), {len(found['rules'])} rule(s), "
          f"{len(found['matched_users'])} barred user(s) in the index", file=sys.stderr)
    return 0


def moderation_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="matrix-social moderation")
    parser.add_argument("action", choices=("list", "show", "resolve", "takedown", "suspend",
                                           "unsuspend", "suspensions", "policies"))
    parser.add_argument("target", nargs="?", help="a report id, an event id or a user id")
    parser.add_argument("--status", choices=("open", "resolved"))
    parser.add_argument("--reason", default="", help="why (kept in the moderation log)")
    parser.add_argument("--by", default="operator", help="who acts (kept in the log)")
    args, rest = parser.parse_known_args(argv)
    if args.action not in ("list", "policies", "suspensions") and not args.target:
        parser.error(f"{args.action} needs a target")
    if args.action in ("resolve", "takedown", "suspend", "unsuspend") and not args.reason:
        parser.error(f"{args.action} needs --reason: every action is logged with why")
    _run(rest, _moderation(args), homeserver=args.action in ("takedown", "suspend",
                                                            "unsuspend"))
