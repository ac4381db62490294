"""What the commands say when the settings leave the registry without ops."""

from __future__ import annotations

from micrograd_core import OpRegistry
from micrograd_core.plugins import DISABLE_ENV, LOAD_ENV
from micrograd_core.registry import BUILTIN_DISTRIBUTION, BUILTIN_PLUGIN

__all__ = ["no_ops_message"]


def no_ops_message(registry: OpRegistry) -> str:
    """Why ``registry`` holds no ops, and how to get the built-in ones."""
    builtin = f"plugin {BUILTIN_PLUGIN!r}, which provides the built-in ops,"
    msg = "no ops are registered: "
    for plugin in registry.unloaded:
        if plugin.provenance.plugin == BUILTIN_PLUGIN:
            msg += f"{builtin} is installed but {plugin.reason}; "
            if DISABLE_ENV in plugin.reason:
                return msg + f"remove {BUILTIN_PLUGIN} from {DISABLE_ENV}"
            return msg + f"unset {LOAD_ENV} or add {BUILTIN_PLUGIN} to it"
    for failure in registry.failures:
        if failure.plugin == BUILTIN_PLUGIN:
            return msg + f"{builtin} failed to load: {failure.error}"
    return msg + f"{builtin} is not installed; pip install {BUILTIN_DISTRIBUTION}"
