"""The one error a reader raises for a file it cannot read."""

from __future__ import annotations


class UnreadableFile(Exception):
    """A file nobody can read; ``reason`` says why, in words a user can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoSetsFound(UnreadableFile):
    """A file that was read but holds no set: reported like an unreadable one, since
    a user who imports it expects sets from it."""
