"""The op contract: named checks that together prove an op's value and gradient right.

Each check is a function that raises :class:`CheckFailure` saying what is wrong.
Point checks (``check_forward(op, xs)`` ...) judge one input; op checks
(``check_metadata(op)`` ...) judge the op as a whole. :func:`contract_report`
runs them all, point checks over many inputs from the op's declared domain
(hypothesis when it is installed, else a deterministic built-in sampler), and
:func:`check_op` raises one :class:`ContractError` listing every failure.

The rules, in short:

- ``metadata``: a valid spec (:func:`micrograd_core.op.validate`), kinks inside the domain.
- ``forward``: a finite float, the same on every call.
- ``finite_differences``: each partial matches a float64 central difference, step
  ``1e-6 * max(1, |x|)``, within ``RTOL * |value| + ATOL`` plus the difference's rounding.
- ``taylor``: the Taylor remainder's odd part ``(f(x + h) - f(x - h)) / 2 - h f'(x)``
  shrinks like ``h**3`` (a wrong partial: like ``h``).
- ``second_order``: for an op whose gradient rule works on ``Value`` s (gradients
  of gradients), the derivative of each partial, from that rule's graph, matches
  central differences and the Taylor verdict of the partial.
- ``engine``: ``op(*values).backward()`` gives exactly the partials.
- ``inline``: for an op that offers :class:`~micrograd_core.op.Inline` expressions
  (what compiled graphs replay), each gives the same float as its function, to the
  last bit, inside the domain or not and at the declared kinks; where the function
  raises, the expression raises or gives a value that is not finite.
- ``constants``: backward never evaluates the partial of a constant operand, and
  works wherever the op is defined around the inputs that need a gradient.
- ``accumulation``: ``f(x, x)`` gets the sum of the partials.
- ``kinks``: at each declared kink the gradient is the declared one (relu'(0) = 0).
- ``large_inputs``: at inputs of magnitude ``LARGE`` inside the domain, the op gives
  finite values and gradients, or raises :class:`DomainError` for a genuine
  overflow: one where the value (or gradient) climbs past ``2**1000`` on the way
  there. An intermediate overflow with a result in range is a failure, and so is
  any other exception, an ``inf`` value or a ``nan``.

Composite ops are checked the same way: their gradient is the engine's, through
the ops they are composed of.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import itertools
import math
import reprlib
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Literal, TypeVar

from micrograd_core.errors import DomainError
from micrograd_core.functional import grad, local_partials, supports_higher_order
from micrograd_core.op import Op, validate
from micrograd_core.registry import RESERVED_METHODS, OpRegistry
from micrograd_core.testing import _sample
from micrograd_core.testing._sample import BOUND, CORE, LARGE, Point
from micrograd_core.testing.reference import Reference
from micrograd_core.testing.report import CheckFailure, CheckResult, ContractReport
from micrograd_core.value import Value

__all__ = [
    "ATOL",
    "CHECKS",
    "RTOL",
    "Check",
    "Sampler",
    "check_accumulation",
    "check_constants",
    "check_engine",
    "check_finite_differences",
    "check_forward",
    "check_inline",
    "check_kinks",
    "check_large_inputs",
    "check_metadata",
    "check_op",
    "check_references",
    "check_taylor",
    "contract_report",
    "hypothesis_available",
    "run_check",
]

RTOL = 1e-4
"""Relative tolerance of a partial against its central difference."""

ATOL = 1e-6
"""Absolute tolerance of a partial against its central difference."""

OVERFLOW = 2.0**1000
"""A value or gradient this large is leaving the float range: overflow there is genuine."""

VARIADIC_REPEATS = (0, 1, 3)
"""A variadic op is checked with its repeated inputs present this many times."""

_EPS = sys.float_info.epsilon
_TAYLOR_STEPS = 11  # h from its largest down by 10**-0.5 each, 5 decades in all
_SLOPE_POINTS = 4  # the smallest steps whose remainder is above rounding noise
_RESOLUTION = 1e-9  # the taylor check judges gradient errors above this, relative to max(1, |d|)

Sampler = Literal["auto", "hypothesis", "builtin"]
_T = TypeVar("_T")


# -- evaluating an op ------------------------------------------------------------


def _call(what: str, fn: Callable[..., _T], *args: object) -> _T:
    """``fn(*args)``, with any exception turned into a failure naming ``what``."""
    try:
        return fn(*args)
    except CheckFailure:
        raise
    except Exception as e:
        msg = f"{what} raised {type(e).__name__}: {e}"
        raise CheckFailure(msg) from e


def _real(what: str, x: object) -> float:
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
        return _real("forward", op.forward(*xs))
    out = op.compose(*(Value(x) for x in xs))
    if not isinstance(out, Value):
        msg = f"compose returned {type(out).__name__!r}, expected a Value"
        raise CheckFailure(msg)
    return _real("compose's Value", out.data)


def _engine(op: Op, xs: Point) -> tuple[float, tuple[float, ...]]:
    """The value and gradient the engine computes: ``op(*values)`` then ``backward()``."""
    leaves = [Value(x) for x in xs]
    out = op(*leaves)
    if not isinstance(out, Value):
        msg = f"applying the op returned {type(out).__name__!r}, expected a Value"
        raise CheckFailure(msg)
    value = _real("applying the op", out.data)
    out.backward()
    return value, tuple(_real(f"backward() for input {i}", v.grad) for i, v in enumerate(leaves))


def gradient(op: Op, xs: Point) -> tuple[float, tuple[float, ...]]:
    """The value at ``xs`` and the op's gradient: its partials (a composite: the engine's)."""
    if op.compose is not None:
        return _call("the engine", _engine, op, xs)
    out = _call("forward", evaluate, op, xs)
    if op.gradient is None:
        return out, tuple(
            _real(f"partial {i}", _call(f"partial {i}", d, *xs, out))
            for i, d in enumerate(op.partials)
        )
    return out, _gradient_partials(_call("gradient", op.gradient, *xs, out), len(xs))


def _gradient_partials(given: object, n: int) -> tuple[float, ...]:
    """What an op's ``gradient`` returned for ``n`` inputs, as ``n`` floats, else a failure."""
    if not isinstance(given, Sequence) or isinstance(given, str):
        msg = (
            f"gradient returned {type(given).__name__!r} ({reprlib.repr(given)}), expected a "
            "sequence of one partial per input"
        )
        raise CheckFailure(msg)
    partials = tuple(_real(f"gradient's partial {i}", d) for i, d in enumerate(given))
    if len(partials) != n:
        msg = f"gradient gave {len(partials)} partials for {n} inputs, expected one per input"
        raise CheckFailure(msg)
    return partials


def _analytic(op: Op) -> str:
    return (
        "the engine's gradient through the composed ops" if op.is_composite else "the op's partial"
    )


def _shifted(xs: Point, i: int, h: float) -> Point:
    return (*xs[:i], xs[i] + h, *xs[i + 1 :])


def _fd_step(op: Op, xs: Point, i: int) -> float:
    """The largest central-difference step for input ``i``: ``1e-6 * max(1, |x|)``.

    Near a domain end or a kink (a pole of ``x ** -24`` at 0) the step is at most
    ``1e-4`` of the distance to it, so the difference's truncation error stays small.
    """
    return min(1e-6 * max(1.0, abs(xs[i])), 1e-4 * _sample.room(op, xs, i))


def _central_difference(f: Callable[[float], float], x: float, step: float) -> tuple[float, float]:
    """The float64 central difference of ``f`` at ``x``, and its rounding error bound."""
    plus, minus = x + step, x - step
    fp, fm = _call("forward", f, plus), _call("forward", f, minus)
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


def _compare(
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


# -- the checks --------------------------------------------------------------------


def check_metadata(op: Op) -> None:
    """The spec is valid: name, one partial per input, claims; kinks inside the domain."""
    try:
        validate(op, reserved=RESERVED_METHODS)
    except ValueError as e:
        raise CheckFailure(str(e)) from e
    for kink in op.kinks:
        for i, x in enumerate(kink.at):
            if x not in op.input_domain(i):
                domain = op.input_domain(i)
                msg = f"kink at {kink.at!r}: input {i} is outside the declared domain {domain}"
                raise CheckFailure(msg)


def check_forward(op: Op, xs: Point) -> None:
    """At ``xs`` the forward gives a finite float, the same on every call."""
    if op.forward is not None and op.compose is None:
        raw = _call("forward", op.forward, *xs)
        if not isinstance(raw, float):
            msg = f"forward returned {type(raw).__name__!r} ({reprlib.repr(raw)}), expected a float"
            raise CheckFailure(msg)
    first = _call("forward", evaluate, op, xs)
    second = _call("forward", evaluate, op, xs)
    if not math.isfinite(first):
        msg = f"forward returned {first!r} inside the declared domain, expected a finite float"
        raise CheckFailure(msg)
    if first != second:
        msg = f"forward is not deterministic: {first!r}, then {second!r} for the same input"
        raise CheckFailure(msg)


def check_finite_differences(op: Op, xs: Point) -> None:
    """Each partial at ``xs`` matches a central finite difference in float64."""
    _, grad = gradient(op, xs)
    for i in range(op.arity):

        def f(t: float, i: int = i) -> float:
            return evaluate(op, _shifted(xs, i, t - xs[i]))

        _compare(f"partial {i}", grad[i], _analytic(op), f, xs[i], _fd_step(op, xs, i))


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
    diffs = [_call("forward", f, x + j * spacing) for j in range(-4, 5)]
    for _ in range(6):
        diffs = [b - a for a, b in itertools.pairwise(diffs)]
    gamma = math.factorial(6) ** 2 / math.factorial(12)
    return math.sqrt(gamma * sum(d * d for d in diffs) / len(diffs))


def check_taylor(op: Op, xs: Point) -> None:
    """The odd part of the Taylor remainder at ``xs`` shrinks like ``h**3``, not like ``h``.

    With ``d`` the claimed partial, the remainder ``f(x + h) - f(x) - h d`` is
    ``f''(x) h**2 / 2 + O(h**3)`` when ``d`` is right and ``(f'(x) - d) h + O(h**2)``
    when it is wrong. Its odd part, ``(f(x + h) - f(x - h)) / 2 - h d``, drops the
    ``h**2`` term, which near a zero of ``f''`` (sin near 0) cancels the next one and
    bends the one-sided slope: it shrinks like ``h**3`` for a right partial and like
    ``h`` for a wrong one. The slope on a log-log scale, over the smallest steps where
    the remainder stands clear of the forward's measured noise, tells the two apart
    without choosing a step or a tolerance. Gradient errors below ``1e-9 * max(1, |d|)``
    are beyond what float64 values resolve and are not judged.
    """
    _, grad = gradient(op, xs)
    for i in range(op.arity):

        def f(t: float, i: int = i) -> float:
            return evaluate(op, _shifted(xs, i, t - xs[i]))

        _taylor(f"partial {i}", f, grad[i], _analytic(op), op, xs, i)


def _taylor(
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


def _second_derivatives(op: Op, xs: Point) -> list[list[float]]:
    """d(partial j)/d(input i) at ``xs``, from the op's gradient rule evaluated on Values."""
    leaves = [Value(x) for x in xs]
    out = op(*leaves)
    rows = []
    for d in local_partials(out, on_values=True):
        if isinstance(d, Value):
            rows.append([g.data for g in grad(d, leaves)])
        else:  # a constant partial (1.0 for add; a piecewise-constant relu')
            rows.append([0.0] * len(xs))
    return rows


def check_second_order(op: Op, xs: Point) -> None:
    """Each partial's own derivatives, from its rule on Values, match differences of the partial.

    Gradients of gradients (``grad(..., create_graph=True)``, ``hessian``) run
    an op's gradient rule on ``Value`` s; this checks the graph that builds, by
    central differences and the Taylor verdict of each partial along each input.
    """
    rows = _call("the gradient rule on Values", _second_derivatives, op, xs)
    source = "the partial's rule on Values"
    for j, row in enumerate(rows):
        for i, d in enumerate(row):

            def f(t: float, i: int = i, j: int = j) -> float:
                return gradient(op, _shifted(xs, i, t - xs[i]))[1][j]

            what = f"d(partial {j})/d(input {i})"
            _compare(what, d, source, f, xs[i], _fd_step(op, xs, i))
            _taylor(what, f, d, source, op, xs, i)


def _taylor_at(
    f: Callable[[float], float], x: float, d: float, largest: float
) -> tuple[float, list[float], list[float]] | None:
    """The Taylor verdict with steps from ``largest`` down: None, or the slope and its fit."""
    noise = max(_noise(f, x, largest * 1e-1), _noise(f, x, largest * 1e-4))
    hs: list[float] = []
    rs: list[float] = []
    for k in range(_TAYLOR_STEPS):
        step = largest * 10 ** (-k / 2)
        plus, minus = _call("forward", f, x + step), _call("forward", f, x - step)
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


def check_engine(op: Op, xs: Point) -> None:
    """``op(*values)`` and ``backward()`` give exactly the forward value and the partials."""
    out, grad = _call("the engine", _engine, op, xs)
    if op.is_composite:
        again = _call("the engine", _engine, op, xs)
        if again != (out, grad):
            msg = f"the engine gave {(out, grad)!r}, then {again!r} on a fresh graph"
            raise CheckFailure(msg)
        return
    expected, partials = gradient(op, xs)
    if out != expected:
        msg = f"the engine computed the value {out!r}, but forward gives {expected!r}"
        raise CheckFailure(msg)
    for i, (got, want) in enumerate(zip(grad, partials, strict=True)):
        if got != want:
            msg = f"backward() gave input {i} the gradient {got!r}, but partial {i} is {want!r}"
            raise CheckFailure(msg)


_INLINE_RULE = "an inline expression must give the same float as its function, to the last bit"


def check_inline(op: Op, xs: Point) -> None:
    """The op's inline expressions give its forward value and partials to the last bit.

    Compiled graphs write an op's :class:`~micrograd_core.op.Inline` expressions
    into their replay loops instead of calling its functions, so each must give
    the same float (``float.hex``; an int counts as ``float(int)``, NaN equals
    NaN). Every partial is compared, a constant's too (from ``gradient`` when the
    op gives its partials at once). Where a function raises, its expression may
    raise anything or give a value that is not a finite float: a compiled graph
    then runs the functions, which say what went wrong.
    """
    n = len(xs)
    inline = _call("inline", op.inlined, n)
    if inline is None:
        msg = "the op offers no inline expressions"
        raise CheckFailure(msg)
    if op.forward is None:
        msg = "a composite op has no inline expressions: its parts do"
        raise CheckFailure(msg)
    inputs = tuple(f"x{i}" for i in range(n))
    forward = _function_value("forward", op.forward, xs)
    _compare_inline("forward", inline.forward, inputs, xs, "forward", forward)
    if not isinstance(forward, float):  # the forward raised: no output for the partials
        return
    args = (*xs, forward)
    for i, (source, want) in enumerate(_function_partials(op, args)):
        _compare_inline(f"partial {i}", inline.partials[i], (*inputs, "out"), args, source, want)


def _function_value(what: str, fn: Callable[..., object], args: Point) -> float | Exception:
    """What the op's function ``fn`` gives at ``args``: a float, or the exception it raised."""
    try:
        given = fn(*args)
    except Exception as e:  # noqa: BLE001  (its inline expression may raise there too)
        return e
    return _real(what, given)


def _function_partials(op: Op, args: Point) -> list[tuple[str, float | Exception]]:
    """The op's partials at ``args`` (its inputs, then its output), each named: a float, or
    what its function raised."""
    n = len(args) - 1
    if op.gradient is None:
        return [
            (f"partial {i}", _function_value(f"partial {i}", d, args))
            for i, d in enumerate(op.partials)
        ]
    try:
        given = op.gradient(*args)
    except Exception as e:  # noqa: BLE001  (its inline expressions may raise there too)
        return [(f"gradient's partial {i}", e) for i in range(n)]
    return [(f"gradient's partial {i}", d) for i, d in enumerate(_gradient_partials(given, n))]


def _compare_inline(
    what: str, text: str, names: tuple[str, ...], args: Point, source: str, want: float | Exception
) -> None:
    """Fail unless the inline expression ``text`` gives ``want``, what ``source`` gives.

    Where ``source`` raised (``want`` is its exception), the expression must raise
    or give a value that is not a finite float.
    """
    expression = _call(f"compiling inline {what} {text!r}", _inline_function, text, names)
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


@functools.lru_cache(maxsize=1024)
def _inline_function(text: str, names: tuple[str, ...]) -> Callable[..., object]:
    """The expression ``text`` as a function of ``names``, with only them and math in scope.

    Compiled once per expression and number of inputs; ``text`` is validated
    first (:meth:`~micrograd_core.op.Inline.problem`).
    """
    source = f"lambda {', '.join(names)}: (\n{text.strip()}\n)"
    scope: dict[str, object] = {"math": math, "__builtins__": {}}
    function: Callable[..., object] = eval(compile(source, "<inline expression>", "eval"), scope)
    return function


def _recording(op: Op, calls: list[int]) -> Op:
    """A copy of ``op`` whose partials note their index in ``calls`` when evaluated."""

    def record(i: int, d: Callable[..., float]) -> Callable[..., float]:
        def partial(*args: float) -> float:
            calls.append(i)
            return d(*args)

        return partial

    if op.is_composite or op.gradient is not None:  # no partial of its own to watch
        return op
    return dataclasses.replace(op, partials=tuple(record(i, d) for i, d in enumerate(op.partials)))


def _defined_around(op: Op, xs: Point, inputs: Iterable[int]) -> bool:
    """Whether the op gives finite values at ``xs`` and a difference step away along ``inputs``."""
    points = [xs]
    for i in inputs:
        step = _fd_step(op, xs, i)
        points += [_shifted(xs, i, step), _shifted(xs, i, -step)]
    for p in points:
        try:
            y = evaluate(op, p)
        except Exception:  # noqa: BLE001  (undefined there, whatever the op raises)
            return False
        if not isinstance(y, float) or not math.isfinite(y):
            return False
    return True


def check_constants(op: Op, xs: Point) -> None:
    """With one operand a plain number, backward never evaluates that operand's partial.

    Checked wherever the op is defined around ``xs`` along the other inputs, inside
    the declared domain or not: ``x ** 2`` differentiates at ``x < 0`` although
    ``d/dy x ** y`` is undefined there, so a partial must not lean on the
    derivative of a constant.
    """
    for j in range(op.arity):
        variables = [i for i in range(op.arity) if i != j]
        if not _defined_around(op, xs, variables):
            continue
        calls: list[int] = []
        recording = _recording(op, calls)
        leaves = {i: Value(xs[i]) for i in variables}
        try:
            recording(*(leaves.get(i, xs[i]) for i in range(op.arity))).backward()
        except Exception as e:
            needs = ", ".join(map(str, variables)) or "none"
            msg = (
                f"with input {j} a constant, backward raised {type(e).__name__}: {e}; the op is "
                f"defined around this input along the inputs that need a gradient ({needs}), "
                f"so their partials must not need the derivative for constant input {j}"
            )
            raise CheckFailure(msg) from e
        if j in calls:
            msg = f"with input {j} a constant, backward evaluated partial {j}"
            raise CheckFailure(msg)


def check_accumulation(op: Op, xs: Point) -> None:
    """One ``Value`` used as every input gets the sum of the partials: ``f(x, x)``."""
    diagonal = (xs[0],) * op.arity
    if not all(xs[0] in op.input_domain(i) for i in range(op.arity)) or not _sample.clear(
        op, diagonal
    ):
        return
    if not finite_region(op, diagonal):  # pow(x, x) overflows long before pow(x, y) does
        return
    x = Value(xs[0])
    out = _call("applying the op", op, *[x] * op.arity)
    _call("backward", out.backward)
    if op.is_composite:

        def f(t: float) -> float:
            return evaluate(op, (t,) * op.arity)

        step = min(_fd_step(op, diagonal, i) for i in range(op.arity))
        _compare(f"one Value as all {op.arity} inputs", x.grad, _analytic(op), f, xs[0], step)
        return
    _, partials = gradient(op, diagonal)
    total = 0.0
    for d in partials:
        total += d
    if x.grad != total:
        msg = (
            f"one Value as all {op.arity} inputs got the gradient {x.grad!r}, but the "
            f"partials {partials!r} sum to {total!r}"
        )
        raise CheckFailure(msg)


def check_kinks(op: Op) -> None:
    """At each declared kink the engine gives the declared partials (relu'(0) = 0)."""
    for kink in op.kinks:
        _, grad = _call("the engine", _engine, op, kink.at)
        for i, (got, declared) in enumerate(zip(grad, kink.partials, strict=True)):
            if got != declared:
                msg = (
                    f"at the kink {kink.at!r}, backward gives input {i} the gradient {got!r}, "
                    f"but the op declares {declared!r}"
                )
                raise CheckFailure(msg, inputs=kink.at)


_LARGE_RULE = (
    "at large inputs inside its domain an op must give finite values and gradients, or "
    "raise DomainError when they leave the float range"
)


def _trouble(op: Op, xs: Point) -> tuple[str, str] | None:
    """What goes wrong applying the op at ``xs`` (a kind and a description), or None.

    Kinds: ``"overflow"`` (a DomainError, or an infinite gradient, which may be
    genuine), ``"inf"`` (an infinite value), ``"nan"``, ``"error"`` (any other exception).
    """
    try:
        out, grad = _engine(op, xs)
    except DomainError as e:
        return "overflow", f"DomainError: {e}"
    except Exception as e:  # noqa: BLE001  (whatever the op raises is reported)
        return "error", f"{type(e).__name__}: {e}"
    if any(math.isnan(v) for v in (out, *grad)):
        return "nan", f"the value {out!r} with gradient {grad!r}"
    if math.isinf(out):
        return "inf", f"the value {out!r}"
    if any(math.isinf(g) for g in grad):
        return "overflow", f"the gradient {grad!r}"
    return None


def _lerp(a: Point, b: Point, t: float) -> Point:
    return tuple(x + t * (y - x) for x, y in zip(a, b, strict=True))


def _last_finite(op: Op, start: Point, end: Point) -> tuple[Point, float]:
    """The last input on the segment from ``start`` to ``end`` with finite results, by bisection.

    Returns that input and the largest magnitude of its value and gradient.
    """
    low, high = 0.0, 1.0
    for _ in range(64):
        mid = (low + high) / 2
        if _trouble(op, _lerp(start, end, mid)) is None:
            low = mid
        else:
            high = mid
    last = _lerp(start, end, low)
    out, grad = _engine(op, last)
    return last, max(abs(v) for v in (out, *grad))


def check_large_inputs(op: Op, *, bound: float = BOUND) -> None:
    """At large inputs inside the domain: right gradients, or a genuine overflow.

    The inputs are the corners of the domain within ``[-LARGE, LARGE]`` and
    within ``[-bound, bound]``. Where the op gives finite results, each partial
    must match a central difference (relative error, see :func:`_compare`). An
    overflow is genuine when, on the straight way from a small input, the value
    or gradient climbs past ``OVERFLOW`` before the op stops giving finite
    results; ``exp(1000)`` raising :class:`DomainError` is one,
    ``1 / (1 + exp(-x))`` raising it at ``x = -1000`` is not.
    """
    start = tuple(min(max(0.0, lo), hi) for lo, hi in _sample.ranges(op))
    if _trouble(op, start) is not None:
        return  # not defined at small inputs either: the forward check reports that
    corners: list[Point] = []
    for magnitude in sorted({LARGE, max(bound, LARGE)}):
        spans = [_sample.input_range(op.input_domain(i), magnitude) for i in range(op.arity)]
        corners += itertools.product(*(sorted({lo, hi}) for lo, hi in spans))
    for corner in dict.fromkeys(corners):
        trouble = _trouble(op, corner)
        if trouble is None:
            if max(map(abs, corner)) >= LARGE and _sample.clear(op, corner):
                _large_gradient(op, corner)
            continue
        kind, what = trouble
        if kind == "inf":
            msg = f"returned {what}; {_LARGE_RULE} (a value beyond it raises DomainError)"
            raise CheckFailure(msg, inputs=corner)
        if kind != "overflow":
            msg = f"gave {what}; {_LARGE_RULE}"
            raise CheckFailure(msg, inputs=corner)
        last, size = _last_finite(op, start, corner)
        if size < OVERFLOW:
            msg = (
                f"gave {what}, but it is no genuine overflow: the last input on the way "
                f"there with finite results, {last!r}, has a value and gradient of at most "
                f"{size:.3g}; {_LARGE_RULE} (an intermediate step must not overflow)"
            )
            raise CheckFailure(msg, inputs=corner)


def _large_gradient(op: Op, xs: Point) -> None:
    """Each partial at the large input ``xs`` matches a central difference."""
    try:
        _, grad = gradient(op, xs)
        for i in range(op.arity):

            def f(t: float, i: int = i) -> float:
                return evaluate(op, _shifted(xs, i, t - xs[i]))

            _compare(f"partial {i}", grad[i], _analytic(op), f, xs[i], _fd_step(op, xs, i))
    except CheckFailure as failure:
        msg = f"{failure} (at large inputs gradients must be right too)"
        raise CheckFailure(msg, inputs=xs) from failure


def check_references(op: Op, *, references: Sequence[Reference]) -> None:
    """At each reference point the op gives the known value and partials."""
    for ref in references:
        if len(ref.inputs) != op.arity:
            msg = f"the reference has {len(ref.inputs)} inputs, but the op takes {op.arity}"
            raise CheckFailure(msg, inputs=ref.inputs)
        if ref.partials is None:
            value = _call("forward", evaluate, op, ref.inputs)
            partials: tuple[float, ...] = ()
        else:
            value, partials = gradient(op, ref.inputs)
        if ref.value is not None and not ref.matches(value, ref.value):
            msg = (
                f"the value is {value!r}, but the reference says {ref.value!r} "
                f"(rtol {ref.rtol:g}, atol {ref.atol:g})"
            )
            raise CheckFailure(msg, inputs=ref.inputs)
        for i, (got, want) in enumerate(zip(partials, ref.partials or (), strict=True)):
            if not ref.matches(got, want):
                msg = (
                    f"partial {i} is {got!r} ({_analytic(op)}), but the reference says "
                    f"{want!r} (rtol {ref.rtol:g}, atol {ref.atol:g})"
                )
                raise CheckFailure(msg, inputs=ref.inputs)


_HEADROOM = 2.0**500
"""Typical inputs beyond the core give values and gradients below this, far from overflow."""


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
        out, grad = _engine(op, xs)
    except (DomainError, ArithmeticError):
        return False
    except Exception:  # noqa: BLE001  (the checks report it)
        return True
    return all(math.isfinite(v) and abs(v) <= _HEADROOM for v in (out, *grad))


# -- running them ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """One contract check: a point check run over many inputs, or an op check run once.

    >>> CHECKS["kinks"].summary
    "At each declared kink the engine gives the declared partials (relu'(0) = 0)."
    """

    name: str
    at_point: Callable[[Op, Point], None] | None = None
    on_op: Callable[..., None] | None = None
    region: Literal["domain", "box"] = "domain"
    at_kinks: bool = False
    """Whether a point check also tries the op's declared kinks, first (other checks keep clear)."""
    options: tuple[Literal["bound", "references"], ...] = ()
    """The keyword arguments of the run an op check takes (``bound``, ``references``)."""

    @property
    def summary(self) -> str:
        """The check's one-line description."""
        fn = self.at_point or self.on_op
        return (fn.__doc__ or "").split("\n", 1)[0] if fn is not None else ""

    def skip_reason(self, op: Op, references: Sequence[Reference] = ()) -> str | None:
        """Why the check does not apply to ``op``, or None when it does."""
        if self.name == "references" and not references:
            return "no reference points given"
        if self.name == "accumulation" and op.arity < 2:
            return "needs arity >= 2"
        if self.name == "kinks" and not op.kinks:
            return "the op declares no kinks"
        if self.name == "inline" and op.inline is None:
            return "the op offers no inline expressions"
        if self.name == "second_order":
            if op.is_composite:
                return "a composite: the ops it is built from are checked"
            if not supports_higher_order(op):
                return "its gradient rule works on floats only (no gradients of gradients)"
        return None


CHECKS: dict[str, Check] = {
    c.name: c
    for c in (
        Check("metadata", on_op=check_metadata),
        Check("references", on_op=check_references, options=("references",)),
        Check("forward", at_point=check_forward),
        Check("finite_differences", at_point=check_finite_differences),
        Check("taylor", at_point=check_taylor),
        Check("second_order", at_point=check_second_order),
        Check("engine", at_point=check_engine),
        Check("inline", at_point=check_inline, region="box", at_kinks=True),
        Check("constants", at_point=check_constants, region="box"),
        Check("accumulation", at_point=check_accumulation),
        Check("kinks", on_op=check_kinks),
        Check("large_inputs", on_op=check_large_inputs, options=("bound",)),
    )
}
"""Every contract check by name, in the order they run."""


def hypothesis_available() -> bool:
    """Whether hypothesis can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("hypothesis") is not None
    except (ImportError, ValueError):  # blocked, or a broken install
        return False


def _resolve(sampler: Sampler) -> Literal["hypothesis", "builtin"]:
    if sampler == "auto":
        return "hypothesis" if hypothesis_available() else "builtin"
    if sampler not in ("hypothesis", "builtin"):
        msg = f"unknown sampler {sampler!r}; expected 'auto', 'hypothesis' or 'builtin'"
        raise ValueError(msg)
    return sampler


def _points_first(op: Op, check: Check, references: Sequence[Reference]) -> list[Point]:
    """The points a point check tries before any other: the reference points where they
    apply, then the declared kinks for a check that looks at them."""
    domain = check.region == "domain"
    points = [
        ref.inputs
        for ref in references
        if len(ref.inputs) == op.arity
        and _sample.clear(op, ref.inputs)
        and (not domain or all(x in op.input_domain(i) for i, x in enumerate(ref.inputs)))
    ]
    if check.at_kinks:
        points += [kink.at for kink in op.kinks]
    return points


def _first_failure_builtin(
    op: Op, at_point: Callable[[Op, Point], None], check: Check, run: _Run
) -> CheckFailure | None:
    def keep(xs: Point) -> bool:
        return finite_region(op, xs)

    points = _points_first(op, check, run.references)
    points += _sample.sample_points(
        op, run.examples, bound=run.bound, within_domain=check.region == "domain", keep=keep
    )
    for xs in dict.fromkeys(points):
        try:
            at_point(op, xs)
        except CheckFailure as failure:
            failure.inputs = xs
            return failure
    return None


def _first_failure_hypothesis(
    op: Op, at_point: Callable[[Op, Point], None], check: Check, run: _Run
) -> CheckFailure | None:
    from hypothesis import assume, example, given  # noqa: PLC0415  (hypothesis is optional)
    from hypothesis.errors import HypothesisException  # noqa: PLC0415

    from micrograd_core.testing.strategies import contract_settings, inputs  # noqa: PLC0415

    def keep(xs: Point) -> bool:
        return finite_region(op, xs)

    failing: list[Point] = []

    domain = check.region == "domain"

    @contract_settings(run.examples)
    @given(inputs(op, bound=run.bound, within_domain=domain))
    def test(xs: Point) -> None:
        assume(keep(xs))  # in the test, not the strategy: it runs the op
        failing.append(xs)
        at_point(op, xs)

    first = _points_first(op, check, run.references)
    first += _sample.special_points(op, bound=run.bound, within_domain=domain)
    for xs in reversed([xs for xs in dict.fromkeys(first) if keep(xs)]):
        test = example(xs)(test)

    try:
        test()
    except CheckFailure as failure:
        failure.inputs = failing[-1]
        return failure
    except BaseExceptionGroup as group:  # a flaky failure: report one of its errors
        found, _ = group.split(CheckFailure)
        if found is None:
            raise
        first_error = found.exceptions[0]
        while isinstance(first_error, BaseExceptionGroup):
            first_error = first_error.exceptions[0]
        return first_error
    except HypothesisException as e:
        msg = f"could not draw inputs for the op: {type(e).__name__}: {e}"
        return CheckFailure(msg)
    return None


@dataclass(frozen=True, slots=True)
class _Run:
    """How a check runs: inputs per point check, their sampler and range, reference points."""

    examples: int = 50
    sampler: Literal["hypothesis", "builtin"] = "builtin"
    bound: float = BOUND
    references: tuple[Reference, ...] = ()


def run_check(
    op: Op,
    check: str | Check,
    *,
    examples: int = 50,
    sampler: Sampler = "auto",
    bound: float = BOUND,
    references: Iterable[Reference] = (),
) -> CheckResult:
    """Run one contract check on ``op`` (over ``examples`` inputs for a point check).

    Point checks try the ``references``' inputs first, then the special points
    (0, ±1, domain ends, kinks' neighbours, equal inputs), then ``examples``
    typical inputs within ``[-bound, bound]``. A point check stops at its first
    failing input; with hypothesis that input is shrunk to a minimal one.
    Nothing is raised: the result says what happened, also when the op returns
    something no check expects.
    """
    if isinstance(check, str):
        try:
            check = CHECKS[check]
        except KeyError:
            msg = f"no contract check named {check!r}; checks: {', '.join(CHECKS)}"
            raise KeyError(msg) from None
    if bound <= 0 or not math.isfinite(bound):
        msg = f"bound must be a positive finite number, got {bound!r}"
        raise ValueError(msg)
    run = _Run(examples, _resolve(sampler), bound, tuple(references))
    try:
        return _run(op, check, run)
    except CheckFailure as failure:
        return CheckResult(check.name, "failed", str(failure), failure.inputs)
    except Exception as e:  # noqa: BLE001  (a broken op is a failed check, never a crash)
        msg = f"the check could not run on the op: {type(e).__name__}: {e}"
        return CheckResult(check.name, "failed", msg)


def _run(op: Op, check: Check, run: _Run) -> CheckResult:
    if op.variadic and check.name != "metadata":
        return _run_variadic(op, check, run)
    reason = check.skip_reason(op, run.references)
    if reason is not None:
        return CheckResult(check.name, "skipped", reason)
    if check.on_op is not None:
        options = {"bound": run.bound, "references": run.references}
        try:
            check.on_op(op, **{k: options[k] for k in check.options})
        except CheckFailure as failure:
            return CheckResult(check.name, "failed", str(failure), failure.inputs)
        return CheckResult(check.name, "passed")
    if check.at_point is None:
        msg = f"check {check.name!r} has neither at_point nor on_op"
        raise TypeError(msg)
    first_failure = (
        _first_failure_hypothesis if run.sampler == "hypothesis" else _first_failure_builtin
    )
    found = first_failure(op, check.at_point, check, run)
    if found is None:
        return CheckResult(check.name, "passed")
    return CheckResult(check.name, "failed", str(found), found.inputs)


def _run_variadic(op: Op, check: Check, run: _Run) -> CheckResult:
    """Run ``check`` on a variadic op with its repeated inputs 0, 1 and 3 times.

    A failure says with how many inputs the op failed. Reference points are
    checked with as many inputs as they give.
    """
    skipped: dict[int, str] = {}
    counts = [op.arity + k * op.variadic for k in VARIADIC_REPEATS]
    if check.name == "references":
        counts = sorted({len(r.inputs) for r in run.references}) or counts[:1]
    for n in counts:
        refs = tuple(r for r in run.references if len(r.inputs) == n)
        if check.name == "references" and not op.accepts(n):
            message = f"a reference has {n} inputs, but the op takes {op.arity_text}"
            return CheckResult(check.name, "failed", message, refs[0].inputs)
        result = _run(op.fixed(n), check, dataclasses.replace(run, references=refs))
        if result.status == "failed":
            message = f"with {n} inputs: {result.message}"
            return CheckResult(check.name, "failed", message, result.inputs)
        if result.status == "skipped":
            skipped[n] = result.message
    if len(skipped) < len(counts):
        return CheckResult(check.name, "passed")
    reasons = set(skipped.values())
    if len(reasons) == 1:  # the same reason whatever the number of inputs
        return CheckResult(check.name, "skipped", reasons.pop())
    return CheckResult(
        check.name, "skipped", "; ".join(f"with {n} inputs: {r}" for n, r in skipped.items())
    )


def contract_report(
    op: Op,
    *,
    checks: Iterable[str] | None = None,
    registry: OpRegistry | None = None,
    examples: int = 50,
    sampler: Sampler = "auto",
    bound: float = BOUND,
    references: Iterable[Reference] = (),
) -> ContractReport:
    """Run the contract checks (all, or those named) on ``op`` and return what they found.

    ``registry``, when given, is active while the checks run (a composite op
    builds its graph from its ops). When the metadata check fails the others are
    skipped: their verdicts on a malformed op would be noise. ``bound`` limits
    the magnitude of typical inputs; ``references`` are points where the value
    and partials are known (see :class:`Reference`).

    >>> from micrograd_core import Op
    >>> square = Op("square", 1, forward=lambda x: x * x, partials=(lambda x, out: 2 * x,))
    >>> contract_report(square, sampler="builtin").ok
    True
    """
    if not isinstance(op, Op):
        msg = f"the contract checks take an Op, got {type(op).__name__!r}"
        raise TypeError(msg)
    names = list(CHECKS) if checks is None else list(checks)
    refs = tuple(references)
    results: list[CheckResult] = []
    kind = _resolve(sampler)
    with registry.activated() if registry is not None else nullcontext():
        for name in names:
            if results and results[0].check == "metadata" and results[0].status == "failed":
                results.append(CheckResult(name, "skipped", "the op's metadata is invalid"))
            else:
                results.append(
                    run_check(
                        op, name, examples=examples, sampler=kind, bound=bound, references=refs
                    )
                )
    return ContractReport(op, tuple(results), kind)


def check_op(
    op: Op,
    *,
    checks: Iterable[str] | None = None,
    registry: OpRegistry | None = None,
    examples: int = 50,
    sampler: Sampler = "auto",
    bound: float = BOUND,
    references: Iterable[Reference] = (),
) -> None:
    """Run the contract checks on ``op``; raise one :class:`ContractError` listing every failure.

    >>> import math
    >>> from micrograd_core import Op
    >>> wrong = Op("sin", 1, forward=math.sin, partials=(lambda x, out: -math.cos(x),))
    >>> check_op(wrong, checks=["finite_differences"], sampler="builtin")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    micrograd_core.testing.report.ContractError: op 'sin' failed 1 of 1 contract checks:
    - finite_differences at (0.0,): partial 0: analytic -1.0 (the op's partial) ...
    ...
    """
    contract_report(
        op,
        checks=checks,
        registry=registry,
        examples=examples,
        sampler=sampler,
        bound=bound,
        references=references,
    ).raise_if_failed()
