"""Shared fixtures: isolated registries that leave the default untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

import micrograd_ops
from micrograd_core import OpRegistry, load_registry

# Derandomised in CI so a failure reproduces; random locally to explore more.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def builtin_registry() -> Iterator[OpRegistry]:
    """A registry of just the built-in ops, active for the test."""
    registry = load_registry({"builtin": micrograd_ops}, environ={})
    with registry.activated():
        yield registry


# -- a real installation, shared by the end-to-end tests -----------------------

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DISTRIBUTIONS = ROOT / "tests" / "e2e" / "fixtures"
# The entry points of the test-only distributions under tests/e2e/fixtures: one that
# fails on import, one that registers an invalid op, and two that both provide 'cube'.
FIXTURE_PLUGINS = ("broken_import", "invalid_op", "cube_a", "cube_b")
_NOT_SOURCES = shutil.ignore_patterns(
    ".*", "__pycache__", "*.egg-info", "build", "dist", "tests", "plugins", "docs", "benchmarks"
)


@dataclass(frozen=True)
class InstalledEnv:
    """A fresh virtual environment where the project and its plugins are pip-installed.

    Holds ``micrograd-registry``, every distribution under ``plugins/`` and the
    test-only ones under ``tests/e2e/fixtures/``. Commands run outside the source
    tree, with no ``MICROGRAD_*`` variable set except ``MICROGRAD_DISABLE_PLUGINS``,
    which disables the fixture plugins unless ``env`` sets it.
    """

    venv: Path
    workdir: Path

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        return self.venv / "bin" / "python"

    def run(
        self, *args: str | Path, env: Mapping[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command of the environment (``micrograd``, ``python``...), capturing output."""
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MICROGRAD_", "PYTHON", "VIRTUAL_ENV", "COV_"))
        }
        environ["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{environ.get('PATH', '')}"
        environ["MICROGRAD_DISABLE_PLUGINS"] = ",".join(FIXTURE_PLUGINS)
        environ.update(env or {})
        command = [str(self.venv / "bin" / args[0]), *map(str, args[1:])]
        result = subprocess.run(
            command, cwd=self.workdir, env=environ, capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            msg = f"{command} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}"
            raise AssertionError(msg)
        return result

    def python_code(
        self, code: str, env: Mapping[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run Python source in the environment."""
        return self.run("python", "-c", code, env=env, check=check)


def _copy_sources(source: Path, into: Path) -> Path:
    """Copy a distribution's sources, so building it writes nothing into the checkout."""
    return Path(shutil.copytree(source, into / source.name, ignore=_NOT_SOURCES))


@pytest.fixture(scope="session")
def installed_env(tmp_path_factory: pytest.TempPathFactory) -> InstalledEnv:
    """One virtual environment per test session with the project and its plugins installed."""
    base = tmp_path_factory.mktemp("installed_env")
    sources = base / "sources"
    distributions = [
        _copy_sources(ROOT, sources),
        *(_copy_sources(d, sources) for d in sorted((ROOT / "plugins").glob("micrograd-*"))),
        *(_copy_sources(d, sources) for d in sorted(FIXTURE_DISTRIBUTIONS.glob("micrograd-*"))),
    ]
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip: list[str | Path] = [venv / "bin" / "python", "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "setuptools>=77", "wheel"], check=True)
    subprocess.run([*pip, "--no-build-isolation", *distributions], check=True)
    workdir = base / "work"
    workdir.mkdir()
    return InstalledEnv(venv, workdir)
