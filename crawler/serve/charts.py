"""Small charts as inline SVG: plays over time, and each host's allowed gap against the
shortest gap a crawl left. Pure functions from figures to markup: no JavaScript, and each
chart has a title and a description for screen readers (the pages also give the figures
as a table)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_chart", "every_month", "gap_chart"]

_WIDTH = 640


def _svg(height: int, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" width="100%" role="img"'
        f' aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def every_month(points: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """``(YYYY-MM, value)`` points with the months between them filled with 0, so that a
    bar chart's width is time."""
    if not points:
        return []
    values = dict(points)
    try:
        year, month = map(int, points[0][0].split("-"))
    except ValueError:  # not a YYYY-MM month: the points as they are
        return list(points)
    last = points[-1][0]
    filled = []
    while True:
        key = f"{year:04d}-{month:02d}"
        filled.append((key, values.get(key, 0)))
        if key >= last:
            return filled
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def bar_chart(points: Sequence[tuple[str, int]], label: str) -> Markup:
    """Vertical bars, one per ``(label, value)``, first and last labels written under."""
    height, top, bottom = 160, 20, 24
    if not points:
        return _svg(40, label, ['<text x="0" y="24">nothing to show</text>'])
    peak = max(v for _, v in points) or 1
    step = _WIDTH / len(points)
    bar = max(step * 0.8, 1.0)
    body = []
    for i, (name, value) in enumerate(points):
        h = (height - top - bottom) * value / peak
        x, y = i * step, height - bottom - h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
            f"<title>{escape(name)}: {value}</title></rect>"
        )
    first, last = points[0][0], points[-1][0]
    body.append(f'<text x="0" y="{height - 6}">{escape(first)}</text>')
    if len(points) > 1:
        body.append(f'<text x="{_WIDTH}" y="{height - 6}" text-anchor="end">{escape(last)}</text>')
    body.append(f'<text x="0" y="12">highest: {peak}</text>')
    return _svg(height, label, body)


def gap_chart(hosts: Sequence[tuple[str, float | None, float]], label: str) -> Markup:
    """Per host, a bar of the allowed gap (outline) and one of the shortest gap left
    (filled), in seconds on one scale: a filled bar never shorter than its outline is
    the crawl keeping each host's pace."""
    row, left = 34, 200
    height = row * len(hosts) + 24
    if not hosts:
        return _svg(40, label, ['<text x="0" y="24">no host was fetched twice</text>'])
    peak = max(max(a or 0.0, g) for _, a, g in hosts) or 1.0
    scale = (_WIDTH - left - 70) / peak
    body = []
    for i, (host, allowed, shortest) in enumerate(hosts):
        y = i * row + 8
        body.append(f'<text x="0" y="{y + 16}">{escape(host)}</text>')
        if allowed is not None:
            body.append(
                f'<rect class="allowed" x="{left}" y="{y}" width="{allowed * scale:.1f}"'
                f' height="10"><title>{escape(host)}: allowed {allowed:g} s</title></rect>'
            )
        body.append(
            f'<rect class="shortest" x="{left}" y="{y + 12}" width="{shortest * scale:.1f}"'
            f' height="10"><title>{escape(host)}: shortest {shortest:g} s</title></rect>'
        )
        body.append(
            f'<text x="{left + max(allowed or 0, shortest) * scale + 6:.1f}" y="{y + 16}">'
            f"{shortest:g} s</text>"
        )
    body.append(
        f'<text x="{left}" y="{height - 4}">outline: allowed gap; filled: shortest gap</text>'
    )
    return _svg(height, label, body)
