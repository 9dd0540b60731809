"""The top items of a py-spy profile: where a crawl's CPU goes, by function.

``py-spy record --format raw`` writes collapsed stacks (``frame;frame;... count``). This
prints the functions with the most samples on top of the stack (self) and anywhere on it
(inclusive, each counted once per sample), as shares of all samples, so that a profile taken
before a change and one taken after read side by side. Idle samples (py-spy's ``--idle`` off,
the default) are not in the file, so the shares are of the CPU the process used.

    BENCH_WIDE_PYSPY=/tmp/wide.txt .venv/bin/python -m bench.bench_wide --hosts 400 --only ours
    .venv/bin/python -m bench.pyspy_top /tmp/wide.txt [--top 25] [--match crawler/]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_IDLE = ("threading.py:Condition.wait", "selectors.py:EpollSelector.select")
"""Leaf frames of a thread waiting, which py-spy does not always tell from work."""
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def _short(frame: str) -> str:
    """``func (…/site-packages/scrapy/core/engine.py:123)`` → ``scrapy/core/engine.py:func``."""
    found = _FRAME.match(frame)
    if not found:
        return frame
    path = found["file"]
    for marker in ("site-packages/", "/lib/python3.", "/work/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    if path.startswith(("1", "2")) and "/" in path:  # lib/python3.11/asyncio/... → asyncio/...
        path = path.split("/", 1)[1]
    return f"{path}:{found['func']}"


def read(path: str) -> tuple[Counter[str], Counter[str], int]:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";") if f]
        if not frames or frames[-1] in _IDLE:
            continue
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    return own, inclusive, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="inclusive list: only frames with this")
    args = parser.parse_args(argv)
    own, inclusive, total = read(args.profile)
    print(f"{total} samples\n\nself:")
    for frame, n in own.most_common(args.top):
        print(f"{100 * n / total:6.1f} %  {frame}")
    print("\ninclusive:")
    shown = [(f, n) for f, n in inclusive.most_common() if args.match in f]
    for frame, n in shown[: args.top]:
        print(f"{100 * n / total:6.1f} %  {frame}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
