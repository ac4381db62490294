"""How the contract checks evaluate an op: its value, its partials, and numbers to judge them by.

Everything an op's functions return passes through here and is checked: a real
number, else a :class:`CheckFailure` naming the function. :func:`partials_of` is
the one place the kit calls an op's partials (or its ``gradient``).
:func:`gradient` gives the value and gradient a check judges; :func:`compare`
judges a derivative by central differences, :func:`taylor` by the Taylor
remainder's slope; :func:`finite_region` says where typical inputs may be.
"""

from __future__ import annotations

import functools
import itertools
import math
import reprlib
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from micrograd_core._kernel import expression_kernel
from micrograd_core.errors import DomainError
from micrograd_core.op import Op
from micrograd_core.testing import _sample
from micrograd_core.testing._sample import CORE, Point
from micrograd_core.testing.report import CheckFailure
from micrograd_core.value import Value

__all__ = [
    "ATOL",
    "RTOL",
    "analytic_source",
    "call",
    "compare",
    "compare_inline",
    "engine_gradient",
    "evaluate",
    "fd_step",
    "finite_region",
    "function_value",
    "gradient",
    "partials_of",
    "real",
    "shifted",
    "taylor",
]

RTOL = 1e-4
"""Relative tolerance of a partial against its central difference."""

ATOL = 1e-6
"""Absolute tolerance of a partial against its central difference."""

_EPS = sys.float_info.epsilon
_TAYLOR_STEPS = 11  # h from its largest down by 10**-0.5 each, 5 decades in all
_SLOPE_POINTS = 4  # the smallest steps whose remainder is above rounding noise
_RESOLUTION = 1e-9  # the taylor check judges gradient errors above this, relative to max(1, |d|)

_HEADROOM = 2.0**500
"""Typical inputs beyond the core give values and gradients below this, far from overflow."""

_T = TypeVar("_T")


# -- an op's functions, checked ----------------------------------------------------


def call(what: str, fn: Callable[..., _T], *args: object) -> _T:
    """``fn(*args)``, with any exception turned into a failure naming ``what``."""
    try:
        return fn(*args)
    except CheckFailure:
        raise
    except Exception as e:
        msg = f"{what} raised {type(e).__name__}: {e}"
        raise CheckFailure(msg) from e


def real(what: str, x: object) -> float:
    """``x`` as a float when it is a real number (a float, an int or a bool), else a failure."""
    if isinstance(x, float):
        return x
    if isinstance(x, int):
        return float(x)
    msg = f"{what} returned {type(x).__name__!r} ({reprlib.repr(x)}), expected a real number"
    raise CheckFailure(msg)


def evaluate(op: Op, xs: Point) -> float:
    """The op's value at ``xs``: its forward, or the value of the graph ``compose`` builds."""
    if op.compose is None:
        if op.forward is None:
            msg = "the op has neither forward nor compose"
            raise CheckFailure(msg)
        return real("forward", op.forward(*xs))
    out = op.compose(*(Value(x) for x in xs))
    if not isinstance(out, Value):
        msg = f"compose returned {type(out).__name__!r}, expected a Value"
        raise CheckFailure(msg)
    return real("compose's Value", out.data)


def partials_of(op: Op, args: Point) -> list[tuple[str, float | Exception]]:
    """The op's partials at ``args`` (its inputs, then its output), each with its name.

    The one place the kit calls an op's partial functions, or its ``gradient``,
    and checks what they give: each partial a real number (as a float) or, where
    its function raised, that exception (a raising ``gradient`` stands for all
    of them); anything else, or a ``gradient`` giving another number of
    partials than inputs, is a failure naming the function.
    """
    n = len(args) - 1
    if op.gradient is None:
        found: list[tuple[str, float | Exception]] = []
        for i, d in enumerate(op.partials):
            try:
                given = d(*args)
            except Exception as e:  # noqa: BLE001  (the caller says what a raise means)
                found.append((f"partial {i}", e))
            else:
                found.append((f"partial {i}", real(f"partial {i}", given)))
        return found
    try:
        gave = op.gradient(*args)
    except Exception as e:  # noqa: BLE001  (the caller says what a raise means)
        return [("gradient", e)] * n
    if not isinstance(gave, Sequence) or isinstance(gave, str):
        msg = (
            f"gradient returned {type(gave).__name__!r} ({reprlib.repr(gave)}), expected a "
            "sequence of one partial per input"
        )
        raise CheckFailure(msg)
    partials = [real(f"gradient's partial {i}", d) for i, d in enumerate(gave)]
    if len(partials) != n:
        msg = f"gradient gave {len(partials)} partials for {n} inputs, expected one per input"
        raise CheckFailure(msg)
    return [(f"gradient's partial {i}", d) for i, d in enumerate(partials)]


def engine_gradient(op: Op, xs: Point) -> tuple[float, tuple[float, ...]]:
    """The value and gradient the engine computes: ``op(*values)`` then ``backward()``."""
    leaves = [Value(x) for x in xs]
    out = op(*leaves)
    if not isinstance(out, Value):
        msg = f"applying the op returned {type(out).__name__!r}, expected a Value"
        raise CheckFailure(msg)
    value = real("applying the op", out.data)
    out.backward()
    return value, tuple(real(f"backward() for input {i}", v.grad) for i, v in enumerate(leaves))


def gradient(op: Op, xs: Point) -> tuple[float, tuple[float, ...]]:
    """The value at ``xs`` and the op's gradient: its partials (a composite: the engine's)."""
    if op.compose is not None:
        return call("the engine", engine_gradient, op, xs)
    out = call("forward", evaluate, op, xs)
    partials: list[float] = []
    for name, d in partials_of(op, (*xs, out)):
        if isinstance(d, Exception):
            msg = f"{name} raised {type(d).__name__}: {d}"
            raise CheckFailure(msg) from d
        partials.append(d)
    return out, tuple(partials)


def analytic_source(op: Op) -> str:
    """Where a check's analytic gradient comes from, as its messages say."""
    return (
        "the engine's gradient through the composed ops" if op.is_composite else "the op's partial"
    )


def finite_region(op: Op, xs: Point) -> bool:
    """Whether ``xs`` is where typical inputs may be: in the core, or where the op is finite.

    Beyond ``[-CORE, CORE]`` a typical input must give a value and gradient well
    inside the float range (below ``2**500``, so steps around it do too); the
    ``large_inputs`` check judges what happens further out. An op that raises
    anything but an overflow there is left for the checks to report.
    """
    if all(abs(x) <= CORE for x in xs):
        return True
    try:
        out, grad = engine_gradient(op, xs)
    except (DomainError, ArithmeticError):
        return False
    except Exception:  # noqa: BLE001  (the checks report it)
        return True
    return all(math.isfinite(v) and abs(v) <= _HEADROOM for v in (out, *grad))


# -- inline expressions against their functions ------------------------------------

_INLINE_RULE = "an inline expression must give the same float as its function, to the last bit"


def function_value(what: str, fn: Callable[..., object], args: Point) -> float | Exception:
    """What the op's function ``fn`` gives at ``args``: a float, or the exception it raised."""
    try:
        given = fn(*args)
    except Exception as e:  # noqa: BLE001  (its inline expression may raise there too)
        return e
    return real(what, given)


def compare_inline(
    op: Op, what: str, text: str, args: Point, source: str, want: float | Exception
) -> None:
    """Fail unless ``op``'s inline expression ``text`` gives ``want``, what ``source`` gives.

    The expression runs as a compiled graph runs it: the same translation, the
    same kernel (:func:`~micrograd_core._kernel.expression_kernel`). Where
    ``source`` raised (``want`` is its exception), the expression must raise or
    give a value that is not a finite float.
    """
    partial = what != "forward"
    kernel = functools.partial(expression_kernel, partial=partial)
    expression = call(f"compiling inline {what} {text!r}", kernel, op, text, len(args) - partial)
    head = f"inline {what} {text!r}"
    try:
        got = expression(*args)
    except Exception as e:
        if isinstance(want, Exception):
            return
        msg = (
            f"{head} raised {type(e).__name__}: {e}, but {source} gives {_bits(want)}; "
            "an inline expression may raise only where its function raises"
        )
        raise CheckFailure(msg) from e
    value = _inline_float(got)
    if isinstance(want, Exception):
        if value is None or not math.isfinite(value):
            return
        msg = (
            f"{head} gives {_bits(value)}, but {source} raises {type(want).__name__}: {want}; "
            "where a function raises, its expression must raise or give a value that is not finite"
        )
        raise CheckFailure(msg)
    if value is None:
        msg = (
            f"{head} gives {type(got).__name__!r} ({reprlib.repr(got)}), but {source} gives "
            f"{_bits(want)}; {_INLINE_RULE}"
        )
        raise CheckFailure(msg)
    if value.hex() != want.hex():
        msg = f"{head} gives {_bits(value)}, but {source} gives {_bits(want)}; {_INLINE_RULE}"
        raise CheckFailure(msg)


def _bits(x: float) -> str:
    """A float and its exact bits: ``0.1 (0x1.999999999999ap-4)``."""
    return f"{x!r} ({x.hex()})"


def _inline_float(x: object) -> float | None:
    """The float a compiled graph takes an expression's result for (an int as one), or None."""
    if isinstance(x, float):
        return x
    if isinstance(x, int):
        try:
            return float(x)
        except OverflowError:  # an int beyond the float range
            return None
    return None


# -- central differences -----------------------------------------------------------


def shifted(xs: Point, i: int, h: float) -> Point:
    """``xs`` with input ``i`` moved by ``h``."""
    return (*xs[:i], xs[i] + h, *xs[i + 1 :])


def fd_step(op: Op, xs: Point, i: int) -> float:
    """The largest central-difference step for input ``i``: ``1e-6 * max(1, |x|)``.

    Near a domain end or a kink (a pole of ``x ** -24`` at 0) the step is at most
    ``1e-4`` of the distance to it, so the difference's truncation error stays small.
    """
    return min(1e-6 * max(1.0, abs(xs[i])), 1e-4 * _sample.room(op, xs, i))


def _central_difference(f: Callable[[float], float], x: float, step: float) -> tuple[float, float]:
    """The float64 central difference of ``f`` at ``x``, and its rounding error bound."""
    plus, minus = x + step, x - step
    fp, fm = call("forward", f, plus), call("forward", f, minus)
    h = plus - minus
    return (fp - fm) / h, 4 * _EPS * max(abs(fp), abs(fm)) / h


def _numeric(f: Callable[[float], float], x: float, step: float) -> tuple[float, float, float]:
    """The central difference of ``f`` at ``x`` with the smallest error bound, the bound, the step.

    Steps go from ``step`` down by tens to ``1e-6`` (a step relative to ``|x|``
    suits ``x ** 3``, an absolute one suits ``sin`` at ``x = 1e6``). Each step's
    bound is its rounding error plus its truncation error, estimated as the
    difference from the next smaller step; the pair with the smallest bound wins,
    and its smaller step's difference (a hundredth of the truncation) is returned.
    """
    steps = [step]
    while steps[-1] > 1e-6 and len(steps) < 8:
        steps.append(steps[-1] / 10)
    steps.append(steps[-1] / 10)
    found = [_central_difference(f, x, h) for h in steps]
    best = (math.nan, math.inf, step)
    for h, (d, noise), (finer, finer_noise) in zip(steps, found, found[1:], strict=False):
        # The finer difference's truncation error is a hundredth of the coarser's,
        # which |d - finer| bounds: the finer one, with that bound, is the estimate.
        bound = max(noise, finer_noise) + abs(d - finer)
        if bound < best[1] or math.isnan(best[0]):
            best = (finer, bound, h / 10)
    return best


def compare(
    what: str, analytic: float, source: str, f: Callable[[float], float], x: float, step: float
) -> None:
    """Fail unless ``analytic`` matches the central difference of ``f`` at ``x``.

    Allowed: ``RTOL`` relative to the larger of the two, plus ``ATOL``, plus the
    difference's own error bound (rounding and truncation, see :func:`_numeric`).
    """
    numeric, error, used = _numeric(f, x, step)
    allowed = ATOL + error + RTOL * max(abs(analytic), abs(numeric))
    difference = abs(analytic - numeric)
    if not difference <= allowed:  # also catches nan
        msg = (
            f"{what}: analytic {analytic!r} ({source}) but numeric {numeric:.10g} (central "
            f"difference, step {used:.3g}); they differ by {difference:.3g}, more than the "
            f"{allowed:.3g} allowed (rtol {RTOL:g}, atol {ATOL:g})"
        )
        raise CheckFailure(msg)


# -- the Taylor verdict --------------------------------------------------------------


def _slope(hs: Sequence[float], rs: Sequence[float]) -> float:
    """The least-squares slope of ``log r`` against ``log h``."""
    u = [math.log(h) for h in hs]
    v = [math.log(r) for r in rs]
    mu, mv = sum(u) / len(u), sum(v) / len(v)
    return sum((a - mu) * (b - mv) for a, b in zip(u, v, strict=True)) / sum(
        (a - mu) ** 2 for a in u
    )


def _noise(f: Callable[[float], float], x: float, spacing: float) -> float:
    """How noisy ``f``'s float values are near ``x``, from their sixth differences.

    Moré and Wild's estimate: for a smooth ``f`` the sixth differences of 9 values
    ``spacing`` apart hold little but rounding, and ``gamma * mean(diff**2)`` gives
    its variance. It sees the staircase of a forward that rounds an intermediate
    result (``1 + tanh(u)`` near ``-1``), which a relative error bound does not.
    """
    diffs = [call("forward", f, x + j * spacing) for j in range(-4, 5)]
    for _ in range(6):
        diffs = [b - a for a, b in itertools.pairwise(diffs)]
    gamma = math.factorial(6) ** 2 / math.factorial(12)
    return math.sqrt(gamma * sum(d * d for d in diffs) / len(diffs))


def taylor(
    what: str, f: Callable[[float], float], d: float, source: str, op: Op, xs: Point, i: int
) -> None:
    """Fail unless ``d`` is the derivative of ``f`` at ``xs[i]`` by the Taylor verdict."""
    x = xs[i]
    largest = min(1e-2 * max(1.0, abs(x)), _sample.room(op, xs, i) / 4)
    # Relative steps suit x ** 3 at x = 1e6; sin there needs absolute ones. Smaller
    # scales are tried when the larger fail: a wrong partial fails at every scale.
    failure = _taylor_at(f, x, d, largest)
    while failure is not None and largest > 1e-2:
        largest = max(largest * 1e-3, 1e-2)
        failure = _taylor_at(f, x, d, largest)
    if failure is not None:
        slope, hs, rs = failure
        msg = (
            f"{what}: the odd Taylor remainder |(f(x+h) - f(x-h))/2 - h*d| shrinks "
            f"like h^{slope:.2f} for h from {hs[0]:.1e} to {hs[-1]:.1e}; a correct partial "
            f"gives h^3 or faster, a wrong one h^1 (here d = {d!r}, {source}, "
            f"is off by about {rs[-1] / hs[-1]:.3g})"
        )
        raise CheckFailure(msg)


def _taylor_at(
    f: Callable[[float], float], x: float, d: float, largest: float
) -> tuple[float, list[float], list[float]] | None:
    """The Taylor verdict with steps from ``largest`` down: None, or the slope and its fit."""
    noise = max(_noise(f, x, largest * 1e-1), _noise(f, x, largest * 1e-4))
    hs: list[float] = []
    rs: list[float] = []
    for k in range(_TAYLOR_STEPS):
        step = largest * 10 ** (-k / 2)
        plus, minus = call("forward", f, x + step), call("forward", f, x - step)
        h = ((x + step) - (x - step)) / 2
        odd = abs((plus - minus) / 2 - h * d)
        # Clear of the noise, of rounding (in ulps: subnormals round coarsely) and of
        # gradient errors below what float64 resolves (a gradient rounded from tanh ~ -1).
        floor = 50 * noise + 64 * (math.ulp(plus) + math.ulp(minus))
        if odd > max(floor, _RESOLUTION * max(1.0, abs(d)) * h):
            hs.append(h)
            rs.append(odd)
    if len(hs) < 3:  # the linear approximation holds to the noise: nothing to fit
        return None
    hs, rs = hs[-_SLOPE_POINTS:], rs[-_SLOPE_POINTS:]
    slope = _slope(hs, rs)
    return None if slope >= 2 else (slope, hs, rs)
