"""Plugins handed to ``load_registry`` in-process: validation, failure isolation, collisions."""

from __future__ import annotations

import math
import re

import pytest

import micrograd_ops
from micrograd_core import (
    InvalidOpError,
    Op,
    OpCollisionError,
    OpNotFoundError,
    PluginLoadError,
    PluginWarning,
    Register,
    Value,
    hookimpl,
    load_registry,
)
from tests.helpers import make_plugin

CUBE = Op(
    "cube",
    1,
    forward=lambda x: x**3,
    partials=(lambda x, out: 3 * x * x,),
    method="cube",
    doc="x ** 3",
)


def cube_like(**changes: object) -> Op:
    """``CUBE`` with some fields changed, possibly to invalid values (not validated here)."""
    fields: dict[str, object] = {
        "name": CUBE.name,
        "arity": CUBE.arity,
        "forward": CUBE.forward,
        "partials": CUBE.partials,
        "method": CUBE.method,
    }
    fields.update(changes)
    return Op(**fields)  # type: ignore[arg-type]


def load(**plugins: object) -> object:
    """Load the built-in ops and ``plugins``, ignoring the caller's environment."""
    return load_registry({"builtin": micrograd_ops, **plugins}, environ={})


def test_a_plugin_hookimpl_adds_its_ops_with_provenance() -> None:
    registry = load_registry({"builtin": micrograd_ops, "cube": make_plugin(CUBE)}, environ={})
    assert registry["cube"].provenance is not None
    assert registry["cube"].provenance.plugin == "cube"
    assert registry.methods["cube"].name == "cube"
    with registry.activated():
        x = Value(2.0)
        y = x.cube()  # type: ignore[attr-defined]  # claimed at run time
        y.backward()
    assert (y.data, x.grad) == (8.0, 12.0)


INVALID = [
    (cube_like(arity=2), "op 'cube': has arity 2 but 1 partials (expected one per input)"),
    (cube_like(arity=0), "op 'cube': arity must be a positive int, got 0"),
    (cube_like(forward=3.0), "op 'cube': forward must be callable, got 'float'"),
    (cube_like(name="Cube"), "op name 'Cube' is not a lowercase identifier"),
    (cube_like(name="cube root"), "op name 'cube root' is not a lowercase identifier"),
    (cube_like(partials=()), "op 'cube': has arity 1 but 0 partials"),
    (cube_like(method="data"), "cannot claim method 'data': Value already uses it"),
    (cube_like(method="grad"), "cannot claim method 'grad': Value already uses it"),
    (cube_like(method="backward"), "cannot claim method 'backward': Value already uses it"),
    (cube_like(method="__add__"), "method name '__add__' must be a public identifier"),
    ("cube", "expected an Op, got 'str'"),
]


@pytest.mark.parametrize(("op", "message"), INVALID, ids=[m for _, m in INVALID])
def test_a_plugin_with_an_invalid_op_is_skipped_and_the_rest_works(
    op: object, message: str
) -> None:
    with pytest.warns(PluginWarning) as caught:
        registry = load_registry(
            {"builtin": micrograd_ops, "bad": make_plugin(op), "good": make_plugin(CUBE)},
            environ={},
        )
    assert [str(w.message) for w in caught] == [
        f"plugin 'bad' was skipped: InvalidOpError: {registry.failures[0].error.split(': ', 1)[1]}"
    ]
    (failure,) = registry.failures
    assert failure.plugin == "bad"
    assert message in failure.error
    assert registry["cube"].provenance is not None
    assert registry["cube"].provenance.plugin == "good"
    with registry.activated():
        assert (Value(2.0) * 3 + 1).data == 7.0


@pytest.mark.parametrize(("op", "message"), INVALID[:3])
def test_strict_mode_makes_an_invalid_op_an_error(op: object, message: str) -> None:
    with pytest.raises(PluginLoadError, match=re.escape(message)) as caught:
        load_registry({"bad": make_plugin(op)}, environ={"MICROGRAD_STRICT_PLUGINS": "1"})
    assert caught.value.plugin == "bad"
    assert isinstance(caught.value.__cause__, InvalidOpError)


def test_a_hook_that_raises_is_contained() -> None:
    broken = make_plugin(raises=ZeroDivisionError("division by zero"))
    with pytest.warns(PluginWarning, match="plugin 'broken' was skipped: ZeroDivisionError"):
        registry = load_registry({"builtin": micrograd_ops, "broken": broken}, environ={})
    assert registry.failures[0].error == "ZeroDivisionError: division by zero"
    assert "add" in registry


def test_one_invalid_op_withholds_all_of_its_plugins_ops() -> None:
    plugin = make_plugin(CUBE, cube_like(name="square", arity=3))
    with pytest.warns(PluginWarning, match="op 'square': has arity 3"):
        registry = load_registry({"mixed": plugin}, environ={})
    assert "cube" not in registry


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        ((CUBE, CUBE), "op 'cube' is registered twice, by op 'cube' and op 'cube'"),
        (
            (CUBE, cube_like(name="cube3")),
            "method 'cube' is registered twice, by op 'cube' and op 'cube3'",
        ),
    ],
)
def test_a_plugin_may_not_repeat_a_name(ops: tuple[Op, ...], message: str) -> None:
    with pytest.warns(PluginWarning, match=re.escape(message)):
        registry = load_registry({"twice": make_plugin(*ops)}, environ={})
    assert not registry


def test_a_plugin_without_a_marked_hook_is_reported() -> None:
    class Unmarked:
        def micrograd_register_ops(self, register: Register) -> None:
            register(CUBE)

    with pytest.warns(PluginWarning):
        registry = load_registry({"unmarked": Unmarked()}, environ={})
    assert registry.failures[0].error == (
        "PluginLoadError: 'Unmarked' object has no micrograd_register_ops function marked "
        "with @micrograd_core.hookimpl"
    )


def test_a_misspelt_hook_is_reported() -> None:
    class Misspelt:
        @hookimpl
        def micrograd_register_op(self, register: Register) -> None:
            register(CUBE)

    with pytest.warns(PluginWarning, match="unknown hook 'micrograd_register_op'"):
        load_registry({"misspelt": Misspelt()}, environ={})


def test_colliding_op_names_are_withheld_and_name_both_providers() -> None:
    rival = cube_like(method="cube_b")
    plugins = {"builtin": micrograd_ops, "a": make_plugin(CUBE), "b": make_plugin(rival)}
    with pytest.warns(PluginWarning, match="op 'cube' is provided by plugin 'a' and plugin 'b'"):
        registry = load_registry(plugins, environ={})
    assert "cube" not in registry
    expected = "op 'cube' is provided by plugin 'a' and plugin 'b'; choose one by disabling the "
    with pytest.raises(OpCollisionError, match=re.escape(expected)) as caught:
        registry["cube"]
    assert "MICROGRAD_DISABLE_PLUGINS=b" in str(caught.value)
    assert caught.value.providers == ("plugin 'a'", "plugin 'b'")
    with pytest.raises(OpCollisionError, match="provided by plugin 'a'"):
        load_registry(plugins, environ={"MICROGRAD_STRICT_PLUGINS": "1"})
    chosen = load_registry(plugins, environ={"MICROGRAD_DISABLE_PLUGINS": "b"})
    assert chosen["cube"].provenance is not None
    assert chosen["cube"].provenance.plugin == "a"


def test_colliding_methods_are_withheld() -> None:
    rival = cube_like(name="cube2")
    plugins = {"a": make_plugin(CUBE), "b": make_plugin(rival)}
    with pytest.warns(PluginWarning, match="method 'cube' is provided by plugin 'a' and plugin"):
        registry = load_registry(plugins, environ={})
    assert {"cube", "cube2"} <= set(registry)
    assert "cube" not in registry.methods
    with registry.activated(), pytest.raises(OpCollisionError, match="method 'cube' is provided"):
        Value(1.0).cube()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, {"add", "cube", "sin"}),
        ({"MICROGRAD_LOAD_PLUGINS": "builtin, cube"}, {"add", "cube"}),
        ({"MICROGRAD_LOAD_PLUGINS": ""}, set()),
        ({"MICROGRAD_DISABLE_PLUGINS": "trig,cube"}, {"add"}),
        ({"MICROGRAD_LOAD_PLUGINS": "builtin,cube", "MICROGRAD_DISABLE_PLUGINS": "cube"}, {"add"}),
    ],
)
def test_allow_and_deny_lists(environ: dict[str, str], expected: set[str]) -> None:
    sine = Op("sin", 1, forward=math.sin, partials=(lambda x, out: math.cos(x),))
    plugins = {"builtin": micrograd_ops, "cube": make_plugin(CUBE), "trig": make_plugin(sine)}
    registry = load_registry(plugins, environ=environ)
    assert {"add", "cube", "sin"} & set(registry) == expected


@pytest.mark.parametrize("variable", ["MICROGRAD_LOAD_PLUGINS", "MICROGRAD_DISABLE_PLUGINS"])
def test_a_list_naming_an_unknown_plugin_warns(variable: str) -> None:
    message = f"{variable} names plugin 'trg', which is not installed (installed: builtin)"
    with pytest.warns(PluginWarning, match=re.escape(message)):
        load_registry({"builtin": micrograd_ops}, environ={variable: "builtin,trg"})


def test_without_the_builtin_plugin_operators_say_how_to_get_it() -> None:
    registry = load_registry({"builtin": micrograd_ops}, environ={"MICROGRAD_LOAD_PLUGINS": ""})
    with registry.activated(), pytest.raises(OpNotFoundError) as caught:
        Value(1.0) + 1
    assert str(caught.value) == (
        "no op named 'add'; registered: none. The built-in ops come from plugin 'builtin' of "
        "the 'micrograd-registry' distribution: install it (pip install micrograd-registry) "
        "and make sure it is selected (MICROGRAD_LOAD_PLUGINS='')"
    )
