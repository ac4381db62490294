"""``micrograd new-plugin``: the package it writes installs, type-checks and passes its tests."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
import venv
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from micrograd_cli import cli
from micrograd_cli.new_plugin import distribution, scaffold
from tests.conftest import ROOT, InstalledEnv, _copy_sources
from tests.helpers import check_plugin_convention

NAME = "scaffolded"  # an op name no other plugin of this repository uses


NAMES = ["cube", "abs_", "zeta", "my_op"]  # sorting before, after and around the hook's name


def _tool(tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one of this environment's tools (ruff, mypy) on a generated package, as its
    README says: no MYPYPATH, so micrograd_core is found the way the environment installs it."""
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
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


def _import(root: Path, name: str) -> ModuleType:
    """The generated module, imported from its file (not installed, not in sys.modules)."""
    path = root / f"micrograd_{name}" / "__init__.py"
    spec = importlib.util.spec_from_file_location(f"micrograd_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_follows_the_plugins_convention(name: str, tmp_path: Path) -> None:
    """The generated module exports its op as micrograd_ops and the plugins here do: the
    record in capitals, registered by the hook, and a typed function in lowercase that
    applies the op the active registry holds, not the record."""
    module = _import(scaffold(name, tmp_path), name)
    check_plugin_convention(module)


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One mypy cache for this module: micrograd_core is analysed once, not per test."""
    return str(tmp_path_factory.mktemp("mypy-cache"))


@pytest.mark.parametrize("name", NAMES)
def test_passes_ruff_and_mypy_strict(name: str, tmp_path: Path, mypy_cache: str) -> None:
    """The generated code is clean under the package's own ruff and mypy settings, whatever
    the name (``__all__`` sorted as ruff wants), with micrograd_core found by mypy from
    outside this repository (the development install is a path-based editable one)."""
    root = scaffold(name, tmp_path)
    for tool, args in [
        ("ruff", ["check", "."]),
        ("ruff", ["format", "--check", "."]),
        ("mypy", ["--strict", "--cache-dir", mypy_cache]),
    ]:
        done = _tool(tool, *args, cwd=root)
        assert done.returncode == 0, f"{tool} {' '.join(args)}:\n{done.stdout}{done.stderr}"


def test_mypy_catches_a_type_error_in_it(tmp_path: Path, mypy_cache: str) -> None:
    """The type check above can fail: the op's function returning a string is reported."""
    root = scaffold(NAME, tmp_path)
    module = root / f"micrograd_{NAME}" / "__init__.py"
    typed = f"    return _{NAME}_op(x)"
    assert typed in module.read_text()
    module.write_text(module.read_text().replace(typed, f"    return str(_{NAME}_op(x))"))
    done = _tool("mypy", "--strict", "--cache-dir", mypy_cache, cwd=root)
    assert done.returncode == 1
    assert "Incompatible return value type" in done.stdout


@pytest.mark.slow
def test_installs_and_passes_its_readme_commands(
    installed_env: InstalledEnv, tmp_path: Path
) -> None:
    """pip-installed into the shared environment, each generated package passes what its
    README runs (pytest, mypy, ruff), ``micrograd ops --json`` lists its op, and its tests
    fail on a wrong derivative."""
    roots = [scaffold(name, tmp_path) for name in NAMES]
    installed_env.check("python", "-m", "pip", "install", "--quiet", "--no-deps",
                        *(arg for root in roots for arg in ("-e", str(root))))  # fmt: skip
    try:
        listing = json.loads(installed_env.check("micrograd", "ops", "--json"))
        assert listing["failed"] == []
        assert listing["collisions"] == []
        for name, root in zip(NAMES, roots, strict=True):
            (op,) = [op for op in listing["ops"] if op["name"] == name]
            assert (op["plugin"], op["distribution"]) == (name, distribution(name))
            passed = installed_env.check(
                "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=root
            )
            assert "passed" in passed
            assert "failed" not in passed
            python = str(installed_env.bin / "python")
            for tool, args in [
                ("mypy", ["--python-executable", python, "--no-incremental"]),
                ("ruff", ["check", "."]),
                ("ruff", ["format", "--check", "."]),
            ]:
                done = _tool(tool, *args, cwd=root)
                assert done.returncode == 0, f"{name}: {tool}:\n{done.stdout}{done.stderr}"

        root = roots[0]
        module = root / f"micrograd_{NAMES[0]}" / "__init__.py"
        wrong = module.read_text().replace('partials=("3 * x0 ** 2",)', 'partials=("2 * x0 ** 2",)')
        module.write_text(wrong)
        broken = installed_env.shell("python -m pytest -q -p no:cacheprovider", cwd=root)
        assert broken.returncode == 1
        assert f"test_contract[{NAMES[0]}-finite_differences]" in broken.stdout
    finally:
        installed_env.check(
            *("python", "-m", "pip", "uninstall", "--quiet", "--yes"),
            *map(distribution, NAMES),
        )


SCRIPT = """\
from micrograd_core import Value

import micrograd_scaffolded

x = Value(2.0)
y: Value = (x * 3).tanh()
names: list[str] = micrograd_scaffolded.__all__
"""


def _pip_args(line: str) -> list[str]:
    """A ``pip install`` command line's arguments after ``install``, without ``--quiet``."""
    words = shlex.split(line)
    return [w for w in words[words.index("install") + 1 :] if w != "--quiet"]


def test_the_makefile_installs_as_the_readme_says() -> None:
    """``make`` creates its environment with the README's development install, nothing added."""
    readme = (ROOT / "README.md").read_text().splitlines()
    (documented,) = [line for line in readme if line.startswith("pip install -e ")]
    make = (ROOT / "Makefile").read_text().splitlines()
    (used,) = [line for line in make if "pip install" in line and " -e " in line]
    assert _pip_args(used) == _pip_args(documented) == ["-e", ".[dev]"]


@pytest.mark.slow
def test_an_editable_install_type_checks_from_anywhere(tmp_path: Path) -> None:
    """The README's development install, and a generated plugin's ``pip install -e .``, put
    their folders on sys.path: mypy finds both packages from a folder outside them, and the
    build prints no warning."""
    base = tmp_path / "env"
    source = _copy_sources(ROOT, base, "tests", "plugins", "docs", "benchmarks")
    plugin = scaffold(NAME, tmp_path)
    env = InstalledEnv(base / "venv", base)
    venv.create(env.root, with_pip=True)
    env.check("python", "-m", "pip", "install", "--quiet", "setuptools>=77")
    install = ("python", "-m", "pip", "install", "--no-deps", "--no-build-isolation")
    for folder in (source, plugin):
        done = env.call(*install, "-e", folder)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "script.py").write_text(SCRIPT)
    python = str(env.bin / "python")
    found = _tool(
        *("mypy", "--strict", "--no-incremental", "--python-executable", python, "script.py"),
        cwd=elsewhere,
    )
    assert found.returncode == 0, found.stdout + found.stderr
