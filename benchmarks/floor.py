"""The floor: micrograd's demo step in plain floats, with gradients derived by hand.

No graph, no nodes: the same arithmetic in the same order as micrograd's forward
pass (so the first loss is bit-identical), then the chain rule written out. What
is left between this and an autograd engine is the engine's own cost.
"""

from __future__ import annotations

import random

__all__ = ["FloatMLP"]

ALPHA = 1e-4  # the demo's L2 weight


class FloatMLP:
    """micrograd's ``MLP(nin, nouts)`` as lists of floats, weights drawn in micrograd's order.

    >>> random.seed(0)
    >>> model = FloatMLP(2, [3, 1])
    >>> len(model.parameters())
    13
    """

    def __init__(self, nin: int, nouts: list[int]) -> None:
        sz = [nin, *nouts]
        # One list per neuron: its weights, then its bias (micrograd's parameter order).
        self.layers = [
            (
                [[random.uniform(-1, 1) for _ in range(sz[i])] + [0.0] for _ in range(sz[i + 1])],
                i != len(nouts) - 1,
            )
            for i in range(len(nouts))
        ]

    def parameters(self) -> list[float]:
        """Every weight and bias, in micrograd's order."""
        return [p for neurons, _ in self.layers for n in neurons for p in n]

    def step(
        self, X: list[list[float]], y: list[float], learning_rate: float
    ) -> tuple[float, float]:
        """One step of the demo (hinge loss, L2, gradient, SGD update); returns loss, accuracy."""
        layers = self.layers
        # forward, keeping every layer's output for the backward pass
        runs = []
        for x in X:
            acts = [x]
            for neurons, nonlin in layers:
                inp = acts[-1]
                out = []
                for n in neurons:
                    a = n[-1]
                    for wi, xi in zip(n, inp, strict=False):
                        a = a + wi * xi
                    out.append((0.0 if a < 0 else a) if nonlin else a)
                acts.append(out)
            runs.append(acts)
        scores = [acts[-1][0] for acts in runs]
        margins = [s * -yi + 1 for yi, s in zip(y, scores, strict=True)]
        losses = [0.0 if m < 0 else m for m in margins]
        total: float = 0
        for loss in losses:
            total = total + loss
        scale = 1.0 / len(losses)
        reg: float = 0
        for p in self.parameters():
            reg = reg + p * p
        total_loss = total * scale + reg * ALPHA
        accuracy = sum((yi > 0) == (s > 0) for yi, s in zip(y, scores, strict=True)) / len(y)

        # backward
        grads = [[[0.0] * len(n) for n in neurons] for neurons, _ in layers]
        for yi, loss, acts in zip(y, losses, runs, strict=True):
            d_out = [-yi * ((1.0 if loss > 0 else 0.0) * scale)]
            for li in range(len(layers) - 1, -1, -1):
                neurons, nonlin = layers[li]
                inp, out = acts[li], acts[li + 1]
                d_in = [0.0] * len(inp)
                for n, g, o, d in zip(neurons, grads[li], out, d_out, strict=True):
                    da = (1.0 if o > 0 else 0.0) * d if nonlin else d
                    g[-1] += da
                    for i, xi in enumerate(inp):
                        g[i] += xi * da
                        d_in[i] += n[i] * da
                d_out = d_in
        for (neurons, _), layer_grads in zip(layers, grads, strict=True):
            for n, g in zip(neurons, layer_grads, strict=True):
                for i, p in enumerate(n):
                    g[i] += p * ALPHA
                    g[i] += p * ALPHA
                    n[i] = p - learning_rate * g[i]
        return total_loss, accuracy
