"""Every notebook runs top to bottom in a fresh kernel, and its stored outputs are current.

Each notebook runs once per test session (a kernel start and a few seconds each); the
tests below read that one run. Refresh stale outputs with
``python -m tests.notebooks.outputs``.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.notebooks import outputs

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ipykernel") is None
    or importlib.util.find_spec("graphviz") is None
    or shutil.which("dot") is None,
    reason="running the notebooks needs the notebooks extra and Graphviz's dot program "
    "(.ci/run installs Graphviz)",
)

NAMES = ["demo", "multiclass", "trace_graph", "write_an_op"]
# the pictures each notebook promises, in order
PICTURES = {
    "demo": ["image/png"] * 3,
    "multiclass": ["image/png"] * 3,
    "trace_graph": ["image/svg+xml"] * 4,
    "write_an_op": ["image/svg+xml"],
}


@functools.cache
def run_of(name: str) -> tuple[str, Any, Any]:
    """A notebook's name, its stored version and the same run now in a fresh kernel.

    Once per test session: the tests only read them.
    """
    stored = outputs.read(outputs.NOTEBOOKS / f"{name}.ipynb")
    return name, stored, outputs.execute(stored)


@pytest.fixture(params=NAMES)
def run(request: pytest.FixtureRequest) -> tuple[str, Any, Any]:
    return run_of(request.param)


def test_the_notebooks_are_these() -> None:
    assert [p.stem for p in outputs.notebooks()] == NAMES


def test_runs_and_its_stored_outputs_are_current(run: tuple[str, Any, Any]) -> None:
    name, stored, executed = run
    assert outputs.stale_cells(stored, executed) == [], (
        f"{name}.ipynb is stale: refresh it with python -m tests.notebooks.outputs"
    )


def test_shows_its_pictures(run: tuple[str, Any, Any]) -> None:
    name, stored, executed = run
    assert outputs.pictures(stored) == PICTURES[name]  # stored, so GitHub shows them
    assert outputs.pictures(executed) == PICTURES[name]


def test_opens_with_what_it_teaches(run: tuple[str, Any, Any]) -> None:
    _, stored, _ = run
    first = stored["cells"][0]
    assert first["cell_type"] == "markdown"
    assert first["source"].startswith("# ")
    assert "teaches" in first["source"]


def test_every_code_cell_is_stored_run(run: tuple[str, Any, Any]) -> None:
    """Stored in order from one run: execution counts 1, 2, 3, ..."""
    _, stored, _ = run
    counts = [c["execution_count"] for c in stored["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1))


# -- the checks fail when they should -------------------------------------------------


def altered(notebook: Any, cell_text: str, old: str, new: str) -> Any:
    """A copy of ``notebook`` whose stored stream output containing ``cell_text`` has
    ``old`` replaced by ``new``."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream" and cell_text in output["text"]:
                output["text"] = output["text"].replace(old, new)
                return notebook
    msg = f"no stored stream output contains {cell_text!r}"
    raise AssertionError(msg)


def test_a_stale_notebook_is_reported(tmp_path: Path) -> None:
    """A copy with one stored number changed, as if the code had moved on since."""
    _, stored, executed = run_of("write_an_op")
    copy_path = tmp_path / "write_an_op.ipynb"
    notebook = altered(stored, "first  0.462117157260", "first  0.462117157260", "first  0.5")
    copy_path.write_text(json.dumps(notebook))
    stale = outputs.stale_cells(outputs.read(copy_path), executed)
    assert len(stale) == 1
    assert stale[0].startswith("code cell 6 ('x = Value(0.5)'): stored 'stdout: first  0.5")
    assert "is now 'stdout: first  0.462117157260 0.462117157260" in stale[0]


def test_a_missing_picture_is_reported() -> None:
    _, stored, executed = run_of("trace_graph")
    notebook = copy.deepcopy(stored)
    drawing = next(
        o for c in notebook["cells"] for o in c.get("outputs", []) if "image/svg+xml" in o["data"]
    )
    del drawing["data"]["image/svg+xml"]
    (stale,) = outputs.stale_cells(notebook, executed)
    assert stale.startswith("code cell 2 ('x = Value(1.0, label=\"x\")'): stored 'text/plain")


def test_a_changed_label_in_a_picture_is_reported() -> None:
    _, stored, executed = run_of("trace_graph")
    notebook = copy.deepcopy(stored)
    drawing = next(
        o for c in notebook["cells"] for o in c.get("outputs", []) if "image/svg+xml" in o["data"]
    )
    svg = "".join(drawing["data"]["image/svg+xml"])
    drawing["data"]["image/svg+xml"] = svg.replace("grad 2.0000", "grad 3.0000")
    (stale,) = outputs.stale_cells(notebook, executed)
    assert "'grad 3.0000'" in stale
    assert "'grad 2.0000'" in stale


def test_timings_and_addresses_are_not_staleness() -> None:
    assert outputs.normalise("step 100/100 loss 0.0123 1.3 s at 0x7f3a2c1b9e50") == (
        "step 100/100 loss 0.0123 <time> at 0x…"
    )
    assert outputs.normalise("0:00:01 elapsed, 250 ms, 3e-05 s") == (
        "<time> elapsed, <time>, <time>"
    )
    assert outputs.normalise("1.5 steps, 2 sigma, 100%") == "1.5 steps, 2 sigma, 100%"


def test_a_cell_that_raises_fails_the_run(tmp_path: Path) -> None:
    from nbclient.exceptions import CellExecutionError  # noqa: PLC0415  (optional extra)

    notebook = {
        "cells": [
            {"cell_type": "code", "id": "ok", "metadata": {}, "outputs": [], "source": "x = 1"},
            {
                "cell_type": "code",
                "id": "broken",
                "metadata": {},
                "outputs": [],
                "source": "from micrograd_core import apply\napply('tahn', x)",
            },
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    with pytest.raises(CellExecutionError) as e:
        outputs.execute(notebook, cwd=tmp_path)
    assert e.value.ename == "OpNotFoundError"
    assert e.value.evalue.startswith("no op named 'tahn'; registered: add, affine,")
