"""A loopback stand-in for the MusicBrainz web service, serving saved /ws/2 responses.

Releases come from fixtures/musicbrainz/ (and copies of the hand-written one under other
MBIDs, for paging); browse and search envelopes are built here around them, as the
service builds them. The first answer to each path listed in ``busy`` is a 503 with
``Retry-After``, as the service answers a client that goes too fast.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.devserver import LoggedRequest, LoopbackSite, Reply
from tests.conftest import FIXTURES

MB = FIXTURES / "musicbrainz"
TWO_MIXES = "00000000-0000-4000-8000-000000000001"
DSOTM = "b84ee12a-09ef-421b-82de-0441a926375b"
ARTIST = "00000000-0000-4000-8000-0000000000a1"
SERIES = "00000000-0000-4000-8000-0000000000e1"
GROUP_SERIES = "00000000-0000-4000-8000-0000000000e2"
"""A series of release groups (fixtures/musicbrainz/handwritten_series_release_groups.json)."""


def load(name: str) -> dict[str, Any]:
    return json.loads((MB / f"{name}.json").read_text(encoding="utf-8"))


def mix_copies(count: int) -> list[dict[str, Any]]:
    """``count`` DJ-mix releases: the hand-written one under MBIDs of their own."""
    copies = []
    for n in range(count):
        release = copy.deepcopy(load("handwritten_release_two_mixes"))
        release["id"] = f"00000000-0000-4000-9000-{n:012d}"
        release["title"] = f"Mix {n}"
        copies.append(release)
    return copies


class MusicBrainzSite(LoopbackSite):
    def __init__(self, host: str, browse_releases: int = 30, busy: tuple[str, ...] = ()) -> None:
        self.releases = {r["id"]: r for r in [load("picard_release"), *mix_copies(0)]}
        self.releases[TWO_MIXES] = load("handwritten_release_two_mixes")
        self.artist_releases = mix_copies(browse_releases)
        self.busy = set(busy)
        robots = (MB / "robots.txt").read_bytes()
        super().__init__(
            host,
            routes={
                "/robots.txt": Reply(200, robots, content_type="text/plain"),
                "/ws/2/release": self._browse_or_search,
                "/ws/2/recording": self._recording_search,
            },
        )

    def _reply_for(self, request: LoggedRequest) -> Reply:
        path = urlsplit(request.path).path
        if path in self.busy:
            self.busy.discard(path)
            return Reply(503, b'{"error": "rate limit"}', {"Retry-After": "1"}, "application/json")
        if path == f"/ws/2/series/{SERIES}":
            # Hand-written in the shape of a series lookup with inc=release-rels: a DJ-mix
            # release and an album, in the series' order.
            parts = [(2, DSOTM), (1, TWO_MIXES)]
            relations = [{"type": "part of", "target-type": "release", "ordering-key": key,
                          "release": {"id": mbid}} for key, mbid in parts]  # fmt: skip
            return _json({"id": SERIES, "name": "Two Rooms Series", "relations": relations})
        if path == f"/ws/2/series/{GROUP_SERIES}":
            return _json(load("handwritten_series_release_groups"))
        if path.startswith("/ws/2/release/"):
            release = self.releases.get(path.rsplit("/", 1)[1])
            if release is None:
                return Reply(404, b'{"error": "Not Found"}', content_type="application/json")
            return _json(release)
        return super()._reply_for(request)

    def _browse_or_search(self, request: LoggedRequest) -> Reply:
        query = parse_qs(urlsplit(request.path).query)
        offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["25"])[0])
        if "query" in query:
            hits = [{"id": TWO_MIXES, "score": 100, "title": "Two Rooms"}]
            return _json({"count": 1, "offset": offset, "releases": hits[offset:]})
        if "release-group" in query:
            group = query["release-group"][0]
            releases = [r for r in self.releases.values() if r["release-group"]["id"] == group]
        else:
            releases = self.artist_releases if query.get("artist") == [ARTIST] else []
        if query.get("type") == ["dj-mix"]:  # as the service filters a browse by type
            releases = [r for r in releases if "DJ-mix" in r["release-group"]["secondary-types"]]
        page = releases[offset : offset + limit]
        return _json({"release-count": len(releases), "release-offset": offset, "releases": page})

    def _recording_search(self, request: LoggedRequest) -> Reply:
        """Saved recordings as search hits: "Lune" (a real search hit, with its score) and
        "Thinking Out Loud" (a real lookup, given a score here)."""
        query = parse_qs(urlsplit(request.path).query).get("query", [""])[0].lower()
        hits = []
        if "lune" in query:
            hits.append(load("picard_recording_video_null"))
        if "thinking" in query:
            hits.append({**load("picard_recording"), "score": 100})
        return _json({"created": "2026-12-01T10:00:00.000Z", "count": len(hits), "offset": 0,
                      "recordings": hits})  # fmt: skip


def _json(data: Any) -> Reply:
    return Reply(200, json.dumps(data).encode(), content_type="application/json")


def terms_file(tmp: Path, host: str, permission: bool = True) -> Path:
    """Site terms for the loopback host, as the shipped ones are for musicbrainz.org."""
    lines = ["[[site]]", f'domain = "{host}"', "min_delay = 1.0",
             'terms_url = "https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting"']  # fmt: skip
    if permission:
        lines += ['api_paths = ["/ws/2/"]',
                  'api_terms_url = "https://musicbrainz.org/doc/MusicBrainz_API"']  # fmt: skip
    path = tmp / "terms.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
