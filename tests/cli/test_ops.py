"""``micrograd ops``: the table wraps to the width it has and never cuts a name or a doc."""

from __future__ import annotations

import json
import re
from importlib.metadata import version

import pytest

from tests.cli.conftest import Micrograd

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def words(table: str) -> set[str]:
    """What a reader can find in a table: every word between spaces and rules."""
    return set(re.split(r"[\s│┃]+", ANSI.sub("", table)))


@pytest.mark.parametrize("columns", [None, 60, 80, 100, 200])  # None: piped, no width set
def test_every_name_and_doc_is_shown_whole(micrograd: Micrograd, columns: int | None) -> None:
    listing = json.loads(micrograd("ops", "--json").stdout)
    assert "leaky_relu" in [op["name"] for op in listing["ops"]]
    done = micrograd("ops", columns=columns)
    assert done.returncode == 0, done.stderr
    table = done.stdout
    assert "…" not in table
    shown = words(table)
    for op in listing["ops"]:
        expected = {op["name"], op["plugin"], op["distribution"], op["version"]}
        assert expected <= shown, op
        assert set(op["doc"].split()) <= shown, op
    width = columns or 80
    assert max(len(line) for line in table.splitlines()) <= width


@pytest.mark.parametrize("columns", [30, 45])
def test_a_very_narrow_table_folds_rather_than_cuts(micrograd: Micrograd, columns: int) -> None:
    done = micrograd("ops", columns=columns)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= columns


def test_json_is_the_same_at_any_width(micrograd: Micrograd) -> None:
    narrow, wide = (micrograd("ops", "--json", columns=c).stdout for c in (40, 200))
    assert narrow == wide
    listing = json.loads(narrow)
    assert set(listing) == {"ops", "failed", "collisions"}
    assert next(op for op in listing["ops"] if op["name"] == "tanh") == {
        "name": "tanh",
        "arity": 1,
        "variadic": 0,
        "method": "tanh",
        "higher_order": True,
        "inline": True,
        "plugin": "builtin",
        "distribution": "micrograd-registry",
        "version": version("micrograd-registry"),
        "doc": "hyperbolic tangent; saturates to +-1.0 for large |x|",
    }
