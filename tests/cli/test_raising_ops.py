"""An op whose code raises ``SystemExit`` or another ``BaseException`` when called is that
op's failure: ``micrograd ops`` and ``micrograd check`` name it and go on with the others."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from micrograd_cli import cli
from tests.cli.conftest import ACTIVATIONS, Micrograd

PLUGIN = '''
import os

from micrograd_core import Op, hookimpl


class Stop(BaseException):
    """No Exception: what a bare ``except Exception`` lets through."""


def stop(x):
    kind = os.environ["RAISE"]
    if kind == "exit":
        raise SystemExit(3)
    if kind == "silent-exit":
        raise SystemExit
    if kind == "generator-exit":
        raise GeneratorExit("closed")
    raise Stop("stopped")


@hookimpl
def micrograd_register_ops(register):
    register(Op("stop", 1, forward=stop, partials=(lambda x, out: 1.0,), doc="raises"))
'''

RAISED = {
    "exit": "SystemExit: 3",
    "silent-exit": "SystemExit",
    "generator-exit": "GeneratorExit: closed",
    "base": "Stop: stopped",
}


@pytest.fixture(scope="module")
def raising_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where a distribution 'raising' looks installed, with its plugin 'raising'."""
    site = tmp_path_factory.mktemp("raising")
    (site / "raising_ops.py").write_text(PLUGIN)
    info = site / "raising-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: raising\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[micrograd]\nraising = raising_ops\n")
    return site


def settings(site: Path, kind: str) -> dict[str, str]:
    return {
        "RAISE": kind,
        "MICROGRAD_LOAD_PLUGINS": "builtin,raising",
        "PYTHONPATH": os.pathsep.join([str(site), str(ACTIVATIONS)]),
    }


@pytest.mark.parametrize("kind", list(RAISED))
def test_ops_lists_the_others_and_names_the_op_and_what_it_raised(
    micrograd: Micrograd, raising_site: Path, kind: str
) -> None:
    done = micrograd("ops", columns=200, **settings(raising_site, kind))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    warning = " ".join(done.stderr.split())
    assert (
        f"warning: op 'stop' of plugin 'raising' (raising 0.1) raised {RAISED[kind]} (in stop, "
    ) in warning
    assert "when called to tell its order of derivatives; listed as of first order" in warning
    rows = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if "│" in line}
    assert {"stop", "add", "tanh"} <= set(rows)
    assert "1st" in rows["stop"]
    assert "any" in rows["tanh"]


@pytest.mark.parametrize(
    ("kind", "sampler"), [*((kind, "builtin") for kind in RAISED), ("exit", "hypothesis")]
)
def test_check_fails_the_ops_checks_and_goes_on_with_the_other_ops(
    micrograd: Micrograd, raising_site: Path, kind: str, sampler: str
) -> None:
    done = micrograd(
        "check", "stop", "tanh", "--examples", "2", "--sampler", sampler, columns=200,
        **settings(raising_site, kind),
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    text = done.stdout
    assert re.search(r"op 'stop' \(plugin 'raising' \(raising 0.1\)\) failed \d+ of", text)
    assert f"- forward: the check could not run on the op: {RAISED[kind]}" in text
    assert "passed: metadata" in text
    assert f"1 of 2 ops meet the contract ({sampler} inputs)" in text


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (("demo", "--steps", "1", "--hidden", "2", "--activation", "stop"), "training failed"),
        (("graph", "stop(x) * 2", "--set", "x=1"), "cannot evaluate 'stop(x) * 2'"),
    ],
    ids=["demo", "graph"],
)
@pytest.mark.parametrize("kind", ["exit", "base"])
def test_demo_and_graph_name_what_the_op_raised(
    micrograd: Micrograd, raising_site: Path, command: tuple[str, ...], message: str, kind: str
) -> None:
    done = micrograd(*command, **settings(raising_site, kind))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"Error: {message}: an op's code raised {RAISED[kind]} (in stop, " in " ".join(
        done.stderr.split()
    )


def test_check_with_hypothesis_missing_says_so_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # not importable now
    result = CliRunner().invoke(cli, ["check", "tanh", "--sampler", "hypothesis"])
    assert result.exit_code == 2, result.output
    assert "Invalid value for --sampler: hypothesis is not installed" in " ".join(
        result.output.split()
    )
