"""The schedule file (TOML): named crawls, each a spider with arguments, settings and a cron
expression. Read once and checked as a whole, so that a mistake is reported before anything
runs, with the file and the crawl it is in.

```toml
database = "sqlite:///data/crawler.db"   # optional: the project's DATABASE_URL
state_dir = "data/schedule"              # optional: JOBDIRs and logs, one folder per crawl
timezone = "UTC"                         # optional: the zone cron expressions are read in

[crawls.demo]
spider = "sets"
cron = "0 */6 * * *"
args = { start_urls = "https://example.org/sets/" }
settings = { CONTACT = "mailto:me@example.org" }
stale_after = "18h"                      # optional: default 3 x the cron interval
```
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["Schedule", "ScheduleError", "ScheduledCrawl", "load_schedule", "parse_duration"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_TOP_KEYS = {"database", "state_dir", "timezone", "crawls"}
_CRAWL_KEYS = {"spider", "cron", "args", "settings", "enabled", "stale_after"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RESERVED = {"CRAWL_NAME", "CRAWL_LOCK_OWNER", "JOBDIR", "DATABASE_URL"}
DEFAULT_DATABASE = "sqlite:///data/crawler.db"


class ScheduleError(ValueError):
    """A schedule file that cannot be run as written."""


@dataclass(frozen=True)
class ScheduledCrawl:
    name: str
    spider: str
    cron: str
    args: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    """Values as ``-s NAME=VALUE`` takes them (TOML tables as JSON, arrays comma-joined)."""
    enabled: bool = True
    stale_after: float | None = None
    """Seconds without a successful run before the crawl counts as stale; None: three times
    its cron interval (crawler/schedule/status.py)."""


@dataclass(frozen=True)
class Schedule:
    path: Path
    database: str
    """An absolute URL: a relative SQLite path is taken from the schedule file's folder."""
    state_dir: Path
    timezone: ZoneInfo
    crawls: dict[str, ScheduledCrawl]

    def crawl_dir(self, name: str) -> Path:
        return self.state_dir / name


def _setting_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _absolute_database(url: str, base: Path) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ScheduleError(f"database: not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.is_absolute():
            return parsed.set(database=str((base / path).resolve())).render_as_string(False)
    return url


def parse_duration(value: Any) -> float:
    """Seconds from a number of seconds or a duration such as ``"90m"``, ``"18h"``, ``"3d"``."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value.lower())):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise ValueError(f'not a duration: {value!r} (seconds, or e.g. "18h", "3d")')
    if seconds <= 0:
        raise ValueError(f"a duration is more than zero, got {value!r}")
    return seconds


def _crawl(name: str, raw: Any, where: str) -> ScheduledCrawl:
    if not _NAME.match(name):
        raise ScheduleError(f"{where}: a crawl name is letters, digits, '_', '.' and '-'")
    if not isinstance(raw, dict):
        raise ScheduleError(f"{where}: expected a table of spider, cron, args, settings")
    if unknown := set(raw) - _CRAWL_KEYS:
        raise ScheduleError(f"{where}: unknown key(s) {sorted(unknown)}")
    spider, cron = raw.get("spider"), raw.get("cron")
    if not isinstance(spider, str) or not spider:
        raise ScheduleError(f"{where}: 'spider' (the spider's name) is required")
    if not isinstance(cron, str) or not croniter.is_valid(cron):
        raise ScheduleError(f"{where}: 'cron' must be a cron expression, got {cron!r}")
    args, settings = raw.get("args", {}), raw.get("settings", {})
    if not isinstance(args, dict) or not isinstance(settings, dict):
        raise ScheduleError(f"{where}: 'args' and 'settings' are tables")
    if reserved := _RESERVED & set(settings):
        raise ScheduleError(
            f"{where}: {sorted(reserved)} are set by the schedule itself "
            "(the database and state_dir keys at the top of the file set them for all crawls)"
        )
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ScheduleError(f"{where}: 'enabled' is true or false")
    try:
        stale_after = parse_duration(raw["stale_after"]) if "stale_after" in raw else None
    except ValueError as exc:
        raise ScheduleError(f"{where}: 'stale_after': {exc}") from exc
    return ScheduledCrawl(
        name=name,
        spider=spider,
        cron=cron,
        args={str(k): _setting_value(v) for k, v in args.items()},
        settings={str(k): _setting_value(v) for k, v in settings.items()},
        enabled=enabled,
        stale_after=stale_after,
    )


def load_schedule(path: str | Path, database: str | None = None) -> Schedule:
    """Read and check a schedule file; ``database`` overrides the file's."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ScheduleError(f"{path}: no such schedule file") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScheduleError(f"{path}: {exc}") from exc
    if unknown := set(data) - _TOP_KEYS:
        raise ScheduleError(f"{path}: unknown key(s) {sorted(unknown)}")
    base = path.resolve().parent
    crawls_raw = data.get("crawls", {})
    if not isinstance(crawls_raw, dict) or not crawls_raw:
        raise ScheduleError(f"{path}: no crawls: add a [crawls.NAME] table")
    crawls = {
        name: _crawl(name, raw, f"{path} [crawls.{name}]") for name, raw in crawls_raw.items()
    }
    try:
        zone = ZoneInfo(str(data.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"{path}: unknown timezone {data.get('timezone')!r}") from exc
    state_dir = Path(str(data.get("state_dir", "data/schedule")))
    return Schedule(
        path=path,
        database=_absolute_database(database or str(data.get("database", DEFAULT_DATABASE)), base),
        state_dir=state_dir if state_dir.is_absolute() else base / state_dir,
        timezone=zone,
        crawls=crawls,
    )
