"""The decision boundary or regions of a 2-D classifier, drawn with matplotlib (``plot`` extra).

matplotlib is imported only when a plot is drawn: ``pip install
'micrograd-registry[plot]'`` adds it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from micrograd_core import Value
from micrograd_core.value import no_grad
from micrograd_nn.module import Module
from micrograd_nn.training import scores

__all__ = ["plot_decision_boundary", "plot_decision_regions", "require_matplotlib"]

CLASS_COLORS = ("#e41a1c", "#4daf4a", "#377eb8", "#984ea3", "#ff7f00", "#a65628")
"""Region and point colours of classes 0, 1, 2, ...: red, green, blue as LLM101n's three."""

MISSING = (
    "drawing a plot needs matplotlib, which is not installed; "
    "install it with: pip install 'micrograd-registry[plot]'"
)


def require_matplotlib() -> None:
    """Raise ``ModuleNotFoundError``, saying how to install it, unless matplotlib imports."""
    try:
        import matplotlib  # noqa: F401, PLC0415  (an optional extra)
    except ImportError as e:
        raise ModuleNotFoundError(MISSING, name="matplotlib") from e


def plot_decision_boundary(
    model: Module,
    inputs: Sequence[Sequence[float]],
    labels: Sequence[float],
    path: str | os.PathLike[str],
    *,
    title: str = "",
    resolution: float = 0.2,
) -> None:
    """Save a PNG of the regions ``model`` scores above and below 0, with the labelled points.

    The model is evaluated on a grid that spans the points with a margin of 1,
    as in micrograd's demo, in cells of ``resolution``. Raises
    ``ModuleNotFoundError`` (with the command that installs it) when matplotlib
    is missing.
    """
    require_matplotlib()
    from matplotlib.figure import Figure  # noqa: PLC0415  (an optional extra)

    xs = [row[0] for row in inputs]
    ys = [row[1] for row in inputs]
    gx = _grid(min(xs) - 1, max(xs) + 1, resolution)
    gy = _grid(min(ys) - 1, max(ys) + 1, resolution)
    with no_grad():  # values only: no graph for the grid
        flat = [s.data for s in scores(model, [[x, y] for y in gy for x in gx])]
    z = [flat[i : i + len(gx)] for i in range(0, len(flat), len(gx))]
    # The regions are split where the score crosses 0, found by interpolating the
    # scores between grid points: a coarse grid still draws a smooth boundary.
    low, high = min(*flat, -1.0), max(*flat, 1.0)

    figure = Figure(figsize=(5, 4), dpi=100, layout="constrained")
    ax = figure.subplots()
    ax.contourf(gx, gy, z, levels=[low, 0.0, high], colors=["#f4a582", "#92c5de"])
    ax.scatter(xs, ys, c=list(labels), s=25, cmap="RdBu", edgecolors="black", linewidths=0.5)
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    if title:
        ax.set_title(title, fontsize=10)
    figure.savefig(os.fspath(path))


def _grid(low: float, high: float, step: float) -> list[float]:
    n = int((high - low) / step) + 1
    return [low + i * step for i in range(n + 1)]


def plot_decision_regions(
    model: Module,
    inputs: Sequence[Sequence[float]],
    labels: Sequence[int],
    path: str | os.PathLike[str],
    *,
    title: str = "",
    resolution: float = 0.05,
) -> None:
    """Save an image of the class ``model`` picks (its largest logit) over the plane, with points.

    For a model with one output per class, such as LLM101n's ``MLP(2, [8, 3])``
    on :func:`~micrograd_nn.make_yinyang`'s points. The grid spans the points with
    a margin of 0.5, in cells of ``resolution``, evaluated without building a
    graph (:func:`~micrograd_nn.no_grad`). Raises ``ModuleNotFoundError`` (with
    the command that installs it) when matplotlib is missing.
    """
    require_matplotlib()
    from matplotlib.colors import ListedColormap  # noqa: PLC0415  (an optional extra)
    from matplotlib.figure import Figure  # noqa: PLC0415

    xs = [row[0] for row in inputs]
    ys = [row[1] for row in inputs]
    gx = _grid(min(xs) - 0.5, max(xs) + 0.5, resolution)
    gy = _grid(min(ys) - 0.5, max(ys) + 0.5, resolution)
    flat: list[int] = []
    with no_grad():
        for y in gy:
            for x in gx:
                out = model([x, y])  # type: ignore[operator]
                logits = [out] if isinstance(out, Value) else list(out)
                data = [v.data for v in logits]
                flat.append(data.index(max(data)))
    n_classes = max(*flat, *labels) + 1
    colors = ListedColormap(list(CLASS_COLORS[:n_classes]))
    z = [flat[i : i + len(gx)] for i in range(0, len(flat), len(gx))]
    figure = Figure(figsize=(5, 4.5), dpi=100, layout="constrained")
    ax = figure.subplots()
    levels = [k - 0.5 for k in range(n_classes + 1)]
    ax.contourf(gx, gy, z, levels=levels, cmap=colors, alpha=0.3)
    ax.scatter(
        xs,
        ys,
        c=list(labels),
        s=25,
        cmap=colors,
        vmin=-0.5,
        vmax=n_classes - 0.5,
        edgecolors="black",
        linewidths=0.5,
    )
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    ax.set_aspect("equal")
    if title:
        ax.set_title(title, fontsize=10)
    figure.savefig(os.fspath(path))
