"""The environment the docs' console blocks run in: a reader's, with this project alone."""

from __future__ import annotations

import pytest

from tests.conftest import InstalledEnv, create_env


@pytest.fixture(scope="session")
def docs_env(tmp_path_factory: pytest.TempPathFactory) -> InstalledEnv:
    """The project and pytest pip-installed, and no plugin besides the built-in one.

    The shared end-to-end environment holds test-only broken plugins, which a
    reader's does not; the tutorials show what a reader sees.
    """
    return create_env(tmp_path_factory.mktemp("docs_env"), [], "pytest")
