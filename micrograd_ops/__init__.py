"""The built-in ops: add, mul, pow, relu, tanh, exp, log, softplus, logsumexp and affine.

They are a plugin like any other.

Each op states its math once, as in micrograd one short line each: its forward
expression with its partials beside it (:class:`~micrograd_core.Inline`),
from which the engine's float functions, the rules on ``Value`` s, compiled
graphs and array kernels all come. pow, affine and logsumexp also give their
functions by hand: pow for its edge cases and messages, affine and logsumexp for
any number of inputs (logsumexp's shift by the largest input has no expression:
an expression has no ``max`` of its inputs, and the floats are summed exactly).
The numbers match micrograd's engine to the last bit.
``affine`` is a neuron's weighted sum as one node: it computes what micrograd's
chain of ``mul`` and ``add`` nodes computes, in the same order, with a graph
about ten times smaller.

Every op is exported twice, as in every plugin: its ``Op`` record in capitals
(``TANH``), which the hook registers, and a typed function in lowercase
(``tanh(x) -> Value``), which applies the op the active registry holds under
that name, as ``x.tanh()`` does. So the function follows ``registry.activated()``,
``temporary_ops`` and the plugin settings, and mypy sees a ``Value``:

>>> from micrograd_core import Value
>>> x = Value(0.5)
>>> y = add(tanh(x), power(x, 2))  # tanh(x) + x ** 2
>>> round(y.data, 6)
0.712117

pow's function is ``power``, as in NumPy: ``pow`` is a Python builtin, and no
name here hides one. ``x ** y`` applies the same op.

Every gradient rule works on floats (``backward()``) and on ``Value`` s (a
gradient of the gradient, ``micrograd_core.grad(..., create_graph=True)``):
arithmetic does both, math's functions in an expression become the ops that
claim their methods, and ``log`` in pow's rule is ``float_or_op``.
"""

from __future__ import annotations

import math

from micrograd_core import (
    DivisionByZeroError,
    DomainError,
    Inline,
    Interval,
    Kink,
    Op,
    OpByName,
    Operand,
    Register,
    Value,
    float_or_op,
    hookimpl,
)
from micrograd_core.op import REALS, not_finite, overflowed

__all__ = [
    "ADD",
    "AFFINE",
    "EXP",
    "LOG",
    "LOGSUMEXP",
    "MUL",
    "OPS",
    "POW",
    "RELU",
    "SOFTPLUS",
    "TANH",
    "add",
    "affine",
    "exp",
    "log",
    "logsumexp",
    "micrograd_register_ops",
    "mul",
    "power",
    "relu",
    "softplus",
    "tanh",
]

POSITIVE = Interval(0.0, math.inf, include_low=False)


# Overflow: a result that is finite in exact arithmetic but beyond the largest
# float (1.8e308) raises DomainError, in every op (docs/engine.md, "Numbers"); an
# op's functions compiled from its expressions check it, and pow and affine do.
# Infinite and NaN inputs are no overflow: they propagate as in IEEE arithmetic.

ADD = Op("add", 2, inline=Inline("x0 + x1", partials=("1.0", "1.0")), doc="x + y")
_add_op = OpByName("add")


def add(x: Operand, y: Operand) -> Value:
    """``x + y``, recorded for ``backward()``."""
    return _add_op(x, y)


MUL = Op("mul", 2, inline=Inline("x0 * x1", partials=("x1", "x0")), doc="x * y")
_mul_op = OpByName("mul")


def mul(x: Operand, y: Operand) -> Value:
    """``x * y``, recorded for ``backward()``."""
    return _mul_op(x, y)


# -- pow ----------------------------------------------------------------------


def _pow(x: float, y: float) -> float:
    # math.pow raises on a negative base with a fractional exponent, where ** would
    # quietly return a complex number.
    try:
        return math.pow(x, y)
    except OverflowError:
        overflowed("pow", x, y)
    except ValueError:
        raise _pow_undefined(x, y) from None


def _pow_undefined(x: float, y: float) -> DomainError:
    if x == 0.0:  # and y < 0
        msg = f"pow({x!r}, {y!r}): zero to a negative power is a division by zero"
        return DivisionByZeroError(msg, op_name="pow", inputs=(x, y))
    msg = (
        f"pow({x!r}, {y!r}): a negative base needs an integer exponent ({x!r} ** {y!r} is not real)"
    )
    return DomainError(msg, op_name="pow", inputs=(x, y))


# pow's partials follow PyTorch at the edges: d/dx of x ** 0 is 0 (x = 0
# included), and d/dy at x = 0, y >= 0 is 0 (0 ** y is 0 for every y > 0).
# Comparisons, not ==, so the rules also run on Values (gradients of gradients).
# Only where the formula itself is undefined (0 ** -1 at x = y = 0) is the rule
# a constant: elsewhere y * x ** (y - 1) is 0 at y = 0 already, and its own
# derivative along y (x ** -1 there) must survive for a gradient of the gradient.


def _d_pow_d_base(x: float, y: float, out: float) -> float:
    if y >= 0 and y <= 0 and x >= 0 and x <= 0:  # x == y == 0
        return 0.0
    lower: float = x ** (y - 1)
    return y * lower


def _d_pow_d_exponent(x: float, y: float, out: float) -> float:
    if not x <= 0:  # x > 0, or NaN, whose log is NaN
        return out * _log(x)
    if x >= 0 and y >= 0:  # x == 0
        return 0.0
    msg = (
        f"pow: d/dy of x ** y is x ** y * log(x), which has no real value at x = {_data(x)!r}; "
        f"write the exponent as a number (x ** {_data(y)!r}), not a Value, if it needs no gradient"
    )
    raise DomainError(msg, op_name="pow", inputs=(_data(x), _data(y)))


def _data(x: float) -> float:
    return x if isinstance(x, float) else float(getattr(x, "data", x))


POW = Op(
    "pow",
    2,
    forward=_pow,
    partials=(_d_pow_d_base, _d_pow_d_exponent),
    doc="x ** y; d/dy is out * log(x), so it needs x > 0 when y is not a constant",
    domain=(POSITIVE, REALS),
)
_pow_op = OpByName("pow")


def power(x: Operand, y: Operand) -> Value:
    """``x ** y``, recorded for ``backward()``: the op ``pow`` (a name Python's builtin has)."""
    return _pow_op(x, y)


# -- relu, tanh, exp, log -------------------------------------------------------

RELU = Op(
    "relu",
    1,
    # not (out <= 0), as PyTorch: relu'(nan) is 1 (micrograd's out > 0 gives 0).
    inline=Inline("0.0 if x0 < 0 else x0", partials=("0.0 if out <= 0 else 1.0",)),
    method="relu",
    doc="max(0, x), with relu'(0) = 0 as in micrograd",
    kinks=(Kink(at=(0.0,), partials=(0.0,)),),
)
_relu_op = OpByName("relu")


def relu(x: Operand) -> Value:
    """``max(0, x)``, recorded for ``backward()``; the same as ``x.relu()``."""
    return _relu_op(x)


TANH = Op(
    "tanh",
    1,
    # math.tanh, not the lecture's (e**2x - 1) / (e**2x + 1): near 0 that formula
    # loses every digit (tanh(1e-17) would be 0.0); micrograd 0.1.0 has no tanh.
    inline=Inline("math.tanh(x0)", partials=("1 - out**2",)),
    method="tanh",
    doc="hyperbolic tangent; saturates to +-1.0 for large |x|",
)
_tanh_op = OpByName("tanh")


def tanh(x: Operand) -> Value:
    """The hyperbolic tangent of ``x``, recorded for ``backward()``; the same as ``x.tanh()``."""
    return _tanh_op(x)


EXP = Op(
    "exp",
    1,
    inline=Inline("math.exp(x0)", partials=("out",)),
    method="exp",
    doc="e ** x; above x = 709.78 the result overflows a float and raises DomainError",
)
_exp_op = OpByName("exp")


def exp(x: Operand) -> Value:
    """``e ** x``, recorded for ``backward()``; the same as ``x.exp()``."""
    return _exp_op(x)


LOG = Op(
    "log",
    1,
    inline=Inline("math.log(x0)", partials=("1 / x0",)),
    method="log",
    doc="natural logarithm, for x > 0; log' = 1 / x",
    domain=(POSITIVE,),
)
_log = float_or_op(math.log, LOG)  # for pow's rule: math on floats, this op on Values
_log_op = OpByName("log")


def log(x: Operand) -> Value:
    """The natural logarithm of ``x > 0``, recorded for ``backward()``; ``x.log()`` too."""
    return _log_op(x)


# -- softplus, logsumexp: the stable pieces of the losses on logits -------------

# log(1 + e**x) = max(x, 0) + log(1 + e**-|x|): exp of a number <= 0 only, so
# finite for any float. Only math is in scope, so max(x, 0.0) is written as the
# comparison max makes (0.0 > x picks 0.0; a NaN or -0.0 stays x) and abs(x) as
# math.fabs(x), the same floats. Its derivative is the logistic sigmoid, written
# for each sign so that no e**x overflows; on Values math.exp is the op exp, so
# the rule gives gradients of gradients.
_SIGMOID_INLINE = "1 / (1 + math.exp(-x0)) if x0 >= 0 else math.exp(x0) / (1 + math.exp(x0))"

SOFTPLUS = Op(
    "softplus",
    1,
    inline=Inline(
        "(0.0 if 0.0 > x0 else x0) + math.log1p(math.exp(-math.fabs(x0)))",
        partials=(_SIGMOID_INLINE,),  # softplus' = sigmoid
    ),
    method="softplus",
    doc="log(1 + e**x), finite for any x; softplus' = sigmoid",
)
_softplus_op = OpByName("softplus")


def softplus(x: Operand) -> Value:
    """``log(1 + e**x)`` without overflow, recorded for ``backward()``; ``x.softplus()`` too."""
    return _softplus_op(x)


def _logsumexp(*xs: float) -> float:
    # Shifted by the largest input inside the op: every exponent is <= 0, so no
    # e**x overflows, and a compiled graph, which calls this function at every
    # replay, shifts by the largest input of that replay (a shift read from
    # .data while building would be frozen into the graph). max and fsum (exactly
    # rounded) give the same float whatever the order of the inputs.
    m = max(xs)
    if m - m != 0.0:  # an infinite largest input (the result is m) or a NaN
        return m if all(x == x for x in xs) else math.nan
    return m + math.log(math.fsum([math.exp(x - m) for x in xs]))


_exp = float_or_op(math.exp, EXP)  # math on floats, the op exp on Values


def _d_logsumexp(*xs_out: float) -> list[float]:
    # d/dx_i log(sum e**x) = e**x_i / sum e**x = e**(x_i - out): the softmax
    # weights, each at most 1, from the inputs and the output alone. On Values
    # (a gradient of the gradient) they are exp nodes.
    out = xs_out[-1]
    return [_exp(x - out) for x in xs_out[:-1]]


LOGSUMEXP = Op(
    "logsumexp",
    1,
    variadic=1,
    forward=_logsumexp,
    gradient=_d_logsumexp,
    doc="log(e**x1 + e**x2 + ...), shifted by the largest input so that it never overflows",
)
_logsumexp_op = OpByName("logsumexp")


def logsumexp(*xs: Operand) -> Value:
    """``log(e**x1 + e**x2 + ...)`` as one node of one or more inputs, recorded for ``backward()``.

    Its partials are the softmax of the inputs. Logits of 1000 or -1000 give
    finite values and gradients:

    >>> from micrograd_core import Value
    >>> logsumexp(Value(1000.0), Value(0.0), Value(-1000.0)).data
    1000.0
    """
    return _logsumexp_op(*xs)


# -- affine -------------------------------------------------------------------


def _affine(c: float, *ab: float) -> float:
    # Summed left to right, ((c + a1*b1) + a2*b2) + ..., as micrograd's
    # sum((wi*xi for ...), b) does: the same floats to the last bit.
    pairs = iter(ab)
    r = c
    for a, b in zip(pairs, pairs):  # noqa: B905  (the engine passes whole pairs)
        r += a * b
    # An overflow anywhere in the sum leaves it infinite or NaN: one check at the end.
    return r if r - r == 0.0 else not_finite("affine", r, c, *ab)


def _d_affine(c: float, *ab_out: float) -> list[float]:
    ab = ab_out[:-1]  # the inputs after c; the last argument is the output
    partials = [1.0] * (len(ab) + 1)
    partials[1::2] = ab[1::2]  # d/da_i = b_i
    partials[2::2] = ab[0::2]  # d/db_i = a_i
    return partials


def _inline_affine(n: int) -> Inline:
    """affine's forward and partials as expressions, for ``n`` inputs (c, a1, b1, ...)."""
    pairs = range(1, n, 2)
    forward = "x0" + "".join(f" + x{i} * x{i + 1}" for i in pairs)
    partials = ["1.0"] * n
    for i in pairs:
        partials[i], partials[i + 1] = f"x{i + 1}", f"x{i}"
    return Inline(forward, partials=tuple(partials))


AFFINE = Op(
    "affine",
    1,
    variadic=2,
    forward=_affine,
    gradient=_d_affine,
    inline=_inline_affine,
    doc="c + a1*b1 + a2*b2 + ... summed left to right (a neuron: b + w.x)",
)
_affine_op = OpByName("affine")


def affine(c: Operand, *ab: Operand) -> Value:
    """``c + a1*b1 + a2*b2 + ...`` as one node, recorded for ``backward()``."""
    return _affine_op(c, *ab)


# -- the hook -----------------------------------------------------------------

OPS = (
    ADD,
    MUL,
    POW,
    RELU,
    TANH,
    EXP,
    LOG,
    SOFTPLUS,
    LOGSUMEXP,
    AFFINE,
)


@hookimpl
def micrograd_register_ops(register: Register) -> None:
    """Register the built-in ops."""
    for op in OPS:
        register(op)
