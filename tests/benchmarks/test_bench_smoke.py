"""The benchmarks, run at tiny sizes so they cannot rot; nothing here asserts a time."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

import micrograd_ops
from benchmarks import run
from benchmarks.impl import load
from benchmarks.worker import run as run_worker
from benchmarks.workloads import train, train_batched, train_compiled, train_op_by_op_compiled
from micrograd_core import OpRegistry, Provenance
from micrograd_core.op import replace

ROOT = Path(__file__).resolve().parents[2]
# micrograd and torch take part when installed (as in `make bench`), not otherwise.
OPTIONAL = [name for name in ("micrograd", "torch") if importlib.util.find_spec(name)]


def run_module(module: str, *args: str) -> str:
    """``python -m module args...`` from the repository's root; its output."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, object]]:
    out = tmp_path_factory.mktemp("bench") / "result.json"
    impls = ",".join(["ours", "floor", *OPTIONAL])
    stdout = run_module("benchmarks", "--tiny", "--impls", impls, "--out", str(out))
    return stdout, json.loads(out.read_text())


def _records(result: dict[str, object], impl: str) -> list[dict[str, object]]:
    records = result["records"]
    assert isinstance(records, list)
    return [r for r in records if r["impl"] == impl]


def test_tiny_run_prints_the_table(tiny_run: tuple[str, dict[str, object]]) -> None:
    stdout, _ = tiny_run
    assert "| workload" in stdout
    assert "micrograd/ours" in stdout
    for label in ("train step", "chain of 100 ops", "wide sum", "deep tanh", "start-up"):
        assert label in stdout


def test_every_workload_runs_on_the_engine(tiny_run: tuple[str, dict[str, object]]) -> None:
    _, result = tiny_run
    ours = _records(result, "ours")
    workloads = {r["workload"] for r in ours}
    assert workloads == {
        "train",
        "train_op_by_op",
        "train_compiled",
        "train_op_by_op_compiled",
        "train_batched",
        "compile_time",
        "compiled_memory",
        "chain",
        "wide_sum",
        "deep_tanh",
        "memory",
        "free",
        "startup",
        "import",
        "import_value",
        "help",
        "hessian",
        "jvp",
        "grad",
    }
    failed = [(r["workload"], r.get("reason")) for r in ours if r["status"] != "ok"]
    assert failed == []


def test_start_up_rows_compare_with_a_bare_interpreter(
    tiny_run: tuple[str, dict[str, object]],
) -> None:
    """The import row times ours and the floor's bare interpreter; importing Value and
    --help are ours alone, and the notes give each over the bare interpreter."""
    stdout, result = tiny_run
    (bare,) = [r for r in _records(result, "floor") if r["workload"] == "import"]
    assert bare["status"] == "ok"
    assert [r["status"] for r in _records(result, "floor") if r["workload"] == "help"] == [
        "unsupported"
    ]
    for what in (
        "import micrograd_core:",
        "from micrograd_core import Value:",
        "micrograd --help:",
    ):
        (note,) = [line for line in stdout.splitlines() if line.startswith(what)]
        assert "ms over bare python" in note


def test_engine_frees_graphs_without_the_cyclic_collector(
    tiny_run: tuple[str, dict[str, object]],
) -> None:
    _, result = tiny_run
    (free,) = [r for r in _records(result, "ours") if r["workload"] == "free"]
    assert free["cyclic"] == 0


def test_engine_and_floor_agree(tiny_run: tuple[str, dict[str, object]]) -> None:
    _, result = tiny_run
    losses = {
        (impl, workload): str(
            next(r["losses"] for r in _records(result, impl) if r["workload"] == workload)
        )
        for impl in ("ours", "floor")
        for workload in ("train", "train_op_by_op", "train_compiled", "train_op_by_op_compiled")
    }
    assert len(set(losses.values())) == 1, losses


def test_floor_gradients_match_the_engine() -> None:
    """The hand-derived gradients give the engine's numbers, bit for bit, step after step."""
    floor = train(load("floor"), 12, 2)  # type: ignore[arg-type]
    engine = train(load("ours"), 12, 2)  # type: ignore[arg-type]
    assert floor["losses"] == engine["losses"]
    assert len(set(engine["losses"])) == len(engine["losses"])  # training moves


def test_compiled_steps_match_the_floor() -> None:
    """A replayed step gives the floor's numbers, bit for bit, step after step."""
    floor = train(load("floor"), 12, 3)  # type: ignore[arg-type]
    ours = load("ours")
    assert ours is not None
    assert train_compiled(ours, 12, 3)["losses"] == floor["losses"]
    assert train_op_by_op_compiled(ours, 12, 3)["losses"] == floor["losses"]


def test_batched_steps_match_the_engine() -> None:
    """One example's graph replayed over the batch trains as the whole graph does
    (the sums over the batch added in another order: equal to about 1e-12)."""
    ours = load("ours")
    assert ours is not None
    engine = train(ours, 12, 3)["losses"]
    batched = train_batched(ours, 12, 3)["losses"]
    assert batched == pytest.approx(engine, rel=1e-12)
    assert len(set(batched)) == len(batched)  # training moves


def test_a_wrong_derivative_shows() -> None:
    """With relu' wrong, the engine's losses part from the floor's after the first step."""
    floor = train(load("floor"), 12, 2)  # type: ignore[arg-type]
    wrong = replace(micrograd_ops.RELU, partials=(lambda x, out: 1.0,))
    ops = [op for op in micrograd_ops.OPS if op.name != "relu"] + [wrong]
    with OpRegistry.from_ops(ops, Provenance("wrong-relu")).activated():
        engine = train(load("ours"), 12, 2)  # type: ignore[arg-type]
    assert engine["losses"][0] == floor["losses"][0]  # the forward pass is right
    assert engine["losses"][1] != floor["losses"][1]


def test_failures_are_reported_not_raised() -> None:
    record = run_worker("ours", "deep_tanh", 2, 1, collector=True)
    assert record["status"] == "ok"
    record = run_worker("floor", "chain", 100, 1, collector=False)
    assert record["status"] == "unsupported"
    assert "n/a" in run.table([record], tiny=True)


def test_errors_show_in_the_table() -> None:
    error = {"impl": "micrograd", "workload": "chain", "size": 100, "collector": "on"}
    error |= {"status": "error", "reason": "RecursionError"}
    rendered = run.table([error], tiny=True)
    assert "RecursionError" in rendered


def test_forward_mode_and_the_gradient_agree_in_the_benchmark(
    tiny_run: tuple[str, dict[str, object]],
) -> None:
    _, result = tiny_run
    ours = {r["workload"]: r for r in _records(result, "ours")}
    assert ours["jvp"]["value"] == pytest.approx(ours["grad"]["value"], rel=1e-12)
    assert ours["hessian"]["status"] == "ok"


def test_batch_sizes_prints_ratios_and_draws_the_plot(tmp_path: Path) -> None:
    svg = tmp_path / "batch-sizes.svg"
    stdout = run_module("benchmarks.batch_sizes", "--sizes", "1,3", "--plot", str(svg))
    assert "| points | ours | torch | ours/torch |" in stdout
    assert "| 3 |" in stdout
    if "torch" in OPTIONAL:  # a ratio where both ran
        assert stdout.count("x |") == 2
    assert svg.read_text().lstrip().startswith("<?xml")
