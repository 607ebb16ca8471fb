"""The IPC calls from the command line, through the HTTP API with the caller's access token
from MATRIX_SOCIAL_TOKEN:

  matrix-social send-matrix-message --to @x:y --content TEXT
  matrix-social report-activity --kind game_score --data '{"game": "chess", ...}'
  matrix-social social-config export [FILE] | import FILE   (~/system/social-config.json)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def _api_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", default=os.environ.get(
        "MATRIX_SOCIAL_API", "http://127.0.0.1:29340/api/social"))


def _call(api: str, method: str, path: str, body: Any = None) -> str:
    """The answer's body; exits with the API's error on failure."""
    import urllib.error
    import urllib.request

    token = os.environ.get("MATRIX_SOCIAL_TOKEN")
    if not token:
        sys.exit("matrix-social: set MATRIX_SOCIAL_TOKEN to your Matrix access token")
    request = urllib.request.Request(
        f"{api}{path}", data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError as e:
        print(e.read().decode(), file=sys.stderr)
        sys.exit(1)
    except urllib.error.URLError as e:
        sys.exit(f"matrix-social: cannot reach {api}: {e.reason}")


def cli(argv: list[str]) -> None:
    """`matrix-social send-matrix-message --to @x:y --content TEXT` through the HTTP API."""
    parser = argparse.ArgumentParser(prog="matrix-social send-matrix-message")
    parser.add_argument("--to", required=True)
    parser.add_argument("--content", required=True, help="text, or a JSON object with body")
    parser.add_argument("--as", dest="send_as", choices=("ai", "human"))
    _api_argument(parser)
    args = parser.parse_args(argv)
    try:
        content = json.loads(args.content) if args.content.lstrip().startswith("{") \
            else args.content
    except json.JSONDecodeError:
        sys.exit("matrix-social: --content looks like JSON but does not parse")
    body = {"to": args.to, "content": content}
    if args.send_as:
        body["as"] = args.send_as
    print(_call(args.api, "POST", "/ipc/send_matrix_message", body))


def report_activity_cli(argv: list[str]) -> None:
    """`matrix-social report-activity --kind KIND --data JSON`."""
    parser = argparse.ArgumentParser(prog="matrix-social report-activity")
    parser.add_argument("--kind", required=True)
    parser.add_argument("--data", required=True, help="the activity's data, a JSON object")
    _api_argument(parser)
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.data)
    except json.JSONDecodeError:
        sys.exit("matrix-social: --data is not JSON")
    print(_call(args.api, "POST", "/ipc/report_activity", {"kind": args.kind, "data": data}))


def social_config_cli(argv: list[str]) -> None:
    """`matrix-social social-config export [FILE]` / `import FILE`: your settings as the
    social-config.json file."""
    parser = argparse.ArgumentParser(prog="matrix-social social-config")
    parser.add_argument("action", choices=("export", "import"))
    parser.add_argument("file", nargs="?", help="default: stdout for export")
    _api_argument(parser)
    args = parser.parse_args(argv)
    if args.action == "export":
        text = json.dumps(json.loads(_call(args.api, "GET", "/settings/social-config")),
                          indent=2) + "\n"
        if args.file:
            with open(args.file, "w", encoding="utf-8") as out:
                out.write(text)
        else:
            print(text, end="")
        return
    if not args.file:
        sys.exit("matrix-social: social-config import needs the file to import")
    try:
        with open(args.file, encoding="utf-8") as stream:
            body = json.load(stream)
    except (OSError, ValueError) as e:
        sys.exit(f"matrix-social: cannot read {args.file}: {e}")
    print(_call(args.api, "PUT", "/settings/social-config", body))
