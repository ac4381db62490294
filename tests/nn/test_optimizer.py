"""SGD, Adam and AdamW: their updates, their state, PyTorch's numbers, bad settings."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import pytest

from micrograd_core import ArgumentError, MicrogradError, Value
from micrograd_nn import SGD, Adam, AdamState, AdamW, OptimizerState, SGDState


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


# -- Adam and AdamW ---------------------------------------------------------------


def quadratic_bowl_gradients(ps: list[Value], k: int) -> list[float]:
    """Gradients of a bumpy function at step ``k``, some zero, some large, some tiny."""
    return [
        (2.0 * p.data - 1.0 + math.sin(3.0 * k + i)) * (10.0 ** ((i % 5) - 2)) if i % 7 else 0.0
        for i, p in enumerate(ps)
    ]


OPTIONS = [
    ("Adam", {}),
    ("Adam", {"weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "amsgrad": True}),
    ("Adam", {"betas": (0.3, 0.6), "maximize": True}),  # beta1 < 0.5: lerp from the far end
    ("AdamW", {}),
    ("AdamW", {"lr": 0.1, "betas": (0.9, 0.95), "weight_decay": 1e-4}),  # LLM101n's settings
    ("AdamW", {"weight_decay": 0.5, "amsgrad": True}),
]


Stepped = tuple[int, list[Value], list[Any], SGD | Adam, Any]


def beside_torch(name: str, kwargs: dict[str, Any], steps: int, seed: int = 0) -> Iterator[Stepped]:
    """Our optimiser ``name`` and torch.optim's on the same parameters and gradients, stepped
    ``steps`` times; after each step: its index, both parameter lists and both optimisers.
    Halfway, the learning rate changes (a schedule)."""
    torch = pytest.importorskip("torch")
    rng = random.Random(seed)
    start = [rng.uniform(-2.0, 2.0) for _ in range(12)]
    ours = [Value(x) for x in start]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
    optimizer = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}[name](ours, **kwargs)
    reference = getattr(torch.optim, name)(theirs, foreach=False, **kwargs)
    for k in range(steps):
        if k == steps // 2:  # a learning-rate schedule: lr changed between steps
            optimizer.lr = reference.param_groups[0]["lr"] = 0.3 * optimizer.lr
        grads = quadratic_bowl_gradients(ours, k)
        for p, t, g in zip(ours, theirs, grads, strict=True):
            p.grad = g
            t.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        reference.step()
        yield k, ours, theirs, optimizer, reference


@pytest.mark.parametrize(("name", "kwargs"), OPTIONS)
def test_equal_to_torch_optim_over_100_steps(name: str, kwargs: dict[str, Any]) -> None:
    for k, ours, theirs, _, _ in beside_torch(name, kwargs, 100):
        for p, t in zip(ours, theirs, strict=True):
            assert p.data == pytest.approx(t.item(), rel=1e-12, abs=1e-12), f"step {k + 1}"


def test_torchs_defaults() -> None:
    (p,) = params((1.0, 0.0))
    adam, adamw = Adam([p]), AdamW([p])
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)
    assert (adamw.lr, adamw.betas, adamw.eps, adamw.weight_decay) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        1e-2,
    )


def test_adamw_decays_the_weights_apart_from_the_gradient() -> None:
    (p,) = params((2.0, 0.0))
    AdamW([p], lr=0.1, weight_decay=0.5).step()  # a zero gradient: only the decay moves it
    assert p.data == 2.0 * (1 - 0.1 * 0.5)
    (q,) = params((2.0, 0.0))
    Adam([q], lr=0.1, weight_decay=0.5).step()  # L2: the decay is a gradient, normalised
    assert q.data == pytest.approx(2.0 - 0.1, rel=1e-9)


def test_adam_lr_can_change_and_zero_grad_resets() -> None:
    (p,) = params((1.0, 4.0))
    optimizer = Adam([p], lr=0.1)
    optimizer.lr = 0.5
    optimizer.step()
    assert p.data == pytest.approx(0.5, rel=1e-8)
    optimizer.zero_grad()
    assert p.grad == 0.0


@pytest.mark.parametrize("optimizer", [Adam, AdamW])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -0.1}, "lr must be a number >= 0, got -0.1"),
        ({"betas": (1.0, 0.9)}, r"betas\[0\] must be a number in \[0, 1\), got 1.0"),
        ({"betas": (0.9, -0.1)}, r"betas\[1\] must be a number in \[0, 1\), got -0.1"),
        ({"betas": (0.9,)}, r"betas must be a pair of numbers in \[0, 1\), got \(0.9,\)"),
        ({"eps": -1e-8}, "eps must be a number >= 0, got -1e-08"),
        ({"weight_decay": -1}, "weight_decay must be a number >= 0, got -1"),
    ],
)
def test_adam_bad_settings(optimizer: type[Adam], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{optimizer.__name__} {message}"):
        optimizer([], **kwargs)


# -- optimizer.state[p]: torch.optim's names, read-only ------------------------------

STATE_OPTIONS = [
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05}),  # no momentum: no buffer
    *OPTIONS,
]


@pytest.mark.parametrize(("name", "kwargs"), STATE_OPTIONS)
def test_state_equals_torch_optims_after_several_steps(name: str, kwargs: dict[str, Any]) -> None:
    *_, (_, ours, theirs, optimizer, reference) = beside_torch(name, kwargs, 7, seed=1)
    assert list(optimizer.state) == ours
    for p, t in zip(ours, theirs, strict=True):
        state, expected = optimizer.state[p], reference.state[t]
        names = [n for n in type(state).__dataclass_fields__ if getattr(state, n) is not None]
        assert sorted(names) == sorted(expected)  # the same entries as torch's
        for n in names:
            assert getattr(state, n) == pytest.approx(float(expected[n]), rel=1e-12, abs=1e-300)


def test_state_before_the_first_step() -> None:
    (p,) = params((1.0, 2.0))
    assert SGD([p], momentum=0.9).state[p] == SGDState(momentum_buffer=None)
    assert Adam([p]).state[p] == AdamState(step=0, exp_avg=0.0, exp_avg_sq=0.0)
    assert AdamW([p], amsgrad=True).state[p] == AdamState(0, 0.0, 0.0, max_exp_avg_sq=0.0)


def test_state_is_a_live_view_of_records() -> None:
    (p,) = params((1.0, 2.0))
    optimizer = Adam([p], lr=0.1)
    assert isinstance(optimizer.state, OptimizerState)
    before = optimizer.state[p]
    optimizer.step()
    after = optimizer.state[p]
    assert before.step == 0  # a record keeps what it read
    assert after.step == 1
    assert after.exp_avg == pytest.approx(0.1 * 2.0)
    assert after.exp_avg_sq == pytest.approx(0.001 * 4.0)
    assert after.max_exp_avg_sq is None  # no amsgrad
    assert len(optimizer.state) == 1
    assert p in optimizer.state
    assert Value(1.0) not in optimizer.state  # an equal number is not the parameter


def test_writing_to_the_state_fails_saying_why() -> None:
    (p,) = params((1.0, 2.0))
    optimizer = SGD([p], lr=0.1, momentum=0.9)
    optimizer.step()
    state = optimizer.state[p]
    read_only = r"cannot assign to SGDState.momentum_buffer: optimizer.state\[p\] is a read-only"
    with pytest.raises(AttributeError, match=read_only):
        state.momentum_buffer = 0.0  # type: ignore[misc]
    with pytest.raises(AttributeError, match=read_only):
        del state.momentum_buffer
    adam = Adam([p])
    with pytest.raises(AttributeError, match=r"cannot assign to AdamState.exp_avg: "):
        adam.state[p].exp_avg = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError, match=r"^optimizer.state is read-only: .* step\(\) changes"):
        optimizer.state[p] = SGDState(momentum_buffer=0.0)  # type: ignore[index]
    with pytest.raises(TypeError, match=r"^optimizer.state is read-only"):
        del optimizer.state[p]  # type: ignore[attr-defined]
    assert optimizer.state[p] == SGDState(momentum_buffer=2.0)  # untouched


def test_a_value_that_is_no_parameter_has_no_state() -> None:
    (p,) = params((1.0, 2.0))
    message = r"^Value\(data=1.0, grad=0.0\) is not a parameter of this"
    with pytest.raises(KeyError, match=message) as info:
        SGD([p]).state[Value(1.0)]
    assert isinstance(info.value, MicrogradError)


# -- what a caller can get wrong: clear errors, PyTorch's numbers at the edges --------

OPTIMIZERS: list[type[SGD] | type[Adam]] = [SGD, Adam, AdamW]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize(
    ("parameters", "error", "message"),
    [
        (lambda p: p, TypeError, r"takes an iterable of Values .*got Value"),
        (lambda p: [p.data], TypeError, r"takes Values to update, got float at position 0"),
        (lambda p: [p, Value(2.0), p], ValueError, r"got parameter 2 twice .*parameter 0"),
        (lambda p: [], ValueError, r"got an empty parameter list"),
    ],
)
def test_the_parameters_are_values_each_once(
    optimizer: type[SGD] | type[Adam], parameters: Any, error: type[Exception], message: str
) -> None:
    (p,) = params((1.0, 1.0))
    with pytest.raises(error, match=f"^{optimizer.__name__} {message}") as info:
        optimizer(parameters(p))
    assert isinstance(info.value, MicrogradError)


def test_parameters_may_come_from_a_generator() -> None:
    ps = params((1.0, 1.0), (2.0, -1.0))
    optimizer = Adam(p for p in ps)
    assert optimizer.parameters == ps
    assert list(optimizer.state) == ps


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize(("setting", "given"), [("lr", "0.1"), ("lr", None), ("weight_decay", [])])
def test_a_setting_that_is_no_number(
    optimizer: type[SGD] | type[Adam], setting: str, given: object
) -> None:
    settings: dict[str, Any] = {setting: given}
    with pytest.raises(TypeError, match=f"^{optimizer.__name__} {setting} must be a real number"):
        optimizer(params((1.0, 0.0)), **settings)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize(("setting", "given"), [("lr", math.nan), ("weight_decay", math.nan)])
def test_a_nan_setting_is_refused(
    optimizer: type[SGD] | type[Adam], setting: str, given: float
) -> None:
    settings: dict[str, Any] = {setting: given}
    with pytest.raises(ValueError, match=f"{setting} must be a number >= 0, got nan") as info:
        optimizer(params((1.0, 0.0)), **settings)
    assert isinstance(info.value, MicrogradError)


@pytest.mark.parametrize(
    ("name", "kwargs", "grads"),
    [
        ("Adam", {"eps": 0.0}, [0.0, 0.0]),  # 0 / 0
        ("Adam", {"eps": 0.0, "lr": 0.1}, [1e-200, 1e-200]),  # the square underflows: m / 0
        ("AdamW", {"eps": 0.0, "amsgrad": True, "maximize": True}, [0.0, 1.0]),
    ],
)
def test_eps_zero_divides_as_torch_does(
    name: str, kwargs: dict[str, Any], grads: list[float]
) -> None:
    """A zero denominator gives NaN or inf, as in PyTorch, not a ZeroDivisionError mid-step."""
    torch = pytest.importorskip("torch")
    p = Value(1.0)
    t = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    ours = {"Adam": Adam, "AdamW": AdamW}[name]([p], **kwargs)
    theirs = getattr(torch.optim, name)([t], foreach=False, **kwargs)
    for g in grads:
        p.grad = g
        t.grad = torch.tensor(g, dtype=torch.float64)
        ours.step()
        theirs.step()
        assert str(p.data) == str(t.item())  # nan and inf compare by name


def test_eps_zero_without_torch() -> None:
    p, q = Value(1.0), Value(1.0)
    optimizer = Adam([p, q], eps=0.0)
    q.grad = 1.0
    optimizer.step()  # p: 0 / 0; q moves on
    assert math.isnan(p.data)
    assert q.data == pytest.approx(1.0 - 1e-3)
    assert optimizer.state[q].step == 1


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_a_setting_beyond_the_floats_is_refused(optimizer: type[SGD] | type[Adam]) -> None:
    with pytest.raises(
        ArgumentError, match=f"^{optimizer.__name__} lr must be a real number within the floats"
    ):
        optimizer(params((1.0, 0.0)), lr=10**400)
