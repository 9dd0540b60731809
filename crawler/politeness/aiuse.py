"""AI-use preferences: what a site says about training AI on, and using, its pages.

Two syntaxes are in use, and both are read:

- the IETF aipref drafts: a ``Content-Usage`` response header (``train-ai=n, search=y``),
  and ``Content-Usage: [PATH] PREFS`` lines in robots.txt, where the longest matching
  path wins (a line without a path covers the whole site);
- Cloudflare's Content Signals: ``Content-Signal: ai-train=no, search=yes, ai-input=yes``
  in robots.txt (or as a header).

The crawler keeps what applied to each page with the sets found on it (``sets.ai_use``)
and shows it; ``crawler export --respect-ai-use`` leaves out sets reserved from AI
training. ``train-ai=n`` and ``ai-train=no`` are the same reservation (so are
``train-genai=n`` and a TDMRep reservation); a page is reserved when any signal that
applies to it reserves it. Everything here is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "AI_USE_META",
    "AiUse",
    "ai_use_for",
    "parse_preferences",
    "robots_usage_lines",
    "usage_for_path",
]

AI_USE_META = "ai_use"
"""Response meta: the preferences that applied to the page (set by
:class:`~crawler.politeness.content_usage.ContentUsageMiddleware`, kept by the page record)."""

AiUse = dict[str, Any]
"""``{"content_usage": str, "content_usage_from": str, "content_signal": str,
"tdm_reservation": bool, "train_ai": bool | None}``, keys present only when seen;
``train_ai`` is False when training is reserved, True when allowed, None when unsaid."""

_LINE = re.compile(r"^\s*(content-usage|content-signal)\s*:\s*(.*?)\s*(?:#.*)?$", re.I)
_TRAIN_NO = {("train-ai", "n"), ("train-genai", "n"), ("ai-train", "no")}
_TRAIN_YES = {("train-ai", "y"), ("ai-train", "yes")}


def parse_preferences(value: str) -> dict[str, str]:
    """``"train-ai=n, search=y"`` (a structured-field dictionary, as both syntaxes
    write it) -> ``{"train-ai": "n", "search": "y"}``; keys and values lower-cased, a
    bare key (``train-ai``) is ``"y"``, parameters after ``;`` ignored."""
    prefs: dict[str, str] = {}
    for member in value.split(","):
        key, _, val = member.split(";", 1)[0].partition("=")
        key = key.strip().lower()
        if key:
            prefs[key] = val.strip().strip('"').lower() or "y"
    return prefs


def robots_usage_lines(body: bytes | str) -> tuple[list[tuple[str, str]], list[str]]:
    """The ``Content-Usage`` lines of a robots.txt as (path, preferences), and its
    ``Content-Signal`` lines' values. Content-Usage is a file-wide record in the draft;
    Content-Signal is read wherever it stands (Cloudflare writes it in the ``*`` group)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    usage: list[tuple[str, str]] = []
    signals: list[str] = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None or not match[2]:
            continue
        if match[1].lower() == "content-signal":
            signals.append(match[2])
            continue
        first, _, rest = match[2].partition(" ")
        if first.startswith("/"):
            usage.append((first, rest.strip()))
        else:
            usage.append(("/", match[2]))
    return usage, signals


def usage_for_path(usage: Iterable[tuple[str, str]], path: str) -> tuple[str, str] | None:
    """The (path, preferences) of the longest ``Content-Usage`` path that ``path`` starts
    with (``*`` in a path matches anything, a final ``$`` ends it), or None."""
    best: tuple[str, str] | None = None
    for prefix, prefs in usage:
        if _path_matches(prefix, path) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, prefs)
    return best


def _path_matches(prefix: str, path: str) -> bool:
    if "*" not in prefix and not prefix.endswith("$"):
        return path.startswith(prefix)
    pattern = re.escape(prefix).replace(r"\*", ".*")
    if pattern.endswith(r"\$"):
        pattern = pattern[:-2] + "$"
    return re.match(pattern, path) is not None


def _train_ai(*values: str | None, tdm_reserved: bool = False) -> bool | None:
    """False when any value reserves AI training; True when one allows it; else None."""
    pairs = {pair for value in values if value for pair in parse_preferences(value).items()}
    if tdm_reserved or pairs & _TRAIN_NO:
        return False
    return True if pairs & _TRAIN_YES else None


def ai_use_for(
    path: str,
    header_usage: str | None = None,
    header_signal: str | None = None,
    robots_usage: Iterable[tuple[str, str]] = (),
    robots_signals: Iterable[str] = (),
    tdm_reserved: bool = False,
) -> AiUse:
    """The preferences that apply to one page: its headers win over robots.txt for the
    record kept, and any reservation among them reserves the page."""
    found: AiUse = {}
    usage_from = "header" if header_usage else None
    usage = header_usage
    if not usage and (matched := usage_for_path(robots_usage, path)) is not None:
        usage, usage_from = matched[1], f"robots.txt {matched[0]}"
    if usage:
        found["content_usage"], found["content_usage_from"] = usage, usage_from
    signal = header_signal or ", ".join(robots_signals) or None
    if signal:
        found["content_signal"] = signal
    if tdm_reserved:
        found["tdm_reservation"] = True
    if found:
        found["train_ai"] = _train_ai(usage, signal, tdm_reserved=tdm_reserved)
    return found
