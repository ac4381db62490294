"""The test session's default registry holds the built-in ops only.

Tests must pass whatever op plugins the environment holds (``pip install
plugins/*`` into the development venv, a plugin made with ``micrograd
new-plugin``), so the session selects the ``builtin`` plugin before anything
builds the default registry; commands the tests run inherit the setting.
Tests that use other plugins load them into registries of their own, and the
end-to-end tests install them into an environment of their own.
"""

from __future__ import annotations

import os

for variable in ("MICROGRAD_DISABLE_PLUGINS", "MICROGRAD_STRICT_PLUGINS"):
    os.environ.pop(variable, None)
os.environ["MICROGRAD_LOAD_PLUGINS"] = "builtin"
