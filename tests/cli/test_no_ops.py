"""``micrograd ops`` and ``micrograd demo`` when the settings select no plugin with ops."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Micrograd

NOT_SELECTED = (
    "no ops are registered: plugin 'builtin', which provides the built-in ops, is installed "
    "but it is not in MICROGRAD_LOAD_PLUGINS='nosuchplugin'; unset MICROGRAD_LOAD_PLUGINS "
    "or add builtin to it"
)
DISABLED = (
    "no ops are registered: plugin 'builtin', which provides the built-in ops, is installed "
    "but it is disabled by MICROGRAD_DISABLE_PLUGINS='builtin'; remove builtin from "
    "MICROGRAD_DISABLE_PLUGINS"
)


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MICROGRAD_LOAD_PLUGINS": "nosuchplugin"}, NOT_SELECTED),
        # only builtin is selected, whatever else is installed, and it is disabled
        ({"MICROGRAD_LOAD_PLUGINS": "builtin", "MICROGRAD_DISABLE_PLUGINS": "builtin"}, DISABLED),
    ],
    ids=["not selected", "disabled"],
)
def test_ops_with_no_ops_says_why_and_fails(
    micrograd: Micrograd, settings: dict[str, str], message: str
) -> None:
    done = micrograd("ops", columns=300, **settings)
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"Error: {message}" in one_line(done.stderr)


def test_ops_json_with_no_ops_is_still_valid_json(micrograd: Micrograd) -> None:
    done = micrograd("ops", "--json", MICROGRAD_LOAD_PLUGINS="nosuchplugin")
    assert done.returncode == 1
    assert json.loads(done.stdout) == {"ops": [], "failed": [], "collisions": []}
    assert f"Error: {NOT_SELECTED}" in one_line(done.stderr)


def test_demo_with_no_ops_says_the_builtin_plugin_is_not_selected(micrograd: Micrograd) -> None:
    done = micrograd("demo", "--steps", "1", columns=300, MICROGRAD_LOAD_PLUGINS="nosuchplugin")
    assert done.returncode == 1
    assert f"Error: {NOT_SELECTED}" in one_line(done.stderr)
    assert "--activation" not in done.stderr
