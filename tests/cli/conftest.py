"""The installed environment for the end-to-end test of ``micrograd new-plugin``."""

from __future__ import annotations

import pytest

from tests.docs.conftest import InstalledEnv, docs_env  # noqa: F401  (the fixture, visible here)


@pytest.fixture(scope="session")
def installed_env(request: pytest.FixtureRequest) -> InstalledEnv:
    """For now the docs' environment; the shared end-to-end one once it exists."""
    env: InstalledEnv = request.getfixturevalue("docs_env")
    return env
