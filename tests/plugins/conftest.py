"""Fixtures for the plugin tests: distributions in a temporary directory, a scratch default."""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint, PathDistribution
from pathlib import Path

import pytest

from micrograd_core import state
from micrograd_core.plugins import ENTRY_POINT_GROUP

_installed_entry_points = importlib.metadata.entry_points


class Site:
    """Distributions written to a temporary directory, seen through ``entry_points()``.

    Each is a real ``*.dist-info`` directory whose modules live beside it, so
    discovery, loading and provenance run as for an installed plugin.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.distributions: list[PathDistribution] = []
        self.modules: list[str] = []

    def add(self, distribution: str, version: str = "1.0", **plugins: str) -> None:
        """Add ``distribution`` with one entry point per ``name=module source``."""
        info = self.root / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
        )
        lines = ["[micrograd]"]
        for name, source in plugins.items():
            module = f"{distribution.replace('-', '_')}_{name}"
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
            self.modules.append(module)
            lines.append(f"{name} = {module}")
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        self.distributions.append(PathDistribution(info))

    def entry_points(self, *, group: str) -> list[EntryPoint]:
        if group != ENTRY_POINT_GROUP:  # another package's plugins: the installed ones
            return list(_installed_entry_points(group=group))
        return [ep for d in self.distributions for ep in d.entry_points if ep.group == group]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """An empty set of installed distributions that ``load_registry()`` discovers."""
    found = Site(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    # discovery reads importlib.metadata's entry points when it runs
    monkeypatch.setattr(importlib.metadata, "entry_points", found.entry_points)
    for name in ("MICROGRAD_LOAD_PLUGINS", "MICROGRAD_DISABLE_PLUGINS", "MICROGRAD_STRICT_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    yield found
    for module in found.modules:
        sys.modules.pop(module, None)


@pytest.fixture
def fresh_default() -> Iterator[None]:
    """The default registry is built again on next use, and restored after the test."""
    before = state._default  # None if nothing has built it yet
    state._reset_default(None)
    yield
    state._reset_default(before)
