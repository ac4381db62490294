"""``Module``, ``Neuron``, ``Layer`` and ``MLP``: micrograd's nn, with any unary op as activation.

The classes keep micrograd's API, reprs, weight initialisation and quirks, so a
script written for micrograd's ``nn`` runs unchanged and computes the same
numbers: weights are drawn with ``random.uniform(-1, 1)`` in micrograd's order,
biases start at 0, ``Layer`` returns the single ``Value`` when it has one
neuron, and the last layer of an ``MLP`` is linear. A neuron sums
``b + w0*x0 + w1*x1 + ...`` left to right, as micrograd's
``sum((wi*xi for ...), self.b)`` does. One quirk is not kept: micrograd zips
the weights with the inputs, so an input of another length gives a number
computed from part of it; here it is an error.

Beyond micrograd, the nonlinearity is any registered unary op, by name:
``Neuron(2, activation="tanh")``. Layers and MLPs list their parameters once,
when they are built: the list is not rebuilt on every call.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import chain
from typing import Any, Literal, Protocol

from micrograd_core import (
    ArgumentError,
    ArgumentTypeError,
    Op,
    OpNotFoundError,
    Value,
    active_registry,
    apply,
)
from micrograd_nn._check import count, sequence

__all__ = ["INITS", "MLP", "Layer", "Module", "Neuron", "Uniform", "resolve_activation"]

Input = Value | float


class Uniform(Protocol):
    """A random generator with ``uniform(a, b)``: ``random.Random``, or LLM101n's ``RNG``."""

    def uniform(self, a: float, b: float, /) -> float:
        """A random float between ``a`` and ``b``."""
        ...


Init = Literal["uniform", "fan_in"]
INITS: tuple[Init, ...] = ("uniform", "fan_in")
"""How a neuron's weights start: ``"uniform"``, ``uniform(-1, 1)`` (micrograd);
``"fan_in"``, ``uniform(-1, 1) * nin**-0.5`` (LLM101n's micrograd)."""


class Module:
    """The base of every model: its parameters, and a way to reset their gradients.

    >>> Module().parameters()
    []
    """

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        """The values training updates (none for a bare ``Module``)."""
        return []


def resolve_activation(name: str) -> str:
    """Check that ``name`` is a registered unary op and return it, or say what exists.

    >>> resolve_activation("tanh")
    'tanh'
    """
    registry = active_registry()
    op = registry.get(name) if isinstance(name, str) else None
    if op is not None and _is_unary(op):
        return name
    unary = ", ".join(n for n, op in registry.items() if _is_unary(op)) or "none"
    if not isinstance(name, str):
        msg = f"an activation is the name of a unary op (one of: {unary}), got {name!r}"
        raise ArgumentTypeError(msg)
    if name not in registry:
        error = registry.lookup_error(name)
        if not isinstance(error, OpNotFoundError):
            raise error  # two plugins provide it: the message names both
        msg = f"unknown activation {name!r}: no registered op has that name; unary ops: {unary}"
        raise OpNotFoundError(msg, op_name=name, available=error.available)
    msg = (
        f"activation {name!r} takes {registry[name].arity} inputs; an activation must be "
        f"a unary op, one of: {unary}"
    )
    raise OpNotFoundError(msg, op_name=name, available=list(registry))


def _is_unary(op: Op) -> bool:
    return op.arity == 1 and not op.variadic


def _title(activation: str) -> str:
    """How a neuron's repr names its activation: micrograd's ``ReLU``, else ``Tanh`` etc."""
    return "ReLU" if activation == "relu" else activation.title().replace("_", "")


class Neuron(Module):
    """One neuron: ``activation(b + w0*x0 + w1*x1 + ...)``, or linear with ``nonlin=False``.

    >>> random.seed(0)
    >>> n = Neuron(2)
    >>> n, len(n.parameters())
    (ReLUNeuron(2), 3)
    >>> Neuron(3, activation="tanh"), Neuron(16, nonlin=False)
    (TanhNeuron(3), LinearNeuron(16))

    Weights are drawn from ``random.uniform(-1, 1)``, the global generator as in
    micrograd, unless ``rng`` (a ``random.Random``, or anything with ``uniform``
    such as :class:`~micrograd_nn.RNG`) is given; the bias starts at 0. With
    ``init="fan_in"`` each weight is ``uniform(-1, 1) * nin**-0.5``, as in
    LLM101n's micrograd, which keeps the weighted sums of wide layers small.
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str = "relu",
        rng: Uniform | None = None,
        init: Init = "uniform",
    ) -> None:
        nin = count(nin, "Neuron", "nin (its number of inputs)")
        if rng is not None and not callable(getattr(rng, "uniform", None)):
            msg = (
                f"rng is a generator with uniform(a, b) (random.Random or RNG), got "
                f"{type(rng).__name__}; for a seed pass random.Random(seed) or RNG(seed)"
            )
            raise ArgumentTypeError(msg)
        uniform = (rng if rng is not None else random).uniform
        if init == "uniform":
            self.w = [Value(uniform(-1, 1)) for _ in range(nin)]
        elif init == "fan_in":
            scale = nin**-0.5 if nin > 0 else 1.0
            self.w = [Value(uniform(-1, 1) * scale) for _ in range(nin)]
        else:
            msg = f"init must be one of {', '.join(map(repr, INITS))}, got {init!r}"
            raise ArgumentError(msg)
        self.b = Value(0)
        self.nonlin = nonlin
        self.activation = resolve_activation(activation)

    def __call__(self, x: Sequence[Input]) -> Value:
        """The neuron's output for the inputs ``x`` (one per weight).

        The weighted sum ``b + w0*x0 + w1*x1 + ...`` is one ``affine`` node when
        the active registry has that op, else micrograd's chain of ``mul`` and
        ``add`` nodes: the same numbers either way, but one node instead of
        ``2 * nin``, which makes the graph of an MLP about ten times smaller.
        """
        if len(x) != len(self.w):  # micrograd's zip would drop the extra inputs or weights
            msg = f"{self!r} takes {len(self.w)} inputs, got {len(x)}"
            raise ArgumentError(msg)
        pairs = zip(self.w, x, strict=True)
        affine = active_registry().get("affine")
        if affine is not None:
            act = apply(affine, self.b, *chain.from_iterable(pairs))
        else:
            act = self.b
            for wi, xi in pairs:
                act = act + wi * xi
        if not self.nonlin:
            return act
        if self.activation == "relu":
            return act.relu()
        return apply(self.activation, act)

    def parameters(self) -> list[Value]:
        """The weights, then the bias."""
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{_title(self.activation) if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; ``kwargs`` go to each :class:`Neuron`.

    >>> random.seed(0)
    >>> Layer(2, 3)
    Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)]

    As in micrograd, calling a layer of one neuron returns that neuron's ``Value``
    rather than a list of one.
    """

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        nout = count(nout, "Layer", "nout (its number of neurons)", minimum=1)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        self._parameters = tuple(p for n in self.neurons for p in n.parameters())

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        """The outputs of the neurons, or the one output when there is one neuron."""
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        """Every neuron's parameters, neuron by neuron (listed once, when built)."""
        return list(self._parameters)

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multilayer perceptron: layers of sizes ``nouts``, the last one linear.

    >>> random.seed(1337)
    >>> model = MLP(2, [16, 16, 1])
    >>> len(model.parameters())
    337
    >>> MLP(3, [2, 1], activation="tanh")
    MLP of [Layer of [TanhNeuron(3), TanhNeuron(3)], Layer of [LinearNeuron(2)]]

    ``activation`` (default ``"relu"``, as micrograd) is the unary op of every
    hidden neuron; ``rng`` and ``init`` are passed to each neuron.
    """

    def __init__(self, nin: int, nouts: Sequence[int], **kwargs: Any) -> None:
        sequence(nouts, "MLP", "nouts (the size of each layer)")
        if len(nouts) == 0:
            msg = "MLP needs at least one layer: nouts holds the size of each, got none"
            raise ArgumentError(msg)
        sz = [nin, *nouts]
        n = len(nouts)
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != n - 1, **kwargs) for i in range(n)]
        self._parameters = tuple(p for layer in self.layers for p in layer.parameters())

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        """The outputs of the last layer (one ``Value`` when it has one neuron)."""
        out: Value | Sequence[Input] = x
        for layer in self.layers:
            # micrograd fails on a hidden layer of one neuron; a list of one works.
            out = layer([out] if isinstance(out, Value) else out)
        return out  # type: ignore[return-value]  # a layer's output, not the input list

    def parameters(self) -> list[Value]:
        """Every layer's parameters, layer by layer (listed once, when built)."""
        return list(self._parameters)

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
