"""What ``import micrograd_core`` loads: the engine and its registry's code, not what later
uses need (compiled graphs, pictures, plugin discovery)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import micrograd_core

# Loaded on first use, never by the import itself.
NOT_AT_IMPORT = {
    "micrograd_core.compiled",
    "micrograd_core._replay_plan",
    "micrograd_core._kernel",
    "micrograd_core.grammar",  # inline expressions: checked when an op is registered
    "micrograd_core.dialect",
    "micrograd_core.viz",
    "importlib.metadata",  # plugin discovery: the first use of an op pays for it
    "micrograd_core.plugins",
    "micrograd_core.hookspecs",  # the plugin API: imported by a plugin, or on first access
    "pluggy",
    "difflib",  # suggestions in error messages
    "pathlib",
}
SCRIPT = "import sys\n{code}\nsys.stderr.write(' '.join(sys.modules))\n"


def modules(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(code=code)],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stderr.split())


def loaded(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``, beyond a bare one's."""
    return modules(code) - modules("pass")


def test_import_leaves_later_needs_unloaded() -> None:
    assert loaded("import micrograd_core") & NOT_AT_IMPORT == set()


# Modules that take milliseconds to import, or (dataclasses) to apply.
SLOW_TO_IMPORT = {"typing", "dataclasses", "inspect", "enum", "re", "ast", "pluggy"}


@pytest.mark.parametrize("code", ["import micrograd_core", "from micrograd_core import Value"])
def test_import_loads_nothing_slow(code: str) -> None:
    assert loaded(code) & SLOW_TO_IMPORT == set()


def test_first_use_loads_what_it_needs() -> None:
    """The check above can fail: a use of what the import leaves out loads it."""
    code = "from micrograd_core import Value, compile_graph, to_dot\nValue(2.0) * 3"
    # what a bare interpreter holds already (pathlib, where an editable install's
    # finder is set up at start-up) cannot be loaded by the first use
    assert NOT_AT_IMPORT - {"difflib"} - modules("pass") <= loaded(code)


@pytest.mark.parametrize("name", micrograd_core.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    """Each name of ``__all__`` is an attribute of the package, and listed by dir()."""
    assert getattr(micrograd_core, name) is not None
    assert name in dir(micrograd_core)


def test_a_lazy_name_is_the_module_s_own() -> None:
    from micrograd_core import compile_graph, compiled  # noqa: PLC0415

    assert compile_graph is compiled.compile_graph


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'micrograd_core' has no attribute 'nope'"):
        micrograd_core.nope  # type: ignore[attr-defined]  # noqa: B018
