"""``micrograd ops``: every registered op, where it comes from, and which plugins failed."""

from __future__ import annotations

import json
import warnings
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from micrograd_cli._failure import raised
from micrograd_cli._registry import no_ops_message
from micrograd_cli._table import fits, fold
from micrograd_core import MicrogradError, Op, OpRegistry, PluginWarning, default_registry
from micrograd_core.functional import supports_higher_order

__all__ = ["ops", "report"]

Listing = dict[str, list[dict[str, Any]]]
"""What ``micrograd ops --json`` prints: ops, failed plugins and collisions."""


def report(registry: OpRegistry, *, problems: list[str] | None = None) -> Listing:
    """The ops, failed plugins and collisions of ``registry``, as ``--json`` prints them.

    Telling an op's order of derivatives calls it once. Whatever its code raises
    there (``SystemExit`` included; not ``KeyboardInterrupt``) is that op's
    failure: it shows as of first order, and ``problems``, when given, gets a line
    naming the op, its plugin and what it raised.

    >>> import micrograd_ops
    >>> from micrograd_core import load_registry
    >>> add = report(load_registry({"builtin": micrograd_ops}, environ={}))["ops"][0]
    >>> add["name"], add["arity"], add["method"], add["plugin"], add["doc"]
    ('add', 2, None, 'builtin', 'x + y')
    """
    ops = []
    for op in registry.values():
        provenance = op.provenance
        ops.append(
            {
                "name": op.name,
                "arity": op.arity,
                "variadic": op.variadic,  # takes arity + k * variadic inputs
                "method": op.method,
                # its gradient rule works on Values too: gradients of gradients, any order
                "higher_order": _higher_order(op, problems),
                # it offers inline expressions: compiled graphs replay it without calls
                "inline": op.inline is not None,
                "plugin": provenance.plugin if provenance else None,
                "distribution": provenance.distribution if provenance else None,
                "version": provenance.version if provenance else None,
                "doc": op.doc.partition("\n")[0],
            }
        )
    failed = [
        {"plugin": f.plugin, "distribution": f.distribution, "error": f.error}
        for f in registry.failures
    ]
    collisions = [
        {
            "kind": c.kind,
            "name": c.name,
            "providers": [
                {"plugin": p.plugin, "distribution": p.distribution, "version": p.version}
                for p in c.providers
            ],
        }
        for c in registry.collisions
    ]
    return {"ops": ops, "failed": failed, "collisions": collisions}


def _higher_order(op: Op, problems: list[str] | None) -> bool:
    """Whether ``op`` gives derivatives of any order; not when its code raised at the probe."""
    try:
        return supports_higher_order(op)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001  (SystemExit from an op is its failure)
        if problems is not None:
            problems.append(
                f"{op.origin()} raised {raised(e)} when called to tell its "
                "order of derivatives; listed as of first order"
            )
        return False


_WHERE = ("plugin", "distribution", "version")


def _layouts(data: Listing, caption: str | None, console: Console) -> list[Table]:
    """The ops table laid out for the width of ``console``, and the plugins table it may need.

    The widest layout gives each op's plugin, distribution and version on its row;
    a narrower one the plugin alone, with a second table naming each plugin's
    distribution and version once; the narrowest gives each op two columns, its
    name and the rest. Names stay whole and docs wrap; where even the narrowest
    does not fit, words are broken, never cut.
    """
    wide = _ops_table(data, caption, _WHERE)
    if fits(wide, console, wrap="doc"):
        return [wide]
    plugins = Table(*_WHERE, title="plugins")
    for where in sorted({tuple(op[k] or "" for k in _WHERE) for op in data["ops"]}):
        plugins.add_row(*(Text(cell) for cell in where))
    if not fits(plugins, console):
        fold(plugins)
    medium = _ops_table(data, caption, ("plugin",))
    if fits(medium, console, wrap="doc"):
        return [medium, plugins]
    narrow = Table("op", "about", title="ops", caption=caption)
    for op in data["ops"]:
        facts = (
            f"arity {_arity(op)}, method {op['method'] or '-'}, order {_order(op)}, "
            f"plugin {op['plugin']}"
        )
        narrow.add_row(Text(op["name"]), Text(f"{facts}\n{op['doc']}"))
    if not fits(narrow, console, wrap="about", wrap_width=12):
        fold(narrow)
    return [narrow, plugins]


def _arity(op: dict[str, Any]) -> str:
    """``2``, or ``1+2k`` for an op of 1, 3, 5, ... inputs."""
    return f"{op['arity']}+{op['variadic']}k" if op["variadic"] else str(op["arity"])


def _order(op: dict[str, Any]) -> str:
    """Which derivatives the op gives: ``any`` order, or the ``1st`` only."""
    return "any" if op["higher_order"] else "1st"


def _ops_table(data: Listing, caption: str | None, where: tuple[str, ...]) -> Table:
    table = Table(title="ops", caption=caption)
    for column in ("op", "arity", "method", "order", *where, "doc"):
        table.add_column(column)
    for op in data["ops"]:
        cells = [
            op["name"],
            _arity(op),
            op["method"],
            _order(op),
            *(op[k] for k in where),
            op["doc"],
        ]
        table.add_row(*(Text("" if c is None else str(c)) for c in cells))
    return table


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
def ops(as_json: bool) -> None:
    """List every op with the plugin that provides it, failed plugins and collisions.

    Plugins are chosen as for any program: MICROGRAD_LOAD_PLUGINS,
    MICROGRAD_DISABLE_PLUGINS and MICROGRAD_STRICT_PLUGINS apply. With no op
    loaded it says why and exits with status 1 (--json prints the listing first).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        try:
            registry = default_registry()
        except MicrogradError as e:  # strict mode
            raise click.ClickException(str(e)) from e
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    problems: list[str] = []
    data = report(registry, problems=problems)
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    if as_json:
        click.echo(json.dumps(data, indent=2))
    if not data["ops"]:  # exit status 1, with --json too, which still prints the listing
        raise click.ClickException(no_ops_message(registry))
    if as_json:
        return
    console = Console()
    for table in _layouts(data, registry.selection or None, console):
        console.print(table)
    if data["failed"]:
        failed = Table("plugin", "distribution", "error", title="failed plugins (skipped)")
        for f in data["failed"]:
            failed.add_row(*(Text(c or "") for c in (f["plugin"], f["distribution"], f["error"])))
        console.print(failed if fits(failed, console, wrap="error") else fold(failed))
    if registry.collisions:
        collided = Table("kind", "name", "providers", title="collisions (name withheld)")
        for c in registry.collisions:
            providers = " and ".join(str(p) for p in c.providers)
            collided.add_row(Text(c.kind), Text(c.name), Text(providers))
        console.print(collided if fits(collided, console, wrap="providers") else fold(collided))
