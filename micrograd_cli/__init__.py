"""The ``micrograd`` command: a thin layer over the packages."""

from __future__ import annotations

import click

from micrograd_cli.check import check
from micrograd_cli.demo import demo
from micrograd_cli.graph import graph
from micrograd_cli.new_plugin import new_plugin
from micrograd_cli.ops import ops

__all__ = ["cli", "main"]


@click.group()
@click.version_option(package_name="micrograd-registry")
def cli() -> None:
    """micrograd: a scalar autograd engine whose every op is a plugin."""


cli.add_command(check)
cli.add_command(demo)
cli.add_command(graph)
cli.add_command(new_plugin)
cli.add_command(ops)


def main() -> None:
    """Entry point of the ``micrograd`` console script."""
    cli()
