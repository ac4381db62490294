"""Each distribution builds as a release artifact, an sdist and a wheel, that PyPI would take.

The build runs on a copy of the sources (nothing is written into the checkout),
without build isolation: setuptools, build and twine come from the ``dev`` extra
of the environment running the tests, so nothing is downloaded.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, _copy_sources

pytestmark = pytest.mark.slow

# each distribution, the import packages its wheel holds, and what else the root leaves out
DISTRIBUTIONS = {
    ROOT: ("micrograd_core", "micrograd_ops", "micrograd_nn", "micrograd_cli"),
    ROOT / "plugins" / "micrograd-trig": ("micrograd_trig",),
    ROOT / "plugins" / "micrograd-activations": ("micrograd_activations",),
}
NOT_IN_THE_ROOT = ("tests", "plugins", "docs", "benchmarks")


def run(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _name(source: Path) -> str:
    return str(tomllib.loads((source / "pyproject.toml").read_text())["project"]["name"])


@pytest.mark.parametrize("source", list(DISTRIBUTIONS), ids=_name)
def test_builds_an_sdist_and_a_wheel_that_twine_accepts(source: Path, tmp_path: Path) -> None:
    project = tomllib.loads((source / "pyproject.toml").read_text())["project"]
    name, version = _name(source), project["version"]
    skip = NOT_IN_THE_ROOT if source == ROOT else ()
    copy = _copy_sources(source, tmp_path / "src", *skip)
    dist = tmp_path / "dist"
    run("build", "--no-isolation", "--sdist", "--wheel", "--outdir", dist, copy, cwd=tmp_path)

    stem = f"{name.replace('-', '_')}-{version}"  # the version of pyproject.toml, the only one
    sdist, wheel = dist / f"{stem}.tar.gz", dist / f"{stem}-py3-none-any.whl"
    assert sorted(dist.iterdir()) == sorted([sdist, wheel])
    out = run("twine", "check", "--strict", sdist, wheel, cwd=tmp_path)
    assert out.count("PASSED") == 2, out

    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
        metadata = archive.read(f"{stem}.dist-info/METADATA").decode()
        entry_points = archive.read(f"{stem}.dist-info/entry_points.txt").decode()
    assert f"Version: {version}\n" in metadata
    assert "Description-Content-Type: text/markdown" in metadata
    assert "[micrograd]" in entry_points
    packages = DISTRIBUTIONS[source]
    assert {f.split("/")[0] for f in files} == {*packages, f"{stem}.dist-info"}
    for package in packages:
        assert f"{package}/py.typed" in files
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert f"{stem}/pyproject.toml" in members
    assert f"{stem}/README.md" in members


def test_the_command_reports_the_version_of_the_distribution() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    micrograd = Path(sys.executable).with_name("micrograd")
    done = subprocess.run([micrograd, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout == f"micrograd, version {version}\n"
