"""Memory of a whole process tree, read from /proc: a crawl is several processes (workers,
a private Redis, Chromium), and its cost is their sum, not the first process's."""

from __future__ import annotations

import os
import threading

__all__ = ["TreeSampler", "tree_memory"]


def tree_memory(root: int) -> tuple[int, int]:
    """Bytes of resident memory of ``root`` and all its descendants (from /proc): the sum
    of their RSS, and the sum of their PSS (shared pages split between the processes
    sharing them, so Chromium's many processes are not counted several times over)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    rss = pss = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        todo += parents.get(pid, [])
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, pss


class TreeSampler(threading.Thread):
    """Peak RSS and PSS sums of ``pid``'s tree, sampled every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_rss = self.peak_pss = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            rss, pss = tree_memory(self.pid)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
