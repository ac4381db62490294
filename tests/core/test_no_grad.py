"""no_grad(): values without a graph, per thread, nestable; and Value.detach()."""

from __future__ import annotations

import threading

import pytest

import micrograd_ops
from micrograd_core import Op, Value, apply, grad, node_of, temporary_ops
from micrograd_nn import MLP, no_grad


def is_leaf(v: Value) -> bool:
    node = node_of(v)
    return node.op is None and node.inputs == ()


def test_ops_inside_compute_values_and_record_no_graph() -> None:
    x = Value(0.5)
    with no_grad():
        y = (x * x + 1).tanh()
        z = micrograd_ops.affine(1.0, x, x)  # variadic: the general path
        e = x.exp()
    assert y.data == (Value(0.5) * Value(0.5) + 1).tanh().data
    assert (z.data, e.data) == (1.25, Value(0.5).exp().data)
    assert all(is_leaf(v) for v in (y, z, e))
    y.backward()
    assert x.grad == 0.0  # nothing led back to x


def test_recording_resumes_after_the_block_even_after_an_error() -> None:
    x = Value(2.0)

    def fails_inside() -> None:
        with no_grad():
            _ = x * 3
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fails_inside()
    y = x * 3
    assert node_of(y).inputs[0] is x


def test_blocks_nest() -> None:
    x = Value(1.0)
    with no_grad():
        with no_grad():
            inner = x + 1
        outer = x + 1
    after = x + 1
    assert is_leaf(inner)
    assert is_leaf(outer)
    assert not is_leaf(after)


def test_as_a_decorator() -> None:
    @no_grad()
    def evaluate(v: Value) -> Value:
        return v * v

    assert is_leaf(evaluate(Value(3.0)))
    assert not is_leaf(Value(3.0) * Value(3.0))


def test_a_composite_op_records_none_of_its_parts() -> None:
    square = Op("square", 1, compose=lambda x: x * x)
    with temporary_ops(square), no_grad():
        y = apply("square", Value(3.0))
    assert (y.data, is_leaf(y)) == (9.0, True)


def test_a_graph_built_before_backpropagates_inside() -> None:
    x = Value(3.0)
    y = x * x
    with no_grad():
        y.backward()
        (dx,) = grad(y, [x])
    assert (x.grad, dx.data) == (6.0, 6.0)


def test_a_model_evaluated_inside_gives_the_same_outputs_without_a_graph() -> None:
    model = MLP(2, [4, 3])
    recorded = model([0.3, -1.2])
    with no_grad():
        evaluated = model([0.3, -1.2])
    assert isinstance(recorded, list)
    assert isinstance(evaluated, list)
    assert [v.data for v in evaluated] == [v.data for v in recorded]
    assert all(is_leaf(v) for v in evaluated)


def test_each_thread_has_its_own_blocks() -> None:
    # One thread evaluates inside no_grad while another records graphs: in
    # each round both build a node while the first is inside its block.
    rounds = 200
    inside = threading.Barrier(2, timeout=10)
    failures: list[str] = []

    def evaluating() -> None:
        for _ in range(rounds):
            with no_grad():
                inside.wait()
                if not is_leaf(Value(1.0) * 2.0):
                    failures.append("a node recorded inside no_grad")
                inside.wait()

    def training() -> None:
        for _ in range(rounds):
            inside.wait()
            if is_leaf(Value(1.0) * 2.0):
                failures.append("a node left unrecorded outside no_grad")
            inside.wait()

    threads = [threading.Thread(target=evaluating), threading.Thread(target=training)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert not is_leaf(Value(1.0) * 2.0)


def test_detach_is_a_leaf_with_the_same_data() -> None:
    x = Value(2.0)
    y = x * x
    d = y.detach()
    assert (d.data, is_leaf(d), d is y) == (4.0, True, False)
    z = d * x
    z.backward()
    assert x.grad == 4.0  # d is a constant 4.0 to the graph of z
