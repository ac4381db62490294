"""An MkDocs hook: the notebooks under ``notebooks/`` become pages of the site.

The notebooks live at the repository's root, where GitHub and Jupyter users find
them, outside ``docs/``; this hook adds each one to the site's files as
``notebooks/NAME.ipynb``, before mkdocs-jupyter turns notebooks into pages from
their stored outputs (the site runs no notebook; the test suite does).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

NOTEBOOKS = "notebooks"


@event_priority(100)  # before mkdocs-jupyter's on_files, which picks the notebooks up
def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    root = Path(config.config_file_path).parent
    for path in sorted((root / NOTEBOOKS).glob("*.ipynb")):
        files.append(
            File(
                f"{NOTEBOOKS}/{path.name}",
                src_dir=str(root),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    return files
