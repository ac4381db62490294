"""``micrograd ops`` and ``micrograd demo`` when the settings select no plugin with ops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MICROGRAD = Path(sys.executable).with_name("micrograd")

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


def run(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROGRAD_")}
    env.pop("PYTEST_ADDOPTS", None)
    env.update(settings, PYTHONIOENCODING="utf-8", NO_COLOR="1", COLUMNS="300")
    return subprocess.run(
        [str(MICROGRAD), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
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
    tmp_path: Path, settings: dict[str, str], message: str
) -> None:
    done = run(tmp_path, "ops", **settings)
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"Error: {message}" in one_line(done.stderr)


def test_ops_json_with_no_ops_is_still_valid_json(tmp_path: Path) -> None:
    done = run(tmp_path, "ops", "--json", MICROGRAD_LOAD_PLUGINS="nosuchplugin")
    assert done.returncode == 1
    assert json.loads(done.stdout) == {"ops": [], "failed": [], "collisions": []}
    assert f"Error: {NOT_SELECTED}" in one_line(done.stderr)


def test_demo_with_no_ops_says_the_builtin_plugin_is_not_selected(tmp_path: Path) -> None:
    done = run(tmp_path, "demo", "--steps", "1", MICROGRAD_LOAD_PLUGINS="nosuchplugin")
    assert done.returncode == 1
    assert f"Error: {NOT_SELECTED}" in one_line(done.stderr)
    assert "--activation" not in done.stderr
