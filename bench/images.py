"""Peak memory of the service while 10 clients fetch the signed URL of a cap-sized image at once
(issue 22, finding 2: one 160 KB PNG took the process from 105 MB to 2.59 GB).

    .venv/bin/python -m bench.images [--out BENCHMARKS.md] [--results FILE]

A real Synapse (loopback) and the service as its own process (`python -m matrix_social`, SQLite,
logging at WARNING); a user uploads each image through POST /api/social/media, the bench signs
a link to it with the configured key (as a link handed out earlier would be: its JPEG is not
made yet), then 10 clients GET it at once, twice. Memory is read from /proc/PID/status: VmRSS,
and VmHWM (the peak), reset before each round by writing 5 to /proc/PID/clear_refs, so each
round's peak is its own. The images are at the default cap (api.media: 40,000,000 pixels,
8,192 per side) or, for a kind decoded whole (WebP, GIF), near its decode budget
(api.media.max_decode_mb, 48: WebP up to 2,097,152 pixels, GIF up to 25,165,824).

Against the code before this change (no cap, a decode per GET), the same run:

    mkdir /tmp/before && git archive BASE matrix_social tests | tar -x -C /tmp/before
    cp -r bench /tmp/before/ && cd /tmp/before && \\
        PYTHONPATH=/tmp/before /path/to/.venv/bin/python -m bench.images --results old.json

The section it writes goes between markers in BENCHMARKS.md (`python -m bench` keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from PIL import Image, ImageDraw

from matrix_social.external import media_links as platform_media
from matrix_social.external.tokens import TokenCipher
from tests.harness import Stack

from .bridge_proc import BridgeProcess, service_as_process
from .report import put_section

CLIENTS = 10
TARGET_MB = 150.0
START = "<!-- bench.images:start -->"
END = "<!-- bench.images:end -->"


@dataclass(frozen=True)
class Case:
    name: str
    fmt: str
    mode: str
    size: tuple[int, int]


CASES = (
    Case("PNG RGB 8192x4882 (40.0 Mpx, the cap)", "PNG", "RGB", (8192, 4882)),
    Case("PNG RGBA 6320x6320 (39.9 Mpx)", "PNG", "RGBA", (6320, 6320)),
    Case("JPEG 8192x4882 (40.0 Mpx, the cap)", "JPEG", "RGB", (8192, 4882)),
    Case("WebP 1920x1080 (2.1 Mpx, within its decode budget)", "WEBP", "RGB", (1920, 1080)),
    Case("GIF 6000x4000 (24 Mpx, within its decode budget)", "GIF", "P", (6000, 4000)),
)


def image_bytes(case: Case) -> bytes:
    """A drawing (shapes, not noise, so it fits the 10 MB upload limit as a real PNG would)."""
    image = Image.new(case.mode, case.size, "white")
    draw = ImageDraw.Draw(image)
    w, h = case.size
    for i in range(40):
        box = (i * w // 80, i * h // 80, w - i * w // 80, h - i * h // 80)
        colour = (i * 6 % 256, 90, 200 - i * 4) if case.mode != "P" else i
        draw.rectangle(box, outline=colour, width=max(1, w // 400))
    out = io.BytesIO()
    image.save(out, case.fmt, **({"quality": 90} if case.fmt != "PNG" else {}))
    return out.getvalue()


def memory(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024 / 1e6
    return {"rss": fields["VmRSS"], "peak": fields["VmHWM"]}


def reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def link(config, mxc: str) -> str:
    key = TokenCipher(config["platforms.token_keys"]).derive(platform_media.SIGNING_PURPOSE)
    expires = int(time.time() * 1000) + 600_000
    if hasattr(platform_media, "signed_url"):
        return platform_media.signed_url(key, config["platforms.public_url"], mxc, expires)
    # the code before: the same signature, made by its MediaLinks (which needs nothing else)
    return platform_media.MediaLinks(key, config["platforms.public_url"], 600, None, 0).url(
        mxc, expires)


async def fetch_all(url: str) -> tuple[list[int], list[bytes], float]:
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async def one() -> tuple[int, bytes]:
            async with session.get(url) as response:
                return response.status, await response.read()

        started = time.perf_counter()
        got = await asyncio.gather(*[one() for _ in range(CLIENTS)])
        return [s for s, _ in got], [b for _, b in got], time.perf_counter() - started


async def measure_case(bridge: BridgeProcess, stack: Stack, token: str, case: Case) -> dict:
    pid = bridge.process.pid
    data = image_bytes(case)
    async with aiohttp.ClientSession() as session, session.post(
            f"{stack.api_url}/media", data=data,
            headers={"Authorization": f"Bearer {token}"}) as response:
        uploaded = await response.json()
    row: dict = {"case": case.name, "bytes": len(data), "upload_status": response.status}
    if response.status != 201:
        row["refused"] = uploaded.get("error")
        return row
    url = link(stack.config, uploaded["content_uri"])
    for round_name in ("first", "again"):
        row[f"{round_name}_reset"] = reset_peak(pid)
        before = memory(pid)
        statuses, bodies, seconds = await fetch_all(url)
        after = memory(pid)
        sizes = set()
        for body in bodies:
            if body[:3] == b"\xff\xd8\xff":
                with Image.open(io.BytesIO(body)) as jpeg:
                    sizes.add(jpeg.size)
        row[round_name] = {"statuses": statuses, "seconds": seconds, "rss_before": before["rss"],
                           "peak": after["peak"], "rss_after": after["rss"],
                           "jpeg_sizes": sorted(sizes)}
        if any(status != 200 for status in statuses):
            print(bridge.log_path.read_text(errors="replace")[-3000:], flush=True)
        print(f"  {case.name} [{round_name}]: statuses {sorted(set(statuses))}, "
              f"{seconds:.2f} s, RSS {before['rss']:.1f} -> {after['rss']:.1f} MB, "
              f"peak {after['peak']:.1f} MB", flush=True)
    return row


async def run(only: str | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="matrix-social-bench-images-") as tmp:
        stack = Stack(Path(tmp) / "stack", "sqlite")
        await stack.start()
        try:
            bridge = await service_as_process(stack)
            user = await stack.synapse.register_user("bench_images", "bench-password")
            try:
                await asyncio.sleep(2)  # start-up work settles
                out = {"start": memory(bridge.process.pid), "cases": []}
                print(f"service started: RSS {out['start']['rss']:.1f} MB, "
                      f"peak so far {out['start']['peak']:.1f} MB", flush=True)
                for case in CASES:
                    if only and only not in case.name:
                        continue
                    out["cases"].append(
                        await measure_case(bridge, stack, user["access_token"], case))
                reset_peak(bridge.process.pid)
                out["end"] = memory(bridge.process.pid)
            finally:
                await bridge.stop()
        finally:
            await stack.stop()
    out["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    out["new_code"] = hasattr(platform_media, "signed_url")
    return out


def markdown(new: dict, old: dict | None) -> str:
    def cell(result: dict, round_name: str) -> str:
        if "refused" in result:
            return f"refused at upload ({result['upload_status']})"
        r = result[round_name]
        ok = sum(1 for s in r["statuses"] if s == 200)
        return (f"peak {r['peak']:.1f} MB ({ok}/{CLIENTS} answered 200, {r['seconds']:.2f} s; "
                f"RSS after {r['rss_after']:.1f} MB)")

    lines = [START, "## Images: peak memory while 10 clients fetch a signed URL at once", "",
             "Issue 22, finding 2. `python -m bench.images` (see its docstring): the service as "
             "its own process, 10 clients GET the signed URL of one uploaded image at once, "
             "twice; the peak is VmHWM, reset before each round (`/proc/PID/clear_refs`). "
             "First round: the link was signed before the image's JPEG was made, so one of "
             "the 10 makes it (the others wait for it); second round: served from the stored "
             "JPEG.", "",
             f"Run {new['date']} (load {new['load']}); the service at start: RSS "
             f"{new['start']['rss']:.1f} MB.", ""]
    head = "| image | first round (JPEG made) | second round (stored) | under 150 MB |"
    lines += [head, "| --- | --- | --- | --- |"]
    for result in new["cases"]:
        peaks = [result[r]["peak"] for r in ("first", "again") if r in result]
        under = "yes" if peaks and max(peaks) < TARGET_MB else ("—" if not peaks else "**no**")
        lines.append(f"| {result['case']} ({result['bytes']:,} bytes) | "
                     f"{cell(result, 'first')} | {cell(result, 'again')} | {under} |")
    if old:
        lines += ["", f"The code before (no pixel cap, a full decode per GET), same images, "
                      f"run {old['date']} (load {old['load']}); at start RSS "
                      f"{old['start']['rss']:.1f} MB:", "",
                  "| image | first round | second round | note |", "| --- | --- | --- | --- |"]
        lines += [f"| {r['case']} | {cell(r, 'first')} | {cell(r, 'again')} |"
                  + f" {r.get('note', '')} |" for r in old["cases"]]
        lines += ["", "The old process never gave the memory back: each later row starts from "
                      "what the rows before it left (its JPEG was sent unchanged, undecoded)."]
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.images",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--results", help="write the raw results (JSON) here")
    parser.add_argument("--old", help="results of the code before (JSON), shown beside")
    parser.add_argument("--out", help="put the section into this Markdown file")
    parser.add_argument("--render", metavar="RESULTS",
                        help="write the section from a --results file instead of measuring")
    parser.add_argument("--only", help="only the images whose name has this")
    args = parser.parse_args(argv)
    results = (json.loads(Path(args.render).read_text()) if args.render
               else asyncio.run(run(args.only)))
    if args.results:
        Path(args.results).write_text(json.dumps(results, indent=1))
    old = json.loads(Path(args.old).read_text()) if args.old else None
    section = markdown(results, old)
    print(section)
    if args.out:
        put_section(Path(args.out), section, START, END)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
