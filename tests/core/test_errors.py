"""Bad input: clear errors that say what was given and what is accepted."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from micrograd_core import (
    DivisionByZeroError,
    DomainError,
    MethodNotFoundError,
    MicrogradError,
    Op,
    OpCollisionError,
    OperandTypeError,
    OpNotFoundError,
    OpRegistry,
    Provenance,
    Value,
    apply,
    errors,
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
        OpNotFoundError,
        match="no op named 'tahn'; registered: add, affine, exp, log, logsumexp, mul",
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


def _below_zero(error: Exception) -> Callable[..., float]:
    def rule(x: float, *out: float) -> float:
        if x < 0:
            raise error
        return x

    return rule


@pytest.mark.parametrize(
    ("where", "cause"),
    [
        ("forward", ValueError("math domain error")),
        ("forward", DomainError("mine(-1.0): no", op_name="mine", inputs=(-1.0,))),
        ("partial", ZeroDivisionError("float division by zero")),
        ("partial", DomainError("mine: no slope", op_name="mine", inputs=(-1.0,))),
    ],
    ids=["forward math", "forward raised", "partial math", "partial raised"],
)
def test_a_domain_error_names_the_plugin_of_the_op(
    builtin_registry: OpRegistry, where: str, cause: Exception
) -> None:
    """Whether the engine or the op's own code made the DomainError, it says whose op it is."""
    forward = _below_zero(cause) if where == "forward" else abs
    partial = _below_zero(cause) if where == "partial" else (lambda x, out: 1.0)
    op = Op("mine", 1, forward=forward, partials=(partial,))
    registry = builtin_registry.with_ops([op], Provenance("minerals"))
    with registry.activated(), pytest.raises(DomainError) as info:
        apply("mine", Value(-1.0)).backward()
    assert (info.value.op_name, info.value.plugin) == ("mine", "minerals")


@pytest.mark.usefixtures("builtin_registry")
@pytest.mark.parametrize(
    ("error", "compute"),
    [
        (DomainError, lambda: Value(-8.0) ** (1 / 3)),
        (DivisionByZeroError, lambda: Value(1.0) / Value(0.0)),
        (DivisionByZeroError, lambda: 1.0 / Value(0.0)),
        (DomainError, lambda: apply("log", Value(-1.0))),
        (DomainError, lambda: Value.backward(Value(-2.0) ** Value(2.0))),
    ],
)
def test_the_built_in_ops_domain_errors_name_their_plugin(
    error: type[DomainError], compute: Callable[[], object]
) -> None:
    with pytest.raises(error) as info:
        compute()
    assert info.value.plugin == "builtin"


def test_a_collision_names_the_op_as_op_name(builtin_registry: OpRegistry) -> None:
    rival = Op("add", 2, forward=lambda x, y: x + y, partials=(lambda x, y, out: 1.0,) * 2)
    with pytest.raises(OpCollisionError) as info:
        builtin_registry.with_ops([rival], Provenance("rivals"))
    assert (info.value.op_name, info.value.method) == ("add", None)
    assert info.value.providers == ("plugin 'builtin'", "plugin 'rivals'")


def test_every_error_about_an_op_calls_it_op_name() -> None:
    """``op_name`` on every error that names an op; ``name`` only where ``AttributeError``
    has it (a method that no op claims)."""
    for export in errors.__all__:
        error = getattr(errors, export)
        if not issubclass(error, MicrogradError) or "__init__" not in vars(error):
            continue
        parameters = inspect.signature(error.__init__).parameters
        assert "name" not in parameters or error is MethodNotFoundError, error
