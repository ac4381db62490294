"""The documentation site builds without a warning, API reference included."""

from __future__ import annotations

import importlib.util
import json
import re
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
    check_notebook_pages(tmp_path)
    check_theme(tmp_path)
    check_no_asset_from_elsewhere(tmp_path)


# each notebook page and the pictures its stored outputs show, as GitHub shows them
NOTEBOOK_PICTURES = {
    "demo": ["png"] * 3,
    "multiclass": ["png"] * 3,
    "trace_graph": ["svg+xml"] * 4,
    "write_an_op": ["svg+xml"],
}


def check_notebook_pages(site: Path) -> None:
    """Each notebook is a page, rendered from its stored outputs with its pictures."""
    for name, pictures in NOTEBOOK_PICTURES.items():
        page = (site / "notebooks" / name / "index.html").read_text()
        assert 'class="jupyter-wrapper"' in page, name
        shown = re.findall(r'<img [^>]*src="data:image/(png|svg\+xml);base64,', page)
        assert shown == pictures, name
    assert (
        "step 100/100 loss 0.0123 accuracy 100%"
        in (site / "notebooks" / "demo" / "index.html").read_text()
    )


def check_theme(site: Path) -> None:
    """Material for MkDocs: navigation tabs, code copy buttons, search, a dark mode toggle."""
    home = (site / "index.html").read_text()
    found = re.search(r'<script id="__config" type="application/json">(.*?)</script>', home)
    assert found is not None
    config = json.loads(found.group(1))
    assert {"navigation.tabs", "content.code.copy"} <= set(config["features"])
    assert 'class="md-tabs"' in home
    assert 'data-md-color-media="(prefers-color-scheme: dark)"' in home
    assert 'data-md-component="search"' in home
    assert (site / "search" / "search_index.json").stat().st_size > 10_000


def check_no_asset_from_elsewhere(site: Path) -> None:
    """No page loads a script, stylesheet or font from another host: the site works offline."""
    external = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="(?:https?:)?//[^"]*"', re.I)
    found = {
        str(page.relative_to(site)): external.findall(page.read_text())
        for page in site.rglob("*.html")
    }
    assert {page: tags for page, tags in found.items() if tags} == {}


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
