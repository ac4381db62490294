"""Bad input: clear errors that say what was given and what is accepted."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from micrograd_core import (
    DomainError,
    MicrogradError,
    OperandTypeError,
    OpNotFoundError,
    Value,
    apply,
    load_registry,
)


@pytest.mark.parametrize(("given", "name"), [("abc", "str"), (None, "NoneType"), (1j, "complex")])
def test_value_takes_a_real_number(given: object, name: str) -> None:
    with pytest.raises(TypeError, match=rf"Value\(\) takes a real number .*got {name!r}"):
        Value(given)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "expression",
    [
        lambda x: x + "a",
        lambda x: "a" + x,
        lambda x: x * None,
        lambda x: x - "a",
        lambda x: "a" - x,
        lambda x: x / "a",
        lambda x: "a" / x,
        lambda x: x ** "a",
        lambda x: "a" ** x,
    ],
)
def test_operand_must_be_a_real_number(expression: Callable[[Value], object]) -> None:
    with pytest.raises(OperandTypeError, match="takes a real number") as info:
        expression(Value(1.0))
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, MicrogradError)


def test_domain_error_names_the_op_and_inputs() -> None:
    match = r"pow\(-8\.0, 0\.333\d*\): a negative base needs an integer exponent"
    with pytest.raises(DomainError, match=match) as info:
        Value(-8.0) ** (1 / 3)
    assert info.value.op_name == "pow"
    assert info.value.inputs == (-8.0, 1 / 3)
    assert isinstance(info.value, ValueError)


def test_exp_overflow_is_a_clear_error() -> None:
    with pytest.raises(DomainError, match=r"exp\(1000\.0\) overflows a float"):
        Value(1000.0).exp()
    assert Value(-1000.0).exp().data == 0.0


def test_undefined_partial_names_the_op() -> None:
    base, exponent = Value(-2.0), Value(2.0)
    y = base**exponent  # defined, but d/d(exponent) needs log(-2)
    with pytest.raises(DomainError, match=r"pow: d/dy of x \*\* y .* at x = -2\.0"):
        y.backward()


def test_unknown_op_lists_what_exists(builtin_registry: object) -> None:
    with pytest.raises(
        OpNotFoundError, match="no op named 'tahn'; registered: add, affine, exp, log, mul"
    ):
        apply("tahn", Value(1.0))
    with pytest.raises(LookupError):
        apply("tahn", Value(1.0))


def test_unknown_method_is_an_attribute_error(builtin_registry: object) -> None:
    with pytest.raises(AttributeError, match="'Value' object has no attribute 'sine'"):
        Value(1.0).sine()  # type: ignore[attr-defined]


def test_no_plugins_means_no_ops() -> None:
    registry = load_registry(environ={"MICROGRAD_LOAD_PLUGINS": ""})
    assert len(registry) == 0
    with registry.activated(), pytest.raises(OpNotFoundError) as info:
        Value(1) + Value(2)
    message = str(info.value)
    assert "no op named 'add'" in message
    assert "pip install micrograd-registry" in message
    assert "MICROGRAD_LOAD_PLUGINS=''" in message


def test_no_plugins_in_a_fresh_process() -> None:
    env = {**os.environ, "MICROGRAD_LOAD_PLUGINS": ""}
    code = "from micrograd_core import Value; Value(1) + Value(2)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "OpNotFoundError: no op named 'add'" in result.stderr
    assert "builtin" in result.stderr
