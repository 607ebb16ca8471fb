"""`matrix-social send-matrix-message --to @x:y --content TEXT`: the IPC call through the HTTP
API, with the caller's access token from MATRIX_SOCIAL_TOKEN."""

from __future__ import annotations

import argparse
import json
import os
import sys


def cli(argv: list[str]) -> None:
    """`matrix-social send-matrix-message --to @x:y --content TEXT` through the HTTP API."""
    import urllib.error
    import urllib.request

    parser = argparse.ArgumentParser(prog="matrix-social send-matrix-message")
    parser.add_argument("--to", required=True)
    parser.add_argument("--content", required=True, help="text, or a JSON object with body")
    parser.add_argument("--as", dest="send_as", choices=("ai", "human"))
    parser.add_argument("--api", default=os.environ.get(
        "MATRIX_SOCIAL_API", "http://127.0.0.1:29340/api/social"))
    args = parser.parse_args(argv)
    token = os.environ.get("MATRIX_SOCIAL_TOKEN")
    if not token:
        sys.exit("matrix-social: set MATRIX_SOCIAL_TOKEN to your Matrix access token")
    try:
        content = json.loads(args.content) if args.content.lstrip().startswith("{") \
            else args.content
    except json.JSONDecodeError:
        sys.exit("matrix-social: --content looks like JSON but does not parse")
    body = {"to": args.to, "content": content}
    if args.send_as:
        body["as"] = args.send_as
    request = urllib.request.Request(
        f"{args.api}/ipc/send_matrix_message", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            print(resp.read().decode())
    except urllib.error.HTTPError as e:
        print(e.read().decode(), file=sys.stderr)
        sys.exit(1)
    except urllib.error.URLError as e:
        sys.exit(f"matrix-social: cannot reach {args.api}: {e.reason}")
