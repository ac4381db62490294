"""``micrograd --help`` lists every command without importing any of them."""

from __future__ import annotations

import click
import pytest

from micrograd_cli import COMMANDS, cli
from tests.core.test_startup import loaded

HELP = """\
sys.argv = ["micrograd", "--help"]
from micrograd_cli import main
try:
    main()
except SystemExit:
    pass
"""


def test_help_imports_click_alone() -> None:
    heavy = {
        m
        for m in loaded(HELP)
        if m.startswith(("micrograd_core", "micrograd_nn", "micrograd_ops", "rich", "pluggy"))
        or (m.startswith("micrograd_cli.") and m != "micrograd_cli")
    }
    assert heavy == set()


def test_a_command_s_help_imports_it() -> None:
    """The check above can fail: asking a command for its help imports its module."""
    code = HELP.replace('"--help"', '"ops", "--help"')
    assert {"micrograd_cli.ops", "micrograd_core", "rich"} <= loaded(code)


@pytest.mark.parametrize("width", [50, 80, 120])
def test_the_listing_is_click_s_from_the_commands(width: int) -> None:
    """The summaries ``--help`` lists are what click makes of the commands' docstrings."""
    ctx = click.Context(cli, info_name="micrograd")
    listed, imported = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
    cli.format_commands(ctx, listed)
    click.Group.format_commands(cli, ctx, imported)  # imports every command
    assert listed.getvalue() == imported.getvalue()
    assert all(name in listed.getvalue() for name in COMMANDS)
