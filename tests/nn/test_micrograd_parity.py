"""A script written for micrograd 0.1.0 runs unchanged on micrograd_core and micrograd_nn.

The real micrograd is pip-installed into a temporary directory (the test is
skipped if pip cannot fetch it), and one script runs twice in fresh processes:
as written, and with its two import lines pointed at this project.

Forward passes are bit-for-bit micrograd's. Later steps agree to about 1e-15:
micrograd adds the gradient contributions of a shared node in an order set by
Python's set iteration over node addresses, which varies even between two runs
of micrograd itself, and floating-point addition is not associative.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, math, random
from micrograd.engine import Value
from micrograd.nn import Neuron, Layer, MLP

rng = random.Random(5)
X = [[math.cos(t) + rng.gauss(0, 0.1), math.sin(t) * (1 if t < 3 else -1)]
     for t in (0.2 * i for i in range(30))]
y = [1 if row[1] > 0 else -1 for row in X]

random.seed(1337)
reprs = [repr(Neuron(2)), repr(Neuron(3, nonlin=False)), repr(Layer(2, 2))]
model = MLP(2, [16, 16, 1])
reprs.append(repr(model))
initial = [p.data for p in model.parameters()]

def loss():
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p*p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)

history = []
for k in range(STEPS):
    total_loss, acc = loss()
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9*k/100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    history.append((total_loss.data, acc))

print(json.dumps({"reprs": reprs, "initial": initial, "history": history,
                  "count": len(model.parameters())}))
"""

OURS = {
    "from micrograd.engine import Value": "from micrograd_core import Value",
    "from micrograd.nn import Neuron, Layer, MLP": "from micrograd_nn import Neuron, Layer, MLP",
}

STEPS = 8


@pytest.fixture(scope="session")
def micrograd_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """micrograd 0.1.0 from PyPI, installed into a directory of its own."""
    target = tmp_path_factory.mktemp("micrograd")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
    done = subprocess.run(
        [*pip, str(target), "micrograd==0.1.0"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not (target / "micrograd" / "nn.py").exists():
        pytest.skip(f"pip could not install micrograd 0.1.0: {done.stderr.strip()[-300:]}")
    return target


def run(script: str, pythonpath: Path | None) -> dict[str, object]:
    env = {"PYTHONPATH": str(pythonpath)} if pythonpath else {}
    done = subprocess.run(
        [sys.executable, "-c", script.replace("STEPS", str(STEPS))],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "PATH": "/usr/bin:/bin"},
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def ported(script: str) -> str:
    for theirs, ours in OURS.items():
        assert theirs in script
        script = script.replace(theirs, ours)
    return script


@pytest.fixture(scope="session")
def both(micrograd_dir: Path) -> tuple[dict[str, object], dict[str, object]]:
    return run(SCRIPT, micrograd_dir), run(ported(SCRIPT), None)


def test_same_reprs_count_and_initial_weights(
    both: tuple[dict[str, object], dict[str, object]],
) -> None:
    theirs, ours = both
    assert ours["reprs"] == theirs["reprs"]
    assert ours["count"] == theirs["count"] == 337
    assert ours["initial"] == theirs["initial"]  # exactly: same draws, same order


def test_same_losses_step_by_step(both: tuple[dict[str, object], dict[str, object]]) -> None:
    theirs, ours = both
    assert isinstance(theirs["history"], list)
    assert isinstance(ours["history"], list)
    assert len(ours["history"]) == len(theirs["history"]) == STEPS
    assert ours["history"][0] == theirs["history"][0]  # the first forward pass: bit for bit
    for (our_loss, our_acc), (their_loss, their_acc) in zip(
        ours["history"], theirs["history"], strict=True
    ):
        assert our_loss == pytest.approx(their_loss, rel=1e-12, abs=0)
        assert our_acc == their_acc
