"""Every code block in README.md and docs/ runs, and what the docs show is what it prints.

The blocks of one document run in order, in one namespace, like a reader typing
them in:

- ``python``: executed; a block that prints must be followed by an ``output``
  block. A block that starts with ``>>>`` is a doctest instead.
- ``output``: must match what the ``python`` block before it printed (``...``
  matches anything, as in doctest).
- ``console``: ``$ command`` lines run in a shell in the shared installed
  environment, each followed by the output it must print. A command that fails
  is an error unless its output is shown. ``cd`` changes the folder for the
  commands after it. A document's commands start in a temporary copy of
  ``docs/examples``, where the tutorials' packages live, as the reader's own
  working folder would hold the package they wrote.
- a block right after ``<!-- file: PATH -->`` is the complete text of that file
  (relative to the document): it must equal the real file, which is installed,
  tested and type-checked on its own.

Any other block is an error, so nothing in the docs can go unchecked, unless
``<!-- not run: REASON -->`` right before it says why it cannot run here (the
README's ``make`` commands are CI itself).

A document that shows optional packages says so with ``<!-- needs: torch, jax -->``:
where one of them is not installed, its test skips.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import re
import shlex
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sybil import Document, Example, Region
from sybil.evaluators.doctest import DocTestEvaluator
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer
from sybil.typing import Evaluator

from micrograd_core import default_registry, state

if TYPE_CHECKING:
    from tests.conftest import InstalledEnv

ROOT = Path(__file__).resolve().parents[2]
# Documents whose blocks are not run, and why.
NOT_RUN_DOCUMENTS = {
    "docs/performance.md": "measurements of one run on one machine, which make bench redoes",
}
DOCUMENTS = [
    path
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    if "```" in path.read_text() and path.relative_to(ROOT).as_posix() not in NOT_RUN_DOCUMENTS
]
EXAMPLES = ROOT / "docs" / "examples"
NOT_SOURCE = ("__pycache__", "*.egg-info", "build", ".*")
FLAGS = doctest.ELLIPSIS
FILE_COMMENT = re.compile(r"<!-- file: (?P<path>\S+) -->\s*\Z")
UNSHOWN = "the python block {} printed, but no output block shows it"
NOT_RUN_COMMENT = re.compile(r"<!-- not run: (?P<reason>\S.*?) -->\s*\Z")
NEEDS_COMMENT = re.compile(r"<!-- needs: (?P<modules>[\w., ]+) -->")


@dataclass
class Reader:
    """What a reader of one document has besides the Python prompt: a shell in a folder."""

    cwd: Path
    env: InstalledEnv | None = None
    printed: str = ""  # by the last python block, for the output block after it


def _reader(example: Example) -> Reader:
    reader = example.namespace["__reader__"]
    assert isinstance(reader, Reader)
    return reader


def _mismatch(want: str, got: str) -> str | None:
    """None when ``got`` matches ``want`` (with ``...``), else a readable difference.

    Spaces at the ends of lines (a centred table title) do not count.
    """
    want, got = (re.sub(r"[ \t]+$", "", text, flags=re.MULTILINE) for text in (want, got))
    checker = doctest.OutputChecker()
    if checker.check_output(want, got, FLAGS):
        return None
    return checker.output_difference(doctest.Example("", want), got, FLAGS)


def run_python(example: Example) -> str | None:
    """Execute a ``python`` block, keeping what it prints for the ``output`` block after it."""
    reader = _reader(example)
    if reader.printed:
        return f"{UNSHOWN.format('before this one')}:\n{reader.printed}"
    source = "\n" * example.line + str(example.parsed)
    code = compile(source, example.path, "exec", dont_inherit=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, example.namespace)
    reader.printed = out.getvalue()
    return None


def check_output(example: Example) -> str | None:
    """Compare an ``output`` block with what the ``python`` block before it printed."""
    reader = _reader(example)
    got, reader.printed = reader.printed, ""
    return _mismatch(str(example.parsed), got)


def run_console(example: Example) -> str | None:
    """Run the ``$ command`` lines of a ``console`` block and compare their output."""
    reader = _reader(example)
    if reader.env is None:
        return "a console block needs the installed environment (mark the document as such)"
    for command, want in _commands(str(example.parsed)):
        words = shlex.split(command)
        if words[0] == "cd":
            reader.cwd = (reader.cwd / words[1]).resolve()
            continue
        done = reader.env.shell(command, cwd=reader.cwd)
        problem = _mismatch(want, done.stdout) if want else None
        if problem is None and done.returncode != 0 and not want:
            problem = f"exit status {done.returncode}:\n{done.stdout}"
        if problem is not None:
            return f"$ {command}\n{problem}"
    return None


def _commands(block: str) -> Iterator[tuple[str, str]]:
    """``(command, expected output)`` for each ``$ `` line of a console block."""
    command: str | None = None
    want: list[str] = []
    for line in block.splitlines(keepends=True):
        if line.startswith("$ "):
            if command is not None:
                yield command, "".join(want)
            command, want = line[2:].strip(), []
        elif command is None:
            msg = f"console block must start with a '$ ' command, got {line!r}"
            raise ValueError(msg)
        else:
            want.append(line)
    if command is not None:
        yield command, "".join(want)


def check_file(path: Path) -> Evaluator:
    """An evaluator that compares a block with the real file at ``path``."""

    def evaluate(example: Example) -> str | None:
        if not path.is_file():
            return f"{path} is shown but does not exist"
        return _mismatch(path.read_text(), str(example.parsed))

    return evaluate


def parse_blocks(document: Document) -> Iterable[Region]:
    """One region per fenced block, with the evaluator its language calls for."""
    name = Path(document.path).name
    lexer = FencedCodeBlockLexer(
        language=r".*", mapping={"language": "language", "source": "source"}
    )
    doctests = DocTestStringParser(DocTestEvaluator(FLAGS))
    for region in lexer(document):
        language = str(region.lexemes["language"]).strip()
        source = region.lexemes["source"]
        shown = FILE_COMMENT.search(document.text, 0, region.start)
        skipped = NOT_RUN_COMMENT.search(document.text, 0, region.start)
        if skipped is not None and skipped.end() == region.start:
            continue
        if shown is not None and shown.end() == region.start:
            region.parsed = source
            region.evaluator = check_file(Path(document.path).parent / shown["path"])
            yield region
        elif language == "python" and source.startswith(">>>"):
            for doctest_region in doctests(source, document.path):
                doctest_region.adjust(region, source)
                yield doctest_region
        elif language in {"python", "output", "console"}:
            region.parsed = source
            region.evaluator = {
                "python": run_python,
                "output": check_output,
                "console": run_console,
            }[language]
            yield region
        else:
            line = document.text.count("\n", 0, region.start) + 1
            msg = (
                f"{name}, line {line}: a {language or 'plain'!r} block is neither run nor "
                "checked; use python, output or console, show a file with "
                "<!-- file: PATH -->, or say why it cannot run with <!-- not run: REASON -->"
            )
            raise ValueError(msg)


def _needs_env(path: Path) -> bool:
    """Whether the document has console blocks to run (then it needs the environment)."""
    try:
        regions = Document.parse(str(path), parse_blocks).regions
    except ValueError:  # a block that cannot be run: the test says so
        return False
    return any(region.evaluator is run_console for _, region in regions)


def _run(path: Path, env: InstalledEnv | None = None, workdir: Path = EXAMPLES) -> None:
    document = Document.parse(str(path), parse_blocks)
    document.namespace["__name__"] = "__main__"
    document.namespace["__reader__"] = Reader(cwd=workdir, env=env)
    # whatever a document registers or activates is undone when it ends
    before = default_registry()
    try:
        for example in document:
            example.evaluate()
    finally:
        state._reset_default(before)
    left = document.namespace["__reader__"].printed
    assert not left, f"{path}: {UNSHOWN.format('at the end')}:\n{left}"


def _param(path: Path) -> object:
    marks = [pytest.mark.slow] if _needs_env(path) else []
    return pytest.param(path, id=path.relative_to(ROOT).as_posix(), marks=marks)


@pytest.mark.parametrize("path", [_param(p) for p in DOCUMENTS])
def test_document(path: Path, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The document's blocks run in order and print what it shows."""
    needs = NEEDS_COMMENT.search(path.read_text())
    for module in needs["modules"].replace(",", " ").split() if needs else []:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    env = request.getfixturevalue("docs_env") if _needs_env(path) else None
    workdir = tmp_path / "examples"
    shutil.copytree(EXAMPLES, workdir, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    with _packages_restored(env):
        _run(path, env, workdir)


@contextlib.contextmanager
def _packages_restored(env: InstalledEnv | None) -> Iterator[None]:
    """Uninstall whatever a document's commands installed, even when it fails midway."""
    if env is None:
        yield
        return
    before = set(_distributions(env))
    try:
        yield
    finally:
        added = sorted(set(_distributions(env)) - before)
        if added:
            env.check("python", "-m", "pip", "uninstall", "--quiet", "--yes", *added)


def _distributions(env: InstalledEnv) -> list[str]:
    listing = env.check("python", "-m", "pip", "list", "--format=freeze")
    return [line.split("==")[0] for line in listing.split()]


@pytest.mark.parametrize(
    ("markdown", "error"),
    [
        ("```python\nprint(1 + 1)\n```\n\n```output\n3\n```\n", "Expected:\n    3\nGot:\n    2"),
        ("```python\nprint(2)\n```\n\n```python\nx = 1\n```\n", UNSHOWN.format("before this one")),
        ("```python\nprint(2)\n```\n", UNSHOWN.format("at the end")),
        ("```python\nraise ValueError('broken example')\n```\n", "broken example"),
        ("```text\nshown, never checked\n```\n", "a 'text' block is neither run nor checked"),
        ("<!-- file: example.py -->\n```python\nx = 2\n```\n", "Expected:\n    x = 1"),
    ],
    ids=["wrong output", "unshown output", "unshown at end", "exception", "unrun", "stale file"],
)
def test_a_wrong_document_fails(tmp_path: Path, markdown: str, error: str) -> None:
    """Each way a document can drift from its code is caught, with a message that says how."""
    (tmp_path / "example.py").write_text("x = 1\n")
    (tmp_path / "doc.md").write_text(markdown)
    with pytest.raises(Exception) as caught:  # noqa: PT011  (the message is what is checked)
        _run(tmp_path / "doc.md")
    assert error in str(caught.value)
