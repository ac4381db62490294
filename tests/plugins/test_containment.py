"""What a plugin cannot do to the program: re-enter the build, exit, or hide its faults."""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

import micrograd_ops
from micrograd_cli import cli
from micrograd_core import (
    MethodNotFoundError,
    Op,
    OpCollisionError,
    PluginLoadError,
    PluginWarning,
    Value,
    apply,
    default_registry,
    load_registry,
    register_op,
)
from tests.helpers import make_plugin

if TYPE_CHECKING:
    from tests.plugins.conftest import Site

BUILTIN = "from micrograd_ops import micrograd_register_ops\n"

USES_THE_ENGINE_IN_ITS_HOOK = """
from micrograd_core import Op, Register, Value, hookimpl

@hookimpl
def micrograd_register_ops(register: Register) -> None:
    register(Op("eager", 1, forward=lambda x: x, partials=(lambda x, out: 1.0,), method="eager"))
    Value(1.0) + 1
"""

EXITS_ON_IMPORT = "import sys\nsys.exit(3)\n"

TRIG = """
import math
from micrograd_core import Op, Register, hookimpl

@hookimpl
def micrograd_register_ops(register: Register) -> None:
    register(Op("sin", 1, forward=math.sin, partials=(lambda x, out: math.cos(x),),
                method="sin"))
"""


@pytest.mark.usefixtures("fresh_default")
def test_a_hook_that_uses_the_engine_while_the_registry_builds_is_that_plugins_failure(
    site: Site,
) -> None:
    site.add("micrograd-registry", "0.1.0", builtin=BUILTIN)
    site.add("micrograd-eager", "1.0", eager=USES_THE_ENGINE_IN_ITS_HOOK)
    with pytest.warns(PluginWarning, match=r"plugin 'eager' .* RegistryBuildError: an op was used"):
        assert (Value(2.0) * 3).data == 6.0
    registry = default_registry()
    assert "eager" not in registry
    assert [f.plugin for f in registry.failures] == ["eager"]
    # consistent afterwards: Value uses the default, and registering still adds a method
    register_op(Op("later", 1, forward=float, partials=(lambda x, out: 1.0,), method="later"))
    assert Value(2.0).later().data == 2.0  # type: ignore[attr-defined]
    with pytest.raises(MethodNotFoundError, match=r"plugin 'eager' .* failed to load"):
        Value(1.0).eager()  # type: ignore[attr-defined]


@pytest.mark.usefixtures("fresh_default")
def test_a_plugin_that_exits_on_import_is_skipped_and_listed(site: Site) -> None:
    site.add("micrograd-registry", "0.1.0", builtin=BUILTIN)
    site.add("micrograd-quitter", "1.0", quitter=EXITS_ON_IMPORT)
    result = CliRunner().invoke(cli, ["ops", "--json"])
    assert result.exit_code == 0, result.output
    assert "plugin 'quitter' (micrograd-quitter 1.0)" in result.output
    assert "SystemExit: 3" in result.output


@pytest.mark.parametrize("exit_", [SystemExit(1), GeneratorExit()])
def test_any_exit_a_hook_takes_is_its_failure(exit_: BaseException) -> None:
    with pytest.warns(PluginWarning, match=f"plugin 'quitter' was skipped: {type(exit_).__name__}"):
        registry = load_registry(
            {"builtin": micrograd_ops, "quitter": make_plugin(raises=exit_)}, environ={}
        )
    assert "add" in registry
    with pytest.raises(PluginLoadError, match="quitter"):
        load_registry({"quitter": make_plugin(raises=exit_)}, environ={}, strict=True)


def test_keyboard_interrupt_goes_through() -> None:
    with pytest.raises(KeyboardInterrupt):
        load_registry({"stop": make_plugin(raises=KeyboardInterrupt())}, environ={})


def _two(name: str, method: str | None = None) -> dict[str, object]:
    op = Op(
        name,
        2 if name == "add" else 1,
        forward=lambda *xs: 0.0,
        method=method,
        partials=(lambda *xs: 0.0,) * (2 if name == "add" else 1),
    )
    return {"builtin": micrograd_ops, "a": make_plugin(op), "b": make_plugin(op)}


def test_an_operator_whose_op_two_plugins_provide_raises_the_collision() -> None:
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        registry = load_registry(_two("add"), environ={})
    with registry.activated():
        with pytest.raises(
            OpCollisionError, match=r"op 'add' is provided by .*plugin 'a' and plugin 'b'"
        ):
            Value(1.0) + 1
        with pytest.raises(OpCollisionError, match="op 'add'"):
            apply("add", 1.0, 2.0)
        assert (Value(2.0) * 3).data == 6.0


def test_a_method_whose_op_two_plugins_provide_raises_the_collision() -> None:
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        registry = load_registry(_two("sin", method="sin"), environ={})
    with registry.activated():
        with pytest.raises(OpCollisionError, match=r"op 'sin' is provided by plugin 'a'.* 'b'"):
            Value(1.0).sin()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"MICROGRAD_DISABLE_PLUGINS": "trig"}, "disabled by MICROGRAD_DISABLE_PLUGINS='trig'"),
        ({"MICROGRAD_LOAD_PLUGINS": "builtin"}, "not in MICROGRAD_LOAD_PLUGINS='builtin'"),
    ],
)
def test_a_method_of_a_plugin_left_out_says_which_plugin_and_why(
    site: Site, environ: dict[str, str], reason: str
) -> None:
    site.add("micrograd-registry", "0.1.0", builtin=BUILTIN)
    site.add("micrograd-trig", "0.2", trig=TRIG)
    with load_registry(environ=environ).activated():
        expected = f"plugin 'trig' .* provides it, but it is {re.escape(reason)}"
        with pytest.raises(MethodNotFoundError, match=expected) as caught:
            Value(1.0).sin()  # type: ignore[attr-defined]
        assert isinstance(caught.value, AttributeError)
        assert not hasattr(Value(1.0), "sin")
        assert Value(0.0).tanh().data == 0.0


def test_a_misspelt_name_suggests_the_closest() -> None:
    registry = load_registry({"builtin": micrograd_ops}, environ={})
    assert "did you mean 'tanh'?" in str(registry.method_error("tahn"))
    assert "did you mean 'relu'?" in str(registry.lookup_error("rleu"))
