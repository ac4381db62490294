"""Running the installed ``micrograd`` command with chosen plugins and a chosen width."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MICROGRAD = Path(sys.executable).with_name("micrograd")
ACTIVATIONS = ROOT / "plugins" / "micrograd-activations"

Micrograd = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def activations_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where micrograd-activations looks installed: its dist-info, with the
    entry point, and its module imported from the checkout through ``PYTHONPATH``."""
    site = tmp_path_factory.mktemp("site")
    info = site / "micrograd_activations-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: micrograd-activations\nVersion: 0.1.0\n"
    )
    (info / "entry_points.txt").write_text("[micrograd]\nactivations = micrograd_activations\n")
    return site


@pytest.fixture
def micrograd(activations_site: Path, tmp_path: Path) -> Micrograd:
    """Run ``micrograd ARGS`` in a process of its own, piped, with the built-in ops and
    micrograd-activations alone (whatever else this environment holds);
    ``columns=None`` leaves the width unset, ``terminal=True`` makes rich take the
    pipe for a terminal, and ``settings`` (``MICROGRAD_LOAD_PLUGINS="..."``) replace
    the plugin settings."""

    def run(
        *args: str, columns: int | None = None, terminal: bool = False, **settings: str
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MICROGRAD_")}
        for name in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "PYTEST_ADDOPTS"):
            env.pop(name, None)
        env.update(
            MICROGRAD_LOAD_PLUGINS="builtin,activations",
            PYTHONPATH=os.pathsep.join([str(activations_site), str(ACTIVATIONS)]),
            PYTHONIOENCODING="utf-8",
            NO_COLOR="1",
            TERM="xterm",  # not "dumb": rich gives a dumb terminal 80 columns whatever COLUMNS says
        )
        env.update(settings)
        if columns is not None:
            env["COLUMNS"] = str(columns)
        if terminal:
            env["TTY_COMPATIBLE"] = "1"
        return subprocess.run(
            [str(MICROGRAD), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    return run
