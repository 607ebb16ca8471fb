"""The policy matcher on the read path: how long one user id takes to check against a
Draupnir-sized list (mostly exact user ids, some globs, some server rules), the cost every
post of a feed page, trending or search pays once per author while a policy list is
subscribed. Prints figures; `python -m bench.policy_match [--exact N] [--globs N]`."""

from __future__ import annotations

import argparse
import random
import string
import time

from matrix_social.matrix.policy_globs import SERVER, USER, PolicyMatcher, PolicyRule


def _word(rng: random.Random, n: int = 8) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _rules(exact: int, globs: int, servers: int, rng: random.Random) -> list[PolicyRule]:
    rules = [PolicyRule("!l", "m.policy.rule.user", f"u{i}", USER,
                        f"@{_word(rng)}:{_word(rng, 5)}.org", "") for i in range(exact)]
    rules += [PolicyRule("!l", "m.policy.rule.user", f"g{i}", USER,
                         f"@{_word(rng, 4)}*:{_word(rng, 5)}.org", "") for i in range(globs)]
    rules += [PolicyRule("!l", "m.policy.rule.server", f"s{i}", SERVER,
                         f"*.{_word(rng, 6)}.net" if i % 2 else f"{_word(rng, 6)}.net", "")
              for i in range(servers)]
    return rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exact", type=int, default=10_000)
    parser.add_argument("--globs", type=int, default=200)
    parser.add_argument("--servers", type=int, default=500)
    parser.add_argument("--checks", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(7)
    rules = _rules(args.exact, args.globs, args.servers, rng)
    started = time.perf_counter()
    matcher = PolicyMatcher(rules)
    built = time.perf_counter() - started
    users = [f"@{_word(rng)}:{_word(rng, 6)}.example:8448" for _ in range(args.checks)]
    started = time.perf_counter()
    barred = sum(matcher.match(u) is not None for u in users)
    each = (time.perf_counter() - started) / args.checks
    print(f"rules: {args.exact} exact user, {args.globs} user globs, {args.servers} server")
    print(f"matcher built in {built * 1000:.1f} ms")
    print(f"one check of a new user id (no match, every glob tried): {each * 1e6:.1f} µs "
          f"({args.checks} checks, {barred} barred)")
    started = time.perf_counter()
    for u in users:
        matcher.match(u)
    again = (time.perf_counter() - started) / args.checks
    print(f"one check of a user id seen before (remembered): {again * 1e6:.2f} µs")
    print(f"a 20-post page (20 distinct authors): {each * 20 * 1000:.2f} ms")


if __name__ == "__main__":
    main()
