"""Derivatives beyond backward() against PyTorch's, where torch is installed (optional).

The same scalar code runs on ``Value`` s and on float64 tensors; PyTorch's
``tanh`` and ``exp`` may round differently in the last bit, so values agree to
a relative 1e-10, not bit for bit.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from micrograd_core import Value, grad, hessian, hvp, jvp

with warnings.catch_warnings():  # torch warns at import when numpy is missing
    warnings.simplefilter("ignore")
    torch = pytest.importorskip("torch")

pytestmark = pytest.mark.usefixtures("builtin_registry")


def relu(v: Any) -> Any:
    return v.relu() if isinstance(v, Value) else torch.relu(v)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "polynomial": lambda x, y: x**3 * y - 2 * x * y**2 + y**4,
    "tanh and exp": lambda x, y: (x * y).tanh() + x.exp() * y**3 / (1 + x * x),
    "power of a Value": lambda x, y: (x * x + 1) ** y.tanh() - y / (x * x + 2),
    "relu away from its kink": lambda x, y: relu(x * y + 3) * (x - y).tanh(),
}
POINTS = [(-1.2, 0.4), (0.3, -0.7), (1.5, 2.0)]


def torch_hessian(f: Callable[..., Any], point: tuple[float, float]) -> list[list[float]]:
    def on_vector(v: Any) -> Any:
        return f(v[0], v[1])

    x = torch.tensor(point, dtype=torch.float64)
    return torch.autograd.functional.hessian(on_vector, x).tolist()  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("point", POINTS)
def test_hessian_hvp_and_jvp_agree_with_pytorch(name: str, point: tuple[float, float]) -> None:
    f = FUNCTIONS[name]
    expected = torch_hessian(f, point)
    got = hessian(f, point)
    for row, want in zip(got, expected, strict=True):
        assert row == pytest.approx(want, rel=1e-10, abs=1e-12)
    tangent = (0.5, -2.0)
    _, product = hvp(f, point, tangent)
    assert product == pytest.approx(
        [sum(h * t for h, t in zip(row, tangent, strict=True)) for row in expected],
        rel=1e-10,
        abs=1e-12,
    )
    xs = [torch.tensor(c, dtype=torch.float64, requires_grad=True) for c in point]
    value, directional = jvp(f, point, tangent)
    gradient = torch.autograd.grad(f(*xs), xs)
    assert value == pytest.approx(f(*xs).item(), rel=1e-12)
    assert directional == pytest.approx(
        sum(g.item() * t for g, t in zip(gradient, tangent, strict=True)), rel=1e-10, abs=1e-12
    )


@pytest.mark.parametrize("x", [-0.8, 0.2, 1.1])
def test_third_derivatives_agree_with_pytorch(x: float) -> None:
    def f(v: Any) -> Any:
        return (v * v).tanh() * v.exp()

    ours, theirs = [], []
    v = Value(x)
    out: Value = f(v)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tout = f(t)
    for _ in range(3):
        (out,) = grad(out, [v], create_graph=True)
        (tout,) = torch.autograd.grad(tout, t, create_graph=True)
        ours.append(out.data)
        theirs.append(tout.item())
    assert ours == pytest.approx(theirs, rel=1e-10)
