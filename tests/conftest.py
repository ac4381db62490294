"""Shared fixtures: isolated registries that leave the default untouched."""

from __future__ import annotations

import os
from collections.abc import Iterator

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
