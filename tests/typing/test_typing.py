"""mypy's verdicts on user code: usage.py is clean, every line of rejected.py is an error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

HERE = Path(__file__).parent


def mypy(path: Path) -> list[str]:
    stdout, _, _ = api.run(["--strict", "--no-incremental", "--show-error-codes", str(path)])
    return [line for line in stdout.splitlines() if ": error:" in line]


def test_user_code_type_checks() -> None:
    assert mypy(HERE / "usage.py") == []


def test_mistakes_are_rejected_with_the_expected_codes() -> None:
    source = (HERE / "rejected.py").read_text().splitlines()
    expected = {
        i: match.group(1)
        for i, line in enumerate(source, start=1)
        if (match := re.search(r"# E: ([\w-]+)", line))
    }
    found = {}
    for line in mypy(HERE / "rejected.py"):
        number, code = re.search(r":(\d+): error: .*\[([\w-]+)\]$", line).groups()  # type: ignore[union-attr]
        found[int(number)] = code
    assert found == expected
