"""Stochastic gradient descent, with optional momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable

from micrograd_core import Value

__all__ = ["SGD"]


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
    """

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 0.01,
        *,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        for name, x, ok, expected in (
            ("lr", lr, lr >= 0, "a number >= 0"),
            ("momentum", momentum, 0 <= momentum < 1, "a number in [0, 1)"),
            ("weight_decay", weight_decay, weight_decay >= 0, "a number >= 0"),
        ):
            if not ok:
                msg = f"SGD {name} must be {expected}, got {x!r}"
                raise ValueError(msg)
        self.parameters = list(parameters)
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self._velocity = [0.0] * len(self.parameters)

    def step(self) -> None:
        """Move every parameter one step against its gradient."""
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
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
