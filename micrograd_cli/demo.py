"""``micrograd demo``: train micrograd's moons classifier (a live progress bar), or LLM101n's
yin-yang classifier (its losses, step by step)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from micrograd_cli._failure import raised
from micrograd_cli._options import MAX_PARAMETERS, check_model_size, hidden_sizes
from micrograd_cli._registry import no_ops_message
from micrograd_core import MicrogradError, active_registry
from micrograd_nn import (
    MLP,
    RNG,
    AdamW,
    Module,
    cross_entropy_loss,
    evaluate,
    fit,
    make_yinyang,
    measure,
    moons_classifier,
    save_parameters,
    split_dataset,
    train,
)
from micrograd_nn.plot import plot_decision_boundary, plot_decision_regions, require_matplotlib

__all__ = ["DEFAULT_SEED", "MAX_PARAMETERS", "YINYANG_SEED", "demo"]

DEFAULT_SEED = 0
"""The seed of the data and the initial weights: with it the default run reaches 100 %."""

YINYANG_SEED = 42
"""LLM101n's seed: with it ``--task yinyang`` prints that program's losses."""

TASKS = {  # hidden layers and activation of each task's model
    "moons": ((16, 16), "relu", DEFAULT_SEED),
    "yinyang": ((8,), "tanh", YINYANG_SEED),
}


def _check_writable(path: Path, option: str) -> None:
    """Refuse, before any training, an output file that cannot be written.

    The file is opened for writing as saving will open it: a new one is created
    and removed again, an existing one is left as it was. That finds what the
    system refuses, a name too long or a folder that takes no files, root or not.
    """
    folder = path.parent
    try:
        if not folder.is_dir():
            msg = f"cannot write {str(path)!r}: there is no folder {str(folder)!r}"
            raise click.BadParameter(msg, param_hint=f"'{option}'")
        if not os.access(folder, os.W_OK | os.X_OK) or (
            path.exists() and not os.access(path, os.W_OK)
        ):
            msg = f"cannot write {str(path)!r}: permission denied"
            raise click.BadParameter(msg, param_hint=f"'{option}'")
        if not os.path.lexists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            os.unlink(path)
    except OSError as e:
        reason = e.strerror or str(e)
        msg = f"cannot write {str(path)!r}: {reason[:1].lower()}{reason[1:]}"
        raise click.BadParameter(msg, param_hint=f"'{option}'") from None


def _check_image(path: Path) -> None:
    """Refuse a plot file whose suffix names no image format matplotlib writes."""
    try:
        require_matplotlib()
    except ModuleNotFoundError as e:
        raise click.ClickException(str(e)) from None
    from matplotlib.figure import Figure  # noqa: PLC0415  (an optional extra)

    formats = sorted(Figure().canvas.get_supported_filetypes())
    if path.suffix[1:].lower() not in formats:
        msg = (
            f"cannot tell an image format from {str(path)!r}: expected a name ending in "
            f"{', '.join('.' + f for f in formats)}"
        )
        raise click.BadParameter(msg, param_hint="'--plot'")


def _figures(loss: float | None = None, accuracy: float | None = None) -> str:
    """The progress bar's figures; dashes before the first step has measured any."""
    if loss is None or accuracy is None:
        return "loss      -  accuracy    -"
    return f"loss {loss:.4f}  accuracy {accuracy:4.0%}"


@click.command()
@click.option(
    "--task",
    "task_name",
    type=click.Choice(sorted(TASKS)),
    default="moons",
    show_default=True,
    help="moons: micrograd's demo, two classes, hinge loss and SGD. yinyang: LLM101n's "
    "three classes, cross-entropy and AdamW, with train, validation and test losses.",
)
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
    help=f"Seed of the data points and the initial weights  [default: {DEFAULT_SEED} for moons, "
    f"{YINYANG_SEED} for yinyang]",
)
@click.option(
    "--activation",
    help="Unary op of the hidden neurons: any registered one (micrograd ops lists them)  "
    "[default: relu for moons, tanh for yinyang]",
)
@click.option(
    "--hidden",
    callback=hidden_sizes,
    help="Sizes of the hidden layers, comma-separated (a model of at most "
    f"{MAX_PARAMETERS:,} parameters in all)  [default: 16,16 for moons, 8 for yinyang]",
)
@click.option(
    "--compile/--no-compile",
    "compiled",
    default=True,
    show_default=True,
    help="Trace the step's graph once and replay it (the same numbers, faster).",
)
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the trained parameters to this JSON file.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the decision boundary (moons) or the regions of the three classes (yinyang) "
    "and the points to this image file, in the format its suffix names: .png, .svg, .pdf and "
    "the others matplotlib writes (needs matplotlib).",
)
def demo(
    task_name: str,
    steps: int,
    seed: int | None,
    activation: str | None,
    hidden: tuple[int, ...] | None,
    compiled: bool,
    save: Path | None,
    plot: Path | None,
) -> None:
    """Train a demo classifier: micrograd's moons (the default) or LLM101n's yin-yang.

    An MLP of two inputs, the hidden layers that --hidden gives and one linear
    output learns to separate two interleaving half circles (noise 0.1) with
    micrograd's hinge loss, L2 regularisation and SGD, as in micrograd's demo
    notebook, whose model the defaults build. The same seed gives the same run.
    The output files are checked before training starts.

    With --task yinyang it runs LLM101n's micrograd program instead: 100
    yin-yang points in three classes from its generator (80 to train on, 10 to
    validate, 10 to test), tanh hidden neurons and three logits, cross-entropy
    and AdamW; it prints the training loss of every step, the validation loss
    every 10 steps and the test loss at the end, LLM101n's numbers with the
    defaults.
    """
    default_hidden, default_activation, default_seed = TASKS[task_name]
    hidden = default_hidden if hidden is None else hidden
    check_model_size(hidden, inputs=2, outputs=3 if task_name == "yinyang" else 1)
    activation = default_activation if activation is None else activation
    seed = default_seed if seed is None else seed
    if save is not None:
        _check_writable(save, "--save")
    if plot is not None:
        _check_image(plot)
        _check_writable(plot, "--plot")
    if save is not None and plot is not None and save.resolve() == plot.resolve():
        msg = f"--save and --plot name the same file, {str(save)!r}"
        raise click.UsageError(msg)
    registry = active_registry()
    if not registry:  # no plugin with ops selected: no --activation is to blame
        raise click.ClickException(no_ops_message(registry))
    if task_name == "yinyang":
        _yinyang(steps, seed, activation, hidden, compiled, save, plot)
        return
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
        TextColumn("{task.fields[figures]}"),
        TimeElapsedColumn(),
    )
    times = [time.perf_counter()]
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("train", total=steps, figures=_figures())
            for step in train(model, X, y, steps=steps, compile=compiled):
                figures = _figures(step.loss, step.accuracy)
                progress.update(task, completed=step.step, figures=figures)
                if step.step == 1:
                    times.append(time.perf_counter())
            times.append(time.perf_counter())
            # Each step is measured before its update: the bar ends on the trained model.
            loss, final = evaluate(model, X, y)
            progress.update(task, figures=_figures(loss, final))
    except MicrogradError as e:
        msg = f"training failed: {e}"
        raise click.ClickException(msg) from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001  (an op's code raising SystemExit, say)
        msg = f"training failed: an op's code raised {raised(e)}"
        raise click.ClickException(msg) from None
    hits = round(final * len(X))
    speed = _speed(times, steps)
    console.print(f"accuracy {final:.0%} ({hits}/{len(X)} points) after {steps} steps {speed}")
    if save is not None:
        _save(model, save, console)
    if plot is not None:
        title = f"MLP(2, [{shape}]), {activation}: accuracy {final:.0%}"
        _draw(plot_decision_boundary, "decision boundary", model, X, y, plot, title, console)


def _speed(times: list[float], steps: int) -> str:
    """How long the training took: in all, the first step, and each step after.

    ``times`` are the start, the end of the first step and the end. The first
    step builds the graph, and with --compile compiles it (and imports NumPy).
    """
    start, first, end = times
    text = f"in {end - start:.1f} s (the first step {1000 * (first - start):.0f} ms"
    if steps == 1:
        return text + ")"
    return text + f", then {1000 * (end - first) / (steps - 1):.2f} ms a step)"


def _draw(
    draw: Callable[..., None],
    what: str,
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    plot: Path,
    title: str,
    console: Console,
) -> None:
    """Draw the model's picture (its decision boundary or class regions) to ``plot``."""
    try:
        draw(model, X, y, plot, title=title)
    except OSError as e:
        msg = f"cannot write {str(plot)!r}: {e.strerror or e}"
        raise click.ClickException(msg) from None
    except ValueError as e:
        msg = f"cannot draw the {what} to {str(plot)!r}: {e}"
        raise click.ClickException(msg) from None
    console.print(f"{what} drawn to {plot}")


def _save(model: Module, save: Path, console: Console) -> None:
    try:
        save_parameters(model, save)
    except OSError as e:
        msg = f"cannot write {str(save)!r}: {e.strerror or e}"
        raise click.ClickException(msg) from None
    except ValueError as e:  # parameters that diverged to inf or nan
        msg = f"cannot save the parameters to {str(save)!r}: {e}"
        raise click.ClickException(msg) from None
    console.print(f"parameters saved to {save}")


def _yinyang(
    steps: int,
    seed: int,
    activation: str,
    hidden: tuple[int, ...],
    compiled: bool,
    save: Path | None,
    plot: Path | None,
) -> None:
    """LLM101n's program: yin-yang data, MLP(2, [*hidden, 3]), cross-entropy, AdamW."""
    try:
        random = RNG(seed)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="'--seed'") from None
    X, y = make_yinyang(100, rng=random)
    train_split, val_split, test_split = split_dataset(X, y, (0.8, 0.1, 0.1))
    try:
        model = MLP(2, [*hidden, 3], activation=activation, rng=random, init="fan_in")
    except MicrogradError as e:
        raise click.BadParameter(str(e), param_hint="'--activation'") from None
    optimizer = AdamW(model.parameters(), lr=1e-1, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-4)
    shape = ", ".join(map(str, (*hidden, 3)))
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"MLP(2, [{shape}]) with {activation} ({len(model.parameters())} parameters) on "
        f"{len(X)} yin-yang points (80 train, 10 val, 10 test; seed {seed}), "
        "cross-entropy, AdamW lr 0.1"
    )
    times = [time.perf_counter()]
    try:
        records = fit(
            model,
            cross_entropy_loss,
            optimizer,
            train_split,
            steps=steps,
            val_data=val_split,
            every=10,
            compile=compiled,
        )
        for record in records:
            if record.val_loss is not None:
                console.print(f"step {record.step}/{steps}, val loss {record.val_loss:.6f}")
            console.print(f"step {record.step}/{steps}, train loss {record.train_loss!r}")
            if record.step == 1:
                times.append(time.perf_counter())
        times.append(time.perf_counter())
        loss, accuracy = measure(model, cross_entropy_loss, test_split)
    except MicrogradError as e:
        msg = f"training failed: {e}"
        raise click.ClickException(msg) from None
    hits = round(accuracy * len(test_split[0]))
    console.print(
        f"test loss {loss:.6f}, accuracy {accuracy:.0%} ({hits}/{len(test_split[0])} points) "
        f"after {steps} steps {_speed(times, steps)}"
    )
    if save is not None:
        _save(model, save, console)
    if plot is not None:
        title = f"MLP(2, [{shape}]), {activation}: test accuracy {accuracy:.0%}"
        _draw(plot_decision_regions, "class regions", model, X, y, plot, title, console)
