"""Run the notebooks in a fresh Jupyter kernel, and tell when their stored outputs are stale.

The notebooks under ``notebooks/`` are stored with their outputs, so that they read on
GitHub and on the docs site without running. This module runs one in a fresh kernel
(:func:`execute`) and compares what it prints now with what is stored
(:func:`stale_cells`), apart from what changes from run to run: timings, memory
addresses, and the pixels and layout of pictures (a picture is compared by its kind and,
for an SVG, by the text it shows).

From the repository's root, with the ``dev`` or ``notebooks`` extra installed::

    python -m tests.notebooks.outputs           # run every notebook, store its new outputs
    python -m tests.notebooks.outputs --check   # only report the stale ones (exit 1)
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import nbformat
from nbclient import NotebookClient

ROOT: Final = Path(__file__).resolve().parents[2]
NOTEBOOKS: Final = ROOT / "notebooks"
TIMEOUT: Final = 120
"""Seconds one cell may run before the run fails (each notebook takes a few in all)."""

# The kernel sees only the built-in ops, whatever op plugins are installed here, so
# that the stored outputs do not depend on the machine that refreshed them.
KERNEL_ENV: Final = {"MICROGRAD_LOAD_PLUGINS": "builtin", "MICROGRAD_DISABLE_PLUGINS": ""}

_TIMING: Final = re.compile(r"\d+(?:\.\d+)?(?:e-?\d+)? ?(?:s|ms|µs|us|ns)\b|\b\d+:\d\d(?::\d\d)?\b")
_ADDRESS: Final = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
_SVG_TEXT: Final = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


def notebooks() -> list[Path]:
    """The notebooks the project ships, by name."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def read(path: Path) -> Any:
    """A notebook as nbformat reads it (version 4)."""
    return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]


def execute(notebook: Any, *, cwd: Path = NOTEBOOKS) -> Any:
    """Run every cell of a copy of ``notebook`` in a fresh kernel, top to bottom; return it.

    A cell that raises stops the run with ``nbclient.exceptions.CellExecutionError``,
    which names the cell and shows the traceback.
    """
    client = NotebookClient(
        nbformat.from_dict(notebook),  # type: ignore[no-untyped-call]
        timeout=TIMEOUT,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    )
    return client.execute(env={**os.environ, **KERNEL_ENV})


def normalise(text: str) -> str:
    """``text`` with what changes from run to run (timings, addresses) replaced by a mark."""
    return _ADDRESS.sub("0x…", _TIMING.sub("<time>", text))


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _shown(output: Any) -> list[str]:
    """What one output shows, in words that compare equal when the output is not stale."""
    kind = output["output_type"]
    if kind == "stream":
        return [f"{output['name']}: {normalise(_joined(output['text']))}"]
    if kind == "error":
        return [f"error: {output['ename']}: {normalise(output['evalue'])}"]
    shown = []
    for mime, data in sorted(output.get("data", {}).items()):
        text = _joined(data)
        if mime == "image/svg+xml":
            labels = [html.unescape(t) for t in _SVG_TEXT.findall(text)]
            shown.append(f"{mime} showing {sorted(labels)}")
        elif mime.startswith("image/"):
            shown.append(f"{mime} picture")
        else:
            shown.append(f"{mime}: {normalise(text)}")
    return shown


def shown_by(cell: Any) -> list[str]:
    """What a code cell's outputs show, streams of one name joined as Jupyter shows them."""
    shown: list[str] = []
    last_stream = None
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream" and last_stream == output["name"]:
            shown[-1] += normalise(_joined(output["text"]))
            continue
        last_stream = output["name"] if output["output_type"] == "stream" else None
        shown.extend(_shown(output))
    return shown


def stale_cells(stored: Any, executed: Any) -> list[str]:
    """One line per code cell whose stored outputs differ from the executed notebook's.

    Both are the same notebook: ``executed`` is ``stored`` run again. An empty list
    means the stored outputs are current.
    """
    stored_cells = [c for c in stored["cells"] if c["cell_type"] == "code"]
    executed_cells = [c for c in executed["cells"] if c["cell_type"] == "code"]
    if [c["source"] for c in stored_cells] != [c["source"] for c in executed_cells]:
        msg = "expected the executed notebook to have the stored notebook's code cells"
        raise ValueError(msg)
    stale = []
    for number, (old, new) in enumerate(zip(stored_cells, executed_cells, strict=True), 1):
        before, now = shown_by(old), shown_by(new)
        if before != now:
            first_line = _joined(old["source"]).partition("\n")[0]
            changed = next(
                (f"{b!r} is now {n!r}" for b, n in zip(before, now, strict=False) if b != n),
                f"{len(before)} outputs stored, {len(now)} now",
            )
            stale.append(f"code cell {number} ({first_line!r}): stored {changed}")
    return stale


def pictures(notebook: Any) -> list[str]:
    """The picture types of every output of ``notebook``, in order (``image/svg+xml``, ...)."""
    return [
        mime
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
        for mime in output.get("data", {})
        if mime.startswith("image/")
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run each notebook; store its new outputs, or with ``--check`` report stale ones."""
    parser = argparse.ArgumentParser(prog="python -m tests.notebooks.outputs")
    parser.add_argument("--check", action="store_true", help="report stale notebooks only")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all)")
    args = parser.parse_args(argv)
    failed = False
    for path in args.paths or notebooks():
        stored = read(path)
        executed = execute(stored)
        stale = stale_cells(stored, executed)
        if args.check:
            failed |= bool(stale)
            status = "stale" if stale else "current"
            print(f"{path.name}: {status}", *(f"  {line}" for line in stale), sep="\n")
        else:
            nbformat.write(executed, path)  # type: ignore[no-untyped-call]
            print(f"{path.name}: outputs stored ({len(stale)} code cells changed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
