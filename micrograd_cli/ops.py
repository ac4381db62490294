"""``micrograd ops``: every registered op, where it comes from, and which plugins failed."""

from __future__ import annotations

import json
import warnings
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from micrograd_core import MicrogradError, OpRegistry, PluginWarning, default_registry

__all__ = ["ops", "report"]


def report(registry: OpRegistry) -> dict[str, list[dict[str, Any]]]:
    """The ops, failed plugins and collisions of ``registry``, as ``--json`` prints them.

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


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
def ops(as_json: bool) -> None:
    """List every op with the plugin that provides it, failed plugins and collisions.

    Plugins are chosen as for any program: MICROGRAD_LOAD_PLUGINS,
    MICROGRAD_DISABLE_PLUGINS and MICROGRAD_STRICT_PLUGINS apply.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        try:
            registry = default_registry()
        except MicrogradError as e:  # strict mode
            raise click.ClickException(str(e)) from e
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    data = report(registry)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    console = Console()
    table = Table(title="ops", caption=registry.selection or None)
    for column in ("op", "arity", "method", "plugin", "distribution", "version"):
        table.add_column(column, no_wrap=True)
    table.add_column("doc")
    for op in data["ops"]:
        cells = [op[k] for k in ("name", "arity", "method", "plugin", "distribution", "version")]
        if op["variadic"]:  # 1, 3, 5, ... inputs
            cells[1] = f"{op['arity']}+{op['variadic']}k"
        table.add_row(*("" if c is None else str(c) for c in cells), op["doc"])
    console.print(table)
    if data["failed"]:
        failed = Table("plugin", "distribution", "error", title="failed plugins (skipped)")
        for f in data["failed"]:
            failed.add_row(f["plugin"], f["distribution"] or "", f["error"])
        console.print(failed)
    if registry.collisions:
        collided = Table("kind", "name", "providers", title="collisions (name withheld)")
        for c in registry.collisions:
            collided.add_row(c.kind, c.name, " and ".join(str(p) for p in c.providers))
        console.print(collided)
