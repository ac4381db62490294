"""Run-time registration into the default registry, scoped registration and OpByName."""

from __future__ import annotations

import math
import re

import pytest

import micrograd_ops
from micrograd_core import (
    Interval,
    InvalidOpError,
    Kink,
    Op,
    OpByName,
    OpCollisionError,
    OpNotFoundError,
    Provenance,
    Value,
    active_registry,
    apply,
    default_registry,
    load_registry,
    register_op,
    temporary_ops,
    unregister_op,
)

CUBE = Op(
    "cube",
    1,
    forward=lambda x: x**3,
    partials=(lambda x, out: 3 * x * x,),
    method="cube",
)


pytestmark = pytest.mark.usefixtures("scratch_default")


def test_register_op_adds_to_the_default_and_to_value() -> None:
    assert register_op(CUBE).provenance == Provenance(__name__)
    assert default_registry()["cube"].provenance == Provenance(__name__)
    x = Value(2.0)
    y = x.cube()  # type: ignore[attr-defined]  # claimed at run time
    y.backward()
    assert (y.data, x.grad) == (8.0, 12.0)
    assert apply("cube", 3).data == 27.0
    assert unregister_op("cube").name == "cube"
    assert "cube" not in default_registry()
    with pytest.raises(AttributeError, match="'cube'"):
        x.cube()  # type: ignore[attr-defined]


def test_registering_again_from_the_same_place_redefines() -> None:
    register_op(CUBE)
    register_op(Op("cube", 1, forward=lambda x: x**3 + 1, partials=(lambda x, out: 3 * x * x,)))
    assert apply("cube", 2).data == 9.0
    assert "cube" not in default_registry().methods


def test_a_name_taken_by_another_provider_is_refused() -> None:
    register_op(CUBE, plugin="notebook")
    with pytest.raises(OpCollisionError) as caught:
        register_op(CUBE, plugin="script")
    assert str(caught.value) == (
        "op 'cube' is provided by plugin 'notebook' and plugin 'script'; register it under "
        "another op name, or unregister the other first (unregister_op('cube'))"
    )
    assert default_registry()["cube"].provenance == Provenance("notebook")


def test_a_method_taken_by_another_op_is_refused() -> None:
    tanh2 = Op("tanh2", 1, forward=math.tanh, partials=(lambda x, out: 1 - out**2,), method="tanh")
    with pytest.raises(OpCollisionError, match=r"method 'tanh' is provided by plugin 'builtin'"):
        register_op(tanh2)
    assert "tanh2" not in default_registry()


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (Op("cube", 2, forward=abs, partials=(abs,)), "has arity 2 but 1 partials"),
        (Op("Cube", 1, forward=abs, partials=(abs,)), "op name 'Cube' is not a lowercase"),
        (Op("cube", 1, forward=abs, partials=(abs,), method="data"), "cannot claim method 'data'"),
        (Op("cube", 1, forward=abs, partials=(abs,), method="__neg__"), "must be a public"),
    ],
)
def test_register_op_validates_as_plugin_loading_does(op: Op, message: str) -> None:
    with pytest.raises(InvalidOpError, match=re.escape(message)):
        register_op(op)
    assert "cube" not in default_registry()


def test_register_op_as_a_decorator_makes_a_composite() -> None:
    @register_op
    def softsign(x: Value) -> Value:
        """x / (1 + |x|), composed from the built-in ops."""
        return x / (1 + x.relu() + (-x).relu())

    op = default_registry()["softsign"]
    assert (op.arity, op.is_composite, op.doc) == (1, True, softsign.doc)
    assert softsign.doc == "x / (1 + |x|), composed from the built-in ops."
    x = Value(-3.0)
    y = softsign(x)
    y.backward()
    assert (y.data, x.grad) == (-0.75, 1 / 16)


def test_a_decorated_function_of_any_number_of_values_is_a_variadic_op() -> None:
    @register_op
    def mean(x: Value, *rest: Value) -> Value:
        """The mean of its inputs."""
        return sum(rest, x) / (1 + len(rest))

    op = default_registry()["mean"]
    assert (op.arity, op.variadic) == (1, 1)
    xs = [Value(1.0), Value(2.0), Value(6.0)]
    y = mean(*xs)
    y.backward()
    assert y.data == 3.0
    assert [x.grad for x in xs] == [1 / 3] * 3
    assert mean(Value(5.0)).data == 5.0


def test_register_op_refuses_what_is_not_an_op() -> None:
    with pytest.raises(InvalidOpError, match="takes an Op or a function of Values, got 'int'"):
        register_op(3)  # type: ignore[call-overload]
    with pytest.raises(InvalidOpError, match="op name '<lambda>' is not a lowercase identifier"):
        register_op(lambda x: x)


def test_unregistering_an_unknown_op_says_what_exists() -> None:
    with pytest.raises(OpNotFoundError, match="no op named 'cube'; registered: add, affine, exp"):
        unregister_op("cube")


def test_temporary_ops_is_undone_on_exit_even_after_an_error() -> None:
    before = default_registry()

    def use_and_fail() -> None:
        with temporary_ops(CUBE) as registry:
            assert active_registry() is registry is default_registry()
            assert Value(2.0).cube().data == 8.0  # type: ignore[attr-defined]
            raise RuntimeError

    with pytest.raises(RuntimeError):
        use_and_fail()
    assert default_registry().entries == before.entries
    assert "cube" not in active_registry()


def test_temporary_ops_removes_only_its_own_ops() -> None:
    square = Op("square", 1, forward=lambda x: x * x, partials=(lambda x, out: 2 * x,))
    with temporary_ops(CUBE):
        register_op(square)  # what other code registers meanwhile stays
    assert "cube" not in default_registry()
    assert apply("square", 3.0).data == 9.0


def test_with_ops_leaves_the_default_alone() -> None:
    isolated = load_registry({"builtin": micrograd_ops}, environ={})
    extended = isolated.with_ops([CUBE], Provenance("tests"))
    assert "cube" in extended
    assert "cube" not in isolated
    assert "cube" not in default_registry()


def test_registered_op_follows_the_active_registry() -> None:
    cube = OpByName("cube")
    with temporary_ops(CUBE):
        assert cube(2).data == 8.0
        other = active_registry().without("cube")
        double = Op("cube", 1, forward=lambda x: 2 * x, partials=(lambda x, out: 2.0,))
        with other.with_ops([double], Provenance("other")).activated():
            assert cube(2).data == 4.0
        assert cube(2).data == 8.0
    with pytest.raises(OpNotFoundError, match="no op named 'cube'"):
        cube(2)


def test_the_decorator_sets_method_doc_domain_and_kinks() -> None:
    positive = Interval(0.0, math.inf, include_low=False)

    @register_op(method="root", doc="the square root", domain=(positive,))
    def sqrt_(x: Value) -> Value:
        return x**0.5

    op = default_registry()["sqrt_"]
    assert (op.method, op.doc, op.domain, op.is_composite) == (
        "root",
        "the square root",
        (positive,),
        True,
    )
    assert Value(4.0).root().data == 2.0  # type: ignore[attr-defined]

    @register_op(kinks=(Kink(at=(0.0,), partials=(0.0,)),))
    def ramp(x: Value) -> Value:
        """max(0, x), composed."""
        return x.relu()

    assert default_registry()["ramp"].kinks == (Kink(at=(0.0,), partials=(0.0,)),)
    assert default_registry()["ramp"].doc == "max(0, x), composed."


def test_an_op_record_carries_its_own_details() -> None:
    with pytest.raises(InvalidOpError, match="the Op 'cube' carries its own"):
        register_op(CUBE, method="cubed")
