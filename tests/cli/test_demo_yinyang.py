"""``micrograd demo --task yinyang``: LLM101n's program, its losses, its plot."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from micrograd_cli import cli

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["demo", "--task", "yinyang", *args])
    return result.exit_code, result.output


def test_prints_llm101ns_losses_train_every_step_val_every_10_test_at_the_end() -> None:
    code, output = invoke()
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("MLP(2, [8, 3]) with tanh (51 parameters) on 100 yin-yang points")
    train = [float(line.rsplit(" ", 1)[1]) for line in lines if ", train loss " in line]
    val = [line for line in lines if ", val loss " in line]
    assert len(train) == 100
    assert train[0] == pytest.approx(1.0122152826497561, rel=1e-10)
    assert train[99] == pytest.approx(0.03906091113485444, rel=1e-10)
    assert [line.split(",")[0] for line in val] == [f"step {k}/100" for k in range(1, 100, 10)]
    assert val[0] == "step 1/100, val loss 1.053898"
    assert lines[-1].startswith("test loss 0.123966, accuracy 90% (9/10 points) after 100 steps")


def test_compiled_and_uncompiled_runs_print_the_same_losses() -> None:
    # --compile replays one example's graph over the points: sums over them are
    # added in another order, so the training losses' last digits may differ
    outputs = []
    for flag in ("--compile", "--no-compile"):
        code, output = invoke("--steps", "12", flag)
        assert code == 0, output
        outputs.append([line for line in output.splitlines() if "loss" in line])
    compiled, built = ([line.rsplit(" ", 1) for line in lines[:-1]] for lines in outputs)
    assert [text for text, _ in compiled] == [text for text, _ in built]
    assert [float(x) for _, x in compiled] == pytest.approx([float(x) for _, x in built], rel=1e-12)
    assert outputs[0][-1].split(" in ")[0] == outputs[1][-1].split(" in ")[0]  # the test loss


def test_options_shape_the_model_and_save_it(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    code, output = invoke(
        "--steps",
        "3",
        "--hidden",
        "4,4",
        "--activation",
        "relu",
        "--seed",
        "7",
        "--save",
        str(path),
    )
    assert code == 0, output
    assert "MLP(2, [4, 4, 3]) with relu" in output
    assert "seed 7" in output
    assert json.loads(path.read_text())["sizes"] == [2, 4, 4, 3]


def test_a_seed_the_generator_cannot_use_is_a_usage_error() -> None:
    code, output = invoke("--seed", "0")
    assert code == 2
    assert "Invalid value for '--seed': RNG needs an int seed in 1..2**64-1" in output


def test_help_shows_both_tasks() -> None:
    result = CliRunner().invoke(cli, ["demo", "--help"])
    text = " ".join(result.output.split())
    assert "--task [moons|yinyang]" in text
    assert "[default: moons]" in text


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="needs matplotlib (the plot extra)")
def test_plot_draws_the_three_class_regions(tmp_path: Path) -> None:
    image = tmp_path / "regions.png"
    code, output = invoke("--steps", "5", "--plot", str(image))
    assert code == 0, output
    assert f"class regions drawn to {image}" in output
    assert image.read_bytes().startswith(b"\x89PNG")
