"""Every rendering setting, read once per crawl into one typed, validated object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy.settings import BaseSettings

from crawler import settings as defaults

if TYPE_CHECKING:
    pass

__all__ = ["DEFAULT_BROWSER_ARGS", "SETTLED", "RenderConfig", "RenderConfigError"]

DEFAULT_BROWSER_ARGS: tuple[str, ...] = tuple(defaults.RENDER_BROWSER_ARGS)
"""Chromium flags that keep the browser from phoning home or needing a GPU or a sandbox,
and its memory flat: one renderer process for every page, the GPU and network in the
browser process."""

ALLOWED_RESOURCE_TYPES: frozenset[str] = frozenset(defaults.RENDER_RESOURCE_TYPES)
"""What a page needs to build its content. Images, media and fonts (and beacons,
websockets, manifests...) are never fetched."""

SETTLED = "settled"
"""``RENDER_WAIT_UNTIL``: the page's load event, then none of its sub-requests in flight or
waiting for its turn for ``RENDER_SETTLE`` seconds (the gate knows; no fixed idle wait)."""
_WAIT_UNTIL = (SETTLED, "load", "domcontentloaded", "networkidle", "commit")


class RenderConfigError(ValueError):
    """Rendering settings that can't be used as they are."""


@dataclass(frozen=True)
class RenderConfig:
    enabled: bool
    browser_path: str
    browser_args: tuple[str, ...]
    max_pages: int
    timeout_s: float
    wait_until: str
    resource_types: frozenset[str]
    max_contexts: int
    plain_handler: str
    context_per_host: bool = False
    settle_s: float = 0.1

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RenderConfig:
        config = cls(
            enabled=settings.getbool("RENDER_ENABLED"),
            browser_path=settings.get("RENDER_BROWSER_PATH"),
            browser_args=tuple(settings.getlist("RENDER_BROWSER_ARGS")),
            max_pages=settings.getint("RENDER_MAX_PAGES"),
            timeout_s=settings.getfloat("RENDER_TIMEOUT"),
            wait_until=settings.get("RENDER_WAIT_UNTIL"),
            resource_types=frozenset(settings.getlist("RENDER_RESOURCE_TYPES")),
            max_contexts=settings.getint("RENDER_MAX_CONTEXTS"),
            plain_handler=settings.get("RENDER_PLAIN_HANDLER"),
            context_per_host=settings.getbool("RENDER_CONTEXT_PER_HOST"),
            settle_s=settings.getfloat("RENDER_SETTLE"),
        )
        config._validate()
        return config

    def _validate(self) -> None:
        problems: list[str] = []
        if self.max_pages < 1:
            problems.append(f"RENDER_MAX_PAGES must be at least 1 (got {self.max_pages})")
        if self.max_contexts < self.max_pages:
            problems.append("RENDER_MAX_CONTEXTS must be at least RENDER_MAX_PAGES")
        if self.timeout_s <= 0:
            problems.append(f"RENDER_TIMEOUT must be positive seconds (got {self.timeout_s})")
        if self.settle_s < 0:
            problems.append(f"RENDER_SETTLE must be 0 or more seconds (got {self.settle_s})")
        if self.wait_until not in _WAIT_UNTIL:
            problems.append(f"RENDER_WAIT_UNTIL must be one of {_WAIT_UNTIL}")
        unsafe = self.resource_types & {"image", "media", "font"}
        if unsafe:
            problems.append(
                f"RENDER_RESOURCE_TYPES must not include {sorted(unsafe)}: "
                "images, media and fonts are never fetched"
            )
        if problems:
            raise RenderConfigError("Rendering settings: " + "; ".join(problems))

    def launch_options(self, user_options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Playwright launch options: Debian's Chromium, our flags, then the user's
        ``PLAYWRIGHT_LAUNCH_OPTIONS`` (their ``args`` are added to ours)."""
        options = {"headless": True, "executable_path": self.browser_path}
        user = dict(user_options or {})
        extra = [a for a in user.pop("args", []) if a not in self.browser_args]
        args = [*self.browser_args, *extra]
        options.update(user)
        options["args"] = args
        return options
