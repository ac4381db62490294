"""Building registries from plugins: provenance, isolation, failures, collisions."""

from __future__ import annotations

import math
import pickle
import types

import pytest

import micrograd_ops
from micrograd_core import (
    Op,
    OpCollisionError,
    OpRegistry,
    PluginFailure,
    PluginLoadError,
    PluginWarning,
    Provenance,
    Register,
    UnloadedPlugin,
    Value,
    default_registry,
    hookimpl,
    load_registry,
)
from micrograd_core.registry import Collision
from micrograd_core.value import installed
from tests.helpers import make_plugin


def sine(name: str = "sin", method: str | None = "sin") -> Op:
    return Op(name, 1, forward=math.sin, partials=(lambda x, out: math.cos(x),), method=method)


def test_default_registry_has_the_builtin_ops_with_provenance() -> None:
    registry = default_registry()
    assert {"add", "mul", "pow", "relu", "tanh", "exp"} <= set(registry)
    provenance = registry["tanh"].provenance
    assert provenance is not None
    assert (provenance.plugin, provenance.distribution) == ("builtin", "micrograd-registry")
    assert registry.methods["tanh"] is registry["tanh"]


def test_isolated_registry_leaves_the_default_untouched() -> None:
    Value(1.0) + 1  # the default is in use
    default = installed()
    registry = load_registry({"builtin": micrograd_ops, "trig": make_plugin(sine())}, environ={})
    with registry.activated():
        assert installed() is registry
        assert Value(0.0).sin().data == 0.0  # type: ignore[attr-defined]
    assert installed() is default
    with pytest.raises(AttributeError, match="'sin'"):
        Value(0.0).sin()  # type: ignore[attr-defined]


def test_hook_runs_once_per_build_not_per_operation() -> None:
    calls = []

    @hookimpl
    def micrograd_register_ops(register: Register) -> None:
        calls.append(1)
        micrograd_ops.micrograd_register_ops(register)

    plugin = types.SimpleNamespace(micrograd_register_ops=micrograd_register_ops)
    with load_registry({"counted": plugin}, environ={}).activated():
        y = Value(1.0)
        for _ in range(100):
            y = y * 2 + 1
        y.backward()
    assert calls == [1]


@pytest.mark.parametrize(
    ("environ", "loaded"),
    [
        ({}, {"builtin", "trig"}),
        ({"MICROGRAD_LOAD_PLUGINS": ""}, set()),
        ({"MICROGRAD_LOAD_PLUGINS": "trig"}, {"trig"}),
        ({"MICROGRAD_LOAD_PLUGINS": " builtin , trig "}, {"builtin", "trig"}),
        ({"MICROGRAD_DISABLE_PLUGINS": "trig"}, {"builtin"}),
        ({"MICROGRAD_LOAD_PLUGINS": "trig", "MICROGRAD_DISABLE_PLUGINS": "trig"}, set()),
    ],
)
def test_allow_and_deny_lists(environ: dict[str, str], loaded: set[str]) -> None:
    registry = load_registry(
        {"builtin": micrograd_ops, "trig": make_plugin(sine())}, environ=environ
    )
    plugins = {op.provenance.plugin for op in registry.values() if op.provenance}
    assert plugins == loaded


def test_allow_list_naming_a_missing_plugin_warns() -> None:
    with pytest.warns(PluginWarning, match="names plugin 'trgi', which is not installed"):
        load_registry({"trig": make_plugin(sine())}, environ={"MICROGRAD_LOAD_PLUGINS": "trgi"})


BROKEN = {
    "hook raises": make_plugin(raises=RuntimeError("boom")),
    "wrong arity": make_plugin(Op("bad", 2, forward=math.sin, partials=(math.cos,))),
    "bad name": make_plugin(Op("Bad-Name", 1, forward=math.sin, partials=(math.cos,))),
    "not callable": make_plugin(Op("bad", 1, forward=1.0, partials=(math.cos,))),  # type: ignore[arg-type]
    "reserved method": make_plugin(sine("bad", method="backward")),
}


REASONS = {
    "hook raises": "RuntimeError: boom",
    "wrong arity": "has arity 2 but 1 partials",
    "bad name": "'Bad-Name' is not a lowercase identifier",
    "not callable": "forward must be callable, got 'float'",
    "reserved method": "cannot claim method 'backward'",
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_plugin_is_skipped_and_the_rest_works(case: str) -> None:
    plugins = {"builtin": micrograd_ops, "broken": BROKEN[case]}
    with pytest.warns(PluginWarning, match="plugin 'broken' was skipped") as warned:
        registry = load_registry(plugins, environ={})
    assert REASONS[case] in str(warned[0].message)
    assert [(f.plugin, REASONS[case] in f.error) for f in registry.failures] == [("broken", True)]
    assert "bad" not in registry
    with registry.activated():
        assert (Value(2.0) * 3).tanh().data == pytest.approx(math.tanh(6.0))


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_strict_mode_turns_a_broken_plugin_into_an_error(case: str) -> None:
    plugins = {"builtin": micrograd_ops, "broken": BROKEN[case]}
    with pytest.raises(PluginLoadError, match=REASONS[case]) as info:
        load_registry(plugins, environ={"MICROGRAD_STRICT_PLUGINS": "1"})
    assert info.value.plugin == "broken"


def test_two_providers_of_one_name_are_named_and_never_shadow() -> None:
    plugins = {"builtin": micrograd_ops, "one": make_plugin(sine()), "two": make_plugin(sine())}
    with pytest.warns(PluginWarning, match="op 'sin' is provided by plugin 'one' and plugin 'two'"):
        registry = load_registry(plugins, environ={})
    assert "sin" not in registry
    with pytest.raises(OpCollisionError, match="MICROGRAD_DISABLE_PLUGINS"):
        registry["sin"]
    with pytest.raises(OpCollisionError):
        load_registry(plugins, environ={}, strict=True)
    chosen = load_registry(plugins, environ={"MICROGRAD_DISABLE_PLUGINS": "two"})
    assert chosen["sin"].provenance is not None
    assert chosen["sin"].provenance.plugin == "one"


def test_two_claims_of_one_method_are_withheld() -> None:
    plugins = {"one": make_plugin(sine("sin")), "two": make_plugin(sine("sine"))}
    with pytest.warns(PluginWarning, match="method 'sin' is provided by"):
        registry = load_registry(plugins, environ={})
    assert set(registry) == {"sin", "sine"}  # both ops stay usable by name
    assert "sin" not in registry.methods


def test_registry_is_a_read_only_mapping() -> None:
    registry = OpRegistry()
    assert len(registry) == 0
    with pytest.raises(TypeError):
        registry["x"] = sine()  # type: ignore[index]


def test_builtin_method_of_a_withheld_op_names_both_providers() -> None:
    rival = Op("relu", 1, forward=lambda x: max(x, 0.0), partials=(lambda x, out: 1.0,))
    plugins = {"builtin": micrograd_ops, "fast": make_plugin(rival)}
    with pytest.warns(PluginWarning, match="op 'relu' is provided by"):
        registry = load_registry(plugins, environ={})
    with registry.activated(), pytest.raises(OpCollisionError, match="plugin 'fast'"):
        Value(1.0).relu()


@pytest.mark.parametrize(
    ("record", "shown"),
    [
        (
            PluginFailure("trig", "micrograd-trig", "1.0", "ImportError: no"),
            "PluginFailure(plugin='trig', distribution='micrograd-trig', version='1.0', "
            "error='ImportError: no', methods=())",
        ),
        (
            UnloadedPlugin(Provenance("trig"), "it is disabled", ("sin",)),
            "UnloadedPlugin(provenance=Provenance(plugin='trig', distribution=None, "
            "version=None), reason='it is disabled', methods=('sin',))",
        ),
        (
            Collision("op", "sin", (Provenance("a"), Provenance("b"))),
            "Collision(kind='op', name='sin', providers=(Provenance(plugin='a', "
            "distribution=None, version=None), Provenance(plugin='b', distribution=None, "
            "version=None)))",
        ),
    ],
)
def test_registry_records_are_frozen_values(record: object, shown: str) -> None:
    """Shown, compared and hashed by their fields, never changed, pickled whole."""
    assert repr(record) == shown
    copied = pickle.loads(pickle.dumps(record))
    assert copied == record
    assert hash(copied) == hash(record)
    assert copied is not record
    assert record != shown
    field = shown.partition("(")[2].partition("=")[0]
    with pytest.raises(AttributeError, match=f"cannot assign to field '{field}'"):
        setattr(record, field, None)
    with pytest.raises(AttributeError, match=f"cannot delete field '{field}'"):
        delattr(record, field)


def test_records_of_different_fields_differ() -> None:
    failure = PluginFailure("trig", None, None, "ImportError: no")
    assert failure != PluginFailure("trig", None, None, "ImportError: no", ("sin",))
    assert Collision("op", "sin", ()) != Collision("method", "sin", ())
