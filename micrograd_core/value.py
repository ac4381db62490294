"""``Value``: a float that records the ops applied to it, for reverse-mode autograd.

The engine knows no op's math. ``+``, ``*`` and ``**`` apply whichever ops the
active registry provides under the names ``add``, ``mul`` and ``pow``; methods
such as ``x.tanh()`` apply the op that claims that method name. Subtraction,
negation and division are composed from those, exactly as micrograd does
(``a - b`` is ``a + (-b)``, ``-a`` is ``a * -1``, ``a / b`` is ``a * b**-1``), so
results match micrograd to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, SupportsFloat, TypeAlias

from micrograd_core.errors import DomainError, InvalidOpError, OperandTypeError
from micrograd_core.graph import CONSTANT, backward

if TYPE_CHECKING:
    from micrograd_core.op import Op
    from micrograd_core.registry import OpRegistry

__all__ = ["Operand", "Value", "apply"]

# What an op's forward or partial raises outside its domain (math domain
# error, division by zero, overflow); reported as a DomainError naming the op.
_UNDEFINED: Final = (ValueError, ArithmeticError)


class Value:
    """A scalar in a computation graph, with the gradient ``backward()`` fills in.

    >>> x = Value(0.5)
    >>> y = (x * x + 1).tanh()
    >>> y.backward()
    >>> round(y.data, 4), round(x.grad, 4)
    (0.8483, 0.2804)

    ``backward()`` adds to ``.grad`` (as micrograd): a second call accumulates
    again, so reset gradients (``Module.zero_grad()``) between passes.
    """

    # A node's inputs live in two slots, not in a tuple of their own: one object
    # per node instead of two halves the work of Python's cyclic garbage
    # collector, whose passes over a large live graph cost more than building it.
    # ``_a`` is the first input (None for a leaf, CONSTANT for a constant); ``_b``
    # the second (None for a unary op, or the tuple of inputs 2..n when n > 2).
    # ``_prev`` gives them as a tuple, as micrograd does. ``_label`` is set only
    # on a node given a name (see ``label``); the engine never touches it.
    __slots__ = ("_a", "_b", "_label", "_op", "data", "grad")

    data: float
    grad: float
    _op: Op | None
    _a: Any
    _b: Any
    _label: str

    def __init__(self, data: SupportsFloat, *, label: str = "") -> None:
        self.data = data if type(data) is float else _to_float(data, "Value()")
        self.grad = 0.0
        self._op = None
        self._a = None
        self._b = None
        if label:
            self._label = label

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def backward(self) -> None:
        """Set this node's gradient to 1 and accumulate gradients into every node below it."""
        backward(self)

    @property
    def label(self) -> str:
        """A name for this node in drawings of its graph (``""`` when it has none).

        Give one to a leaf with ``Value(2.0, label="w1")``, or to any node by
        assignment: ``y.label = "y"``.
        """
        try:
            return self._label
        except AttributeError:  # never named: the slot is left empty
            return ""

    @label.setter
    def label(self, label: str) -> None:
        self._label = label

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The node's inputs (``CONSTANT`` for a constant, ``()`` for a leaf)."""
        a, b = self._a, self._b
        if self._op is None:
            return CONSTANT if a is CONSTANT else ()
        if b is None:
            return (a,)
        return (a, *b) if type(b) is tuple else (a, b)

    # -- operators: the three primitives ------------------------------------

    def __add__(self, other: Operand) -> Value:
        return _apply2(_table.add, self, other if type(other) is Value else _constant(other))

    def __mul__(self, other: Operand) -> Value:
        return _apply2(_table.mul, self, other if type(other) is Value else _constant(other))

    def __pow__(self, other: Operand) -> Value:
        return _apply2(_table.pow, self, other if type(other) is Value else _constant(other))

    def __radd__(self, other: SupportsFloat) -> Value:  # other + self
        return _apply2(_table.add, self, _constant(other))

    def __rmul__(self, other: SupportsFloat) -> Value:  # other * self
        return _apply2(_table.mul, self, _constant(other))

    def __rpow__(self, other: SupportsFloat) -> Value:  # other ** self
        return _apply2(_table.pow, _constant(other), self)

    # -- operators composed from the primitives, as in micrograd -------------

    def __neg__(self) -> Value:  # -self
        return self * -1

    def __sub__(self, other: Operand) -> Value:  # self - other
        return self + (-other if type(other) is Value else -_to_float(other))

    def __rsub__(self, other: SupportsFloat) -> Value:  # other - self
        return _apply2(_table.add, -self, _constant(other))

    def __truediv__(self, other: Operand) -> Value:  # self / other
        return self * (other**-1 if type(other) is Value else _to_float(other) ** -1)

    def __rtruediv__(self, other: SupportsFloat) -> Value:  # other / self
        return _apply2(_table.mul, self**-1, _constant(other))

    # -- methods claimed by ops ----------------------------------------------

    def relu(self) -> Value:
        """``max(0, x)``, from the op that claims the method ``relu``."""
        return _apply1(_table.method("relu"), self)

    def tanh(self) -> Value:
        """The hyperbolic tangent, from the op that claims the method ``tanh``."""
        return _apply1(_table.method("tanh"), self)

    def exp(self) -> Value:
        """``e ** x``, from the op that claims the method ``exp``."""
        return _apply1(_table.method("exp"), self)


# Methods claimed by plugin ops (``x.sin()``) are set on the class when a
# registry is installed (see ``install``), not found through a ``__getattr__``
# hook: a class with one loses CPython 3.11's fast attribute access on every
# instance, which costs a third of a training step. Type checkers do not see
# these methods; typed code calls the plugin's function, ``sin(x)``.
_FIXED_METHODS: Final = frozenset(name for name in vars(Value) if not name.startswith("_"))
_attached: set[str] = set()


def _method(op: Op) -> Callable[..., Value]:
    def method(self: Value, *args: Operand) -> Value:
        if not args and op.arity == 1:
            return _apply1(op, self)
        return _apply_to(op, self, *args)

    method.__name__ = method.__qualname__ = str(op.method)
    method.__doc__ = op.doc
    return method


def _withheld(error: Exception) -> Callable[..., Value]:
    def method(self: Value, *args: Operand) -> Value:
        raise error

    return method


def _attach_methods(registry: OpRegistry | None) -> None:
    """Make ``Value``'s plugin methods those ``registry`` provides, and only those.

    A method two ops claim is attached as one that raises the collision error.
    """
    for name in _attached:
        delattr(Value, name)
    _attached.clear()
    if registry is None:
        return
    methods: dict[str, Callable[..., Value]] = {
        c.name: _withheld(c.error()) for c in registry.collisions if c.kind == "method"
    }
    methods.update((name, _method(op)) for name, op in registry.methods.items())
    for name, method in methods.items():
        if name not in _FIXED_METHODS:
            setattr(Value, name, method)
            _attached.add(name)


def _install_default_on_first_lookup(self: Value, name: str) -> object:
    # Before any op has been used, ``x.sin()`` must find plugin methods too. This
    # hook installs the default registry (which removes the hook) and looks again.
    if name.startswith("_"):
        raise AttributeError(name)
    _table.add  # noqa: B018  (first use builds and installs the default registry)
    return getattr(self, name)


Operand: TypeAlias = "Value | SupportsFloat"
"""What ``Value``'s operators accept: a ``Value`` or a real number."""


def apply(op: Op | str, *args: Operand) -> Value:
    """Apply an op (or the op registered under a name) to ``Value`` s or numbers.

    >>> apply("mul", Value(3.0), 2)
    Value(data=6.0, grad=0.0)
    """
    if isinstance(op, str):
        op = _table.registry.op(op)
    return _apply_to(op, *args)


def _apply_to(op: Op, *args: Operand) -> Value:
    if len(args) != op.arity and not op.accepts(len(args)):
        msg = f"op {op.name!r} takes {op.arity_text} input(s), got {len(args)}"
        raise TypeError(msg)
    for a in args:  # a plain loop: much cheaper than building a new tuple when all are Values
        if type(a) is not Value:
            return _apply(op, tuple(a if type(a) is Value else _constant(a) for a in args))
    return _apply(op, args)  # type: ignore[arg-type]  # every one is a Value


def _apply(op: Op, inputs: tuple[Value, ...]) -> Value:
    """Compute ``op`` on ``inputs`` and record the node (composites record their parts)."""
    if op.compose is not None:
        return op.compose(*inputs)
    forward = op.forward
    if forward is None:
        msg = f"op {op.name!r} has neither a forward nor compose function"
        raise InvalidOpError(msg, op_name=op.name)
    xs = [a.data for a in inputs]
    try:
        data = forward(*xs)
    except DomainError:
        raise
    except _UNDEFINED as e:
        raise _domain_error(op, xs, e) from e
    return _node(data, op, inputs)


def _apply1(op: Op, a: Value) -> Value:
    """``_apply`` unrolled for the unary methods (``x.relu()``)."""
    forward = op.forward
    if forward is None:
        return _apply(op, (a,))
    try:
        data = forward(a.data)
    except DomainError:
        raise
    except _UNDEFINED as e:
        raise _domain_error(op, [a.data], e) from e
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node._op = op
    node._a = a
    node._b = None
    return node


def _apply2(op: Op, a: Value, b: Value) -> Value:
    """``_apply`` unrolled for the binary operators, the bulk of every graph."""
    forward = op.forward
    if forward is None:
        return _apply(op, (a, b))
    try:
        data = forward(a.data, b.data)
    except DomainError:
        raise
    except _UNDEFINED as e:
        raise _domain_error(op, [a.data, b.data], e) from e
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node._op = op
    node._a = a
    node._b = b
    return node


_new: Final = object.__new__


def _node(data: float, op: Op, inputs: tuple[Value, ...]) -> Value:
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node._op = op
    node._a = inputs[0]
    node._b = inputs[1] if len(inputs) == 2 else inputs[1:] or None
    return node


def _constant(x: object) -> Value:
    """A number used as an operand: a leaf whose partial the engine never evaluates."""
    node = _new(Value)
    node.data = _to_float(x)
    node.grad = 0.0
    node._op = None
    node._a = CONSTANT
    node._b = None
    return node


def _to_float(x: object, where: str = "an operand of Value") -> float:
    # Anything with __float__ (int, bool, Fraction, numpy scalars) is a real
    # number here; str, None and complex have none.
    if hasattr(type(x), "__float__"):
        try:
            return float(x)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
    msg = f"{where} takes a real number (int, float or a numpy scalar), got {type(x).__name__!r}"
    raise OperandTypeError(msg)


def _domain_error(op: Op, xs: list[float], cause: BaseException) -> DomainError:
    args = ", ".join(repr(x) for x in xs)
    where = ""
    if op.domain:
        where = "; declared domain: " + ", ".join(
            f"input {i} in {d}" for i, d in enumerate(op.domain)
        )
    msg = f"{op.name}({args}) is outside the op's domain ({cause}){where}"
    return DomainError(msg, op_name=op.name, inputs=xs)


# -- the ops Value's operators resolve to ---------------------------------------


class OpTable:
    """The ops of one registry, resolved once for ``Value``'s operators and methods."""

    __slots__ = ("add", "methods", "mul", "pow", "registry")

    def __init__(self, registry: OpRegistry) -> None:
        self.registry = registry
        self.add = registry.op_or_placeholder("add")
        self.mul = registry.op_or_placeholder("mul")
        self.pow = registry.op_or_placeholder("pow")
        self.methods: Mapping[str, Op] = registry.methods

    def method(self, name: str) -> Op:
        op = self.methods.get(name)
        if op is None:
            raise self.registry.missing(name, kind="method")
        return op


class _DefaultOnFirstUse:
    """Stands in for the table until first use, then installs the default registry's."""

    def __getattr__(self, name: str) -> object:
        from micrograd_core.registry import default_registry  # noqa: PLC0415

        return getattr(install(default_registry()), name)


_table: OpTable  # set by install() and _reset()


def install(registry: OpRegistry) -> OpTable:
    """Make ``registry`` the one ``Value``'s operators and methods use; return its table."""
    global _table  # noqa: PLW0603  (the one switch every operator reads)
    _table = OpTable(registry)
    if "__getattr__" in vars(Value):
        del Value.__getattr__  # type: ignore[attr-defined]
    _attach_methods(registry)
    return _table


def installed() -> OpRegistry | None:
    """The registry ``Value``'s operators use now (None before first use)."""
    return _table.registry if isinstance(_table, OpTable) else None


def _reset() -> None:
    """Forget the installed registry; the next use builds the default again."""
    global _table  # noqa: PLW0603
    _table = _DefaultOnFirstUse()  # type: ignore[assignment]
    _attach_methods(None)
    Value.__getattr__ = _install_default_on_first_lookup  # type: ignore[attr-defined]


_reset()
