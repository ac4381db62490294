"""Options the training commands share: the hidden layers and how large a model may be."""

from __future__ import annotations

import itertools

import click

__all__ = ["MAX_PARAMETERS", "check_model_size", "hidden_sizes"]

MAX_PARAMETERS = 10_000
"""The most parameters a command's model may have: the widest such model, one hidden layer
of 2,499 neurons, takes about 2 GB and 40 s to trace and compile its training step."""


def hidden_sizes(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, ...] | None:
    """``--hidden 16,16`` as ``(16, 16)``; None when not given (the task's default)."""
    if value is None:
        return None
    try:
        sizes = tuple(int(part) for part in value.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        msg = f"expected comma-separated positive layer sizes such as 16,16, got {value!r}"
        raise click.BadParameter(msg, ctx, param)
    return sizes


def check_model_size(hidden: tuple[int, ...], *, inputs: int, outputs: int) -> None:
    """Refuse, before a single weight is drawn, a model of more than MAX_PARAMETERS."""
    widths = (inputs, *hidden, outputs)
    count = sum((nin + 1) * nout for nin, nout in itertools.pairwise(widths))
    if count > MAX_PARAMETERS:
        given = ",".join(map(str, hidden))
        msg = (
            f"{given!r} gives a model of {count:,} parameters; "
            f"at most {MAX_PARAMETERS:,} are allowed"
        )
        raise click.BadParameter(msg, param_hint="'--hidden'")
