"""Shared fixtures: isolated registries that leave the default untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import venv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

import micrograd_ops
from micrograd_core import OpRegistry, default_registry, load_registry, state

# Derandomised in CI so a failure reproduces; random locally to explore more, with the
# blob that replays a failing example (@reproduce_failure) printed there too.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def scratch_default() -> Iterator[None]:
    """Whatever a test registers into the default registry is gone after it."""
    before = default_registry()
    yield
    state._reset_default(before)


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
_NOT_SOURCES = (".*", "__pycache__", "*.egg-info", "build", "dist")


@dataclass(frozen=True)
class InstalledEnv:
    """A fresh virtual environment where the project and its plugins are pip-installed.

    Holds ``micrograd-registry``, every distribution under ``plugins/``, the
    test-only ones under ``tests/e2e/fixtures/`` (disabled unless a command sets
    ``MICROGRAD_DISABLE_PLUGINS`` itself), pytest and hypothesis. Commands run
    with no other ``MICROGRAD_*`` variable set.
    """

    root: Path
    sources: Path  # copies of the installed distributions' sources
    disabled: tuple[str, ...] = FIXTURE_PLUGINS  # MICROGRAD_DISABLE_PLUGINS by default

    @property
    def bin(self) -> Path:
        """The folder of its ``python``, ``pip`` and ``micrograd``."""
        return self.root / "bin"

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment its commands run with: a plain, activated, uncoloured shell."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MICROGRAD_", "PYTHONPATH", "PYTHONHOME"))
        }
        env.update(
            PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(self.root),
            COLUMNS="100",
            NO_COLOR="1",
            TERM="dumb",
            PYTHONDONTWRITEBYTECODE="1",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            # pip's inverted spelling of --no-build-isolation: local packages build
            # with the setuptools installed here instead of downloading one each time
            PIP_NO_BUILD_ISOLATION="0",
        )
        if self.disabled:
            env["MICROGRAD_DISABLE_PLUGINS"] = ",".join(self.disabled)
        env.update(extra or {})
        return env

    def shell(self, command: str, *, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run a shell command line in the environment; stdout and stderr together,
        as a terminal shows them."""
        return subprocess.run(
            command,
            shell=True,
            cwd=cwd,
            env=self.environ(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=300,
        )

    def call(
        self, *args: str | Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a program of the environment with ``env`` added; stdout and stderr apart.

        It runs outside the source tree unless ``cwd`` says otherwise.
        """
        return subprocess.run(
            [str(self.bin / args[0]), *map(str, args[1:])],
            cwd=cwd or self.root.parent,
            env=self.environ(env),
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    def check(
        self, *args: str | Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> str:
        """Run a program of the environment; its stdout, or a failure that shows its output."""
        done = self.call(*args, env=env, cwd=cwd)
        if done.returncode != 0:
            pytest.fail(f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done.stdout


def _copy_sources(source: Path, into: Path, *skip: str) -> Path:
    """Copy a distribution's sources, so building it writes nothing into the checkout.

    ``skip`` names top-level folders to leave out (a package may have a ``tests``
    folder of its own deeper down, as the plugin template does).
    """
    not_sources = shutil.ignore_patterns(*_NOT_SOURCES)

    def ignore(folder: str, names: list[str]) -> set[str]:
        top = set(names) & set(skip) if Path(folder) == source else set()
        return not_sources(folder, names) | top

    return Path(shutil.copytree(source, into / source.name, ignore=ignore))


def create_env(
    base: Path, plugins: Sequence[Path], *requirements: str, disabled: tuple[str, ...] = ()
) -> InstalledEnv:
    """A virtual environment in ``base`` with this project, copies of the plugin
    distributions ``plugins`` and ``requirements`` pip-installed."""
    sources = base / "sources"
    distributions = [
        _copy_sources(ROOT, sources, "tests", "plugins", "docs", "benchmarks"),
        *(_copy_sources(d, sources) for d in plugins),
    ]
    env = InstalledEnv(base / "venv", sources, disabled)
    venv.create(env.root, with_pip=True)
    env.check("python", "-m", "pip", "install", "--quiet", "setuptools>=77", "wheel")
    env.check(
        *("python", "-m", "pip", "install", "--quiet", "--no-build-isolation"),
        *distributions,
        *requirements,
    )
    return env


@pytest.fixture(scope="session")
def installed_env(tmp_path_factory: pytest.TempPathFactory) -> InstalledEnv:
    """One virtual environment per test session with the project and its plugins installed."""
    return create_env(
        tmp_path_factory.mktemp("installed_env"),
        [
            *sorted((ROOT / "plugins").glob("micrograd-*")),
            *sorted(FIXTURE_DISTRIBUTIONS.glob("micrograd-*")),
        ],
        "pytest",
        "hypothesis",
        disabled=FIXTURE_PLUGINS,
    )
