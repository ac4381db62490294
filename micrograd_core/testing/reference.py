"""Reference points: inputs where an op's value and partials are known, checked on every run."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Reference"]


@dataclass(frozen=True, slots=True)
class Reference:
    """A point where an op's value, its partials, or both are known.

    The ``references`` check evaluates the op at ``inputs`` and compares, with
    :func:`math.isclose` (``rtol`` and ``atol``); the point checks try ``inputs``
    too, before any other input. Leave ``value`` or ``partials`` out to check
    only the other.

    >>> Reference((2.0,), value=3.0, partials=(0.25,)).matches(3.0 + 1e-12, 3.0)
    True
    """

    inputs: tuple[float, ...]
    value: float | None = None
    partials: tuple[float, ...] | None = None
    rtol: float = 1e-9
    atol: float = 1e-12

    def __post_init__(self) -> None:
        if self.value is None and self.partials is None:
            msg = f"a reference at {self.inputs!r} needs a value, partials or both"
            raise ValueError(msg)
        if self.partials is not None and len(self.partials) != len(self.inputs):
            msg = (
                f"a reference at {self.inputs!r} has {len(self.partials)} partials, "
                f"expected one per input ({len(self.inputs)})"
            )
            raise ValueError(msg)

    def matches(self, got: float, want: float) -> bool:
        """Whether ``got`` is ``want`` within the reference's tolerances."""
        return math.isclose(got, want, rel_tol=self.rtol, abs_tol=self.atol)
