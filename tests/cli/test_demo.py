"""``micrograd demo``: end to end in a subprocess, options, errors, and the full default run."""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from micrograd_cli import cli
from micrograd_nn import MLP, load_parameters

MICROGRAD = Path(sys.executable).with_name("micrograd")
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["demo", *args])
    return result.exit_code, result.output


def test_command_end_to_end(tmp_path: Path) -> None:
    model_file, image = tmp_path / "model.json", tmp_path / "boundary.png"
    args = ["demo", "--steps", "3", "--seed", "1", "--hidden", "4,4", "--save", str(model_file)]
    if HAS_MATPLOTLIB:
        args += ["--plot", str(image)]
    done = subprocess.run(
        [str(MICROGRAD), *args], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert (
        lines[0]
        == "MLP(2, [4, 4, 1]) with relu (37 parameters) on 100 moons points (noise 0.1, seed 1)"
    )
    assert "3/3" in lines[1]
    assert "loss" in lines[1]
    assert lines[2].startswith("accuracy ")
    assert " after 3 steps in " in lines[2]
    assert f"parameters saved to {model_file}" in lines
    model = load_parameters(MLP(2, [4, 4, 1], rng=random.Random(0)), model_file)
    assert len(model.parameters()) == 37
    if HAS_MATPLOTLIB:
        assert f"decision boundary drawn to {image}" in lines
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert image.stat().st_size > 5000


def test_same_seed_same_run(tmp_path: Path) -> None:
    def run(seed: int, name: str) -> tuple[list[str], list[float]]:
        path = tmp_path / name
        args = ["--steps", "2", "--hidden", "3", "--seed", str(seed), "--save", str(path)]
        code, output = invoke(*args)
        assert code == 0, output
        _, progress, final = output.splitlines()[:3]
        # all but the times: the progress bar's elapsed time and the final "in 0.1 s"
        figures = [progress.rsplit(" ", 1)[0], final.split(" in ")[0]]
        return figures, json.loads(path.read_text())["parameters"]

    assert run(3, "a.json") == run(3, "b.json")
    assert run(3, "a.json")[1] != run(4, "c.json")[1]


def test_activation_from_the_registry() -> None:
    code, output = invoke("--steps", "1", "--hidden", "2", "--activation", "tanh")
    assert code == 0, output
    assert output.startswith("MLP(2, [2, 1]) with tanh (9 parameters)")


def test_unknown_activation_is_a_usage_error() -> None:
    code, output = invoke("--activation", "tahn")
    assert code == 2
    assert "Invalid value for '--activation': unknown activation 'tahn'" in output
    assert "relu" in output
    assert "tanh" in output


@pytest.mark.parametrize("hidden", ["", "16,x", "16,0", "16,,16"])
def test_bad_hidden_sizes(hidden: str) -> None:
    code, output = invoke("--hidden", hidden)
    assert code == 2
    assert f"expected comma-separated positive layer sizes such as 16,16, got {hidden!r}" in output


def test_plot_without_matplotlib_fails_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    code, output = invoke("--plot", str(tmp_path / "b.png"))
    assert code == 1
    assert "needs matplotlib, which is not installed" in output
    assert "pip install 'micrograd-registry[plot]'" in output
    assert "accuracy" not in output
    assert not (tmp_path / "b.png").exists()


def test_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "model.json"
    code, output = invoke("--steps", "1", "--hidden", "2", "--save", str(target))
    assert code == 1
    assert f"Error: cannot write {str(target)!r}: No such file or directory" in output


@pytest.mark.slow
def test_default_run_reaches_full_accuracy_in_100_steps() -> None:
    # The only full training run of the suite: micrograd's demo, default settings.
    code, output = invoke()
    assert code == 0, output
    assert output.startswith("MLP(2, [16, 16, 1]) with relu (337 parameters) on 100 moons")
    assert "accuracy 100% (100/100 points) after 100 steps in " in output
