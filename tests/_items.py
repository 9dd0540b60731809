"""Expected items as saved beside fixtures: fields added since a file was written take
their defaults, so that adding an optional field to the items changes no fixture."""

from __future__ import annotations

import dataclasses
from typing import Any

from crawler.items import DJSet, TrackEntry


def with_defaults(expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sets = []
    for raw in expected:
        tracks = [TrackEntry(**t) for t in raw.get("tracks", [])]
        sets.append(dataclasses.asdict(DJSet(**{**raw, "tracks": tracks})))
    return sets
