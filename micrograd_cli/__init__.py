"""The ``micrograd`` command: a thin layer over the packages."""

from __future__ import annotations

import click

__all__ = ["cli", "main"]


@click.group()
@click.version_option(package_name="micrograd-registry")
def cli() -> None:
    """micrograd: a scalar autograd engine whose every op is a plugin."""


from micrograd_cli.check import check  # noqa: E402  (subcommands register on the group above)

cli.add_command(check)


def main() -> None:
    """Entry point of the ``micrograd`` console script."""
    cli()
