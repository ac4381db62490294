"""``micrograd check``: the table keeps op and plugin names whole at any width."""

from __future__ import annotations

import pytest

from micrograd_core.testing import CHECKS
from micrograd_core.testing.targets import installed_targets
from tests.cli.conftest import Micrograd
from tests.cli.test_ops import ANSI, words

CHECK = ("check", "--examples", "3", "--sampler", "builtin")


@pytest.mark.parametrize(
    ("columns", "terminal"), [(60, True), (80, True), (100, True), (None, False)]
)
def test_names_are_never_cut(micrograd: Micrograd, columns: int | None, terminal: bool) -> None:
    done = micrograd(*CHECK, columns=columns, terminal=terminal)
    assert done.returncode == 0, done.stdout + done.stderr
    text = ANSI.sub("", done.stdout)
    assert "…" not in text
    assert {"affine", "leaky_relu", "softplus", "builtin", "activations"} <= words(text)
    assert all(name in text for name in CHECKS)  # a heading, or in the legend
    rows = [line.split()[:15] for line in text.splitlines()]
    targets = "✓" if installed_targets() else "-"  # torch's and JAX's translations agree
    leaky_relu = [
        "leaky_relu", "activations", "✓", "-", "✓", "✓", "✓", "✓", "✓", "✓", targets, "✓", "-",
        "✓", "✓",
    ]  # fmt: skip
    assert leaky_relu in rows
    assert "14 of 14 ops meet the contract (builtin inputs)" in text
    if columns is not None:
        assert max(len(line) for line in text.splitlines()) <= columns


def test_a_failing_input_is_shown_where_there_is_room(micrograd: Micrograd) -> None:
    done = micrograd(*CHECK, "relu", "--examples", "1", columns=120, terminal=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "first failing input" in ANSI.sub("", done.stdout)
