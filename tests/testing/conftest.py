"""Fixtures for the contract kit's own tests: running Python in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest


@pytest.fixture
def run_python(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run Python code (``-c``) in a fresh process in ``tmp_path``; return the finished process."""

    def run(
        code: str, *, extra_path: Path | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, **(env or {}), "PYTHONIOENCODING": "utf-8"}
        environ.pop("PYTEST_ADDOPTS", None)
        if extra_path is not None:
            environ["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(extra_path), environ.get("PYTHONPATH")) if p
            )
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            env=environ,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    return run
