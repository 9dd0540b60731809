"""The inline SVG charts and the cue format: pure functions, checked on their markup."""

from __future__ import annotations

import re

import pytest

from crawler.serve.charts import bar_chart, every_month, gap_chart
from crawler.serve.queries import format_cue
from crawler.serve.search import query_words


def test_bar_chart_has_one_bar_per_point_and_a_label() -> None:
    svg = bar_chart([("2023-01", 2), ("2023-02", 4)], "Plays per month of A - B")
    assert svg.count("<rect") == 2 and 'role="img"' in svg
    assert 'aria-label="Plays per month of A - B"' in svg
    heights = [float(h) for h in re.findall(r'height="([\d.]+)"', svg)]
    assert heights[1] == pytest.approx(2 * heights[0])


def test_gap_chart_draws_allowed_and_shortest_on_one_scale() -> None:
    svg = gap_chart([("a.example", 1.0, 1.5), ("b.example", None, 0.5)], "gaps")
    widths = [float(w) for w in re.findall(r'class="\w+" x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert widths[0] * 1.5 == pytest.approx(widths[1], abs=0.1)  # a.example: allowed, shortest
    assert len(widths) == 3  # b.example has no allowed gap recorded


def test_charts_escape_what_they_are_given() -> None:
    svg = gap_chart([("<script>x</script>", 1.0, 1.0)], 'a "label"')
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&#34;label&#34;" in svg


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, None),
        (0, "0:00"),
        (61, "1:01"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3801, "1:03:21"),
    ],
)
def test_format_cue(seconds: int | None, text: str | None) -> None:
    assert format_cue(seconds) == text


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("Kölsch", [("kölsch", "kolsch")]),
        ("Røyksopp", [("røyksopp", "royksopp")]),
        ("The Chemical Brothers", [("chemical", "chemical"), ("brothers", "brothers")]),
        ("the", [("the", "the")]),
        ('"ID" - ID?', [("id", "id"), ("id", "id")]),
        ("?!", []),
    ],
)
def test_query_words_fold_like_identity_keys(query: str, words: list[tuple[str, str]]) -> None:
    assert query_words(query) == words


def test_every_month_fills_the_months_between() -> None:
    assert every_month([]) == []
    assert every_month([("2023-11", 2), ("2024-02", 1)]) == [
        ("2023-11", 2), ("2023-12", 0), ("2024-01", 0), ("2024-02", 1)
    ]  # fmt: skip
    assert every_month([("2024-05", 3)]) == [("2024-05", 3)]
    assert every_month([("24/05", 3)]) == [("24/05", 3)]
