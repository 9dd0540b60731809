"""One wiring: every default in crawler/settings.py is applied by an add-on, or is the project's.

A setting added to crawler/settings.py but to no add-on would hold in ``scrapy crawl sets``
and be missing in a user's project with the add-ons: this test names it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from scrapy.settings import default_settings as scrapy_defaults

from crawler import settings
from crawler.addons import POLITENESS_SETTINGS, TRACKLISTS_SETTINGS
from crawler.cluster.addon import CLUSTER_DEFAULTS

PROJECT_ONLY = {
    # what makes the repository a Scrapy project
    "BOT_NAME", "SPIDER_MODULES", "NEWSPIDER_MODULE", "COMMANDS_MODULE", "ADDONS",
    "EXTENSIONS_BASE", "TWISTED_REACTOR", "LOG_LEVEL", "REMOTE_CONTROL_ENABLED",
    "TELNETCONSOLE_ENABLED",
    # crawler.cluster.ClusterAddon's switch (unset: no cluster); it applies CLUSTER_DEFAULTS
    "REDIS_URL",
    # crawler serve's (crawler/cli/serve.py), not a crawl's
    "SERVE_RATE_LIMIT", "SCRAPYD_URL", "SCRAPYD_PROJECT",
}  # fmt: skip


def test_every_default_belongs_to_an_addon_or_to_the_project() -> None:
    defined = {name for name in vars(settings) if name.isupper()}
    owned = set(POLITENESS_SETTINGS) | set(TRACKLISTS_SETTINGS) | set(CLUSTER_DEFAULTS)
    assert not set(POLITENESS_SETTINGS) & set(TRACKLISTS_SETTINGS)
    assert not (set(POLITENESS_SETTINGS) | set(TRACKLISTS_SETTINGS)) & set(CLUSTER_DEFAULTS)
    assert defined - owned - PROJECT_ONLY == set(), "give these to an add-on"
    assert owned - defined == set(), "defaults missing from crawler/settings.py"


def test_every_default_is_documented() -> None:
    from pathlib import Path

    page = (Path(settings.__file__).parents[1] / "docs" / "settings.md").read_text()
    undocumented = {
        name for name in vars(settings)
        if name.isupper() and f"`{name}`" not in page
    }  # fmt: skip
    assert undocumented == set()


# --- Every setting read in crawler/ has its default here, and only here ---------------------

ROOT = Path(settings.__file__).parents[1]
_GETTERS = {
    "get", "getbool", "getint", "getfloat", "getlist", "getdict", "getdictorlist", "getwithbase",
}  # fmt: skip
_NAME = re.compile(r"[A-Z][A-Z0-9_]+\Z")
SCRAPY_OWN = {name for name in vars(scrapy_defaults) if name.isupper()} | {
    "CONCURRENT_REQUESTS_PER_IP",  # Scrapy's, deprecated: gone from its defaults, still read
}


def _settings_reads() -> list[tuple[str, str, bool]]:
    """(where, name, whether a fallback is given) of each read of a constant setting name
    from something called ``*settings`` in crawler/ (``settings.getint("X")``, ``...["X"]``)."""

    def is_settings(node: ast.expr) -> bool:
        name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
        return name.endswith("settings")

    def constant(node: ast.expr) -> str | None:
        ok = isinstance(node, ast.Constant) and isinstance(node.value, str)
        return node.value if ok and _NAME.match(node.value) else None  # type: ignore[union-attr]

    reads = []
    for path in sorted((ROOT / "crawler").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _GETTERS
                and is_settings(node.func.value)
                and node.args
                and (name := constant(node.args[0]))
            ):
                reads.append((where, name, len(node.args) > 1 or bool(node.keywords)))
            elif (
                isinstance(node, ast.Subscript)
                and is_settings(node.value)
                and (name := constant(node.slice))
            ):
                reads.append((where, name, False))
    return reads


def test_the_scan_finds_the_reads() -> None:
    names = {name for _, name, _ in _settings_reads()}
    assert {"DATABASE_URL", "ROBOTSTXT_MAX_BYTES", "RENDER_TIMEOUT", "IDLE_TIMEOUT"} <= names


def test_every_setting_read_is_defined_owned_and_documented() -> None:
    page = (ROOT / "docs" / "settings.md").read_text()
    owned = set(POLITENESS_SETTINGS) | set(TRACKLISTS_SETTINGS) | set(CLUSTER_DEFAULTS)
    ours = {(w, n) for w, n, _ in _settings_reads() if n not in SCRAPY_OWN}
    assert {(w, n) for w, n in ours if not hasattr(settings, n)} == set(), "add to settings.py"
    assert {(w, n) for w, n in ours if n not in owned | PROJECT_ONLY} == set(), "give to an add-on"
    assert {(w, n) for w, n in ours if f"`{n}`" not in page} == set(), "document in settings.md"


def test_no_read_has_a_fallback_default() -> None:
    # A fallback is a second default, free to disagree with crawler/settings.py; the
    # add-ons apply every default, so a read never needs one.
    assert [(w, n) for w, n, fallback in _settings_reads() if fallback] == []


def test_configs_read_without_fallbacks_get_every_default_from_the_addons() -> None:
    from scrapy.settings import Settings

    from crawler.addons import Politeness, Tracklists
    from crawler.incremental.config import IncrementalConfig
    from crawler.politeness.config import PolitenessConfig
    from crawler.render.config import RenderConfig

    ours = Settings()
    ours.setmodule(settings, priority="project")
    user = Settings({"CONTACT": ours["CONTACT"] or "ops@radio.example"})  # their own project
    ours.set("CONTACT", user["CONTACT"])
    Politeness().update_settings(user)
    Tracklists().update_settings(user)
    for config in (PolitenessConfig, RenderConfig, IncrementalConfig):
        assert config.from_settings(user) == config.from_settings(ours), config.__name__


def test_cluster_defaults_apply_without_the_project_settings() -> None:
    from scrapy.settings import Settings

    from crawler.cluster.addon import ClusterAddon
    from crawler.cluster.config import ClusterConfig

    user = Settings({"REDIS_URL": "redis://127.0.0.1:6379/0"})  # a user's project, not ours
    ClusterAddon().update_settings(user)
    config = ClusterConfig.from_settings(user)
    assert (config.idle_timeout, config.key_prefix) == (settings.IDLE_TIMEOUT, "crawler")


# --- Other pages state no other default ------------------------------------------------------

_ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|([^|]*)\|", re.MULTILINE)
_CODE = re.compile(r"`([^`]*)`")


def _defaults_in(page: str) -> dict[str, str | None]:
    """Setting -> its table row's default: the first code span of the second cell, or None
    where the cell says it in words ("Scrapy's HTTP/1.1 handler", "spider name")."""
    found: dict[str, str | None] = {}
    for name, cell in _ROW.findall(page):
        code = _CODE.match(cell.strip())
        found[name] = code.group(1) if code else None
    return found


def _matches(text: str, value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return text == repr(value)
    if isinstance(value, int | float):
        try:
            return float(text.replace("_", "")) == value
        except ValueError:
            return False
    if isinstance(value, list | tuple):
        return text in (", ".join(map(str, value)), repr(value), repr(list(value)))
    quoted = text[:1] in "\"'" and text[:1] == text[-1:] and text[1:-1] == value
    return quoted or text == str(value) or str(value).endswith("." + text)


def _default(name: str) -> Any:
    """The module's value, but the store's default where the environment named one (the
    suite names its own: tests/conftest.py)."""
    if name == "DATABASE_URL":
        return settings.default_database_url
    return getattr(settings, name)


def test_documented_defaults_are_the_ones_in_settings_py() -> None:
    reference = _defaults_in((ROOT / "docs" / "settings.md").read_text())
    wrong = []
    for path in sorted((ROOT / "docs").glob("*.md")):
        for name, text in _defaults_in(path.read_text()).items():
            if not hasattr(settings, name) or name in SCRAPY_OWN - set(POLITENESS_SETTINGS):
                continue
            if text is None:  # in words: only where settings.md says it in words too
                if reference.get(name) is not None:
                    wrong.append(f"{path.name}: {name} in words, settings.md has a value")
            elif not _matches(text, default := _default(name)):
                wrong.append(f"{path.name}: {name} = {text!r}, not {default!r}")
    assert wrong == []


def test_scrapys_remote_control_is_neither_on_nor_even_imported() -> None:
    from scrapy.utils.project import get_project_settings

    project = get_project_settings()
    assert not project.getbool("REMOTE_CONTROL_ENABLED")
    listed = {**project.getdict("EXTENSIONS_BASE"), **project.getdict("EXTENSIONS")}
    assert [k for k in listed if "remote_control" in str(k)] == []
