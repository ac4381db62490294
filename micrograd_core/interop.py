"""An op in PyTorch and JAX: the same math, as functions on tensors and arrays.

:func:`to_torch` and :func:`to_jax` take an op (an :class:`~micrograd_core.op.Op`
or the name of a registered one) and return a function on tensors (arrays):
elementwise, broadcasting its inputs, with derivatives of every order from the
op's own partials. torch and jax are imported when one of these functions is
called, never when ``micrograd_core`` is.

How the op becomes a function there, by what the op offers:

- **Expressions** (:class:`~micrograd_core.op.Inline`): the forward value and
  each partial are rendered for the target (``math.tanh(x0)`` becomes
  ``torch.tanh(x0)``, ``a if c else b`` becomes ``torch.where(c, a, b)``, see
  :func:`micrograd_core.expression.render`). PyTorch gets a
  ``torch.autograd.Function`` whose backward computes the rendered partials
  with torch's own operations, so torch differentiates the backward again; JAX
  gets a ``jax.custom_jvp`` whose rule is the rendered partials. Where a branch
  of ``a if c else b`` that is not taken overflows, a derivative of that
  partial may be NaN, as with any ``where`` in torch and JAX.
- **A composite op** (``compose``): its parts, each made a function of the
  target in turn. The parts are found by applying ``compose`` to ``Value`` s at
  two points of the op's domain; where the graphs it builds differ (it branches
  on its inputs' values), the op cannot be translated and
  :class:`NotTranslatableError` says so.
- **Functions only** (``forward`` and ``partials`` written in Python): the
  slower path. Each element goes through the op's own functions, one Python
  call per element; its derivatives come from micrograd's :func:`grad` on
  ``Value`` s, so they exist to the order the op's rules support (a rule that
  calls ``math.cos`` on a ``Value`` stops at the first order with
  :class:`~micrograd_core.errors.NotDifferentiableError`). Right, but
  thousands of times slower than an op with expressions.

:func:`translation_problems` compares a target's numbers with the op's floats
(the contract kit asks it).

This module holds what every target shares: what an op offers, its rendered
rules, a composite op's parts and the comparison. Each target's own code is its
backend's, :mod:`micrograd_core._interop_torch` and :mod:`micrograd_core._interop_jax`
(over :mod:`micrograd_core._interop_backend`).
"""

from __future__ import annotations

import importlib.util
import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from micrograd_core import dialect as expression
from micrograd_core import state
from micrograd_core._interop_backend import TensorFunction, _Backend, _Derivative, _Rule
from micrograd_core._interop_jax import _Jax
from micrograd_core._interop_torch import _Torch
from micrograd_core.errors import MicrogradError
from micrograd_core.graph import node_of
from micrograd_core.op import Op
from micrograd_core.value import Value

__all__ = ["NotTranslatableError", "to_jax", "to_torch", "translation_problems"]

TARGETS = ("torch", "jax")
"""The targets an op is translated for, by the name of the package they need."""

ULPS = 4
"""How far, in units in the last place, a target's float may be from the op's own."""


class NotTranslatableError(MicrogradError, ValueError):
    """An op cannot be written for PyTorch or JAX; the message says why and what would work.

    ``op_name`` is the op, ``target`` ``'torch'`` or ``'jax'``.
    """

    def __init__(self, msg: str, *, op_name: str, target: str) -> None:
        super().__init__(msg)
        self.op_name = op_name
        self.target = target


def to_torch(op: Op | str) -> TensorFunction:
    """``op`` as a function on torch tensors, differentiable to any order by torch.

    The function takes the op's inputs as tensors (or numbers), broadcast
    together, and returns a tensor of their floating dtype (a tensor of ints
    becomes torch's default dtype); ``torch.autograd.gradcheck`` and
    ``gradgradcheck`` pass on it. A partial is computed only for an input
    whose gradient torch asks for, as ``backward()`` does. An op with
    expressions runs as torch's own operations; see the module's doc for the
    other kinds.
    """
    resolved = _resolve(op)
    _imported("torch", resolved)
    return _Translation(resolved, "torch").function


def to_jax(op: Op | str) -> TensorFunction:
    """``op`` as a ``jax.custom_jvp`` function on arrays, for ``jvp``, ``grad``, ``jit``, ``vmap``.

    The inputs are broadcast together; the result has their floating dtype
    (ints become JAX's default float). The rule gives the tangent from the
    op's partials, computed only for inputs whose tangent is not zero, and
    ``jax.test_util.check_grads`` passes on it to order 2 and beyond.
    """
    resolved = _resolve(op)
    _imported("jax", resolved)
    return _Translation(resolved, "jax").function


def translation_problems(
    op: Op | str,
    points: Iterable[Sequence[float]] | None = None,
    *,
    ulps: int = ULPS,
    targets: Sequence[str] = TARGETS,
) -> list[str]:
    """How each installed target's translation of ``op`` differs from the op's floats.

    Each of the op's expressions is computed as the target computes it and
    compared with the op's own functions on floats: the forward at each point
    (by default a few inside the op's domain) with ``forward``, each partial at
    the point and the op's output with that partial. Floats more than ``ulps``
    units in the last place apart (of the result, or of 1.0 for a result
    below 1) are a problem: torch and JAX have their own exp, tanh, ...,
    which may differ from Python's math by an ulp or two. The
    targets compute in float64; JAX in its default float (float32 unless
    ``jax_enable_x64`` is on), whose ulps are then counted. A composite op's
    parts are compared, each in turn; an op with functions only runs them
    element by element and has nothing to compare. A target that cannot
    translate the op says why; one that is not installed is left out. No
    problem: an empty list.
    """
    resolved = _resolve(op)
    given = None if points is None else [tuple(map(float, p)) for p in points]
    found: list[str] = []
    for target in targets:
        if _installed(target):
            found.extend(_target_problems(resolved, target, given, ulps))
    return found


# -- the op, and what it offers -------------------------------------------------------


def _resolve(op: Op | str) -> Op:
    if isinstance(op, Op):
        return op
    if isinstance(op, str):
        return state.active_registry()[op]
    msg = f"expected an Op or the name of a registered op, got {type(op).__name__!r}"
    raise TypeError(msg)


def _installed(target: str) -> bool:
    return importlib.util.find_spec(target) is not None


def _imported(target: str, op: Op) -> None:
    if not _installed(target):
        msg = f"{op.origin()} cannot be made a {target} function: {target!r} is not installed"
        raise NotTranslatableError(msg, op_name=op.name, target=target) from None


def _dialect(target: str) -> expression.Dialect:
    return expression.TORCH if target == "torch" else expression.JAX


def _compiled(op: Op, n: int, target: str) -> _Rule | None:
    """``op``'s expressions for ``n`` inputs as functions of ``target``, or None if it has none."""
    inline = op.inlined(n)
    if inline is None:
        return None
    dialect = _dialect(target)
    module = "torch" if target == "torch" else "jnp"
    names = ", ".join([*(f"x{i}" for i in range(n)), "out", module])
    functions = []
    for what, text in (
        ("forward", inline.forward),
        *((f"partial {i}", p) for i, p in enumerate(inline.partials)),
    ):
        try:
            source = expression.render(text, dialect)
        except expression.NotRenderableError as e:
            msg = f"{op.origin()}: its {what} {text!r} cannot be written for {target}: {e}"
            raise NotTranslatableError(msg, op_name=op.name, target=target) from None
        scope = dialect.scope() if target == "jax" else {}
        functions.append(
            eval(f"lambda {names}: {source}", scope)
        )  # rendered from an expression the gate accepted
    return _Rule(functions[0], tuple(functions[1:]))


# -- the translation ------------------------------------------------------------------


class _Translation:
    """``op`` as a function of ``target``: rendered, composed from its parts, or elementwise."""

    def __init__(self, op: Op, target: str) -> None:
        self.op = op
        self.target = target
        self.backend: _Backend = _Torch() if target == "torch" else _Jax()
        self._by_count: dict[int, TensorFunction] = {}
        self.parts = _traced(op, target) if op.compose is not None else None
        if self.parts is None:
            self._for(op.arity)  # an expression the target cannot write: say so now
        self.function = self._function()

    def kind(self, n: int) -> str:
        """How the op runs on ``n`` inputs: ``'expressions'``, ``'parts'`` or ``'elementwise'``."""
        if self.parts is not None:
            return "parts"
        return "expressions" if self.op.inlined(n) is not None else "elementwise"

    def _for(self, n: int) -> TensorFunction:
        """The target's function of ``n`` converted inputs (made once per count)."""
        found = self._by_count.get(n)
        if found is None:
            if self.parts is not None:
                found = self.parts.replay()
            else:
                rule = _compiled(self.op, n, self.target)
                found = (
                    self.backend.elementwise(self.op)
                    if rule is None
                    else self.backend.rendered(self.op, rule)
                )
            self._by_count[n] = found
        return found

    def _function(self) -> TensorFunction:
        op, backend = self.op, self.backend

        def function(*xs: Any) -> Any:
            if not op.accepts(len(xs)):
                msg = f"{op.origin()} takes {op.arity_text} input(s), got {len(xs)}"
                raise TypeError(msg)
            return self._for(len(xs))(*backend.convert(op, xs))

        function.__name__ = op.name
        function.__qualname__ = op.name
        function.__doc__ = f"{op.name} on {self.target}'s arrays: {op.doc}"
        return function


# -- composite ops: their parts ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Step:
    """One part: an op applied to earlier slots (ints) and constants (floats)."""

    op: Op
    inputs: tuple[int | float, ...]


@dataclass(frozen=True, slots=True)
class _Parts:
    """A composite op's graph: slots 0 .. arity-1 hold its inputs, each step adds one."""

    target: str
    steps: tuple[_Step, ...]
    result: int

    def replay(self) -> TensorFunction:
        translate = to_torch if self.target == "torch" else to_jax
        functions = {id(s.op): translate(s.op) for s in self.steps}

        def run(*xs: Any) -> Any:
            slots = list(xs)
            for step in self.steps:
                args = [slots[a] if type(a) is int else a for a in step.inputs]
                slots.append(functions[id(step.op)](*args))
            return slots[self.result]

        return run


def _traced(op: Op, target: str) -> _Parts:
    """The parts of composite ``op``: the same graph at two points of its domain, or an error."""
    if op.variadic:
        msg = f"{op.origin()}: a variadic composite op cannot be translated for {target}"
        raise NotTranslatableError(msg, op_name=op.name, target=target)
    points = _points(op)[:2]
    traces = []
    for xs in points:
        leaves = [Value(x) for x in xs]
        try:
            result = op(*leaves)
            traces.append(_steps(leaves, result))
        except (MicrogradError, ArithmeticError, ValueError) as e:
            msg = f"{op.origin()}: its compose failed at {xs} while finding its parts: {e}"
            raise NotTranslatableError(msg, op_name=op.name, target=target) from e
    parts = traces[0]
    if len(traces) > 1 and traces[1] != parts:
        msg = (
            f"{op.origin()}: its compose builds different graphs at {points[0]} and "
            f"{points[1]}, so it has no one translation for {target}; a composite op "
            f"translates when the ops it applies do not depend on its inputs' values"
        )
        raise NotTranslatableError(msg, op_name=op.name, target=target)
    return _Parts(target, parts[0], parts[1])


def _steps(leaves: list[Value], result: Value) -> tuple[tuple[_Step, ...], int]:
    """The steps that compute ``result`` from ``leaves``, parts before the whole."""
    slot: dict[int, int | float] = {id(v): i for i, v in enumerate(leaves)}
    steps: list[_Step] = []
    stack: list[tuple[Value, bool]] = [(result, False)]
    while stack:  # never recursive: a long compose is no problem
        value, ready = stack.pop()
        if id(value) in slot and not ready:
            continue
        node = node_of(value)
        if node.op is None:  # a leaf that is not an input: a constant (the 2 in x ** 2)
            slot[id(value)] = value.data
        elif ready:
            if id(value) not in slot:
                steps.append(_Step(node.op, tuple(slot[id(v)] for v in node.inputs)))
                slot[id(value)] = len(leaves) + len(steps) - 1
        else:
            stack.append((value, True))
            stack.extend((v, False) for v in reversed(node.inputs))
    where = slot[id(result)]
    if type(where) is not int:
        msg = f"compose returned a constant ({where!r}), not a function of its inputs"
        raise ValueError(msg)
    return tuple(steps), where


# -- comparing a target's numbers with the op's floats ---------------------------------

_SAMPLES = (0.5, -0.75, 1.25, -1.5, 2.5, 0.1, 3.0)


def _points(op: Op) -> list[tuple[float, ...]]:
    """A few points inside ``op``'s domain, away from its kinks: test inputs."""
    per_input = []
    for i in range(op.arity):
        interval = op.input_domain(i)
        inside = [x for x in _SAMPLES if x in interval]
        per_input.append(inside or [interval.low + 0.5 if math.isfinite(interval.low) else 0.5])
    return [tuple(c[(k + i) % len(c)] for i, c in enumerate(per_input)) for k in range(4)]


def _ulps(want: float, got: float, bits: int) -> float:
    """How far apart two floats are, in units in the last place of a ``bits``-bit float
    the size of the larger of ``want`` and 1: a result below 1 computed as ``1 - out**2``
    keeps only the digits its parts do not share, so its own ulps would overstate."""
    if want == got or (math.isnan(want) and math.isnan(got)):
        return 0.0
    if not (math.isfinite(want) and math.isfinite(got)):
        return math.inf
    return abs(want - got) / (math.ulp(max(abs(want), 1.0)) * 2.0 ** (53 - bits))


def _target_problems(
    op: Op, target: str, points: list[tuple[float, ...]] | None, ulps: int
) -> list[str]:
    try:
        translation = _Translation(op, target)
    except NotTranslatableError as e:
        return [f"{target}: {e}"]
    if translation.parts is not None:
        found: list[str] = []
        for part in {id(s.op): s.op for s in translation.parts.steps}.values():
            found.extend(_target_problems(part, target, None, ulps))
        return found
    found = []
    for xs in _points(op) if points is None else points:
        rule = _compiled(op, len(xs), target) if op.accepts(len(xs)) else None
        if rule is not None:
            found.extend(_point_problems(op, target, translation.backend, rule, xs, ulps))
    return found


def _point_problems(
    op: Op, target: str, backend: _Backend, rule: _Rule, xs: tuple[float, ...], ulps: int
) -> list[str]:
    bits = backend.bits()
    if bits == 24:  # the target's inputs are float32: the op's floats from the same inputs
        xs = tuple(struct.unpack("f", struct.pack("f", x))[0] for x in xs)
    paths = [(), *((i,) for i in range(len(xs)))]
    try:
        expected = [_Derivative(op, path).at(xs) for path in paths]
    except (MicrogradError, ArithmeticError, ValueError):
        return []  # no float to compare with: the kit's other checks say why
    try:
        got = backend.rule_values(rule, xs, expected[0])
    except Exception as e:  # noqa: BLE001  (the target's failure, whatever it is, is the finding)
        return [f"{target}: {op.name}{xs} raised {type(e).__name__}: {e}"]
    found = []
    inline = op.inlined(len(xs))
    texts = [] if inline is None else [inline.forward, *inline.partials]
    names = ["forward", *(f"partial {i}" for i in range(len(xs)))]
    for what, text, w, g in zip(names, texts, expected, got, strict=True):
        distance = _ulps(w, g, bits)
        if distance > ulps:
            found.append(
                f"{target}: {op.name}'s {what} {text!r} at {xs} is {g!r}, the op's float is {w!r} "
                f"({distance:.3g} ulps apart; at most {ulps} expected)"
            )
    return found
