"""The documentation site builds without a warning, API reference included."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _docstrings_extension() -> ModuleType:
    path = ROOT / "docs" / "hooks" / "docstrings.py"
    spec = importlib.util.spec_from_file_location("docs_hooks_docstrings", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_site_builds_strict(tmp_path: Path) -> None:
    """``mkdocs build --strict`` turns every warning (a broken link, a page off the nav,
    a docstring mkdocstrings cannot read) into a failure."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    api = (tmp_path / "api" / "core" / "index.html").read_text()
    assert "micrograd_core.value.Value" in api
    assert "One operation: its name, arity, forward value and local gradient." in api


def test_doctest_examples_become_code() -> None:
    """Markdown would read ``partials[0](x)`` in an example as a link; fenced, it cannot."""
    to_markdown = _docstrings_extension().to_markdown
    text = "Apply it.\n\n>>> op.partials[0](3.0, 9.0)\n6.0\n\nDone with :class:`Op`."
    assert to_markdown(text) == (
        "Apply it.\n\n```python\n>>> op.partials[0](3.0, 9.0)\n6.0\n```\n\nDone with `Op`."
    )


def test_literal_blocks_become_code() -> None:
    """A reST ``::`` block (as in the hook's docstring) becomes a fenced block."""
    to_markdown = _docstrings_extension().to_markdown
    text = "Write this::\n\n    @hookimpl\n    def f(): ...\n\nand that is all."
    assert to_markdown(text) == (
        "Write this:\n\n```\n@hookimpl\ndef f(): ...\n```\n\nand that is all."
    )
