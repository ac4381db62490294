"""The op spec: everything the engine needs to know about one operation.

An op is a forward function on floats plus one local partial derivative per
input. A partial is called as ``partial(*inputs, out)`` and sees the forward
output, so ``tanh' = 1 - out**2`` and ``exp' = out`` are one short line each.
The engine calls a partial only for an input that needs a gradient (never for a
constant such as the ``2`` in ``x ** 2``).

An op may instead give its whole gradient at once: ``gradient(*inputs, out)``
returns one partial per input. A variadic op, which takes any number of inputs
(``affine(c, a1, b1, a2, b2, ...)``), must: its partials cannot be listed ahead.

A composite op has no forward or partials of its own: ``compose`` builds it
from other ops on ``Value`` s, so the graph records the primitives and there is
no gradient to write.

An op may state its math once, as Python expressions (:class:`Inline`): its
forward and partials on floats are then compiled from them, the partials also
run on ``Value`` s (gradients of gradients: ``math.cos`` there is the op that
claims the method ``cos``), compiled graphs write them into their replay loops,
and array libraries get them rendered
(:func:`~micrograd_core.dialect.render`). Functions written by hand stay
possible, alone or beside the expressions (which must then give the same
floats).
"""

from __future__ import annotations

import keyword
import math

from micrograd_core.derivation import (
    derive,
    is_derived,
    not_finite,
    overflowed,
    shown,
)
from micrograd_core.errors import InvalidOpError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn, Self, TypeGuard, TypeVar

    from micrograd_core.value import Value

    Forward = Callable[..., float]
    Partial = Callable[..., float]
    Gradient = Callable[..., Sequence[float]]
    R = TypeVar("R", bound="_Record")

__all__ = [
    "Inline",
    "Interval",
    "Kink",
    "Op",
    "Provenance",
    "is_derived",
    "not_finite",
    "overflowed",
    "replace",
    "validate",
]


class _Record:
    """An immutable record: its fields are its slots, compared, hashed and shown in order."""

    __slots__ = ()

    if not TYPE_CHECKING:  # which would then let any name be assigned, a typo too

        def __setattr__(self, name: str, value: object) -> NoReturn:
            msg = f"cannot assign to field {name!r}: a {type(self).__name__} is immutable"
            raise AttributeError(msg)

        def __delattr__(self, name: str) -> NoReturn:
            msg = f"cannot delete field {name!r}: a {type(self).__name__} is immutable"
            raise AttributeError(msg)

    def _fields(self) -> tuple[object, ...]:
        names: tuple[str, ...] = self.__slots__
        return tuple(getattr(self, name) for name in names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Record) or type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        names: tuple[str, ...] = self.__slots__
        fields = ", ".join(
            f"{name}={value!r}" for name, value in zip(names, self._fields(), strict=True)
        )
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[type[Self], tuple[object, ...]]:
        return type(self), self._fields()


def replace(record: R, /, **changes: Any) -> R:
    """A copy of ``record`` (an op, an interval, ...) with ``changes`` to its fields,
    as ``dataclasses.replace`` makes of a dataclass: ``replace(op, doc="...")``."""
    names: tuple[str, ...] = record.__slots__
    make: Callable[..., R] = type(record)
    return make(**{**dict(zip(names, record._fields(), strict=True)), **changes})


def _fill(record: _Record, values: dict[str, Any]) -> None:
    """Set each field of ``record`` from ``values`` (its ``__init__``'s locals)."""
    names: tuple[str, ...] = record.__slots__
    for name in names:
        object.__setattr__(record, name, values[name])


class Interval(_Record):
    """A set of reals ``low .. high``; each end open or closed.

    >>> 0.0 in Interval(0.0, math.inf, include_low=False)
    False
    """

    __slots__ = ("low", "high", "include_low", "include_high")  # noqa: RUF023  (fields in order)
    low: float
    high: float
    include_low: bool
    include_high: bool

    def __init__(
        self,
        low: float = -math.inf,
        high: float = math.inf,
        include_low: bool = True,
        include_high: bool = True,
    ) -> None:
        _fill(self, locals())

    def __contains__(self, x: float) -> bool:
        above = x >= self.low if self.include_low else x > self.low
        below = x <= self.high if self.include_high else x < self.high
        return above and below

    def __str__(self) -> str:
        left = "[" if self.include_low and math.isfinite(self.low) else "("
        right = "]" if self.include_high and math.isfinite(self.high) else ")"
        return f"{left}{self.low:g}, {self.high:g}{right}"


REALS = Interval()


class Kink(_Record):
    """A point where the op is not differentiable, and the partials it uses there.

    ``Kink(at=(0.0,), partials=(0.0,))`` is micrograd's ``relu'(0) = 0``.
    """

    __slots__ = ("at", "partials")
    at: tuple[float, ...]
    partials: tuple[float, ...]

    def __init__(self, at: tuple[float, ...], partials: tuple[float, ...]) -> None:
        _fill(self, locals())


class Inline(_Record):
    """An op's forward value and partials as Python expressions: its math, stated once.

    The inputs are ``x0``, ``x1``, ...; a partial also sees the forward output
    as ``out``; math's public functions (``math.exp(x0)``) and constants
    (``math.pi``) may be used. Nothing else is in scope. The grammar, and the
    limits that keep every expression fast to compile and run, are in
    :mod:`micrograd_core.grammar`.

    >>> mul_inline = Inline("x0 * x1", partials=("x1", "x0"))
    >>> tanh_inline = Inline("math.tanh(x0)", partials=("1 - out**2",))

    An op that gives no ``forward`` (or no ``partials``) gets them compiled
    from these: see :class:`Op`. An op that gives its functions too must give
    the same float in each expression, to the last bit (the contract kit's
    ``inline`` check compares them); an expression may leave out the
    function's checks: where the function raises, the expression may raise
    anything or give a value that is not finite, and the compiled graph then
    runs the op's own functions, which say what went wrong.
    """

    __slots__ = ("forward", "partials")
    forward: str
    partials: tuple[str, ...]

    def __init__(self, forward: str, partials: tuple[str, ...]) -> None:
        _fill(self, locals())

    def problem(self, arity: int) -> str | None:
        """What is wrong with these expressions for ``arity`` inputs, or None."""
        from micrograd_core.grammar import problem  # noqa: PLC0415  (imported when used)

        if type(self.forward) is not str:
            return f"inline forward must be a str, got {type(self.forward).__name__!r}"
        if type(self.partials) is not tuple or len(self.partials) != arity:
            return f"inline partials must be a tuple of {arity} expressions, one per input"
        inputs = {f"x{i}" for i in range(arity)}
        for what, text, names in (
            ("forward", self.forward, inputs),
            *((f"partial {i}", p, inputs | {"out"}) for i, p in enumerate(self.partials)),
        ):
            found = problem(text, names)
            if found is not None:
                return f"inline {what} {shown(text)}: {found}"
        return None


if TYPE_CHECKING:
    InlineSpec = Inline | Callable[[int], Inline]


class Provenance(_Record):
    """Where an op came from: the plugin (entry-point name) and its distribution."""

    __slots__ = ("plugin", "distribution", "version")  # noqa: RUF023  (fields in order)
    plugin: str
    distribution: str | None
    version: str | None

    def __init__(
        self, plugin: str, distribution: str | None = None, version: str | None = None
    ) -> None:
        _fill(self, locals())

    def __str__(self) -> str:
        if self.distribution is None:
            return f"plugin {self.plugin!r}"
        return f"plugin {self.plugin!r} ({self.distribution} {self.version})"


class Op(_Record):
    """One operation: its name, arity, forward value and local gradient.

    >>> square = Op("square", 1, forward=lambda x: x * x, partials=(lambda x, out: 2 * x,))
    >>> square.forward(3.0), square.partials[0](3.0, 9.0)
    (9.0, 6.0)

    Or its math once, as expressions: ``forward`` and ``partials`` are then
    compiled from them (:class:`Inline`), and overflow raises the engine's
    ``DomainError`` as in every op:

    >>> cube = Op("cube", 1, inline=Inline("x0 ** 3", partials=("3 * x0 ** 2",)))
    >>> cube.forward(2.0), cube.partials[0](2.0, 8.0), is_derived(cube.forward)
    (8.0, 12.0, True)

    ``domain`` gives one interval per input where the op is smooth (empty: all
    reals); tools draw test inputs from it. ``inline`` optionally gives the
    forward and partials again as expressions (:class:`Inline`), a callable
    from the number of inputs to them for a variadic op; compiled graphs use
    them to replay faster. ``kinks`` lists the points where the
    op is not differentiable and the partials it uses there. ``method`` is the
    name it claims on ``Value`` (``x.tanh()``). The registry fills in
    ``provenance``.

    A variadic op sets ``variadic`` to the size of a group of inputs that may
    repeat after the first ``arity``: it takes ``arity + k * variadic`` inputs
    for any ``k >= 0``, its ``domain`` holds ``arity + variadic`` intervals (the
    last ``variadic`` apply to every repetition), and it gives ``gradient``:

    >>> def fwd(c, *ab):
    ...     return c + sum(a * b for a, b in zip(ab[::2], ab[1::2]))
    >>> def grad(c, *ab_out):
    ...     ab = ab_out[:-1]
    ...     return [1.0, *(ab[i ^ 1] for i in range(len(ab)))]
    >>> dot = Op("dot", 1, variadic=2, forward=fwd, gradient=grad)
    >>> dot.accepts(3), dot.accepts(4), dot.arity_text
    (True, False, '1, 3, 5, ...')
    """

    __slots__ = (  # noqa: RUF023  (the fields in order, as the constructor takes them)
        "name",
        "arity",
        "forward",
        "partials",
        "compose",
        "gradient",
        "variadic",
        "method",
        "doc",
        "domain",
        "kinks",
        "inline",
        "provenance",
    )
    name: str
    arity: int
    forward: Forward | None
    partials: tuple[Partial, ...]
    compose: Callable[..., Value] | None
    gradient: Gradient | None
    variadic: int
    method: str | None
    doc: str
    domain: tuple[Interval, ...]
    kinks: tuple[Kink, ...]
    inline: InlineSpec | None
    provenance: Provenance | None

    def __init__(
        self,
        name: str,
        arity: int,
        forward: Forward | None = None,
        partials: tuple[Partial, ...] = (),
        compose: Callable[..., Value] | None = None,
        gradient: Gradient | None = None,
        variadic: int = 0,
        method: str | None = None,
        doc: str = "",
        domain: tuple[Interval, ...] = (),
        kinks: tuple[Kink, ...] = (),
        inline: InlineSpec | None = None,
        provenance: Provenance | None = None,
    ) -> None:
        if (forward is None or (not partials and gradient is None)) and _derivable(
            inline, arity, compose, variadic
        ):
            derived_forward, derived_partials = derive(name, inline, _engine)
            if forward is None:
                forward = derived_forward
            if not partials and gradient is None:
                partials = derived_partials
        _fill(self, locals())

    @property
    def is_composite(self) -> bool:
        """Whether the op is built from other ops rather than having its own gradient."""
        return self.compose is not None

    def input_domain(self, i: int) -> Interval:
        """The interval input ``i`` is drawn from (all reals when none is declared)."""
        if not self.domain:
            return REALS
        if i >= self.arity and self.variadic:  # a repetition of the variadic group
            i = self.arity + (i - self.arity) % self.variadic
        return self.domain[i]

    def accepts(self, n: int) -> bool:
        """Whether the op takes ``n`` inputs."""
        if self.variadic <= 0:
            return n == self.arity
        return n >= self.arity and (n - self.arity) % self.variadic == 0

    @property
    def arity_text(self) -> str:
        """How many inputs the op takes, for messages: ``'2'`` or ``'1, 3, 5, ...'``."""
        if self.variadic <= 0:
            return str(self.arity)
        counts = (self.arity + k * self.variadic for k in range(3))
        return ", ".join(map(str, counts)) + ", ..."

    def fixed(self, n: int) -> Op:
        """This variadic op as an op of exactly ``n`` inputs (what tools check it as)."""
        if not self.accepts(n):
            msg = f"op {self.name!r} takes {self.arity_text} inputs, not {n}"
            raise ValueError(msg)
        domain = tuple(self.input_domain(i) for i in range(n)) if self.domain else ()
        kinks = tuple(k for k in self.kinks if len(k.at) == n)
        return replace(self, arity=n, variadic=0, domain=domain, kinks=kinks)

    def __call__(self, *args: Value | float) -> Value:
        """Apply the op to ``Value`` s or numbers and record it in the graph."""
        return _engine.apply(self, *args)

    def inlined(self, n: int) -> Inline | None:
        """The op's :class:`Inline` expressions for ``n`` inputs, or None when it offers none.

        They are checked for ``n`` inputs (an op applied without registering it
        was never validated): InvalidOpError says what is wrong with them.
        """
        spec = self.inline
        if spec is None:
            return None
        inline = _resolve(spec, n)
        if isinstance(inline, str):
            msg = f"{self.origin()}: {inline}"
            raise InvalidOpError(msg, op_name=self.name, plugin=self.plugin)
        return inline

    @property
    def plugin(self) -> str | None:
        """The name of the plugin that provides the op (None for an op not registered)."""
        return self.provenance.plugin if self.provenance is not None else None

    def origin(self) -> str:
        """The op and its provider, for messages: ``op 'sin' of plugin 'trig'``."""
        if self.provenance is None:
            return f"op {self.name!r}"
        return f"op {self.name!r} of {self.provenance}"


def _derivable(
    inline: object, arity: object, compose: object, variadic: object
) -> TypeGuard[Inline]:
    """Whether an op's missing functions are derived from ``inline`` (else validate()
    says what is wrong, if anything)."""
    return (
        isinstance(inline, Inline)
        and compose is None
        and not variadic
        and type(arity) is int
        and arity > 0
        and inline.problem(arity) is None
    )


class _Engine:
    """The engine, as the op spec reaches it: the spec sits below the engine in
    the layers of micrograd_core and may not import it, so the engine
    (``micrograd_core.value``) fills this in when it is imported."""

    apply: Callable[..., Value]
    method: Callable[[str], Op]  # the op claiming a method of Value's, in the active registry


_engine = _Engine()


# -- validation ----------------------------------------------------------------------


def validate(op: object, *, reserved: frozenset[str] = frozenset()) -> Op:
    """Check an op spec and return it, or raise :class:`InvalidOpError` saying what is wrong.

    ``reserved`` holds attribute names an op may not claim as its method.
    """
    if not isinstance(op, Op):
        msg = f"expected an Op, got {type(op).__name__!r}"
        raise InvalidOpError(msg)
    name = op.name
    if not (isinstance(name, str) and _is_lowercase_identifier(name)) or keyword.iskeyword(name):
        msg = f"op name {name!r} is not a lowercase identifier (expected e.g. 'softplus')"
        raise InvalidOpError(msg, op_name=str(name))
    problem = _problem(op, reserved)
    if problem is not None:
        msg = f"op {name!r}: {problem}"
        raise InvalidOpError(msg, op_name=name)
    return op


def _is_lowercase_identifier(name: str) -> bool:
    """Whether ``name`` is ``[a-z][a-z0-9_]*``."""
    return name.isascii() and name.isidentifier() and name.islower() and name[0].isalpha()


def _gradient_problem(op: Op) -> str | None:
    """What is wrong with how ``op`` defines its value and gradient, or None."""
    if op.compose is not None:
        if op.forward is not None or op.partials or op.gradient is not None:
            return "a composite op defines compose only, not forward, partials or gradient"
        if not callable(op.compose):
            return f"compose must be callable, got {type(op.compose).__name__!r}"
        return None
    if op.forward is None and op.inline is not None:  # not compiled from the expressions
        if op.variadic:
            return "a variadic op gives forward and gradient as functions"
        if not isinstance(op.inline, Inline):
            return f"inline must be an Inline, got {type(op.inline).__name__!r}"
        return op.inline.problem(op.arity) or "its forward could not be compiled"
    if not callable(op.forward):
        return f"forward must be callable, got {type(op.forward).__name__!r}"
    if op.gradient is not None:
        if op.partials:
            return "give partials (one per input) or gradient (all at once), not both"
        if not callable(op.gradient):
            return f"gradient must be callable, got {type(op.gradient).__name__!r}"
        return None
    if op.variadic:
        return "a variadic op gives gradient (all partials at once), not partials"
    if len(op.partials) != op.arity:
        return f"has arity {op.arity} but {len(op.partials)} partials (expected one per input)"
    for i, partial in enumerate(op.partials):
        if not callable(partial):
            return f"partial {i} must be callable, got {type(partial).__name__!r}"
    return None


def _problem(op: Op, reserved: frozenset[str]) -> str | None:
    """What is wrong with ``op`` besides its name, or None."""
    if type(op.arity) is not int or op.arity < 1:
        return f"arity must be a positive int, got {op.arity!r}"
    if type(op.variadic) is not int or op.variadic < 0:
        return f"variadic must be an int >= 0 (0: a fixed arity), got {op.variadic!r}"
    problem = _gradient_problem(op)
    if problem is not None:
        return problem
    intervals = op.arity + op.variadic
    if op.domain and (
        len(op.domain) != intervals or not all(isinstance(d, Interval) for d in op.domain)
    ):
        each = "one per input" if not op.variadic else "one per input and per variadic input"
        return f"domain must hold {intervals} Interval(s), {each}"
    for kink in op.kinks:
        if not op.accepts(len(kink.at)) or len(kink.partials) != len(kink.at):
            return f"kink {kink} must give {op.arity_text} input(s) and as many partial(s)"
    method = op.method
    if method is not None:
        if not isinstance(method, str) or not method.isidentifier() or method.startswith("_"):
            return f"method name {method!r} must be a public identifier such as 'tanh'"
        if method in reserved:
            return f"cannot claim method {method!r}: Value already uses it for another purpose"
    if not isinstance(op.doc, str):
        return f"doc must be a string, got {type(op.doc).__name__!r}"
    return _inline_problem(op)


def _inline_problem(op: Op) -> str | None:
    """What is wrong with ``op.inline``, or None (checked once more per arity on use)."""
    spec = op.inline
    if spec is None:
        return None
    if op.compose is not None:
        return "a composite op has no inline expressions: its parts do"
    if isinstance(spec, Inline) and op.variadic:
        return "a variadic op gives inline as a function of the number of inputs"
    if not isinstance(spec, Inline) and not callable(spec):
        return f"inline must be an Inline or a function of n, got {type(spec).__name__!r}"
    resolved = _resolve(spec, op.arity + op.variadic)
    return resolved if isinstance(resolved, str) else None


def _resolve(spec: InlineSpec, n: int) -> Inline | str:
    """The expressions of ``spec`` for ``n`` inputs, or what is wrong with them."""
    if isinstance(spec, Inline):
        inline = spec
    else:  # a variadic op's function of the number of inputs
        try:
            inline = spec(n)
        except Exception as e:  # noqa: BLE001  (the plugin's code: any failure is its bug)
            return f"inline({n}) raised {type(e).__name__}: {e}"
        if not isinstance(inline, Inline):
            return f"inline({n}) must return an Inline, got {type(inline).__name__!r}"
    problem = inline.problem(n)
    return inline if problem is None else problem
