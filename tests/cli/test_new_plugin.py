"""``micrograd new-plugin``: the package it writes installs, type-checks and passes its tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from micrograd_cli import cli
from micrograd_cli.new_plugin import scaffold
from tests.conftest import ROOT, InstalledEnv

NAME = "scaffolded"  # an op name no other plugin of this repository uses


def _tool(tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one of this environment's tools (ruff, mypy) on a generated package."""
    env = {**os.environ, "MYPYPATH": str(ROOT)}  # micrograd_core from this checkout
    return subprocess.run(
        [sys.executable, "-m", tool, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_writes_the_package(tmp_path: Path) -> None:
    """The command prints what it created: entry point, op, tests, README and py.typed."""
    result = CliRunner().invoke(cli, ["new-plugin", "cube", "--directory", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "micrograd-cube"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "micrograd_cube/__init__.py",
        "micrograd_cube/py.typed",
        "pyproject.toml",
        "tests/test_cube.py",
    ]
    assert all(f in result.output for f in files)
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points.micrograd]\ncube = "micrograd_cube"' in pyproject
    assert 'name = "micrograd-cube"' in pyproject
    assert "{{" not in "".join((root / f).read_text() for f in files)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Cube", "op name 'Cube' is not a lowercase identifier"),
        ("my-op", "op name 'my-op' is not a lowercase identifier"),
        ("class", "op name 'class' is not a lowercase identifier"),
        ("abs", "op name 'abs' would shadow the Python builtin 'abs'"),
        ("backward", "cannot claim method 'backward': Value already uses it"),
        ("tanh", "op name 'tanh' is taken already, by plugin 'builtin' (micrograd-registry "),
    ],
)
def test_refuses_a_bad_name(tmp_path: Path, name: str, error: str) -> None:
    """A name that cannot be an op, module and Python name is a usage error saying why."""
    result = CliRunner().invoke(cli, ["new-plugin", name, "--directory", str(tmp_path)])
    assert result.exit_code == 2
    assert error in result.output
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    """An existing package folder is left alone."""
    scaffold("cube", tmp_path)
    result = CliRunner().invoke(cli, ["new-plugin", "cube", "--directory", str(tmp_path)])
    assert result.exit_code == 2
    assert "exists already" in result.output


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One mypy cache for this module: micrograd_core is analysed once, not per test."""
    return str(tmp_path_factory.mktemp("mypy-cache"))


def test_passes_ruff_and_mypy_strict(tmp_path: Path, mypy_cache: str) -> None:
    """The generated code is clean under the package's own ruff and mypy settings."""
    root = scaffold(NAME, tmp_path)
    for tool, args in [
        ("ruff", ["check", "."]),
        ("ruff", ["format", "--check", "."]),
        ("mypy", ["--strict", "--cache-dir", mypy_cache]),
    ]:
        done = _tool(tool, *args, cwd=root)
        assert done.returncode == 0, f"{tool} {' '.join(args)}:\n{done.stdout}{done.stderr}"


def test_mypy_catches_a_type_error_in_it(tmp_path: Path, mypy_cache: str) -> None:
    """The type check above can fail: a partial returning a string is reported."""
    root = scaffold(NAME, tmp_path)
    module = root / f"micrograd_{NAME}" / "__init__.py"
    module.write_text(module.read_text().replace("return 3 * x**2", 'return "3 * x**2"'))
    done = _tool("mypy", "--strict", "--cache-dir", mypy_cache, cwd=root)
    assert done.returncode == 1
    assert "Incompatible return value type" in done.stdout


@pytest.mark.slow
def test_installs_and_passes_its_tests(installed_env: InstalledEnv, tmp_path: Path) -> None:
    """pip-installed into the shared environment, ``micrograd ops --json`` lists its op,
    its tests pass, and they fail on a wrong derivative."""
    root = scaffold(NAME, tmp_path)
    installed_env.check("pip", "install", "--quiet", "--no-build-isolation", "-e", root)
    try:
        listing = json.loads(installed_env.check("micrograd", "ops", "--json"))
        (op,) = [op for op in listing["ops"] if op["name"] == NAME]
        assert (op["plugin"], op["distribution"], op["method"]) == (NAME, f"micrograd-{NAME}", NAME)
        assert listing["failed"] == []
        assert listing["collisions"] == []

        passed = installed_env.check(
            "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=root
        )
        assert "passed" in passed
        assert "failed" not in passed

        module = root / f"micrograd_{NAME}" / "__init__.py"
        module.write_text(module.read_text().replace("return 3 * x**2", "return 2 * x**2"))
        broken = installed_env.shell("python -m pytest -q -p no:cacheprovider", cwd=root)
        assert broken.returncode == 1
        assert f"test_contract[{NAME}-finite_differences]" in broken.stdout
    finally:
        installed_env.check("pip", "uninstall", "--quiet", "--yes", f"micrograd-{NAME}")
