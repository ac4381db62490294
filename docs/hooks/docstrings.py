"""A Griffe extension: render the project's reST-flavoured docstrings as Markdown.

The docstrings are written for ``help()`` and doctest: ``>>>`` examples, ``::``
literal blocks and Sphinx roles such as ``:class:`Value```. Markdown would read
an example's ``f[0](x)`` as a link, so examples and literal blocks become fenced
code, and roles become code spans.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def to_markdown(text: str) -> str:
    """Fence doctest examples and ``::`` blocks, and turn roles into code spans.

    >>> print(to_markdown("Square it.\\n\\n>>> f[0](3)\\n9"))
    Square it.
    <BLANKLINE>
    ```python
    >>> f[0](3)
    9
    ```
    """
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>"):
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            out += ["```python", *block, "```"]
        elif line.rstrip().endswith("::") and i + 1 < len(lines) and not lines[i + 1].strip():
            out += [line.rstrip()[:-1], ""]
            i += 2
            block = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            indent = min(len(b) - len(b.lstrip()) for b in block if b.strip())
            out += ["```", *(b[indent:] for b in block), "```", ""]
        else:
            out.append(ROLE.sub(r"`\1`", line))
            i += 1
    return "\n".join(out)


class DocstringsAsMarkdown(griffe.Extension):
    """Rewrite every docstring with :func:`to_markdown` once it is loaded."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Convert the docstring of one object, if it has one."""
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
