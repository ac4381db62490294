"""The op contract: named checks that together prove an op's value and gradient right.

Each check is a function that raises :class:`CheckFailure` saying what is wrong.
Point checks (``check_forward(op, xs)`` ...) judge one input; op checks
(``check_metadata(op)`` ...) judge the op as a whole. :data:`CHECKS` lists them
in the order they run, with when each applies; :mod:`micrograd_core.testing.runner`
runs them over many inputs.

The rules, in short:

- ``metadata``: a valid spec (:func:`micrograd_core.op.validate`), kinks inside the domain.
- ``forward``: a finite float, the same on every call.
- ``finite_differences``: each partial matches a float64 central difference, step
  ``1e-6 * max(1, |x|)``, within ``RTOL * |value| + ATOL`` plus the difference's rounding.
- ``taylor``: the Taylor remainder's odd part ``(f(x + h) - f(x - h)) / 2 - h f'(x)``
  shrinks like ``h**3`` (a wrong partial: like ``h``).
- ``second_order``: for an op whose gradient rule works on ``Value`` s (gradients
  of gradients), the derivative of each partial, from that rule's graph, matches
  central differences and the Taylor verdict of the partial. A rule that fails on
  ``Value`` s for another reason than calling a float-only function (it names an
  op that is not registered) fails this check.
- ``engine``: ``op(*values).backward()`` gives exactly the partials.
- ``inline``: for an op that offers :class:`~micrograd_core.op.Inline` expressions
  (what compiled graphs replay), each gives the same float as its function, to the
  last bit, inside the domain or not and at the declared kinks; where the function
  raises, the expression raises or gives a value that is not finite.
- ``targets``: PyTorch's and JAX's translations of those expressions give the op's
  floats within ``ULPS`` ulps (:mod:`micrograd_core.testing.targets`); skipped
  when neither torch nor jax is installed.
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

import itertools
import math
import reprlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from micrograd_core.errors import DomainError, NotDifferentiableError
from micrograd_core.functional import grad, local_partials
from micrograd_core.op import Op, replace, validate
from micrograd_core.registry import RESERVED_METHODS
from micrograd_core.testing import _sample
from micrograd_core.testing._sample import BOUND, LARGE, Point
from micrograd_core.testing.evaluation import (
    analytic_source,
    call,
    compare,
    compare_inline,
    engine_gradient,
    evaluate,
    fd_step,
    finite_region,
    function_value,
    gradient,
    partials_of,
    shifted,
    taylor,
)
from micrograd_core.testing.reference import Reference
from micrograd_core.testing.report import CheckFailure
from micrograd_core.testing.targets import check_targets, targets_skip_reason
from micrograd_core.value import Value

__all__ = [
    "CHECKS",
    "OVERFLOW",
    "Check",
    "check_accumulation",
    "check_constants",
    "check_engine",
    "check_finite_differences",
    "check_forward",
    "check_inline",
    "check_kinks",
    "check_large_inputs",
    "check_metadata",
    "check_references",
    "check_second_order",
    "check_targets",
    "check_taylor",
    "rule_works_on_values",
]

OVERFLOW = 2.0**1000
"""A value or gradient this large is leaving the float range: overflow there is genuine."""


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
        raw = call("forward", op.forward, *xs)
        if not isinstance(raw, float):
            msg = f"forward returned {type(raw).__name__!r} ({reprlib.repr(raw)}), expected a float"
            raise CheckFailure(msg)
    first = call("forward", evaluate, op, xs)
    second = call("forward", evaluate, op, xs)
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
            return evaluate(op, shifted(xs, i, t - xs[i]))

        compare(f"partial {i}", grad[i], analytic_source(op), f, xs[i], fd_step(op, xs, i))


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
            return evaluate(op, shifted(xs, i, t - xs[i]))

        taylor(f"partial {i}", f, grad[i], analytic_source(op), op, xs, i)


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


def rule_works_on_values(op: Op) -> bool:
    """Whether ``op``'s gradient rule is meant for ``Value`` s too (gradients of gradients).

    Tried at the built-in sampler's first typical input: only a rule that the
    engine finds not differentiable there (it calls ``math.cos`` on a ``Value``)
    is for floats only. A rule that fails on Values for any other reason (it
    names an op nobody registered) is meant for them, and the check says what
    went wrong.
    """
    points = _sample.sample_points(op, 1)
    try:
        _second_derivatives(op, points[-1])
    except NotDifferentiableError:
        return False
    except Exception:  # noqa: BLE001  (check_second_order reports it)
        return True
    return True


def check_second_order(op: Op, xs: Point) -> None:
    """Each partial's own derivatives, from its rule on Values, match differences of the partial.

    Gradients of gradients (``grad(..., create_graph=True)``, ``hessian``) run
    an op's gradient rule on ``Value`` s; this checks the graph that builds, by
    central differences and the Taylor verdict of each partial along each input.
    """
    rows = call("the gradient rule on Values", _second_derivatives, op, xs)
    source = "the partial's rule on Values"
    for j, row in enumerate(rows):
        for i, d in enumerate(row):

            def f(t: float, i: int = i, j: int = j) -> float:
                return gradient(op, shifted(xs, i, t - xs[i]))[1][j]

            what = f"d(partial {j})/d(input {i})"
            compare(what, d, source, f, xs[i], fd_step(op, xs, i))
            taylor(what, f, d, source, op, xs, i)


def check_engine(op: Op, xs: Point) -> None:
    """``op(*values)`` and ``backward()`` give exactly the forward value and the partials."""
    out, grad = call("the engine", engine_gradient, op, xs)
    if op.is_composite:
        again = call("the engine", engine_gradient, op, xs)
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
    inline = call("inline", op.inlined, n)
    if inline is None:
        msg = "the op offers no inline expressions"
        raise CheckFailure(msg)
    if op.forward is None:
        msg = "a composite op has no inline expressions: its parts do"
        raise CheckFailure(msg)
    forward = function_value("forward", op.forward, xs)
    compare_inline(op, "forward", inline.forward, xs, "forward", forward)
    if not isinstance(forward, float):  # the forward raised: no output for the partials
        return
    args = (*xs, forward)
    for i, (source, want) in enumerate(partials_of(op, args)):
        compare_inline(op, f"partial {i}", inline.partials[i], args, source, want)


def _recording(op: Op, calls: list[int]) -> Op:
    """A copy of ``op`` whose partials note their index in ``calls`` when evaluated."""

    def record(i: int, d: Callable[..., float]) -> Callable[..., float]:
        def partial(*args: float) -> float:
            calls.append(i)
            return d(*args)

        return partial

    if op.is_composite or op.gradient is not None:  # no partial of its own to watch
        return op
    return replace(op, partials=tuple(record(i, d) for i, d in enumerate(op.partials)))


def _defined_around(op: Op, xs: Point, inputs: Iterable[int]) -> bool:
    """Whether the op gives finite values at ``xs`` and a difference step away along ``inputs``."""
    points = [xs]
    for i in inputs:
        step = fd_step(op, xs, i)
        points += [shifted(xs, i, step), shifted(xs, i, -step)]
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
    out = call("applying the op", op, *[x] * op.arity)
    call("backward", out.backward)
    if op.is_composite:

        def f(t: float) -> float:
            return evaluate(op, (t,) * op.arity)

        step = min(fd_step(op, diagonal, i) for i in range(op.arity))
        compare(f"one Value as all {op.arity} inputs", x.grad, analytic_source(op), f, xs[0], step)
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
        _, grad = call("the engine", engine_gradient, op, kink.at)
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
        out, grad = engine_gradient(op, xs)
    except DomainError as e:
        return "overflow", _domain_trouble(e)
    except Exception as e:  # noqa: BLE001  (whatever the op raises is reported)
        return "error", f"{type(e).__name__}: {e}"
    if any(math.isnan(v) for v in (out, *grad)):
        return "nan", f"the value {out!r} with gradient {grad!r}"
    if math.isinf(out):
        return "inf", f"the value {out!r}"
    if any(math.isinf(g) for g in grad):
        return "overflow", f"the gradient {grad!r}"
    return None


def _domain_trouble(e: DomainError) -> str:
    """A DomainError said for what it is: an overflow where a float overflowed, else its text.

    The engine words every math error of a forward or partial as the op's domain
    (``f(x) is outside the op's domain``); for an OverflowError the input is
    inside it, and it is the computation that left the float range.
    """
    cause = e.__cause__
    if isinstance(cause, OverflowError):
        args = ", ".join(map(repr, e.inputs))
        return f"an overflow computing {e.op_name}({args}) ({type(cause).__name__}: {cause})"
    return f"DomainError: {e}"


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
    out, grad = engine_gradient(op, last)
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
                return evaluate(op, shifted(xs, i, t - xs[i]))

            compare(f"partial {i}", grad[i], analytic_source(op), f, xs[i], fd_step(op, xs, i))
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
            value = call("forward", evaluate, op, ref.inputs)
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
                    f"partial {i} is {got!r} ({analytic_source(op)}), but the reference says "
                    f"{want!r} (rtol {ref.rtol:g}, atol {ref.atol:g})"
                )
                raise CheckFailure(msg, inputs=ref.inputs)


# -- the table of checks ------------------------------------------------------------


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
        if self.name == "accumulation" and op.arity < 2 and not op.variadic:
            return "needs arity >= 2"
        if self.name == "kinks" and not op.kinks:
            return "the op declares no kinks"
        if self.name == "inline" and op.inline is None:
            return "the op offers no inline expressions"
        if self.name == "targets":
            return targets_skip_reason(op)
        if self.name == "second_order":
            if op.is_composite:
                return "a composite: the ops it is built from are checked"
            if not rule_works_on_values(op):
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
        Check("targets", at_point=check_targets),
        Check("constants", at_point=check_constants, region="box"),
        Check("accumulation", at_point=check_accumulation),
        Check("kinks", on_op=check_kinks),
        Check("large_inputs", on_op=check_large_inputs, options=("bound",)),
    )
}
"""Every contract check by name, in the order they run."""
