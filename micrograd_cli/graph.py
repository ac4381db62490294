"""``micrograd graph``: draw the graph of an expression typed on the command line.

The expression is parsed, never ``eval``-ed: :func:`evaluate` walks its syntax
tree and allows only numbers, names given values with ``--set``, ``+ - * / **``
(and unary ``-``/``+``) and calls of registered ops by name.
"""

from __future__ import annotations

import ast
import keyword
import operator
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import click

from micrograd_cli._failure import raised
from micrograd_core import (
    GraphTooLargeError,
    MicrogradError,
    Op,
    OpCollisionError,
    OpRegistry,
    PluginWarning,
    Value,
    active_registry,
    apply,
)
from micrograd_core.viz import DEFAULT_MAX_NODES, format_for, render_graph, require_graphviz, to_dot

__all__ = ["ExpressionError", "evaluate", "graph"]

ALLOWED: Final = (
    "an expression may use numbers, names given a value with --set, + - * / ** "
    "and calls of registered ops such as tanh(x)"
)

_BINARY: Final[Mapping[type[ast.operator], Callable[[Any, Any], Any]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

# What a reader calls the syntax that is not allowed, for the error message.
_WHAT: Final[Mapping[type[ast.AST], str]] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Slice: "a slice",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and' or 'or'",
    ast.IfExp: "a conditional expression",
    ast.NamedExpr: "an assignment",
    ast.Starred: "unpacking",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.JoinedStr: "a string",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


_TOO_DEEP: Final = (
    "the expression is too long or nested too deeply for Python's parser, which reads "
    "a chain of operators as nested pairs and stops at about 3,000 of them (200 levels "
    "of parentheses); split it, or build it in Python"
)


class ExpressionError(ValueError):
    """An expression that cannot be drawn: not allowed, unknown names, or undefined."""


def evaluate(source: str, values: Mapping[str, float]) -> Value:
    """The ``Value`` of ``source``, each name in ``values`` a leaf labelled with its name.

    Ops are called by name from the active registry; the result is labelled
    with the expression itself. Anything else raises :class:`ExpressionError`,
    which says what is allowed.

    >>> y = evaluate("tanh(x*w + b)", {"x": 1.0, "w": -2.0, "b": 0.5})
    >>> y.label, round(y.data, 4)
    ('tanh(x*w + b)', -0.9051)
    >>> evaluate("x.__class__", {"x": 1.0})
    Traceback (most recent call last):
      ...
    micrograd_cli.graph.ExpressionError: attribute access is not allowed ('x.__class__'); an expression may use numbers, names given a value with --set, + - * / ** and calls of registered ops such as tanh(x)
    """  # noqa: E501
    source = source.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        msg = f"not an expression ({e.msg}); {ALLOWED}"
        raise ExpressionError(msg) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(_TOO_DEEP) from None
    except ValueError as e:  # a NUL byte
        msg = f"cannot parse the expression: {e}"
        raise ExpressionError(msg) from None
    ops = _check(tree, source, values, active_registry())
    leaves = {name: Value(x, label=name) for name, x in values.items()}
    try:
        result = _evaluate(tree.body, leaves, ops)
    except _NotReal as e:
        msg = f"cannot evaluate {source!r}: {e}"
        raise ExpressionError(msg) from None
    except OverflowError:
        msg = f"cannot evaluate {source!r}: a result is too large for a float"
        raise ExpressionError(msg) from None
    except (ArithmeticError, ValueError, MicrogradError) as e:  # DomainError is a ValueError
        msg = f"cannot evaluate {source!r}: {e}"
        raise ExpressionError(msg) from None
    root = result if isinstance(result, Value) else Value(result)
    root.label = source
    return root


def _check(
    tree: ast.Expression, source: str, values: Mapping[str, float], registry: OpRegistry
) -> dict[str, Op]:
    """Raise :class:`ExpressionError` for anything not allowed; return the ops called.

    ``ast.walk`` visits a node before its children (and uses no recursion), so
    a call is checked before the name of its function, which is then skipped.
    """
    ops: dict[str, Op] = {}
    called: set[int] = set()  # the Name nodes that name the op of a call
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                msg = f"the operator in {_segment(source, node)!r} is not allowed; {ALLOWED}"
                raise ExpressionError(msg)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                msg = f"the operator in {_segment(source, node)!r} is not allowed; {ALLOWED}"
                raise ExpressionError(msg)
        elif isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
            pass  # the whole, a name's context, or an operator checked with its expression
        elif isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                msg = f"{_segment(source, node)} is not a number; {ALLOWED}"
                raise ExpressionError(msg)
        elif isinstance(node, ast.Name):
            if id(node) not in called and node.id not in values:
                raise _unknown_name(node.id, values, registry)
        elif isinstance(node, ast.Call):
            name = _call_name(node, source)
            ops[name] = _checked_op(name, node, source, values, registry)
            called.add(id(node.func))
        else:
            what = _WHAT.get(type(node), type(node).__name__)
            msg = f"{what} is not allowed ({_segment(source, node)!r}); {ALLOWED}"
            raise ExpressionError(msg)
    return ops


def _call_name(node: ast.Call, source: str) -> str:
    if not isinstance(node.func, ast.Name):
        msg = (
            f"only registered ops can be called, by name as in tanh(x), "
            f"not {_segment(source, node.func)!r}; {ALLOWED}"
        )
        raise ExpressionError(msg)
    if node.keywords:
        msg = f"keyword arguments are not allowed ({_segment(source, node)!r}); {ALLOWED}"
        raise ExpressionError(msg)
    return node.func.id


def _checked_op(
    name: str, node: ast.Call, source: str, values: Mapping[str, float], registry: OpRegistry
) -> Op:
    try:
        op = registry[name]
    except (LookupError, OpCollisionError) as e:  # says which ops there are
        msg = str(e)
        if name in values:
            msg += f" ({name!r} is a name set with --set, not an op: it cannot be called)"
        raise ExpressionError(msg) from None
    if not op.accepts(len(node.args)):
        msg = (
            f"op {name!r} takes {op.arity_text} argument(s), got {len(node.args)} "
            f"in {_segment(source, node)!r}"
        )
        raise ExpressionError(msg)
    return op


def _unknown_name(name: str, values: Mapping[str, float], registry: OpRegistry) -> ExpressionError:
    known = ", ".join(values) or "none"
    msg = f"unknown name {name!r}; names set with --set NAME=NUMBER: {known}"
    if name in registry:
        msg += f" ({name!r} is an op: call it, as in {name}(x))"
    return ExpressionError(msg)


def _segment(source: str, node: ast.AST) -> str:
    return ast.get_source_segment(source, node) or type(node).__name__


class _NotReal(ArithmeticError):
    """Numbers of the expression whose power is complex, as ``(-8) ** (1/3)`` is in Python."""


def _evaluate(root: ast.expr, leaves: Mapping[str, Value], ops: Mapping[str, Op]) -> Value | float:
    """Evaluate a checked expression: Values for names, floats for numbers.

    Children before parents, left to right, with a stack of its own rather than
    recursion: a long chain of operators (``x + x + ... + x``, a thousand terms)
    is as deep a tree as it is long.
    """
    done: dict[int, Value | float] = {}
    stack: list[tuple[ast.expr, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        operands = _operands(node)
        if not ready:
            stack.append((node, True))
            stack.extend((operand, False) for operand in reversed(operands))
            continue
        done[id(node)] = _value(node, [done.pop(id(o)) for o in operands], leaves, ops)
    return done[id(root)]


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _value(
    node: ast.expr,
    operands: list[Value | float],
    leaves: Mapping[str, Value],
    ops: Mapping[str, Op],
) -> Value | float:
    """The value of one node, given the values of its operands."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.BinOp):
        left, right = operands
        result: Value | float | complex = _BINARY[type(node.op)](left, right)
        if isinstance(result, complex):  # float ** float, as (-8.0) ** (1/3)
            msg = f"{left!r} ** {right!r} is not a real number"
            raise _NotReal(msg)
        return result
    if isinstance(node, ast.UnaryOp):
        (operand,) = operands
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return apply(ops[node.func.id], *operands)
    msg = f"{type(node).__name__} is not allowed"  # _check lets none through
    raise ExpressionError(msg)


# -- the command -------------------------------------------------------------------

_PICTURES: Final = ("svg", "png", "pdf")


def _assignments(
    ctx: click.Context, param: click.Parameter, items: tuple[str, ...]
) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in items:
        name, equals, number = (part.strip() for part in item.partition("="))
        # Python reads names in the expression in NFKC form (a fullwidth x is x)
        name = unicodedata.normalize("NFKC", name)
        if not equals or not name.isidentifier() or keyword.iskeyword(name):
            msg = f"expected NAME=NUMBER such as x=1.5, got {item!r}"
            raise click.BadParameter(msg)
        try:
            value = float(number)
        except ValueError:
            msg = f"{name}: expected a number, got {number!r}"
            raise click.BadParameter(msg) from None
        if name in values:
            msg = f"{name!r} is set twice"
            raise click.BadParameter(msg)
        values[name] = value
    return values


_INSTALL_GRAPHVIZ: Final = (
    "Graphviz, which provides the dot program (apt install graphviz, brew install graphviz "
    "or conda install graphviz)"
)


def _cannot_draw(output: Path, error: Exception) -> str:
    """What is missing to draw ``output``, and how this command gives the DOT text without it."""
    if isinstance(error, ImportError):
        missing = (
            "the graphviz Python package, which is not installed; install it with: "
            f"pip install 'micrograd-registry[graph]', and {_INSTALL_GRAPHVIZ}"
        )
    else:
        missing = f"Graphviz's dot program, which is not on PATH; install {_INSTALL_GRAPHVIZ}"
    dot = output.with_suffix(".dot")
    return (
        f"drawing {str(output)!r} needs {missing}. -o {dot} needs neither: it writes "
        "the graph as DOT text (and without -o the command prints it)"
    )


class _GraphCommand(click.Command):
    """``micrograd graph``, whose EXPRESSION may start with ``-`` (``-a``, ``-1 + x``).

    click takes any argument that starts with ``-`` for an option and stops at
    ``-a``. Here an argument that starts with ``-`` is the expression unless it
    starts as an option does (``-o``, or ``--`` and a letter) or is an option's
    value: it is moved after ``--``, where click takes it as it is.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        short = {o for p in self.params for o in p.opts if not o.startswith("--")}
        valued = {
            o for p in self.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts
        }
        given: list[str] = []
        expressions: list[str] = []
        rest = list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "--":
                given += [arg, *rest]
                break
            if arg in valued and rest:  # an option and its value, which may start with '-'
                given += [arg, rest.pop(0)]
            elif _negated(arg, short):
                expressions.append(arg)
            else:
                given.append(arg)
        if expressions:
            given += expressions if "--" in given else ["--", *expressions]
        return super().parse_args(ctx, given)


def _negated(arg: str, short: set[str]) -> bool:
    """Whether ``arg`` starts with ``-`` but as no option of the command can."""
    if not arg.startswith("-") or arg == "-":
        return False
    if arg[:2] in short or (arg.startswith("--") and arg[2:3].isalpha()):
        return False
    return True


def _load_registry() -> None:
    """Build the registry now, reporting skipped plugins as ``micrograd ops`` does."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        try:
            active_registry()
        except MicrogradError as e:  # strict mode
            raise click.ClickException(str(e)) from e
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)


@click.command(cls=_GraphCommand)
@click.argument("expression")
@click.option(
    "--set",
    "values",
    metavar="NAME=NUMBER",
    multiple=True,
    callback=_assignments,
    help="Give a name in the expression a value; once per name.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw to this file: .svg, .png or .pdf (needs Graphviz), or .dot for the DOT text. "
    "Without it, the DOT text is printed.",
)
@click.option(
    "--rankdir",
    type=click.Choice(["LR", "TB"]),
    default="LR",
    show_default=True,
    help="Lay the graph out left to right or top to bottom.",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_NODES,
    show_default=True,
    help="Refuse to draw a graph of more values than this.",
)
def graph(
    expression: str,
    values: dict[str, float],
    output: Path | None,
    rankdir: str,
    max_nodes: int,
) -> None:
    """Draw the graph of EXPRESSION, with every gradient after a backward pass.

    EXPRESSION may use numbers, names given a value with --set, + - * / **
    and the registered ops (micrograd ops lists them) called by name:

    \b
        micrograd graph "tanh(x*w + b)" --set x=1 --set w=-2 --set b=0.5 -o graph.svg

    Each name is a leaf labelled with its name; the result is labelled with
    the expression. Nothing else is allowed: the expression is parsed, never
    run as Python. An expression may start with "-", as in "-x*2"; after
    "--" it is never taken for an option.
    """
    if output is not None:
        try:
            picture = format_for(output) in _PICTURES
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="'-o' / '--output'") from None
        if picture:
            try:
                require_graphviz()
            except (ImportError, OSError) as e:
                raise click.ClickException(_cannot_draw(output, e)) from None
    _load_registry()
    try:
        root = evaluate(expression, values)
    except ExpressionError as e:
        raise click.BadParameter(str(e), param_hint="EXPRESSION") from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001  (an op's code raising SystemExit, say)
        msg = f"cannot evaluate {expression!r}: an op's code raised {raised(e)}"
        raise click.ClickException(msg) from None
    try:
        root.backward()
    except MicrogradError as e:  # a partial undefined where the expression is evaluated
        msg = f"cannot differentiate {root.label!r}: {e}"
        raise click.BadParameter(msg, param_hint="EXPRESSION") from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001  (an op's code raising SystemExit, say)
        msg = f"cannot differentiate {root.label!r}: an op's code raised {raised(e)}"
        raise click.ClickException(msg) from None
    try:
        if output is None:
            click.echo(to_dot(root, rankdir=rankdir, max_nodes=max_nodes), nl=False)
            return
        render_graph(root, output, rankdir=rankdir, max_nodes=max_nodes)
    except GraphTooLargeError:
        msg = f"the graph has more than {max_nodes} values; raise --max-nodes to draw it"
        raise click.UsageError(msg) from None
    except OSError as e:
        msg = f"cannot write {e.filename!r}: {e.strerror or e}"
        raise click.ClickException(msg) from None
    click.echo(f"{root.label} = {root.data:.4f}; graph drawn to {output}")
