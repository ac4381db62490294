"""SGD: micrograd's update, weight decay, momentum, bad settings."""

from __future__ import annotations

import pytest

from micrograd_core import Value
from micrograd_nn import SGD


def params(*pairs: tuple[float, float]) -> list[Value]:
    out = []
    for data, grad in pairs:
        v = Value(data)
        v.grad = grad
        out.append(v)
    return out


def test_plain_step_is_micrograds_update() -> None:
    ps = params((0.3, 0.7), (-1.1, 0.01))
    SGD(ps, lr=0.37).step()
    assert [p.data for p in ps] == [0.3 - 0.37 * 0.7, -1.1 - 0.37 * 0.01]


def test_weight_decay_adds_to_the_gradient() -> None:
    (p,) = params((2.0, 0.5))
    SGD([p], lr=0.1, weight_decay=0.01).step()
    assert p.data == 2.0 - 0.1 * (0.5 + 0.01 * 2.0)


def test_momentum_keeps_a_velocity() -> None:
    (p,) = params((1.0, 1.0))
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    assert p.data == 1.0 - 0.1 * 1.0
    p.grad = 0.5
    opt.step()
    assert p.data == (1.0 - 0.1 * 1.0) - 0.1 * (0.9 * 1.0 + 0.5)


def test_lr_can_change_between_steps_and_zero_grad_resets() -> None:
    (p,) = params((1.0, 1.0))
    opt = SGD([p], lr=0.1)
    opt.lr = 0.5
    opt.step()
    assert p.data == 0.5
    opt.zero_grad()
    assert p.grad == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -0.1}, "SGD lr must be a number >= 0, got -0.1"),
        ({"momentum": 1.0}, r"SGD momentum must be a number in \[0, 1\), got 1.0"),
        ({"weight_decay": -1}, "SGD weight_decay must be a number >= 0, got -1"),
    ],
)
def test_bad_settings(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SGD([], **kwargs)
