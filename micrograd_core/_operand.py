"""Operands: numbers as floats, and the errors that say which input or op is to blame.

What ``Value`` and the engine's ``apply`` turn to when an operand is not a
``Value`` or an op's forward does not give a float: ``to_float`` takes any real
number (and says why it refuses the rest), and the other functions word the
error an op's application raises, naming the op, its plugin and the inputs.
"""

from __future__ import annotations

import reprlib

from micrograd_core.errors import (
    DivisionByZeroError,
    DomainError,
    InvalidOpError,
    MicrogradError,
    OperandRangeError,
    OperandTypeError,
)
from micrograd_core.graph import _UNDEFINED, fill_plugin, real_result

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from micrograd_core.op import Op

__all__ = [
    "broken_forward",
    "division_error",
    "domain_error",
    "forward_result",
    "forward_value",
    "to_float",
]


def forward_value(op: Op, xs: list[float]) -> float:
    """``op``'s forward at ``xs``, checked: a float, or the engine's error naming the op."""
    try:
        data = op.forward(*xs)  # type: ignore[misc]  # the callers apply composites apart
    except MicrogradError as e:
        fill_plugin(e, op)
        raise
    except _UNDEFINED as e:
        raise domain_error(op, xs, e) from e
    except TypeError as e:
        raise broken_forward(op, xs, e) from e
    return data if type(data) is float else forward_result(data, op, xs)


def broken_forward(op: Op, xs: list[float], cause: TypeError) -> MicrogradError:
    """``op``'s forward raised ``cause``: bad input if an input is no number, else a broken op."""
    return _no_number(op, xs) or InvalidOpError(
        f"{op.origin()}: its forward raised TypeError: {cause}", op_name=op.name, plugin=op.plugin
    )


def forward_result(data: object, op: Op, xs: list[float]) -> float:
    """A forward result that is no float: bad input if an input is no number, else checked."""
    bad_input = _no_number(op, xs)
    if bad_input is not None:  # 1j * 3.0 is a complex: the input is to blame, not the op
        raise bad_input
    return real_result(data, op, "forward")


def _no_number(op: Op, xs: list[float]) -> OperandTypeError | None:
    """The error for the first input that is no number (a ``.data`` set to a str), if any."""
    for i, x in enumerate(xs):
        if not hasattr(type(x), "__float__"):  # str, None, complex; as in Value(x)
            msg = (
                f"input {i} of op {op.name!r} is a Value whose .data holds "
                f"{type(x).__name__!r} ({reprlib.repr(x)}), expected a real number "
                "(int, float or a numpy scalar)"
            )
            return OperandTypeError(msg)
    return None


def to_float(x: object, where: str = "an operand of Value") -> float:
    # Anything with __float__ (int, bool, Fraction, numpy scalars) is a real
    # number here; str, None and complex have none.
    if hasattr(type(x), "__float__"):
        try:
            return float(x)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
        except OverflowError:  # an int (or Fraction) beyond 1.8e308
            raise _too_large(x, where) from None
    msg = f"{where} takes a real number (int, float or a numpy scalar), got {type(x).__name__!r}"
    raise OperandTypeError(msg)


def division_error(a: float, b: float, cause: ArithmeticError) -> Exception:
    """The error for ``a / b``, computed as micrograd does, ``a * b ** -1``, when that raised."""
    if isinstance(cause, MicrogradError) and not isinstance(cause, DomainError):
        return cause  # an operand too large for a float says so itself
    plugin = cause.plugin if isinstance(cause, DomainError) else None
    if b == 0.0:
        msg = f"division by zero: {a!r} / {b!r}"
        return DivisionByZeroError(msg, op_name="pow", inputs=(b, -1.0), plugin=plugin)
    if isinstance(cause, DomainError):
        return cause
    msg = f"pow({b!r}, -1.0) overflows a float: {a!r} / {b!r} is computed as {a!r} * {b!r} ** -1"
    return DomainError(msg, op_name="pow", inputs=(b, -1.0), plugin=plugin)


def _too_large(x: object, where: str) -> OperandRangeError:
    if isinstance(x, int):
        try:
            got = f"an int of {len(str(abs(x)))} digits"
        except ValueError:  # more digits than Python converts to a string
            got = f"an int of about {int(x.bit_length() * 0.30103) + 1} digits"
    else:
        got = f"a {type(x).__name__!r} too large for a float"
    msg = f"{where} takes a real number that fits a float (magnitude up to 1.8e308), got {got}"
    return OperandRangeError(msg)


def domain_error(op: Op, xs: list[float], cause: BaseException) -> DomainError:
    args = ", ".join(repr(x) for x in xs)
    where = ""
    if op.domain:
        where = "; declared domain: " + ", ".join(
            f"input {i} in {d}" for i, d in enumerate(op.domain)
        )
    msg = f"{op.name}({args}) is outside the op's domain ({cause}){where}"
    return DomainError(msg, op_name=op.name, inputs=xs, plugin=op.plugin)
