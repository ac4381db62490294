"""Module, Neuron, Layer, MLP: micrograd's API, reprs, initialisation, quirks, activations."""

from __future__ import annotations

import math
import random
import types
from collections.abc import Callable
from typing import Any

import pytest

from micrograd_core import (
    MicrogradError,
    Op,
    OpNotFoundError,
    OpRegistry,
    Provenance,
    Register,
    Value,
    hookimpl,
    node_of,
)
from micrograd_core.graph import topological_order
from micrograd_nn import MLP, Layer, Module, Neuron


def test_reprs_are_micrograds() -> None:
    random.seed(0)
    assert repr(Neuron(2)) == "ReLUNeuron(2)"
    assert repr(Neuron(16, nonlin=False)) == "LinearNeuron(16)"
    assert repr(Layer(3, 2)) == "Layer of [ReLUNeuron(3), ReLUNeuron(3)]"
    assert repr(MLP(2, [2, 1])) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"
    )


def test_reprs_name_other_activations() -> None:
    assert repr(Neuron(3, activation="tanh")) == "TanhNeuron(3)"
    assert repr(MLP(1, [1, 1], activation="exp")) == (
        "MLP of [Layer of [ExpNeuron(1)], Layer of [LinearNeuron(1)]]"
    )


@pytest.mark.parametrize(
    ("model", "count"),
    [(lambda: MLP(2, [16, 16, 1]), 337), (lambda: Layer(2, 3), 9), (lambda: Neuron(5), 6)],
)
def test_parameter_counts(model: types.FunctionType, count: int) -> None:
    assert len(model().parameters()) == count


def test_weights_are_drawn_in_micrograds_order_and_biases_start_at_zero() -> None:
    random.seed(42)
    model = MLP(3, [4, 2])
    random.seed(42)
    expected = [random.uniform(-1, 1) for _ in range(3 * 4 + 4 * 2)]
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    assert weights == expected
    assert [n.b.data for layer in model.layers for n in layer.neurons] == [0.0] * 6
    # parameters(): each neuron's weights, then its bias, neuron by neuron
    first = model.layers[0].neurons[0]
    assert model.parameters()[:4] == [*first.w, first.b]


def test_an_own_generator_leaves_the_global_one_alone() -> None:
    random.seed(7)
    before = random.getstate()
    a = MLP(2, [3, 1], rng=random.Random(1))
    b = MLP(2, [3, 1], rng=random.Random(1))
    assert random.getstate() == before
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_neuron_sums_bias_then_products_left_to_right() -> None:
    # 1e16 + 1.0 - 1e16 is 0.0 left to right, 1.0 in any order that adds 1.0 last.
    n = Neuron(3, nonlin=False)
    for w in n.w:
        w.data = 1.0
    n.b.data = 1e16
    out = n([1.0, -1e16, 0.5])
    assert out.data == ((1e16 + 1.0) + -1e16) + 0.5 == 0.5


def test_neuron_is_relu_of_the_affine_sum_and_linear_without_nonlin() -> None:
    n = Neuron(2)
    n.w[0].data, n.w[1].data, n.b.data = 2.0, -1.0, 0.5
    assert n([1.0, 3.0]).data == 0.0
    assert n([1.0, 1.0]).data == 1.5
    n.nonlin = False
    assert n([1.0, 3.0]).data == -0.5


def test_a_neuron_is_one_affine_node_under_its_activation(builtin_registry: OpRegistry) -> None:
    n = Neuron(16)
    out = n([Value(float(i)) for i in range(16)])
    ops = [op.name for v in topological_order(out) if (op := node_of(v).op) is not None]
    assert ops == ["affine", "relu"]


def test_without_affine_a_neuron_is_micrograds_chain_with_the_same_numbers(
    builtin_registry: OpRegistry,
) -> None:
    random.seed(3)
    model = MLP(3, [4, 4, 1])

    def run() -> tuple[float, list[float], set[str]]:
        model.zero_grad()
        loss = model([0.5, -1.0, 2.0])
        assert isinstance(loss, Value)
        loss.backward()
        ops = {op.name for v in topological_order(loss) if (op := node_of(v).op) is not None}
        return loss.data, [p.grad for p in model.parameters()], ops

    fused = run()
    with builtin_registry.without("affine").activated():
        chained = run()
    assert fused[2] == {"affine", "relu"}
    assert chained[2] == {"add", "mul", "relu"}
    assert fused[:2] == chained[:2]


def test_layer_of_one_neuron_returns_its_value() -> None:
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    out = Layer(2, 3)([1.0, 2.0])
    assert isinstance(out, list)
    assert len(out) == 3


def test_mlp_last_layer_is_linear() -> None:
    model = MLP(2, [4, 4, 3])
    assert [n.nonlin for layer in model.layers for n in layer.neurons] == [True] * 8 + [False] * 3
    # a linear output can be negative; a relu output cannot
    model.layers[-1].neurons[0].b.data = -5.0
    out = model([0.0, 0.0])
    assert isinstance(out, list)
    assert out[0].data < 0


def test_hidden_layer_of_one_neuron_works() -> None:
    # micrograd itself fails here (a Value is not iterable); a drop-in may as well work.
    assert isinstance(MLP(2, [1, 1])([1.0, 2.0]), Value)


def test_backward_reaches_every_parameter_and_zero_grad_resets() -> None:
    random.seed(3)
    model = MLP(2, [3, 1])
    for p in model.parameters():
        p.data = 0.5
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    out.backward()
    assert all(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_parameters_is_a_fresh_list_each_call() -> None:
    model = MLP(2, [3, 1])
    params = model.parameters()
    params.clear()
    assert len(model.parameters()) == 13
    assert Module().parameters() == []


def test_tanh_activation() -> None:
    n = Neuron(1, activation="tanh")
    n.w[0].data = 0.5
    out = n([1.0])
    assert out.data == pytest.approx(math.tanh(0.5), rel=1e-15)
    out.backward()
    assert n.w[0].grad == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-12)


@pytest.mark.usefixtures("builtin_registry")
def test_unknown_activation_lists_the_unary_ops() -> None:
    with pytest.raises(OpNotFoundError, match="unknown activation 'tahn'") as info:
        Neuron(2, activation="tahn")
    assert str(info.value).endswith("unary ops: exp, log, relu, softplus, tanh")
    with pytest.raises(LookupError, match="'sigmoid'"):
        MLP(2, [16, 16, 1], activation="sigmoid")


@pytest.mark.usefixtures("builtin_registry")
def test_binary_op_is_not_an_activation() -> None:
    with pytest.raises(
        OpNotFoundError, match=r"activation 'mul' takes 2 inputs.*exp, log, relu, softplus, tanh"
    ):
        Neuron(2, activation="mul")
    with pytest.raises(TypeError, match="name of a unary op"):
        Neuron(2, activation=math.tanh)  # type: ignore[arg-type]


def _sigmoid(x: Value) -> Value:
    return 1 / (1 + (-x).exp())


@hookimpl
def micrograd_register_ops(register: Register) -> None:
    """A plugin that provides a composite sigmoid."""
    register(Op("sigmoid", 1, compose=_sigmoid, doc="1 / (1 + e**-x)"))


def test_activation_from_a_plugin(builtin_registry: OpRegistry) -> None:
    plugin = types.SimpleNamespace(micrograd_register_ops=micrograd_register_ops)
    ops: list[Op] = []
    plugin.micrograd_register_ops(ops.append)
    with builtin_registry.with_ops(ops, Provenance("sigmoid")).activated():
        model = MLP(2, [16, 16, 1], activation="sigmoid")
        assert repr(model.layers[0].neurons[0]) == "SigmoidNeuron(2)"
        n = model.layers[0].neurons[0]
        z = n.b.data + n.w[0].data * 0.3 + n.w[1].data * -0.7
        assert n([0.3, -0.7]).data == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-12)
        out = model([0.3, -0.7])
        assert isinstance(out, Value)
        out.backward()


# -- what a caller can get wrong: clear errors, never a silently wrong number --------


@pytest.mark.parametrize(
    ("model", "x", "message"),
    [
        # micrograd's zip dropped the missing input: a number from one input of two
        (lambda: Neuron(2), [1.0], r"^ReLUNeuron\(2\) takes 2 inputs, got 1$"),
        (lambda: Layer(3, 2), [1.0, 2.0, 3.0, 4.0], r"^ReLUNeuron\(3\) takes 3 inputs, got 4$"),
        (lambda: MLP(2, [3, 1]), [0.5], r"^ReLUNeuron\(2\) takes 2 inputs, got 1$"),
    ],
)
def test_an_input_of_another_length_is_refused(model: Any, x: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        model()(x)
    assert isinstance(info.value, MicrogradError)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: MLP(-1, [3]), ValueError, r"^Neuron needs an int nin .*>= 0, got -1$"),
        (lambda: MLP(2.5, [3]), ValueError, r"^Neuron needs an int nin .*got 2.5 \(float\)"),  # type: ignore[arg-type]
        (lambda: MLP(2, 3), TypeError, r"^MLP takes nouts .*as a sequence .*got int"),  # type: ignore[arg-type]
        (lambda: MLP(2, []), ValueError, "^MLP needs at least one layer"),
        (lambda: MLP(2, [0, 1]), ValueError, r"^Layer needs an int nout .*>= 1, got 0"),
        (lambda: MLP(2, [3], rng=5), TypeError, r"^rng is a generator with uniform\(a, b\)"),
        (lambda: MLP(2, [3], init="xavier"), ValueError, "^init must be one of"),
    ],
)
def test_a_model_of_impossible_sizes_is_refused(
    build: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as info:
        build()
    assert isinstance(info.value, MicrogradError)
