"""``micrograd demo``: train micrograd's moons classifier, with a live progress bar."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from micrograd_core import MicrogradError
from micrograd_nn import accuracy, moons_classifier, save_parameters, scores, train
from micrograd_nn.plot import plot_decision_boundary, require_matplotlib

__all__ = ["DEFAULT_SEED", "demo"]

DEFAULT_SEED = 0
"""The seed of the data and the initial weights: with it the default run reaches 100 %."""


def _sizes(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in value.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        msg = f"expected comma-separated positive layer sizes such as 16,16, got {value!r}"
        raise click.BadParameter(msg)
    return sizes


@click.command()
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Number of training steps.",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed of the data points and the initial weights.",
)
@click.option(
    "--activation",
    default="relu",
    show_default=True,
    help="Unary op of the hidden neurons: any registered one (micrograd ops lists them).",
)
@click.option(
    "--hidden",
    default="16,16",
    show_default=True,
    callback=_sizes,
    help="Sizes of the hidden layers, comma-separated.",
)
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the trained parameters to this JSON file.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the decision boundary and the points to this PNG file (needs matplotlib).",
)
def demo(
    steps: int,
    seed: int,
    activation: str,
    hidden: tuple[int, ...],
    save: Path | None,
    plot: Path | None,
) -> None:
    """Train micrograd's demo classifier on 100 moons points and report its accuracy.

    An MLP(2, [16, 16, 1]) learns to separate two interleaving half circles
    (noise 0.1) with micrograd's hinge loss, L2 regularisation and SGD, as in
    micrograd's demo notebook. The same seed gives the same run.
    """
    if plot is not None:
        try:
            require_matplotlib()
        except ModuleNotFoundError as e:
            raise click.ClickException(str(e)) from None
    try:
        model, X, y = moons_classifier(seed=seed, hidden=hidden, activation=activation)
    except MicrogradError as e:
        raise click.BadParameter(str(e), param_hint="'--activation'") from None
    shape = ", ".join(map(str, (*hidden, 1)))
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"MLP(2, [{shape}]) with {activation} ({len(model.parameters())} parameters) "
        f"on {len(X)} moons points (noise 0.1, seed {seed})"
    )
    columns = (
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}  accuracy {task.fields[accuracy]:4.0%}"),
        TimeElapsedColumn(),
    )
    start = time.perf_counter()
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("train", total=steps, loss=float("nan"), accuracy=0.0)
            for step in train(model, X, y, steps=steps):
                progress.update(task, completed=step.step, loss=step.loss, accuracy=step.accuracy)
    except MicrogradError as e:
        msg = f"training failed: {e}"
        raise click.ClickException(msg) from None
    elapsed = time.perf_counter() - start
    final = accuracy(scores(model, X), y)
    hits = round(final * len(X))
    console.print(
        f"accuracy {final:.0%} ({hits}/{len(X)} points) after {steps} steps in {elapsed:.1f} s"
    )
    try:
        if save is not None:
            save_parameters(model, save)
            console.print(f"parameters saved to {save}")
        if plot is not None:
            title = f"MLP(2, [{shape}]), {activation}: accuracy {final:.0%}"
            plot_decision_boundary(model, X, y, plot, title=title)
            console.print(f"decision boundary drawn to {plot}")
    except OSError as e:
        msg = f"cannot write {e.filename!r}: {e.strerror or e}"
        raise click.ClickException(msg) from None
    except ValueError as e:  # parameters that diverged to inf or nan
        msg = f"cannot save the parameters: {e}"
        raise click.ClickException(msg) from None
