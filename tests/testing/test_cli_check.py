"""``micrograd check``: a table of every installed op's contract, exit 1 on a failure."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from micrograd_cli import cli
from micrograd_core.testing.targets import installed_targets

TARGETS = "✓" if installed_targets() else "-"
"""The targets check's mark for an op with expressions: skipped without torch and jax."""

Run = Callable[..., subprocess.CompletedProcess[str]]

BROKEN_PLUGIN = """
import math
from micrograd_core import Op, hookimpl

@hookimpl
def micrograd_register_ops(register):
    register(Op("sin", 1, forward=math.sin, partials=(lambda x, out: -math.cos(x),)))
    register(Op("cos", 1, forward=math.cos, partials=(lambda x, out: -math.sin(x),)))  # right
"""


def _install_on_path(root: Path) -> None:
    """A real distribution on ``sys.path``: a module and its dist-info with an entry point."""
    (root / "micrograd_trig.py").write_text(textwrap.dedent(BROKEN_PLUGIN))
    info = root / "micrograd_trig-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: micrograd-trig\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[micrograd]\ntrig = micrograd_trig\n")


def test_builtin_ops_pass() -> None:
    args = ["check", "--plugin", "builtin", "--examples", "10", "--sampler", "builtin"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if "first failing input" in line)
    assert header.split()[:15] == [
        "op", "plugin", "meta", "ref", "fwd", "fd", "taylor", "2nd", "engine", "inline",
        "tgt", "const", "accum", "kinks", "large",
    ]  # fmt: skip
    assert next(line for line in lines if line.split()[:1] == ["relu"]).split() == [
        "relu", "builtin", "✓", "-", "✓", "✓", "✓", "✓", "✓", "✓", TARGETS, "✓", "-", "✓", "✓"
    ]  # fmt: skip
    # pow offers no inline expressions, so nothing to translate either
    assert next(line for line in lines if line.split()[:1] == ["pow"]).split()[9:11] == ["-"] * 2
    # logsumexp neither (its shift by the largest input is no expression); variadic, it
    # is checked with 1, 2 and 4 inputs, so f(x, x) accumulates
    assert next(line for line in lines if line.split()[:1] == ["logsumexp"]).split() == [
        "logsumexp", "builtin", "✓", "-", "✓", "✓", "✓", "✓", "✓", "-", "-", "✓", "✓", "-", "✓"
    ]  # fmt: skip
    assert "10 of 10 ops meet the contract (builtin inputs)" in result.output


def test_a_broken_plugin_fails_with_its_first_failing_input(
    run_python: Run, tmp_path: Path
) -> None:
    _install_on_path(tmp_path)
    code = "from micrograd_cli import main; main()"
    done = run_python(
        f"import sys; sys.argv = ['micrograd', 'check', '--examples', '20']; {code}",
        extra_path=tmp_path,
        env={"MICROGRAD_LOAD_PLUGINS": "builtin,trig"},  # this trig, whatever is installed
    )
    assert done.returncode == 1, done.stdout + done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines() if line.strip()}
    # sin and cos use math.cos in their rules: no higher order, so no second-order check;
    # they offer no inline expressions either
    sin = ["sin", "trig", "✓", "-", "✓", "✗", "✗", "-", "✓", "-", "-", "✓", "-", "-", "✗"]
    assert rows["sin"][:15] == sin
    assert rows["sin"][15:] == ["finite_differences", "at", "(0.0,)"]  # a special point
    assert rows["tanh"][1] == "builtin"
    assert (
        "op 'sin' (plugin 'trig' (micrograd-trig 0.1)) failed 3 of 7 contract checks:"
        in done.stdout
    )
    assert rows["cos"][2:] == ["✓", "-", "✓", "✓", "✓", "-", "✓", "-", "-", "✓", "-", "-", "✓"]
    assert "11 of 12 ops meet the contract (hypothesis inputs)" in done.stdout
    assert not (tmp_path / ".hypothesis").exists()  # its cache went to a scratch directory


def test_selecting_ops_and_plugins() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "tanh", "exp", "--examples", "5"])
    assert result.exit_code == 0, result.output
    assert "2 of 2 ops meet the contract" in result.output
    result = runner.invoke(cli, ["check", "tahn"])
    assert result.exit_code == 2
    assert (
        "no op named 'tahn'; registered: add, affine, exp, log, logsumexp, mul, pow, relu, "
        "softplus, tanh; did you mean 'tanh'?" in result.output
    )
    result = runner.invoke(cli, ["check", "--plugin", "nope"])
    assert result.exit_code == 2
    assert "no plugin named 'nope' provides ops; plugins: builtin" in result.output


GARBAGE_PLUGIN = """
from micrograd_core import Op, hookimpl

@hookimpl
def micrograd_register_ops(register):
    register(Op("cplx", 1, forward=lambda x: complex(x, 1.0), partials=(lambda x, out: 1.0,)))
    register(Op("nothing", 1, forward=lambda x: x, partials=(lambda x, out: None,)))
    register(Op("pair", 2, forward=lambda x, y: x + y, gradient=lambda x, y, out: None))
    register(Op("half", 1, compose=lambda x: x.data / 2))
    register(Op("typo", 1, forward=lambda x: x, partials=(lambda x, out: len(x),)))
"""


def test_ops_returning_garbage_fail_with_the_reason_never_a_traceback(
    run_python: Run, tmp_path: Path
) -> None:
    (tmp_path / "micrograd_garbage.py").write_text(textwrap.dedent(GARBAGE_PLUGIN))
    info = tmp_path / "micrograd_garbage-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: micrograd-garbage\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[micrograd]\ngarbage = micrograd_garbage\n")
    argv = ["micrograd", "check", "--plugin", "garbage", "--examples", "5", "--sampler", "builtin"]
    code = f"import sys; sys.argv = {argv!r}; from micrograd_cli import main; main()"
    done = run_python(code, extra_path=tmp_path, env={"MICROGRAD_LOAD_PLUGINS": "builtin,garbage"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    out = done.stdout
    assert "- forward at (0.0,): forward returned 'complex' (1j), expected a float" in out
    assert "partial 0 returned 'NoneType' (None), expected a real number" in out
    assert (
        "gradient returned 'NoneType' (None), expected a sequence of one partial per input" in out
    )
    assert "- forward at (0.0,): compose returned 'float', expected a Value" in out
    assert "partial 0 raised TypeError: object of type 'float' has no len()" in out
    assert "0 of 5 ops meet the contract (builtin inputs)" in out


def test_bound_and_reference_options() -> None:
    runner = CliRunner()
    args = ["check", "tanh", "--examples", "5", "--sampler", "builtin", "--bound", "50"]
    result = runner.invoke(cli, [*args, "--reference", "tanh(0)=0:1"])
    assert result.exit_code == 0, result.output
    assert next(line for line in result.output.splitlines() if "tanh" in line).split()[3] == "✓"
    result = runner.invoke(cli, [*args, "--reference", "tanh(0)=0:2"])
    assert result.exit_code == 1, result.output
    assert "references at (0.0,): partial 0 is 1.0 (the op's partial), but the reference says" in (
        result.output
    )
    result = runner.invoke(cli, [*args, "--reference", "tanh 0 = 1"])
    assert result.exit_code == 2
    assert "'tanh 0 = 1' is not a reference point; expected OP(X,...)=VALUE" in result.output
    result = runner.invoke(cli, [*args, "--reference", "exp(0)=1"])
    assert result.exit_code == 2
    assert "a reference names 'exp', which is not among the ops checked" in result.output
    result = runner.invoke(cli, [*args[:-1], "0"])
    assert result.exit_code == 2
