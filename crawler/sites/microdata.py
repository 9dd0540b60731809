"""W3C microdata items from an lxml tree, as JSON-LD-like nodes.

Written here rather than taken from extruct because extruct's reader costs several times
the page's own parse on tracklist pages (an XPath query per element and property) and,
in our measurements, kept memory from every page it read; an import reads tens of
thousands of pages. This one asks lxml once for every element that carries ``itemscope``
or ``itemprop`` and assembles the items from that list.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lxml import etree

Node = dict[str, Any]

_URL_ATTRS = {
    "a": "href", "area": "href", "link": "href",
    "audio": "src", "embed": "src", "iframe": "src", "img": "src", "source": "src",
    "track": "src", "video": "src", "object": "data",
}  # fmt: skip
_MARKED = etree.XPath("//*[@itemscope or @itemprop]")
_IDS = etree.XPath("//*[@id]")


@lru_cache(maxsize=4096)  # a page names a handful of types and properties, thousands of times
def _short(name: str) -> str:
    """``https://schema.org/name`` -> ``name`` (property names may be full URLs)."""
    return name.rsplit("/", 1)[-1].rsplit("#", 1)[-1] if ":" in name else name


def _text(el: Any) -> str:
    if len(el) == 0:  # the usual case: a leaf <span itemprop="name">
        text = el.text or ""
    else:
        parts = [el.text or ""]
        for child in el.iterdescendants():
            if isinstance(child.tag, str) and child.tag not in ("script", "style"):
                parts.append(child.text or "")
            parts.append(child.tail or "")
        text = "".join(parts)
    return " ".join(text.split())


_SPECIAL_TAGS = frozenset({"meta", "data", "meter", "time", *_URL_ATTRS})


def _value(el: etree._Element) -> str:
    tag = el.tag
    if tag not in _SPECIAL_TAGS:  # the usual case (<span>, <div>): one set lookup
        content = el.get("content")  # common in the wild on any element
        return content.strip() if content is not None else _text(el)
    if tag == "meta":
        return (el.get("content") or "").strip()
    if isinstance(tag, str) and (attr := _URL_ATTRS.get(tag)):  # a parsed tag is a str
        return (el.get(attr) or "").strip()
    if tag in ("data", "meter") and (value := el.get("value")) is not None:
        return value.strip()
    if tag == "time" and (when := el.get("datetime")):
        return when.strip()
    if (content := el.get("content")) is not None:  # common in the wild on any element
        return content.strip()
    return _text(el)


def _add(node: Node, names: str, value: Any) -> None:
    for name in names.split() if " " in names else (names.strip(),):
        name = _short(name)
        if name in node:
            existing = node[name]
            node[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        elif name:
            node[name] = value


def _new_item(el: Any) -> Node:
    node: Node = {"@type": [_short(t) for t in (el.get("itemtype") or "").split()]}
    if el.get("itemid"):
        node["@id"] = el.get("itemid").strip()
    return node


def microdata_items(root: Any) -> list[Node]:
    """Top-level items of a document (lxml root), nested items inlined as nodes.

    Property names are shortened to their last part (``https://schema.org/name`` ->
    ``name``); values are strings or nested nodes; a property given several times
    becomes a list. ``itemref`` is followed, without cycles.
    """
    marked = _MARKED(root)
    if not marked:
        return []
    # In document order, an element's owner (its nearest itemscope ancestor) comes first.
    scopes: dict[Any, Node] = {}
    top: list[Node] = []
    for el in marked:
        names = el.get("itemprop")
        item = None
        if el.get("itemscope") is not None:
            item = scopes[el] = _new_item(el)
            if names is None:
                top.append(item)
                continue
        if names is None:
            continue
        owner = el.getparent()
        while owner is not None and owner not in scopes:
            owner = owner.getparent()
        if owner is not None:
            _add(scopes[owner], names, item if item is not None else _value(el))
        elif item is not None:
            top.append(item)  # a property outside any item: keep the item it holds
    referring = [el for el in scopes if el.get("itemref")]
    if referring:
        _follow_refs(root, referring, scopes)
    return top


def _follow_refs(root: Any, referring: list[Any], scopes: dict[Any, Node]) -> None:
    ids = {el.get("id"): el for el in _IDS(root)}
    for el in referring:
        node = scopes[el]
        for ref in el.get("itemref").split():
            target = ids.get(ref)
            if target is None or target is el:
                continue
            props = [target] if target.get("itemprop") is not None else []
            props += [
                p
                for p in target.iterdescendants()
                if isinstance(p.tag, str) and p.get("itemprop") is not None
                and _owner(p, scopes) in (None, _owner(target, scopes))
            ]  # fmt: skip
            for prop in props:
                value = scopes.get(prop)
                if value is node:
                    continue  # a cycle
                _add(node, prop.get("itemprop"), value if value is not None else _value(prop))


def _owner(el: Any, scopes: dict[Any, Node]) -> Any:
    owner = el.getparent()
    while owner is not None and owner not in scopes:
        owner = owner.getparent()
    return owner
