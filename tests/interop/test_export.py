"""micrograd_nn.to_torch(model): an MLP as a torch.nn.Module, and its weights back."""

from __future__ import annotations

import random
from typing import Any

import pytest
from micrograd_activations import OPS as ACTIVATIONS

from micrograd_core import OpRegistry, Value, default_registry, temporary_ops
from micrograd_nn import MLP, Layer, from_torch, to_torch
from tests.interop.conftest import import_torch

torch = import_torch()


def batch(nin: int, size: int = 40) -> list[list[float]]:
    rng = random.Random(7)
    return [[rng.uniform(-2.0, 2.0) for _ in range(nin)] for _ in range(size)]


def difference(model: MLP, module: Any, xs: list[list[float]]) -> float:
    ours = []
    for x in xs:
        out = model(x)
        ours.append([out.data] if isinstance(out, Value) else [v.data for v in out])
    theirs: list[list[float]] = module(torch.tensor(xs, dtype=torch.float64)).tolist()
    return max(
        abs(a - b) for r, s in zip(ours, theirs, strict=True) for a, b in zip(r, s, strict=True)
    )


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu"])
def test_outputs_equal_the_models(activation: str) -> None:
    with temporary_ops(*(op for op in ACTIVATIONS if op.name not in default_registry())):
        model = MLP(3, [16, 16, 2], activation=activation, rng=random.Random(0))
        module = to_torch(model)
        assert difference(model, module, batch(3)) <= 1e-12
    assert [p.dtype for p in module.parameters()] == [torch.float64] * 6


def test_trained_weights_come_back_with_one_call() -> None:
    model = MLP(2, [8, 1], rng=random.Random(1))
    before = model.parameters()
    module = to_torch(model)
    optimiser = torch.optim.SGD(module.parameters(), lr=0.1)
    xs = torch.tensor(batch(2), dtype=torch.float64)
    for _ in range(5):
        optimiser.zero_grad()
        module(xs).pow(2).mean().backward()
        optimiser.step()
    assert difference(model, module, batch(2)) > 1e-3  # trained there, not here
    assert from_torch(module, model) is model
    assert model.parameters() == before  # the same Values, new numbers
    assert difference(model, module, batch(2)) <= 1e-12
    assert model.layers[0].neurons[0].w[0].data == module.layers[0].weight[0, 0].item()


def test_a_module_of_another_model_is_refused() -> None:
    module = to_torch(MLP(2, [3, 1], rng=random.Random(2)))
    with pytest.raises(ValueError, match=r"shapes \[\(3, 2\), \(1, 3\)\]; the model's are"):
        from_torch(module, MLP(2, [4, 1], rng=random.Random(2)))


def test_only_an_mlp_is_exported() -> None:
    with pytest.raises(TypeError, match="to_torch exports an MLP, got 'Layer'"):
        to_torch(Layer(2, 3))  # type: ignore[arg-type]


def test_the_activation_is_the_op_of_the_active_registry() -> None:
    model = MLP(2, [3, 1], activation="tanh", rng=random.Random(3))
    registry = OpRegistry()
    with registry.activated(), pytest.raises(LookupError, match="tanh"):
        to_torch(model)
