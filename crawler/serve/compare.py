"""Two tracklists side by side: two sources of one set, or two sets of one DJ.

Pure functions over the entries of :func:`crawler.serve.queries.set_detail`. Entries are
the same track when they name the same stored track (or, for an entry linked to none, the
same folded artist and title); an unknown (ID) entry is never the same as another. The
longest run of tracks in the same order is aligned first (difflib's matching blocks);
a track found in both lists outside it was *moved*, the rest is *only* in one.

A tracklist is *complete* in MixesDB's sense when every track is identified (no IDs) and,
once it has cue times, every slot has one (``w/`` rows share the cue of their slot).
"""

from __future__ import annotations

from collections import defaultdict
from difflib import SequenceMatcher
from typing import Any, Literal

from crawler.normalize import fold

__all__ = ["Status", "align", "compare", "completeness"]

Status = Literal["same", "moved", "only_a", "only_b"]


def _key(entry: dict[str, Any], side: str, index: int) -> object:
    if entry.get("unknown"):
        return (side, index)  # an ID matches nothing
    if entry.get("track_id") is not None:
        return entry["track_id"]
    return f"{fold(entry.get('artist') or '')} - {fold(entry.get('title') or '')}"


def _side(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry.get(k) for k in ("ordinal", "position", "cue", "track_id", "unknown")} | {
        "name": _name(entry)
    }


def _name(entry: dict[str, Any]) -> str:
    if entry.get("unknown"):
        return "ID - ID"
    text = f"{entry.get('artist') or 'ID'} - {entry.get('title') or 'ID'}"
    return f"{text} ({entry['version']})" if entry.get("version") else text


def align(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows ``{status, a, b}`` in the order of ``a``, with what is only in ``b`` where it
    stands in ``b``; a moved track's row stands where it is in ``a``."""
    keys_a = [_key(e, "a", i) for i, e in enumerate(a)]
    keys_b = [_key(e, "b", i) for i, e in enumerate(b)]
    matcher = SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    opcodes = matcher.get_opcodes()
    loose_b: dict[object, list[int]] = defaultdict(list)
    for tag, _i1, _i2, j1, j2 in opcodes:
        if tag != "equal":
            for j in range(j1, j2):
                loose_b[keys_b[j]].append(j)
    moved_b: set[int] = set()
    moved_to: dict[int, int] = {}
    for tag, i1, i2, _j1, _j2 in opcodes:
        if tag != "equal":
            for i in range(i1, i2):
                if loose_b.get(keys_a[i]):
                    moved_to[i] = loose_b[keys_a[i]].pop(0)
                    moved_b.add(moved_to[i])
    rows: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            rows += [
                _row("same", a[i], b[j]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        for i in range(i1, i2):
            rows.append(_row("moved", a[i], b[moved_to[i]]) if i in moved_to else
                        _row("only_a", a[i], None))  # fmt: skip
        rows += [_row("only_b", None, b[j]) for j in range(j1, j2) if j not in moved_b]
    return rows


def _row(status: Status, a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any]:
    return {"status": status, "a": _side(a) if a else None, "b": _side(b) if b else None}


def completeness(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """``{complete, tracks, ids, cue_gaps}`` of a tracklist (see the module)."""
    ids = sum(1 for e in entries if e.get("unknown"))
    slots = [e for e in entries if not e.get("with_previous")]
    timed = any(e.get("cue_s") is not None for e in entries)
    gaps = sum(1 for e in slots if e.get("cue_s") is None) if timed else 0
    return {
        "complete": bool(entries) and ids == 0 and gaps == 0,
        "tracks": len(entries),
        "ids": ids,
        "cue_gaps": gaps,
    }


def _summary(s: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "title", "djs", "date", "event", "venue", "source", "url")
    return {k: s.get(k) for k in keep} | {"completeness": completeness(s["tracks"])}


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The comparison of two sets as :func:`set_detail` gives them."""
    rows = align(a["tracks"], b["tracks"])
    counts = {
        s: sum(1 for r in rows if r["status"] == s) for s in ("same", "moved", "only_a", "only_b")
    }
    return {"a": _summary(a), "b": _summary(b), "counts": counts, "rows": rows}
