"""The moons data set: shape, labels, geometry, noise, seeds."""

from __future__ import annotations

import math
import statistics

import pytest

from micrograd_core import MicrogradError
from micrograd_nn import make_moons


def test_shape_and_labels() -> None:
    X, y = make_moons(101, noise=0.1, seed=0)
    assert len(X) == len(y) == 101
    assert all(len(row) == 2 for row in X)
    assert (y.count(0), y.count(1)) == (50, 51)  # sklearn's split: n // 2 outer


def test_without_noise_points_lie_on_the_two_half_circles() -> None:
    X, y = make_moons(40, seed=1)
    for (px, py), label in zip(X, y, strict=True):
        cx, cy = (0.0, 0.0) if label == 0 else (1.0, 0.5)
        assert math.hypot(px - cx, py - cy) == pytest.approx(1.0, abs=1e-12)
        assert (py >= -1e-12) if label == 0 else (py <= 0.5 + 1e-12)


def test_noise_is_gaussian_with_the_given_deviation() -> None:
    clean, _ = make_moons(4000, seed=3)
    noisy, _ = make_moons(4000, noise=0.1, seed=3)  # same seed: same shuffle, then noise
    offsets = [n[0] - c[0] for n, c in zip(noisy, clean, strict=True)]
    assert statistics.stdev(offsets) == pytest.approx(0.1, rel=0.05)
    assert statistics.mean(offsets) == pytest.approx(0.0, abs=0.01)


def test_same_seed_same_points_other_seed_other_points() -> None:
    assert make_moons(50, noise=0.1, seed=5) == make_moons(50, noise=0.1, seed=5)
    assert make_moons(50, noise=0.1, seed=5) != make_moons(50, noise=0.1, seed=6)


def test_points_are_shuffled() -> None:
    _, y = make_moons(100, seed=0)
    assert y != sorted(y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 1}, "n_samples >= 2, got 1"),
        ({"n_samples": 10.0}, "n_samples >= 2, got 10.0"),
        ({"noise": -0.1}, r"noise >= 0 \(a standard deviation\), got -0.1"),
        ({"noise": math.inf}, r"a finite noise >= 0 \(a standard deviation\), got inf"),
    ],
)
def test_bad_arguments(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        make_moons(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, MicrogradError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": None}, r"needs an int n_samples >= 2, got None \(NoneType\)"),
        ({"noise": "0.1"}, r"noise must be a real number, got '0.1' \(str\)"),
    ],
)
def test_arguments_of_the_wrong_type(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(TypeError, match=f"^make_moons {message}") as info:
        make_moons(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, MicrogradError)


def test_a_numpy_integer_is_a_number_of_samples() -> None:
    np = pytest.importorskip("numpy")
    assert make_moons(np.int64(6), seed=3) == make_moons(6, seed=3)
