"""Tables that fit the width they are printed at: names stay whole, text wraps, nothing is cut.

rich fits a table that is too wide by shrinking its columns and cutting what no
longer fits with an ellipsis (``hyperbol…``). The commands instead lay a table
out so that each name stays on one line and one column of text wraps at spaces
(:func:`fits`), try a narrower layout when that does not fit, and in the last
resort let every column fold, which breaks long words but shows every character
(:func:`fold`).
"""

from __future__ import annotations

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

__all__ = ["fits", "fold"]

_UNBOUNDED = 10_000


def fits(table: Table, console: Console, *, wrap: str | None = None, wrap_width: int = 20) -> bool:
    """Keep every cell of ``table`` whole but those of the column headed ``wrap``; say whether
    the table then fits ``console``.

    Every other column is as wide as its widest cell and never wraps; the ``wrap``
    column wraps at spaces and is kept at least ``wrap_width`` wide (or as wide as
    its widest cell, if that is less).

    >>> table = Table("op", "doc")
    >>> table.add_row("tanh", "hyperbolic tangent; saturates to +-1.0 for large |x|")
    >>> fits(table, Console(width=40), wrap="doc"), fits(table, Console(width=20), wrap="doc")
    (True, False)
    """
    options = console.options.update_width(_UNBOUNDED)
    for column in table.columns:
        cells = [column.header, *column.cells]
        widest = max(Measurement.get(console, options, cell).maximum for cell in cells)
        if column.header == wrap:
            column.no_wrap = False
            column.overflow = "fold"  # a word longer than the column is broken, not cut
            column.min_width = min(widest, wrap_width)
        else:
            column.no_wrap = True
            column.min_width = widest
    needed = Measurement.get(console, options, table).minimum
    return needed <= console.width


def fold(table: Table) -> Table:
    """Let every column of ``table`` shrink as far as it must, breaking words, never cutting."""
    for column in table.columns:
        column.no_wrap = False
        column.overflow = "fold"
        column.min_width = None
    return table
