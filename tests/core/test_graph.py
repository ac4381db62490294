"""The backward pass: order, depth, and freeing graphs without the cyclic collector."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator

import pytest

from micrograd_core import Value, node_of
from micrograd_core.graph import topological_order


@pytest.fixture
def no_cyclic_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def cyclic_garbage_left_by(build: Callable[[], object]) -> int:
    """How many objects the cyclic collector finds after ``build()``'s result is dropped."""
    build()  # a first run may set up lasting state (the default registry)
    gc.collect()
    build()
    return gc.collect()


def test_dropped_graph_leaves_no_cycles(no_cyclic_collector: None) -> None:
    def build() -> object:
        x = Value(0.5)
        y = x
        for _ in range(1000):
            y = (y * x + 1).tanh()
        y.backward()
        return y

    assert cyclic_garbage_left_by(build) == 0


class _ClosureNode:
    """micrograd's node shape: a backward closure that refers to its own node."""

    def __init__(self) -> None:
        def _backward() -> None:
            self.grad = 1.0

        self._backward = _backward


def test_the_cycle_check_can_fail(no_cyclic_collector: None) -> None:
    assert cyclic_garbage_left_by(lambda: [_ClosureNode() for _ in range(10)]) > 0


def test_million_node_chain_at_default_recursion_limit() -> None:
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + x
    y.backward()
    assert y.data == 1_000_001.0
    assert x.grad == 1_000_001.0
    del y  # freeing the chain must not overflow the C stack either


def test_inputs_come_before_their_users() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    position = {id(node): i for i, node in enumerate(order)}
    assert len(order) == len(position)  # each node once
    for node in order:
        for child in node_of(node).inputs:
            assert position[id(child)] < position[id(node)]
    assert order[-1] is e
