"""Every plugin of this repository exports its ops one way, the built-in one included."""

from __future__ import annotations

from types import ModuleType

import micrograd_activations
import micrograd_softsign
import micrograd_trig
import pytest

import micrograd_ops
from micrograd_core import Op, Register, Value, hookimpl
from tests.helpers import check_plugin_convention

MODULES = [micrograd_ops, micrograd_trig, micrograd_activations, micrograd_softsign]


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__)
def test_ops_are_capitals_and_functions_follow_the_active_registry(module: ModuleType) -> None:
    check_plugin_convention(module, renamed={"pow": "power"})


SQUARE = Op("square", 1, forward=lambda x: x * x, partials=(lambda x, out: 2 * x,))


def _plugin(square: object) -> ModuleType:
    """A plugin module with the op ``SQUARE`` and ``square`` as given."""

    @hookimpl
    def micrograd_register_ops(register: Register) -> None:
        register(SQUARE)

    module = ModuleType("micrograd_square")
    module.__dict__.update(
        OPS=(SQUARE,),
        SQUARE=SQUARE,
        square=square,
        micrograd_register_ops=micrograd_register_ops,
        __all__=["OPS", "SQUARE", "micrograd_register_ops", "square"],
    )
    return module


def _applies_its_own_record(x: Value | float) -> Value:
    return SQUARE(x)


@pytest.mark.parametrize(
    "square",
    [SQUARE, _applies_its_own_record],
    ids=["a lowercase record", "a function applying its own record"],
)
def test_the_check_fails_for_a_function_that_ignores_the_active_registry(square: object) -> None:
    """``micrograd_ops`` exported ``tanh = Op(...)``: ``tanh(x)`` ignored ``activated()``."""
    with pytest.raises(AssertionError):
        check_plugin_convention(_plugin(square))
