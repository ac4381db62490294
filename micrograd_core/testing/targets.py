"""The ``targets`` check: an op's expressions computed by PyTorch and JAX give its floats.

:func:`micrograd_core.interop.to_torch` and :func:`~micrograd_core.interop.to_jax`
render an op's :class:`~micrograd_core.op.Inline` expressions as the target's own
operations; this check computes each of them there, at the kit's inputs inside the
domain and away from kinks, and compares it with the op's functions on floats
(:func:`micrograd_core.interop.translation_problems`). torch and JAX have their own
``exp``, ``tanh``, ...: most results are the same float to the last bit, and each may
be at most :data:`ULPS` units in the last place away (of the result, or of 1.0 for
a result below 1). Both compute in float64: JAX inside ``jax.enable_x64(True)``
(for this thread only), since in JAX's default float32 a sum like ``affine``'s
loses digits float32 cannot hold, whatever the translation. torch and jax stay
optional: the check runs on those installed and is skipped when neither is.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from typing import Any

from micrograd_core import interop
from micrograd_core.op import Op
from micrograd_core.testing._sample import Point
from micrograd_core.testing.report import CheckFailure

__all__ = ["ULPS", "check_targets", "installed_targets", "targets_skip_reason"]

ULPS = interop.ULPS
"""How far a target's float may be from the op's own, in units in the last place."""


def installed_targets() -> tuple[str, ...]:
    """The targets (``'torch'``, ``'jax'``) whose package can be imported, without importing it."""
    found = []
    for target in interop.TARGETS:
        try:
            if importlib.util.find_spec(target) is not None:
                found.append(target)
        except (ImportError, ValueError):  # blocked, or a broken install
            continue
    return tuple(found)


def targets_skip_reason(op: Op) -> str | None:
    """Why the ``targets`` check does not apply to ``op``, or None when it does."""
    if op.inline is None:
        return "the op offers no expressions to translate"
    if not installed_targets():
        return "neither torch nor jax is installed: pip install torch or jax to check them"
    return None


def _float64(target: str) -> contextlib.AbstractContextManager[Any]:
    """JAX computing in float64 in this thread (``jax.enable_x64``), as torch's tensors do."""
    if target != "jax":
        return contextlib.nullcontext()
    jax = importlib.import_module("jax")
    enable = getattr(jax, "enable_x64", None)  # older JAX: its default float
    return contextlib.nullcontext() if enable is None else enable(True)


def check_targets(op: Op, xs: Point) -> None:
    """PyTorch's and JAX's translations of the op's expressions give its floats at ``xs``.

    Each installed target computes the forward expression at ``xs`` and each
    partial's at ``xs`` and the op's output, as :func:`~micrograd_core.interop.to_torch`
    and :func:`~micrograd_core.interop.to_jax` run them; each must be within
    :data:`ULPS` ulps of the op's ``forward`` and partials. An expression a target
    cannot write, or that raises there, fails too: naming the target and the expression.
    """
    problems = []
    for target in installed_targets():
        with _float64(target):
            problems += interop.translation_problems(op, [xs], ulps=ULPS, targets=(target,))
    if problems:
        msg = (
            f"{'; '.join(problems)}; each target's translation of an expression must give "
            f"the op's float, within {ULPS} ulps"
        )
        raise CheckFailure(msg)
