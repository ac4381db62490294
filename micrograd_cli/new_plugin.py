"""``micrograd new-plugin NAME``: scaffold a pip-installable op plugin package.

The package is ``micrograd-NAME`` with the module ``micrograd_NAME``: a
``micrograd`` entry point, one example op named ``NAME`` with its hook, a test
file running the op contract kit, a README and ``py.typed``. It passes
``mypy --strict``, ruff and its own tests as generated. The files come from
``templates/plugin`` in this package, with placeholders in their paths and text
filled in by :func:`render`.
"""

from __future__ import annotations

import builtins
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import click

from micrograd_core import InvalidOpError, Op, default_registry
from micrograd_core.op import validate
from micrograd_core.registry import RESERVED_METHODS

__all__ = ["distribution", "new_plugin", "render", "scaffold"]

TEMPLATE = files("micrograd_cli") / "templates" / "plugin"
SUFFIX = ".tmpl"


def _check_name(name: str) -> None:
    """Raise ``InvalidOpError`` unless ``name`` can be a new op, method, module and function."""
    validate(Op(name, 1, forward=float, partials=(float,), method=name), reserved=RESERVED_METHODS)
    existing = default_registry().get(name)
    if existing is not None:
        msg = f"op name {name!r} is taken already, by {existing.provenance}; choose another"
        raise InvalidOpError(msg, op_name=name)
    if hasattr(builtins, name):
        msg = (
            f"op name {name!r} would shadow the Python builtin {name!r} in the plugin's "
            f"module; choose another, e.g. {name + '_op'!r}"
        )
        raise InvalidOpError(msg, op_name=name)


def distribution(name: str) -> str:
    """The distribution's name: ``micrograd-NAME``, without trailing underscores (PEP 508).

    >>> distribution("cube"), distribution("abs_")
    ('micrograd-cube', 'micrograd-abs')
    """
    return f"micrograd-{name.rstrip('_')}"


def _all(name: str) -> str:
    """The module's ``__all__`` items, in the order ruff's RUF022 wants (constants first)."""
    names = [name.upper(), "micrograd_register_ops", name]
    ordered = sorted(names, key=lambda n: (not n.isupper(), n))
    return ", ".join(f'"{n}"' for n in ordered)


def render(text: str, name: str) -> str:
    """Fill the placeholders of one template file for the plugin ``name``.

    >>> render("{{distribution}} provides {{module}}.{{name}} ({{NAME}})", "cube")
    'micrograd-cube provides micrograd_cube.cube (CUBE)'
    >>> render("__all__ = [{{all}}]", "zeta")
    '__all__ = ["ZETA", "micrograd_register_ops", "zeta"]'
    """
    return (
        text.replace("{{all}}", _all(name))
        .replace("{{name}}", name)
        .replace("{{NAME}}", name.upper())
        .replace("{{module}}", f"micrograd_{name}")
        .replace("{{distribution}}", distribution(name))
    )


def _files(folder: Traversable, prefix: Path) -> list[tuple[Path, Traversable]]:
    """Every template file under ``folder``, with its path relative to the template."""
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            found += _files(entry, prefix / entry.name)
        elif entry.name != "__pycache__":
            found.append((prefix / entry.name, entry))
    return found


def scaffold(name: str, directory: Path) -> Path:
    """Write the package ``micrograd-NAME`` (see :func:`distribution`) into ``directory``.

    Returns its root folder.

    Raises ``InvalidOpError`` for a name that cannot be an op name, and
    ``FileExistsError`` if the package folder exists already.
    """
    _check_name(name)
    root = directory / distribution(name)
    if root.exists():
        msg = f"{str(root)!r} exists already; remove it or choose another directory"
        raise FileExistsError(msg)
    for relative, source in _files(TEMPLATE, Path()):
        target = root / render(relative.as_posix(), name).removesuffix(SUFFIX)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(source.read_text(encoding="utf-8"), name), encoding="utf-8")
    return root


@click.command("new-plugin")
@click.argument("name")
@click.option(
    "--directory",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Where to create the micrograd-NAME folder.",
)
def new_plugin(name: str, directory: Path) -> None:
    """Create micrograd-NAME, an op plugin package with one example op named NAME."""
    try:
        root = scaffold(name, directory)
    except (InvalidOpError, FileExistsError) as e:
        raise click.UsageError(str(e)) from e
    click.echo(f"created {root}")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        click.echo(f"  {path.relative_to(root).as_posix()}")
    click.echo(
        f"\nnext: cd {root} && pip install -e . && pytest && micrograd ops\n"
        f"then edit micrograd_{name}/__init__.py to give the op its own math"
    )
