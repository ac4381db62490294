"""``Value``: a float that records the ops applied to it, for reverse-mode autograd.

The engine knows no op's math. ``+``, ``*`` and ``**`` apply whichever ops the
active registry provides under the names ``add``, ``mul`` and ``pow``; methods
such as ``x.tanh()`` apply the op that claims that method name. Subtraction,
negation and division are composed from those, exactly as micrograd does
(``a - b`` is ``a + (-b)``, ``-a`` is ``a * -1``, ``a / b`` is ``a * b**-1``), so
results match micrograd to the last bit.
"""

from __future__ import annotations

import threading
from contextlib import ContextDecorator

from micrograd_core._operand import (
    broken_forward,
    division_error,
    domain_error,
    forward_result,
    forward_value,
    to_float,
)
from micrograd_core.errors import InvalidOpError, MicrogradError
from micrograd_core.graph import _UNDEFINED, CONSTANT, backward, fill_plugin, node_of
from micrograd_core.op import Op

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, Final, Protocol, SupportsFloat, TypeAlias

__all__ = [
    "ActiveOps",
    "Operand",
    "Value",
    "apply",
    "forward_value",
    "install",
    "installed",
    "no_grad",
]


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
        self.data = data if type(data) is float else to_float(data, "Value()")
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

    def detach(self) -> Value:
        """A new leaf holding this value's ``data``, outside its graph (as ``tensor.detach()``).

        >>> x = Value(2.0)
        >>> y = x * x
        >>> z = y.detach() * x
        >>> z.backward()
        >>> x.grad  # y counts as the constant 4.0
        4.0
        """
        return Value(self.data)

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
        """The node's inputs (``CONSTANT`` for a constant, ``()`` for a leaf), as in micrograd."""
        node = node_of(self)
        return CONSTANT if node.constant else node.inputs

    # -- operators: the three primitives ------------------------------------

    def __add__(self, other: Operand) -> Value:
        return _apply2(_active.add, self, other if type(other) is Value else _constant(other))

    def __mul__(self, other: Operand) -> Value:
        return _apply2(_active.mul, self, other if type(other) is Value else _constant(other))

    def __pow__(self, other: Operand) -> Value:
        return _apply2(_active.pow, self, other if type(other) is Value else _constant(other))

    def __radd__(self, other: SupportsFloat) -> Value:  # other + self
        return _apply2(_active.add, self, _constant(other))

    def __rmul__(self, other: SupportsFloat) -> Value:  # other * self
        return _apply2(_active.mul, self, _constant(other))

    def __rpow__(self, other: SupportsFloat) -> Value:  # other ** self
        return _apply2(_active.pow, _constant(other), self)

    # -- operators composed from the primitives, as in micrograd -------------

    def __neg__(self) -> Value:  # -self
        return self * -1

    def __sub__(self, other: Operand) -> Value:  # self - other
        return self + (-other if type(other) is Value else -to_float(other))

    def __rsub__(self, other: SupportsFloat) -> Value:  # other - self
        return _apply2(_active.add, -self, _constant(other))

    def __truediv__(self, other: Operand) -> Value:  # self / other
        try:
            return self * (other**-1 if type(other) is Value else to_float(other) ** -1)
        except ArithmeticError as e:  # a zero divisor, or 1 / divisor beyond the float range
            raise division_error(self.data, _data(other), e) from None

    def __rtruediv__(self, other: SupportsFloat) -> Value:  # other / self
        try:
            return _apply2(_active.mul, self**-1, _constant(other))
        except ZeroDivisionError as e:
            raise division_error(to_float(other), self.data, e) from None

    # -- comparisons, of data: a gradient rule such as ``1.0 if out > 0 else 0.0``
    # runs on Values too. No __eq__: a Value is hashed and compared by identity.

    def __lt__(self, other: Operand) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _data(other)

    # -- methods claimed by ops ----------------------------------------------

    def relu(self) -> Value:
        """``max(0, x)``, from the op that claims the method ``relu``."""
        return _apply1(_active.method("relu"), self)

    def tanh(self) -> Value:
        """The hyperbolic tangent, from the op that claims the method ``tanh``."""
        return _apply1(_active.method("tanh"), self)

    def exp(self) -> Value:
        """``e ** x``, from the op that claims the method ``exp``."""
        return _apply1(_active.method("exp"), self)


Operand: TypeAlias = "Value | SupportsFloat"
"""What ``Value``'s operators accept: a ``Value`` or a real number."""


def apply(op: Op | str, *args: Operand) -> Value:
    """Apply an op (or the op registered under a name) to ``Value`` s or numbers.

    >>> apply("mul", Value(3.0), 2)
    Value(data=6.0, grad=0.0)
    """
    if isinstance(op, str):
        op = _active.lookup(op)
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
    if op.forward is None:
        return _compose(op, inputs)
    return _node(forward_value(op, [a.data for a in inputs]), op, inputs)


def _apply1(op: Op, a: Value) -> Value:
    """``_apply`` unrolled for the unary methods (``x.relu()``)."""
    forward = op.forward
    if forward is None:
        return _compose(op, (a,))
    try:
        data = forward(a.data)
    except MicrogradError as e:
        fill_plugin(e, op)
        raise
    except _UNDEFINED as e:
        raise domain_error(op, [a.data], e) from e
    except TypeError as e:
        raise broken_forward(op, [a.data], e) from e
    if _untracked_threads and _untracked():
        return _leaf(data if type(data) is float else forward_result(data, op, [a.data]))
    node = _new(Value)
    node.data = data if type(data) is float else forward_result(data, op, [a.data])
    node.grad = 0.0
    node._op = op
    node._a = a
    node._b = None
    return node


def _apply2(op: Op, a: Value, b: Value) -> Value:
    """``_apply`` unrolled for the binary operators, the bulk of every graph."""
    forward = op.forward
    if forward is None:
        return _compose(op, (a, b))
    try:
        data = forward(a.data, b.data)
    except MicrogradError as e:
        fill_plugin(e, op)
        raise
    except _UNDEFINED as e:
        raise domain_error(op, [a.data, b.data], e) from e
    except TypeError as e:
        raise broken_forward(op, [a.data, b.data], e) from e
    if _untracked_threads and _untracked():
        return _leaf(data if type(data) is float else forward_result(data, op, [a.data, b.data]))
    node = _new(Value)
    node.data = data if type(data) is float else forward_result(data, op, [a.data, b.data])
    node.grad = 0.0
    node._op = op
    node._a = a
    node._b = b
    return node


def _compose(op: Op, inputs: tuple[Value, ...]) -> Value:
    """Apply a composite op: its function of ``Value`` s records the primitives."""
    if op.compose is None:
        msg = f"{op.origin()} has neither a forward nor a compose function"
        raise InvalidOpError(msg, op_name=op.name, plugin=op.plugin)
    result = op.compose(*inputs)
    if type(result) is not Value:
        got = type(result).__name__
        msg = f"{op.origin()}: its compose function returned {got!r}, expected a Value"
        raise InvalidOpError(msg, op_name=op.name, plugin=op.plugin)
    return result


_new: Final = object.__new__


def _node(data: float, op: Op, inputs: tuple[Value, ...]) -> Value:
    if _untracked_threads and _untracked():
        return _leaf(data)
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
    node.data = to_float(x)
    node.grad = 0.0
    node._op = None
    node._a = CONSTANT
    node._b = None
    return node


def _data(x: object) -> float:
    return x.data if isinstance(x, Value) else to_float(x)


# -- no_grad: values without a graph ----------------------------------------------
#
# Every op checks one module-level count, the number of threads inside a
# ``no_grad`` block, which is 0 unless one is open anywhere: the thread's own
# depth (a thread-local, dearer to read) is looked at only then.

_untracked_threads = 0
_untracked_lock = threading.Lock()
_depth = threading.local()


def _untracked() -> bool:
    """Whether this thread is inside a ``no_grad`` block."""
    return getattr(_depth, "n", 0) > 0


def _leaf(data: float) -> Value:
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node._op = None
    node._a = None
    node._b = None
    return node


class no_grad(ContextDecorator):
    """Inside ``with no_grad():`` ops compute values and record no graph, as ``torch.no_grad``.

    >>> w = Value(3.0)
    >>> with no_grad():
    ...     y = (w * 2).tanh()
    >>> y._prev  # a leaf: nothing to backpropagate through
    ()

    For evaluation, decision boundaries, anything that needs no gradient: it
    spares building a graph that is thrown away. Blocks nest; each thread has
    its own (a block in one thread leaves the others recording). It works as a
    decorator too: ``@no_grad()``.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        global _untracked_threads  # noqa: PLW0603  (the count every op reads)
        depth = getattr(_depth, "n", 0)
        _depth.n = depth + 1
        if depth == 0:
            with _untracked_lock:
                _untracked_threads += 1

    def __exit__(self, *exc: object) -> None:
        global _untracked_threads  # noqa: PLW0603
        _depth.n -= 1
        if _depth.n == 0:
            with _untracked_lock:
                _untracked_threads -= 1


# -- the ops Value's operators and methods use ----------------------------------
#
# The engine applies whatever ops it is given; which ones is decided above it
# (micrograd_core.state, the one owner of the process-wide registry), which
# calls ``install`` with a registry, or with None before the default registry
# is built. ``_active`` is the one switch every operator reads.


if TYPE_CHECKING:  # a protocol is for type checkers alone: typing is not imported at run time

    class OpSource(Protocol):
        """What the engine needs of a registry (``OpRegistry`` is one)."""

        def __getitem__(self, name: str, /) -> Op:
            """The op ``name``, or the error saying why it cannot be used."""

        @property
        def methods(self) -> Mapping[str, Op]:
            """Method name (``x.tanh()``) to the op that claims it."""

        @property
        def withheld_methods(self) -> Mapping[str, Exception]:
            """Method names that raise when used (two providers claim them, say), with the error."""

        def method_error(self, name: str) -> AttributeError:
            """The error for a method no op claims: what exists, and where it might come from."""


class ActiveOps:
    """The ops of one registry, resolved once for ``Value``'s operators and methods.

    ``add``, ``mul`` and ``pow`` are the ops themselves, or stand-ins that raise
    why the registry cannot provide them.
    """

    __slots__ = ("add", "methods", "mul", "pow", "source")

    def __init__(self, source: OpSource) -> None:
        self.source: OpSource | None = source
        self.add = _resolved(source, "add")
        self.mul = _resolved(source, "mul")
        self.pow = _resolved(source, "pow")
        self.methods: Mapping[str, Op] = source.methods

    def lookup(self, name: str) -> Op:
        """The op ``name`` (``apply("sin", x)``)."""
        return self.source[name]  # type: ignore[index]  # set in __init__, never None

    def method(self, name: str) -> Op:
        """The op claiming the method ``name`` (``x.tanh()``)."""
        op = self.methods.get(name)
        if op is None:
            raise self.method_error(name)
        return op

    def method_error(self, name: str) -> Exception:
        """Why no op is used for the method ``name``: withheld, or claimed by none."""
        source: OpSource = self.source  # type: ignore[assignment]  # never None here
        error = source.withheld_methods.get(name)
        return error if error is not None else source.method_error(name)


class _FirstUse:
    """``_active`` before any registry is installed: each use installs the default
    (through ``_first_use_hook``), then answers from it, so the very first
    ``a * b`` applies the registry's own ``mul``."""

    __slots__ = ()
    source = None

    @property
    def add(self) -> Op:
        return _first_use().add

    @property
    def mul(self) -> Op:
        return _first_use().mul

    @property
    def pow(self) -> Op:
        return _first_use().pow

    def lookup(self, name: str) -> Op:
        return _first_use().lookup(name)

    def method(self, name: str) -> Op:
        return _first_use().method(name)


def _resolved(source: OpSource, name: str) -> Op:
    """The op ``name`` of ``source``, or a composite that raises why there is none."""
    try:
        return source[name]
    except MicrogradError as e:
        error = e

    def unavailable(*xs: Value) -> Value:
        raise error.with_traceback(None)

    # A composite, so the engine calls it as is: nothing it raises is reworded.
    return Op(name, 2, compose=unavailable)


_FIRST_USE: Final = _FirstUse()
_active: ActiveOps | _FirstUse = _FIRST_USE
# Installs the default registry when an op is first needed: micrograd_core.state
# sets it (in its ``_wire_layers``, the one place lower layers are handed anything).
_first_use_hook: Callable[[], None] | None = None
# Changes to Value's methods and to _active happen one at a time; readers
# never lock: each change is one assignment, and a method still wanted is never removed.
_install_lock = threading.Lock()


def _first_use() -> ActiveOps | _FirstUse:
    if _first_use_hook is None:
        msg = "no op registry is installed (import micrograd_core, which installs one)"
        raise MicrogradError(msg)
    _first_use_hook()
    return _active


def install(source: OpSource | None) -> None:
    """Make ``source`` the registry ``Value``'s operators and methods use.

    ``None`` means none yet: the first operator or method used installs one
    through ``_first_use_hook``. ``Value``'s methods change
    only where the two registries differ, so no thread ever sees a method that
    both provide go missing.
    """
    global _active  # noqa: PLW0603  (the one switch every operator reads)
    with _install_lock:
        _active = ActiveOps(source) if source is not None else _FIRST_USE
        wanted: dict[str, Op | Exception] = {}
        if source is not None:
            wanted.update(source.withheld_methods)
            wanted.update(source.methods)
        _set_methods(wanted)
        if source is None:
            Value.__getattr__ = _getattr_before_first_use  # type: ignore[attr-defined]
        elif "__getattr__" in vars(Value):
            del Value.__getattr__  # type: ignore[attr-defined]


def installed() -> OpSource | None:
    """The registry ``Value``'s operators use now (None before first use)."""
    return _active.source


# Methods claimed by plugin ops (``x.sin()``) are set on the class, not found
# through a ``__getattr__`` hook: a class with one loses CPython 3.11's fast
# attribute access on every instance, which costs a tenth of a training step.
# The hook is there only before the first registry is installed, so that
# ``x.sin()`` as the very first use finds the plugin's method. Type checkers
# do not see these methods; typed code calls the plugin's function, ``sin(x)``.
_FIXED_METHODS: Final = frozenset(name for name in vars(Value) if not name.startswith("_"))
_CLASS_OWN: Final = frozenset(vars(Value))  # never replaced by a plugin's method
_attached: dict[str, tuple[Op | Exception, object]] = {}


def _set_methods(wanted: Mapping[str, Op | Exception]) -> None:
    for name in [name for name in _attached if name not in wanted]:
        delattr(Value, name)
        del _attached[name]
    for name, target in wanted.items():
        if name in _CLASS_OWN or name.startswith("_") or _attached.get(name, (None,))[0] is target:
            continue
        method = _method(target) if isinstance(target, Op) else _withheld(name, target)
        setattr(Value, name, method)
        _attached[name] = (target, method)


def _method(op: Op) -> Callable[..., Value]:
    def method(self: Value, *args: Operand) -> Value:
        if not args and op.arity == 1:
            return _apply1(op, self)
        return _apply_to(op, self, *args)

    method.__name__ = method.__qualname__ = str(op.method)
    method.__doc__ = op.doc
    return method


def _withheld(name: str, error: Exception) -> object:
    if isinstance(error, AttributeError):  # no such method here: hasattr() says False
        return _Unavailable(error)

    def method(self: Value, *args: Operand) -> Value:
        raise error.with_traceback(None)  # one error object, raised afresh each time

    method.__name__ = method.__qualname__ = name
    return method


class _Unavailable:
    """A method name that raises its ``AttributeError`` as soon as it is looked up."""

    __slots__ = ("error",)

    def __init__(self, error: AttributeError) -> None:
        self.error = error

    def __get__(self, instance: object, owner: type | None = None) -> object:
        if instance is None:
            return self
        raise self.error.with_traceback(None)


def _getattr_before_first_use(self: Value, name: str) -> object:
    if name.startswith("_"):  # copy, pickle and friends probe for dunders
        msg = f"{type(self).__name__!r} object has no attribute {name!r}"
        raise AttributeError(msg, name=name, obj=self)
    active = _first_use()
    if name in vars(Value):  # the method the first use attached
        return getattr(self, name)
    return active.method(name)  # raises why no op is used for it


install(None)  # nothing installed yet: the first operator or method used installs a registry
