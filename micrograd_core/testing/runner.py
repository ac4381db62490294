"""Running the contract checks: over which inputs, with which sampler, and what they report.

A point check runs over the reference points, the special points and typical
inputs (:mod:`micrograd_core.testing._sample`), drawn by hypothesis when it is
installed, else by a deterministic built-in sampler; hypothesis tries every
input the built-in sampler tries, then its own. A point check stops at its first
failing input, then reports the failing input of smallest magnitude among
simpler ones (:func:`micrograd_core.testing._sample.toward_zero`), so both
samplers point at where a bug starts. :func:`contract_report` runs every check
on an op; :func:`check_op` raises one :class:`ContractError` listing every failure.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Literal

from micrograd_core.op import Op
from micrograd_core.registry import OpRegistry
from micrograd_core.testing import _sample
from micrograd_core.testing._sample import BOUND, Point
from micrograd_core.testing.check import CHECKS, Check
from micrograd_core.testing.evaluation import finite_region
from micrograd_core.testing.reference import Reference
from micrograd_core.testing.report import CheckFailure, CheckResult, ContractReport

__all__ = [
    "SHRINK_TRIES",
    "VARIADIC_REPEATS",
    "Sampler",
    "check_op",
    "contract_report",
    "hypothesis_available",
    "run_check",
]

Sampler = Literal["auto", "hypothesis", "builtin"]

VARIADIC_REPEATS = (0, 1, 3)
"""A variadic op is checked with its repeated inputs present this many times."""

SHRINK_TRIES = 200
"""At most this many simpler inputs are tried after a point check fails."""


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


@dataclass(frozen=True, slots=True)
class _Run:
    """How a check runs: inputs per point check, their sampler and range, reference points."""

    examples: int = 50
    sampler: Literal["hypothesis", "builtin"] = "builtin"
    bound: float = BOUND
    references: tuple[Reference, ...] = ()


AtPoint = Callable[[Op, Point], None]


def _points(op: Op, check: Check, run: _Run) -> list[Point]:
    """Every input the built-in sampler tries, in order: the reference points where they
    apply, the declared kinks for a check that looks at them, the special points, then
    ``run.examples`` typical inputs. Hypothesis tries them all too, first."""
    domain = check.region == "domain"
    points = [
        ref.inputs
        for ref in run.references
        if len(ref.inputs) == op.arity
        and _sample.clear(op, ref.inputs)
        and (not domain or all(x in op.input_domain(i) for i, x in enumerate(ref.inputs)))
    ]
    if check.at_kinks:
        points += [kink.at for kink in op.kinks]

    def keep(xs: Point) -> bool:
        return finite_region(op, xs)

    points += _sample.sample_points(
        op, run.examples, bound=run.bound, within_domain=domain, keep=keep
    )
    return list(dict.fromkeys(points))


def _smallest_failure(
    op: Op, at_point: AtPoint, check: Check, run: _Run, failure: CheckFailure
) -> CheckFailure:
    """The failure at the input of smallest magnitude found from ``failure``'s.

    Each input in turn is moved to the simpler values nearer zero
    (:func:`~micrograd_core.testing._sample.toward_zero`), smallest first; the
    first that still fails is kept, until no input moves or ``SHRINK_TRIES``
    inputs have been tried. Candidates stay where the check draws inputs.
    """
    if failure.inputs is None:
        return failure
    domain = check.region == "domain"
    spans = _sample.ranges(op, bound=run.bound, within_domain=domain)
    xs, tries, moved = failure.inputs, 0, True
    while moved:
        moved = False
        for i, (lo, hi) in enumerate(spans):
            for x in _sample.toward_zero(xs[i], lo, hi):
                candidate = (*xs[:i], x, *xs[i + 1 :])
                if domain and x not in op.input_domain(i):
                    continue
                if not _sample.clear(op, candidate) or not finite_region(op, candidate):
                    continue
                tries += 1
                if tries > SHRINK_TRIES:
                    return failure
                try:
                    at_point(op, candidate)
                except CheckFailure as smaller:
                    smaller.inputs = xs = candidate
                    failure, moved = smaller, True
                    break
    return failure


def _first_failure_builtin(
    op: Op, at_point: AtPoint, check: Check, run: _Run
) -> CheckFailure | None:
    for xs in _points(op, check, run):
        try:
            at_point(op, xs)
        except CheckFailure as failure:
            failure.inputs = xs
            return failure
    return None


def _first_failure_hypothesis(
    op: Op, at_point: AtPoint, check: Check, run: _Run
) -> CheckFailure | None:
    from hypothesis import Phase, assume, example, given, settings  # noqa: PLC0415  (optional)
    from hypothesis.errors import HypothesisException  # noqa: PLC0415

    from micrograd_core.testing.strategies import contract_settings, inputs  # noqa: PLC0415

    failing: list[Point] = []

    # No shrinking: the failure found is made smallest the same way in both samplers.
    @settings(contract_settings(run.examples), phases=[Phase.explicit, Phase.generate])
    @given(inputs(op, bound=run.bound, within_domain=check.region == "domain"))
    def test(xs: Point) -> None:
        assume(finite_region(op, xs))  # in the test, not the strategy: it runs the op
        failing.append(xs)
        at_point(op, xs)

    for xs in reversed(_points(op, check, run)):  # the first given is tried first
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
    typical inputs within ``[-bound, bound]`` (hypothesis: those of the built-in
    sampler, then as many of its own). A point check stops at its first failing
    input and reports the failing input of smallest magnitude found from it.
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
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001  (a broken op is a failed check, never a crash: SystemExit included)
        raised = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        return CheckResult(check.name, "failed", f"the check could not run on the op: {raised}")


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
    found = _smallest_failure(op, check.at_point, check, run, found)
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
