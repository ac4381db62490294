"""Optimisers: stochastic gradient descent (momentum, weight decay), Adam and AdamW.

Each optimiser's per-parameter state reads as ``torch.optim``'s does:
``optimizer.state[p]`` for a parameter ``p``, with PyTorch's names
(``momentum_buffer``; ``step``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``),
as small read-only records (:class:`SGDState`, :class:`AdamState`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import FrozenInstanceError, dataclass
from typing import TYPE_CHECKING, NoReturn, TypeVar

from micrograd_core import ArgumentError, ArgumentTypeError, MicrogradError, Value
from micrograd_nn._check import real

__all__ = [
    "SGD",
    "Adam",
    "AdamState",
    "AdamW",
    "NotAParameterError",
    "OptimizerState",
    "SGDState",
]

S = TypeVar("S")
R = TypeVar("R")


def _read_only(cls: type[R]) -> type[R]:
    """Make assigning to (or deleting) a field of the frozen dataclass ``cls`` say why it fails."""

    def refuse(self: object, name: str, *value: object) -> NoReturn:
        msg = (
            f"cannot assign to {type(self).__name__}.{name}: optimizer.state[p] is a read-only "
            "record of the optimizer's state when it was read; step() changes the state, "
            "and a new optimizer starts it afresh"
        )
        raise FrozenInstanceError(msg)

    setattr(cls, "__setattr__", refuse)  # noqa: B010  (a method, replaced on the class)
    setattr(cls, "__delattr__", refuse)  # noqa: B010
    return cls


@_read_only
@dataclass(frozen=True, slots=True)
class SGDState:
    """What :class:`SGD` keeps for one parameter, named as ``torch.optim.SGD`` names it.

    ``momentum_buffer`` is the running velocity ``v = momentum*v + grad`` after
    the last step; None without momentum or before the first step (where
    PyTorch keeps no entry).
    """

    momentum_buffer: float | None


@_read_only
@dataclass(frozen=True, slots=True)
class AdamState:
    """What :class:`Adam` and :class:`AdamW` keep for one parameter, named as ``torch.optim``'s.

    ``step`` counts the steps taken; ``exp_avg`` and ``exp_avg_sq`` are the
    running averages of the gradient and of its square (before their bias
    correction); ``max_exp_avg_sq`` the largest ``exp_avg_sq`` so far with
    ``amsgrad``, else None. Before the first step they are 0 (PyTorch keeps no
    entry yet).
    """

    step: int
    exp_avg: float
    exp_avg_sq: float
    max_exp_avg_sq: float | None = None


class NotAParameterError(MicrogradError, KeyError):
    """``optimizer.state[v]`` for a ``Value`` the optimiser does not update.

    A ``KeyError``, as a mapping raises for a key it does not hold, so
    ``state.get(v)`` and ``v in state`` work as for any mapping.
    """

    def __str__(self) -> str:  # KeyError would show the message quoted
        return str(self.args[0])


_READ_ONLY = (
    "optimizer.state is read-only: it shows the optimizer's state, which only step() "
    "changes (a new optimizer starts afresh); set a parameter's value through p.data"
)


class OptimizerState(Mapping[Value, S]):
    """An optimiser's state per parameter, read-only: ``state[p]`` as in ``torch.optim``.

    A live view: each lookup reads the optimiser's state at that moment, as a
    record (:class:`SGDState`, :class:`AdamState`). Its keys are the parameters,
    in order; a ``Value`` the optimiser does not update is no key.

    >>> w = Value(1.0)
    >>> (w * w).backward()
    >>> sgd = SGD([w], lr=0.1, momentum=0.9)
    >>> sgd.step()
    >>> sgd.state[w]
    SGDState(momentum_buffer=2.0)
    """

    __slots__ = ("_index", "_parameters", "_read")

    def __init__(self, parameters: list[Value], read: Callable[[int], S]) -> None:
        self._parameters = parameters
        self._index = {id(p): i for i, p in enumerate(parameters)}
        self._read = read

    def __getitem__(self, p: Value) -> S:
        i = self._index.get(id(p))
        if i is None or self._parameters[i] is not p:
            msg = (
                f"{p!r} is not a parameter of this optimizer; its state holds the "
                f"{len(self._parameters)} parameters it was given"
            )
            raise NotAParameterError(msg)
        return self._read(i)

    def __iter__(self) -> Iterator[Value]:
        return iter(self._parameters)

    def __len__(self) -> int:
        return len(self._parameters)

    def __contains__(self, p: object) -> bool:
        i = self._index.get(id(p))
        return i is not None and self._parameters[i] is p

    if not TYPE_CHECKING:  # so that type checkers reject writing, as they do for a Mapping

        def __setitem__(self, p: Value, state: object) -> NoReturn:
            raise TypeError(_READ_ONLY)

        def __delitem__(self, p: Value) -> NoReturn:
            raise TypeError(_READ_ONLY)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} parameters)"


def _parameters(parameters: Iterable[Value], where: str) -> list[Value]:
    """The parameters as a list, checked: ``Value`` s, each once, at least one (as torch.optim)."""
    if isinstance(parameters, Value) or not isinstance(parameters, Iterable):
        msg = (
            f"{where} takes an iterable of Values (such as model.parameters()), "
            f"got {type(parameters).__name__}"
        )
        raise ArgumentTypeError(msg)
    out = list(parameters)
    seen: dict[int, int] = {}
    for i, p in enumerate(out):
        if not isinstance(p, Value):
            msg = f"{where} takes Values to update, got {type(p).__name__} at position {i}"
            raise ArgumentTypeError(msg)
        if id(p) in seen:
            msg = (
                f"{where} got parameter {i} twice (it is also parameter {seen[id(p)]}): "
                "each step would move it twice; list each parameter once"
            )
            raise ArgumentError(msg)
        seen[id(p)] = i
    if not out:
        msg = f"{where} got an empty parameter list: there is nothing to update"
        raise ArgumentError(msg)
    return out


def _settings(where: str, *checks: tuple[str, object, str]) -> list[float]:
    """Each setting as a float, checked against its range (``">= 0"``, ``"[0, 1)"``)."""
    out = []
    for what, given, expected in checks:
        x = real(given, where, what)
        ok = x >= 0 if expected == ">= 0" else 0 <= x < 1
        if not ok:
            wanted = "a number >= 0" if expected == ">= 0" else "a number in [0, 1)"
            msg = f"{where} {what} must be {wanted}, got {given!r}"
            raise ArgumentError(msg)
        out.append(x)
    return out


def _divide(a: float, b: float) -> float:
    """``a / b`` as IEEE floats divide (and PyTorch): ``1/0`` is inf, ``0/0`` NaN, not an error."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


class SGD:
    """Updates parameters against their gradients: ``p.data -= lr * p.grad``.

    >>> w = Value(1.0)
    >>> (w * w).backward()
    >>> SGD([w], lr=0.1).step()
    >>> w.data
    0.8

    With ``weight_decay`` the gradient gets ``weight_decay * p.data`` added; with
    ``momentum`` the update follows a running velocity ``v = momentum*v + grad``
    (PyTorch's convention). With neither, a step is exactly micrograd's update.
    ``lr`` may be changed between steps (a learning-rate schedule).
    ``state[p]`` reads a parameter's velocity as ``torch.optim.SGD``'s
    ``momentum_buffer`` (:class:`SGDState`).
    """

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 0.01,
        *,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        _settings(
            "SGD",
            ("lr", lr, ">= 0"),
            ("momentum", momentum, "[0, 1)"),
            ("weight_decay", weight_decay, ">= 0"),
        )
        self.parameters = _parameters(parameters, "SGD")
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self._velocity = [0.0] * len(self.parameters)
        self._steps = 0
        self.state: OptimizerState[SGDState] = OptimizerState(self.parameters, self._state)

    def _state(self, i: int) -> SGDState:
        if not self.momentum or not self._steps:
            return SGDState(momentum_buffer=None)
        return SGDState(momentum_buffer=self._velocity[i])

    def step(self) -> None:
        """Move every parameter one step against its gradient."""
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        self._steps += 1
        if not momentum and not decay:
            for p in self.parameters:
                p.data -= lr * p.grad
            return
        velocity = self._velocity
        for i, p in enumerate(self.parameters):
            g = p.grad + decay * p.data if decay else p.grad
            if momentum:
                g = velocity[i] = momentum * velocity[i] + g
            p.data -= lr * g

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (before the next ``backward()``)."""
        for p in self.parameters:
            p.grad = 0.0


class Adam:
    """Adam, as PyTorch's ``torch.optim.Adam``: the same parameters, defaults and floats.

    >>> w = Value(1.0)
    >>> (w * w).backward()
    >>> Adam([w], lr=0.1).step()
    >>> round(w.data, 6)  # a first step moves by lr
    0.9

    Each parameter keeps running averages of its gradient (``m``) and squared
    gradient (``v``) with decay rates ``betas``; a step moves it by
    ``lr * m_hat / (sqrt(v_hat) + eps)``, the averages corrected for their start
    at 0. ``weight_decay`` adds ``weight_decay * p.data`` to the gradient (L2, as
    PyTorch's ``Adam``; :class:`AdamW` decays the weights apart from the gradient).
    ``amsgrad`` uses the largest ``v`` so far; ``maximize`` climbs the gradient.
    ``lr`` may be changed between steps (a learning-rate schedule).
    ``state[p]`` reads a parameter's ``step``, ``exp_avg`` (``m``), ``exp_avg_sq``
    (``v``) and ``max_exp_avg_sq``, as ``torch.optim.Adam``'s (:class:`AdamState`).
    """

    _decoupled = False

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        name = type(self).__name__
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            msg = f"{name} betas must be a pair of numbers in [0, 1), got {betas!r}"
            raise ArgumentError(msg)
        _settings(
            name,
            ("lr", lr, ">= 0"),
            ("betas[0]", betas[0], "[0, 1)"),
            ("betas[1]", betas[1], "[0, 1)"),
            ("eps", eps, ">= 0"),
            ("weight_decay", weight_decay, ">= 0"),
        )
        self.parameters = _parameters(parameters, name)
        self.lr = lr
        self.betas = (betas[0], betas[1])
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.maximize = maximize
        self.t = 0  # steps taken
        n = len(self.parameters)
        self._m = [0.0] * n
        self._v = [0.0] * n
        self._v_max = [0.0] * n
        self.state: OptimizerState[AdamState] = OptimizerState(self.parameters, self._state)

    def _state(self, i: int) -> AdamState:
        v_max = self._v_max[i] if self.amsgrad else None
        return AdamState(self.t, self._m[i], self._v[i], v_max)

    def step(self) -> None:
        """Move every parameter one step, as ``torch.optim`` does (its single-tensor path)."""
        self.t += 1
        lr, eps, decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        # PyTorch's order of operations, so the floats agree to the last bits.
        step_size = lr / (1 - beta1**self.t)
        bias_correction2_sqrt = math.sqrt(1 - beta2**self.t)
        w1, w2 = 1 - beta1, 1 - beta2
        m, v, v_max = self._m, self._v, self._v_max
        for i, p in enumerate(self.parameters):
            g = -p.grad if self.maximize else p.grad
            if decay:
                if self._decoupled:
                    p.data *= 1 - lr * decay
                else:
                    g = g + decay * p.data
            # torch.lerp(m, g, w1): from the nearer end, as PyTorch computes it
            m[i] = m[i] + w1 * (g - m[i]) if w1 < 0.5 else g - (g - m[i]) * (1 - w1)
            v[i] = v[i] * beta2 + w2 * g * g
            if self.amsgrad:
                v_max[i] = max(v_max[i], v[i])
                denom = math.sqrt(v_max[i]) / bias_correction2_sqrt + eps
            else:
                denom = math.sqrt(v[i]) / bias_correction2_sqrt + eps
            # with eps = 0 and no gradient yet, denom is 0: NaN or inf, as in PyTorch
            p.data += _divide(-step_size * m[i], denom)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (before the next ``backward()``)."""
        for p in self.parameters:
            p.grad = 0.0


class AdamW(Adam):
    """AdamW, as PyTorch's ``torch.optim.AdamW``: Adam with decoupled weight decay.

    >>> w = Value(1.0)
    >>> (w * w).backward()
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step()
    >>> round(w.data, 6)  # 1.0 * (1 - 0.1 * 0.5), then a step of lr
    0.85

    Before each step every parameter is multiplied by ``1 - lr * weight_decay``
    (default ``1e-2``, as PyTorch); the gradient itself is left alone.
    """

    _decoupled = True

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        *,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            parameters, lr, betas, eps, weight_decay, amsgrad=amsgrad, maximize=maximize
        )
