"""``micrograd graph``: the drawing of a typed expression, and what the parser refuses."""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import micrograd_ops
from micrograd_cli import cli
from micrograd_cli.graph import ExpressionError, evaluate
from micrograd_core import Op, OpRegistry, Provenance, load_registry

MICROGRAD = Path(sys.executable).with_name("micrograd")
CAN_RENDER = shutil.which("dot") is not None and importlib.util.find_spec("graphviz") is not None
NEURON = ["tanh(x*w + b)", "--set", "x=1", "--set", "w=-2", "--set", "b=0.5"]


@pytest.fixture(autouse=True)
def builtin() -> Iterator[OpRegistry]:
    """The built-in ops alone: whatever plugins this environment holds stay out."""
    registry = load_registry({"builtin": micrograd_ops}, environ={})
    with registry.activated():
        yield registry


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["graph", *args])
    return result.exit_code, result.output


def records(dot: str) -> list[str]:
    return re.findall(r'shape=record[^\]]*label="\{ (.*) \}"\]', dot)


def test_prints_the_dot_text_after_a_backward_pass() -> None:
    code, output = invoke(*NEURON)
    assert code == 0, output
    assert output.startswith("digraph {\n  rankdir=LR\n")
    grad = 1 - math.tanh(-1.5) ** 2  # d tanh(x*w + b) / d(x*w + b)
    assert records(output) == [
        "x | data 1.0000 | grad -0.3614",
        "w | data -2.0000 | grad 0.1807",
        f"data -2.0000 | grad {grad:.4f}",
        f"b | data 0.5000 | grad {grad:.4f}",
        f"data -1.5000 | grad {grad:.4f}",
        "tanh(x*w + b) | data -0.9051 | grad 1.0000",
    ]
    assert re.findall(r'_op \[label="(\w+)"\]', output) == ["mul", "add", "tanh"]


def test_numbers_are_constants_and_names_are_drawn_once() -> None:
    code, output = invoke("x**2 + 3*x - -x / 2 + +x", "--set", "x=3")
    assert code == 0, output
    labelled = [r for r in records(output) if r.startswith("x |")]
    assert labelled == ["x | data 3.0000 | grad 10.5000"]  # 2x + 3 + 1/2 + 1 at x = 3
    assert "const | data 2.0000" in records(output)
    assert records(output)[-1] == "x**2 + 3*x - -x / 2 + +x | data 22.5000 | grad 1.0000"


def test_a_variadic_op_takes_any_number_of_input_groups() -> None:
    code, output = invoke(
        "affine(c, w1, x1, w2, x2)", *(f"--set={v}=2" for v in "c w1 x1 w2 x2".split())
    )
    assert code == 0, output
    assert records(output)[-1] == "affine(c, w1, x1, w2, x2) | data 10.0000 | grad 1.0000"
    assert len(re.findall(r"-> v5_op", output)) == 5


def test_an_expression_without_names_is_a_value_too() -> None:
    code, output = invoke("2 * 3")
    assert code == 0, output
    assert records(output) == ["2 * 3 | data 6.0000 | grad 1.0000"]


def test_an_op_from_a_plugin_is_called_by_name_and_shows_its_provider(
    builtin: OpRegistry,
) -> None:
    cube = Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x * x,))
    with builtin.with_ops([cube], Provenance("powers")).activated():
        code, output = invoke("cube(x)", "--set", "x=2")
    assert code == 0, output
    assert '[label="cube\\n(powers)"]' in output
    assert records(output) == [
        "x | data 2.0000 | grad 12.0000",
        "cube(x) | data 8.0000 | grad 1.0000",
    ]


def test_top_to_bottom_and_the_node_limit() -> None:
    code, output = invoke(*NEURON, "--rankdir", "TB")
    assert code == 0
    assert "  rankdir=TB\n" in output
    code, output = invoke(*NEURON, "--max-nodes", "5")
    assert code == 2
    assert "the graph has more than 5 values; raise --max-nodes to draw it" in output
    code, output = invoke(*NEURON, "--max-nodes", "6")
    assert code == 0


def test_writes_dot_text_to_a_file(tmp_path: Path) -> None:
    code, printed = invoke(*NEURON)
    path = tmp_path / "neuron.dot"
    code, output = invoke(*NEURON, "-o", str(path))
    assert code == 0, output
    assert output == f"tanh(x*w + b) = -0.9051; graph drawn to {path}\n"
    assert path.read_text() == printed


@pytest.mark.skipif(
    not CAN_RENDER,
    reason="rendering needs Graphviz's dot program on PATH and the graphviz package "
    "(pip install 'micrograd-registry[graph]'); .ci/run installs Graphviz where it can",
)
@pytest.mark.parametrize(
    ("suffix", "magic"), [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")]
)
def test_draws_a_picture_end_to_end(tmp_path: Path, suffix: str, magic: bytes) -> None:
    """The installed command, in a process of its own, with whatever plugins are installed."""
    path = tmp_path / f"neuron.{suffix}"
    done = subprocess.run(
        [str(MICROGRAD), "graph", *NEURON, "-o", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"tanh(x*w + b) = -0.9051; graph drawn to {path}\n"
    assert path.read_bytes().startswith(magic)


def test_without_dot_a_picture_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without Graphviz
    code, output = invoke(*NEURON, "-o", str(tmp_path / "neuron.svg"))
    assert code == 1
    assert "Graphviz" in output
    assert "apt install graphviz" in output
    message = " ".join(output.split())
    assert f"-o {tmp_path / 'neuron.dot'}" in message  # what the command itself can do
    assert "to_dot()" not in message
    assert not (tmp_path / "neuron.svg").exists()


# -- what is refused, and how it is said ----------------------------------------------

ALLOWED = (
    "an expression may use numbers, names given a value with --set, + - * / ** "
    "and calls of registered ops such as tanh(x)"
)


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("x.__class__", "attribute access is not allowed ('x.__class__')"),
        ("tanh(x).data", "attribute access is not allowed"),
        ("x.tanh()", "only registered ops can be called, by name as in tanh(x), not 'x.tanh'"),
        ("__import__('os').system('true')", "only registered ops can be called, by name"),
        (
            "__import__('os')",
            "no op named '__import__'; registered: {ops}",
        ),
        ("import os", "not an expression (invalid syntax)"),
        ("lambda: x", "a lambda is not allowed ('lambda: x')"),
        ("y + 1", "unknown name 'y'; names set with --set NAME=NUMBER: x"),
        ("tanh + x", "unknown name 'tanh'; names set with --set NAME=NUMBER: x ('tanh' is an op"),
        ("tahn(x)", "no op named 'tahn'; registered: {ops}"),
        ("x(2)", "no op named 'x'; registered: {ops} ('x' is a name set"),
        ("tanh(x=1)", "keyword arguments are not allowed ('tanh(x=1)')"),
        ("tanh(x, x)", "op 'tanh' takes 1 argument(s), got 2 in 'tanh(x, x)'"),
        ("add(x)", "op 'add' takes 2 argument(s), got 1 in 'add(x)'"),
        ("affine(x, x)", "op 'affine' takes 1, 3, 5, ... argument(s), got 2 in 'affine(x, x)'"),
        ("tanh(*x)", "unpacking is not allowed ('*x')"),
        ("x[0]", "a subscript is not allowed ('x[0]')"),
        ("[x for x in 1]", "a comprehension is not allowed ('[x for x in 1]')"),
        ("x % 2", "the operator in 'x % 2' is not allowed"),
        ("not x", "the operator in 'not x' is not allowed"),
        ("x < 2", "a comparison is not allowed ('x < 2')"),
        ("x if x else 1", "a conditional expression is not allowed"),
        ("(y := x)", "an assignment is not allowed ('y := x')"),
        ("'x'", "'x' is not a number"),
        ("True", "True is not a number"),
        ("1j", "1j is not a number"),
        ("x, x", "a tuple is not allowed ('x, x')"),
        ("f'{x}'", "a string is not allowed"),
        ("x +", "not an expression (invalid syntax)"),
        ("x / 0", "cannot evaluate 'x / 0': division by zero: 1.0 / 0.0"),
        ("10.0 ** 400", "cannot evaluate '10.0 ** 400': a result is too large for a float"),
        ("exp(1000)", "cannot evaluate 'exp(1000)': exp(1000.0) overflows a float"),
    ],
)
def test_refused_with_a_message_that_says_why(
    builtin: OpRegistry, expression: str, error: str
) -> None:
    error = error.replace("{ops}", ", ".join(builtin))
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, {"x": 1.0})
    assert error in str(caught.value)
    code, output = invoke(expression, "--set", "x=1")
    assert code == 2
    assert "Invalid value for EXPRESSION: " + error in " ".join(output.split())


def test_the_allowed_syntax_is_spelled_out() -> None:
    with pytest.raises(ExpressionError, match=re.escape(ALLOWED)):
        evaluate("x.data", {"x": 1.0})


def test_nothing_refused_runs(tmp_path: Path) -> None:
    """A refused expression is never evaluated: the check walks it all first."""
    marker = tmp_path / "ran"
    code, _ = invoke(
        f"exp(x) + __import__('pathlib').Path({str(marker)!r}).touch()", "--set", "x=1"
    )
    assert code == 2
    assert not marker.exists()


@pytest.mark.parametrize("terms", [1_500, 2_000])
def test_a_long_flat_sum_is_not_deep(terms: int) -> None:
    expression = "+".join(["x"] * terms)
    assert evaluate(expression, {"x": 1.0}).data == terms
    code, output = invoke(expression, "--set", "x=1", "--max-nodes", str(2 * terms))
    assert code == 0, output[-500:]
    assert records(output)[0] == f"x | data 1.0000 | grad {terms:.4f}"


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("+".join(["x"] * 100_000), "the expression is too long or nested too deeply"),
        ("(" * 250 + "x" + ")" * 250, "not an expression (too many nested parentheses)"),
        ("-" * 5_000 + "x", "the expression is too long or nested too deeply"),
    ],
)
def test_what_python_cannot_parse_is_an_error_not_a_crash(expression: str, error: str) -> None:
    code, output = invoke(expression, "--set", "x=1")
    assert code == 2
    assert error in " ".join(output.split())


def test_a_gradient_undefined_at_the_point_is_reported() -> None:
    code, output = invoke("x ** 0.5", "--set", "x=0")
    assert code == 2
    assert "cannot differentiate 'x ** 0.5': pow: a partial derivative at (0.0, 0.5)" in output


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--set", "x"], "Invalid value for '--set': expected NAME=NUMBER such as x=1.5, got 'x'"),
        (["--set", "1x=2"], "expected NAME=NUMBER such as x=1.5, got '1x=2'"),
        (["--set", "lambda=2"], "expected NAME=NUMBER such as x=1.5, got 'lambda=2'"),
        (["--set", "x=one"], "x: expected a number, got 'one'"),
        (["--set", "x=1", "--set", "x=2"], "'x' is set twice"),
        (["--set", "x=1", "-o", "graph.jpg"], "cannot tell a picture format from 'graph.jpg'"),
        (["--set", "x=1", "--rankdir", "RL"], "Invalid value for '--rankdir'"),
        (["--set", "x=1", "--max-nodes", "0"], "Invalid value for '--max-nodes'"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], error: str) -> None:
    code, output = invoke("x", *args)
    assert code == 2
    assert error in " ".join(output.split())


# -- an expression starting with '-', numbers with no real value, names in other forms --


@pytest.mark.parametrize(
    ("args", "root"),
    [
        (["-a", "--set", "a=2"], "-a | data -2.0000"),
        (["--set", "a=2", "-a*3"], "-a*3 | data -6.0000"),
        (["-1 + a", "--set", "a=2"], "-1 + a | data 1.0000"),
        (["--set=a=2", "-(a + 1)"], "-(a + 1) | data -3.0000"),
        (["--set", "a=2", "--", "-a"], "-a | data -2.0000"),
        (["--set", "a=-2", "--max-nodes", "10", "-a"], "-a | data 2.0000"),
    ],
)
def test_an_expression_may_start_with_a_minus(args: list[str], root: str) -> None:
    code, output = invoke(*args)
    assert code == 0, output
    assert records(output)[-1] == f"{root} | grad 1.0000"


def test_options_are_still_options(tmp_path: Path) -> None:
    path = tmp_path / "g.dot"
    code, output = invoke("-a", "--set", "a=2", "-o", str(path))
    assert code == 0, output
    assert path.read_text().startswith("digraph")
    code, output = invoke("-a", "--sett", "a=2")
    assert code == 2
    assert "No such option '--sett'. Did you mean '--set'?" in output


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("(-8)**(1/3)", "cannot evaluate '(-8)**(1/3)': -8.0 ** 0.3333333333333333 is not a real"),
        ("x + (-1)**0.5", "cannot evaluate 'x + (-1)**0.5': -1.0 ** 0.5 is not a real"),
    ],
)
def test_a_number_with_no_real_value_is_a_one_line_error(expression: str, error: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(error)):
        evaluate(expression, {"x": 1.0})
    done = subprocess.run(
        [str(MICROGRAD), "graph", expression, "--set", "x=1"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "MICROGRAD_LOAD_PLUGINS": "builtin"},
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == f"Error: Invalid value for EXPRESSION: {error} number"


def test_set_names_are_normalised_as_the_expression_is() -> None:
    # Python reads a fullwidth x in an expression as x (NFKC); --set reads it so too.
    code, output = invoke("x + 1", "--set", "\uff58=1")
    assert code == 0, output
    assert records(output)[0] == "x | data 1.0000 | grad 1.0000"
    code, output = invoke("\uff58 * 2", "--set", "\uff58=3")
    assert code == 0, output
    assert records(output)[-1] == "\uff58 * 2 | data 6.0000 | grad 1.0000"
    code, output = invoke("x", "--set", "x=1", "--set", "\uff58=2")
    assert code == 2
    assert "'x' is set twice" in output
