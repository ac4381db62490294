"""The environment the docs' console blocks run in: a user's, with this project installed."""

from __future__ import annotations

import os
import shlex
import subprocess
import venv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class InstalledEnv:
    """A virtual environment with this project installed, as a user would have it."""

    root: Path

    @property
    def bin(self) -> Path:
        """The folder of its ``python``, ``pip`` and ``micrograd``."""
        return self.root / "bin"

    def environ(self) -> Mapping[str, str]:
        """The environment its commands run with: a plain, activated, uncoloured shell."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MICROGRAD_")}
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
        env.pop("PYTHONPATH", None)
        return env

    def shell(self, command: str, *, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in a shell inside the environment; stdout and stderr together."""
        return subprocess.run(
            command,
            shell=True,
            cwd=cwd,
            env=dict(self.environ()),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=300,
        )

    def run(self, *args: str | Path, cwd: Path = ROOT) -> str:
        """Run a program of the environment; its output, or a failure that shows it."""
        done = self.shell(shlex.join(map(str, args)), cwd=cwd)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout}")
        return done.stdout


@pytest.fixture(scope="session")
def docs_env(tmp_path_factory: pytest.TempPathFactory) -> InstalledEnv:
    """A fresh virtual environment with this project pip-installed, shared by the session."""
    env = InstalledEnv(tmp_path_factory.mktemp("installed") / "venv")
    venv.create(env.root, with_pip=True)
    env.run("python", "-m", "pip", "install", "--quiet", "setuptools>=68")
    # pytest too, to run the tests of the plugins installed there
    env.run("python", "-m", "pip", "install", "--quiet", "-e", ROOT, "pytest")
    return env
