"""How the commands name what code they called, an op's most likely, raised."""

from __future__ import annotations

import traceback

__all__ = ["raised"]


def raised(e: BaseException) -> str:
    """``SystemExit: 3 (in stop, ops.py line 12)``: the exception and where it was raised.

    >>> try:
    ...     raise SystemExit(3)
    ... except SystemExit as e:
    ...     raised(e).startswith("SystemExit: 3 (in ")
    True
    """
    what = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    frames = traceback.extract_tb(e.__traceback__)
    if not frames:
        return what
    where = frames[-1]
    return f"{what} (in {where.name}, {where.filename} line {where.lineno})"
