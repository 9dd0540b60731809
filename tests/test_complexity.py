"""No function in crawler/ above cyclomatic complexity 20, as radon counts it (boolean
operators included): past that, a function is a table of rules or a helper per case
waiting to be named (docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from radon.complexity import cc_visit

from tests.conftest import ROOT

MAX_COMPLEXITY = 20


def _functions(blocks: list[Any], outer: str = "") -> dict[str, int]:
    """Every function, method and closure among radon's blocks: complexity by qualified
    name (radon lists a class's methods both in the class and on their own)."""
    found: dict[str, int] = {}
    for block in blocks:
        if hasattr(block, "methods"):  # a class
            found |= _functions([*block.methods, *block.inner_classes], outer)
            continue
        name = f"{outer}{block.fullname}"
        found[name] = block.complexity
        found |= _functions(block.closures, f"{name}.")
    return found


def test_no_function_in_crawler_is_above_complexity_20() -> None:
    too_complex = [
        f"{path.relative_to(ROOT)}: {name} ({complexity})"
        for path in sorted((ROOT / "crawler").rglob("*.py"))
        for name, complexity in _functions(cc_visit(path.read_text(encoding="utf-8"))).items()
        if complexity > MAX_COMPLEXITY
    ]
    assert not too_complex, "above complexity 20, break up:\n" + "\n".join(too_complex)


def test_the_check_sees_a_function_above_the_limit() -> None:
    rules = "".join(f"      if x == {n} or x == -{n}:\n        return {n}\n" for n in range(11))
    source = f"class C:\n  def m(self, x):\n    def inner(x):\n{rules}    return inner\n"
    found = _functions(cc_visit(source))
    assert found == {"C.m": 1, "C.m.inner": 23}  # 1, and 1 for each if and each or
