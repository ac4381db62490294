"""The ``micrograd`` command: a thin layer over the packages.

A subcommand's module, and with it the engine, rich or the nn library, is
imported when that subcommand is run or asked for its help: ``micrograd --help``
imports click alone.
"""

from __future__ import annotations

import importlib

import click

__all__ = ["COMMANDS", "cli", "main"]

# Each subcommand: the module defining it (as the function named like the
# command) and the first paragraph of its docstring, which ``micrograd --help``
# shortens to list it, as click would from the command itself.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": (
        "micrograd_cli.check",
        "Run the op contract checks on installed ops (all, or those named); exit 1 on a failure.",
    ),
    "demo": (
        "micrograd_cli.demo",
        "Train a demo classifier: micrograd's moons (the default) or LLM101n's yin-yang.",
    ),
    "graph": (
        "micrograd_cli.graph",
        "Draw the graph of EXPRESSION, with every gradient after a backward pass.",
    ),
    "live": (
        "micrograd_cli.live",
        "Watch a model learn in the browser: serve a live view of its training.",
    ),
    "new-plugin": (
        "micrograd_cli.new_plugin",
        "Create micrograd-NAME, an op plugin package with one example op named NAME.",
    ),
    "ops": (
        "micrograd_cli.ops",
        "List every op with the plugin that provides it, failed plugins and collisions.",
    ),
}


class _LazyGroup(click.Group):
    """A group whose subcommands are imported when one is looked up, not to list them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        command: click.Command = getattr(module, cmd_name.replace("-", "_"))
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        listed = [click.Command(name, help=summary) for name, (_, summary) in COMMANDS.items()]
        click.Group(commands=listed).format_commands(ctx, formatter)


@click.group(cls=_LazyGroup)
@click.version_option(package_name="micrograd-registry")
def cli() -> None:
    """micrograd: a scalar autograd engine whose every op is a plugin."""


def main() -> None:
    """Entry point of the ``micrograd`` console script."""
    cli()
