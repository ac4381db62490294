"""Checks of a caller's arguments, shared by the losses, optimisers, data sets and loops.

Each returns the argument in the form the caller computes with, or raises an
:class:`~micrograd_core.ArgumentError` (a ``ValueError``) or
:class:`~micrograd_core.ArgumentTypeError` (a ``TypeError``) that names the
function, the argument, what was given and what is expected.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence
from typing import Any

from micrograd_core import ArgumentError, ArgumentTypeError

__all__ = ["class_index", "count", "real", "sequence"]


def _given(x: object) -> str:
    return f"{x!r} ({type(x).__name__})"


def real(x: object, where: str, what: str) -> float:
    """``x`` as a float, if it is a real number (an int, a float, a NumPy scalar; not a string).

    >>> real(3, "SGD", "lr")
    3.0
    """
    if not isinstance(x, numbers.Real):
        msg = f"{where} {what} must be a real number, got {_given(x)}"
        raise ArgumentTypeError(msg)
    try:
        return float(x)
    except OverflowError:  # an int beyond 1.8e308
        msg = f"{where} {what} must be a real number within the floats, got {_given(x)}"
        raise ArgumentError(msg) from None


def count(x: object, where: str, what: str, *, minimum: int = 0) -> int:
    """``x`` as an int, if it is an integer of at least ``minimum`` (a NumPy integer; not a bool).

    >>> count(3, "make_moons", "n_samples", minimum=1)
    3
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        msg = f"{where} needs an int {what} >= {minimum}, got {_given(x)}"
        raise (ArgumentTypeError if not isinstance(x, numbers.Real) else ArgumentError)(msg)
    n = operator.index(x)
    if n < minimum:
        msg = f"{where} needs an int {what} >= {minimum}, got {n!r}"
        raise ArgumentError(msg)
    return n


def class_index(target: object, n_classes: int, where: str, example: int) -> int:
    """``target`` as an int, if it is a class index in ``0..n_classes - 1``.

    An int or a NumPy integer, as ``torch.nn.functional.cross_entropy`` takes;
    not a bool, and not a float (PyTorch reads float targets as probabilities).

    >>> class_index(2, 3, "cross_entropy_loss", 0)
    2
    """
    expected = f"(an int in 0..{n_classes - 1})"
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        msg = (
            f"{where}: target {target!r} of example {example} is not a class index {expected}: "
            f"it is a {type(target).__name__}"
        )
        raise ArgumentError(msg)
    index = operator.index(target)
    if not 0 <= index < n_classes:
        msg = (
            f"{where}: target {index!r} of example {example} is not a class index {expected}: "
            f"the logits have {n_classes} classes"
        )
        raise ArgumentError(msg)
    return index


def sequence(x: object, where: str, what: str) -> Sequence[Any]:
    """``x`` itself, if it has a length and items by index (a list, a tuple, a NumPy array).

    >>> sequence([1, 2], "accuracy", "labels")
    [1, 2]
    """
    if isinstance(x, str | bytes) or not (hasattr(x, "__len__") and hasattr(x, "__getitem__")):
        msg = f"{where} takes {what} as a sequence (a list, a tuple), got {type(x).__name__}"
        raise ArgumentTypeError(msg)
    return x  # type: ignore[return-value]  # a sequence by its methods: a NumPy array is one
