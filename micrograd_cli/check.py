"""``micrograd check``: run the op contract kit on the ops installed now."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from typing import Literal

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from micrograd_cli._table import fits, fold
from micrograd_core import Op, default_registry
from micrograd_core.testing import (
    BOUND,
    CHECKS,
    ContractReport,
    Reference,
    contract_report,
)
from micrograd_core.testing.runner import hypothesis_available

__all__ = ["check"]

# Column headings: short enough for the table to fit an 80-column terminal.
_HEADINGS = {
    "metadata": "meta",
    "references": "ref",
    "forward": "fwd",
    "finite_differences": "fd",
    "taylor": "taylor",
    "second_order": "2nd",
    "engine": "engine",
    "inline": "inline",
    "targets": "tgt",
    "constants": "const",
    "accumulation": "accum",
    "kinks": "kinks",
    "large_inputs": "large",
}
_FIRST_FAILING = "first failing input"
_MARKS = {"passed": "[green]✓[/green]", "failed": "[red]✗[/red]", "skipped": "[dim]-[/dim]"}


def _selected(names: tuple[str, ...], plugins: tuple[str, ...]) -> list[Op]:
    """The ops to check: those named (all when none), from the plugins given (any when none)."""
    registry = default_registry()
    ops = [registry[name] for name in names] if names else list(registry.values())
    if plugins:
        known = sorted({op.provenance.plugin for op in registry.values() if op.provenance})
        unknown = [p for p in plugins if p not in known]
        if unknown:
            msg = f"no plugin named {unknown[0]!r} provides ops; plugins: {', '.join(known)}"
            raise click.BadParameter(msg, param_hint="--plugin")
        ops = [op for op in ops if op.provenance and op.provenance.plugin in plugins]
    if not ops:
        msg = "no ops to check: the ops named do not come from the plugins given"
        raise click.UsageError(msg)
    return ops


def _table(reports: list[ContractReport], console: Console) -> Table:
    """The contract table, laid out for the width of ``console``: op and plugin names whole.

    A column per check, and one of first failing inputs that wraps; without that
    column when the marks leave it no room (the failures are printed in full after
    the table anyway); else the marks side by side in one column.
    """
    table = _marks_table(reports, failing_inputs=True)
    if fits(table, console, wrap=_FIRST_FAILING, wrap_width=16):
        return table
    table = _marks_table(reports, failing_inputs=False)
    if fits(table, console):
        return table
    order = ", ".join(CHECKS)
    table = Table(title="op contract", caption=f"checks, in order: {order}", box=box.SIMPLE_HEAD)
    for heading in ("op", "plugin", "checks"):
        table.add_column(heading)
    for report in reports:
        marks = " ".join(_MARKS[report.result(name).status] for name in CHECKS)
        table.add_row(Text(report.op.name), Text(_provider(report)), Text.from_markup(marks))
    return table if fits(table, console) else fold(table)


def _provider(report: ContractReport) -> str:
    return "" if report.op.provenance is None else report.op.provenance.plugin


def _marks_table(reports: list[ContractReport], *, failing_inputs: bool) -> Table:
    legend = ", ".join(f"{short} = {name}" for name, short in _HEADINGS.items() if short != name)
    table = Table(title="op contract", caption=legend, box=box.SIMPLE_HEAD, collapse_padding=True)
    table.add_column("op")
    table.add_column("plugin")
    for name in CHECKS:
        table.add_column(_HEADINGS.get(name, name), justify="center")
    if failing_inputs:
        table.add_column(_FIRST_FAILING)
    for report in reports:
        marks = [Text.from_markup(_MARKS[report.result(name).status]) for name in CHECKS]
        first = next((r for r in report.failures if r.inputs is not None), None)
        where = "" if first is None else f"{first.check} at {first.inputs!r}"
        cells = [Text(report.op.name), Text(_provider(report)), *marks]
        table.add_row(*cells, *([Text(where)] if failing_inputs else []))
    return table


_REFERENCE = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*\(([^)]*)\)\s*=\s*([^:]*?)\s*(?::(.*))?$")


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip())


def _reference(text: str) -> tuple[str, Reference]:
    """``cube(2)=8:12`` as the op name and its reference: f(2) = 8, f'(2) = 12."""
    match = _REFERENCE.match(text)
    try:
        if match is None:
            raise ValueError(text)
        name, inputs, value, partials = match.groups()
        return name, Reference(
            _floats(inputs),
            value=float(value) if value else None,
            partials=_floats(partials) if partials else None,
        )
    except ValueError as e:
        msg = (
            f"{text!r} is not a reference point; expected OP(X,...)=VALUE, "
            f"OP(X,...)=VALUE:D1,... or OP(X,...)=:D1,..., e.g. 'cube(2)=8:12' ({e})"
        )
        raise click.BadParameter(msg, param_hint="--reference") from None


def _report(
    op: Op, examples: int, sampler: str, bound: float, references: Iterable[Reference]
) -> ContractReport:
    """The op's report. Whatever the op's code raises, ``SystemExit`` included, fails
    the check it ran in and the other checks and ops go on (the kit's promise); only
    Ctrl-C (``KeyboardInterrupt``) stops the command."""
    kind: Literal["hypothesis", "builtin"] = (
        "builtin" if sampler == "builtin" or not hypothesis_available() else "hypothesis"
    )
    return contract_report(
        op, examples=examples, sampler=kind, bound=bound, references=tuple(references)
    )


@click.command()
@click.argument("ops", nargs=-1)
@click.option("--plugin", "plugins", multiple=True, help="Check only the ops of this plugin.")
@click.option(
    "--examples", default=50, show_default=True, help="Inputs per check.", type=click.IntRange(1)
)
@click.option(
    "--sampler",
    type=click.Choice(["auto", "hypothesis", "builtin"]),
    default="auto",
    show_default=True,
    help="Where inputs come from (auto: hypothesis when installed).",
)
@click.option(
    "--bound",
    default=BOUND,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="The largest magnitude of typical inputs.",
)
@click.option(
    "--reference",
    "references",
    multiple=True,
    metavar="OP(X,...)=VALUE[:D1,...]",
    help="A known point, checked first: 'cube(2)=8:12' is cube(2) = 8, cube'(2) = 12.",
)
def check(
    ops: tuple[str, ...],
    plugins: tuple[str, ...],
    examples: int,
    sampler: str,
    bound: float,
    references: tuple[str, ...],
) -> None:
    """Run the op contract checks on installed ops (all, or those named); exit 1 on a failure."""
    if sampler == "hypothesis" and not hypothesis_available():
        msg = "hypothesis is not installed: pip install hypothesis, or choose another sampler"
        raise click.BadParameter(msg, param_hint="--sampler")
    known: dict[str, list[Reference]] = {}
    for text in references:
        name, ref = _reference(text)
        known.setdefault(name, []).append(ref)
    try:
        selected = _selected(ops, plugins)
    except LookupError as e:
        raise click.BadParameter(str(e), param_hint="OPS") from e
    strays = sorted(set(known) - {op.name for op in selected})
    if strays:
        msg = f"a reference names {strays[0]!r}, which is not among the ops checked"
        raise click.BadParameter(msg, param_hint="--reference")
    with tempfile.TemporaryDirectory(prefix="micrograd-check-") as scratch:
        if hypothesis_available():  # its cache goes here, not into the working directory
            from hypothesis.configuration import set_hypothesis_home_dir  # noqa: PLC0415

            set_hypothesis_home_dir(scratch)
        reports = [_report(op, examples, sampler, bound, known.get(op.name, ())) for op in selected]
    console = Console()
    if not console.is_terminal:  # a pipe or a file: no terminal width to keep to
        console = Console(width=max(console.width, 140))
    console.print(_table(reports, console))
    failed = [r for r in reports if not r.ok]
    for report in failed:
        console.print(str(report), markup=False, highlight=False)
    kind = reports[0].sampler
    summary = (
        f"{len(reports) - len(failed)} of {len(reports)} ops meet the contract ({kind} inputs)"
    )
    console.print(summary, markup=False, highlight=False)
    if failed:
        raise SystemExit(1)
