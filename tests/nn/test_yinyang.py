"""The yin-yang data, LLM101n's generator, splits, fan-in weights, accuracy and fit()."""

from __future__ import annotations

import random
from typing import Any

import pytest

from micrograd_core import MicrogradError, Value
from micrograd_nn import (
    MLP,
    RNG,
    SGD,
    AdamW,
    Neuron,
    accuracy,
    cross_entropy_loss,
    fit,
    hinge_loss,
    make_moons,
    make_yinyang,
    measure,
    split_dataset,
    train,
)


def test_rng_is_xorshift_star() -> None:
    rng = RNG(42)
    # xorshift64* by hand for the first draw
    s = 42
    s ^= s >> 12
    s ^= (s << 25) & (2**64 - 1)
    s ^= s >> 27
    assert rng.random_u32() == ((s * 0x2545F4914F6CDD1D) >> 32) & 0xFFFFFFFF
    xs = [rng.random() for _ in range(1000)]
    assert all(0.0 <= x < 1.0 for x in xs)
    assert all(x * 2**24 == int(x * 2**24) for x in xs)  # 24 random bits: a float32


@pytest.mark.parametrize("seed", [0, -1, 2**64, 1.5])
def test_rng_refuses_a_seed_it_cannot_use(seed: Any) -> None:
    with pytest.raises(ValueError, match=r"RNG needs an int seed in 1\.\.2"):
        RNG(seed)


def test_yinyang_points_lie_in_the_disc_in_three_balanced_classes() -> None:
    X, y = make_yinyang(300, seed=7)
    assert y == [0, 1, 2] * 100
    assert all(x0**2 + x1**2 <= 4.0 + 1e-12 for x0, x1 in X)
    assert make_yinyang(30, seed=7) == make_yinyang(30, rng=RNG(7))
    assert make_yinyang(30, seed=7) != make_yinyang(30, seed=8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 0}, "make_yinyang needs an int n_samples >= 1, got 0"),
        (
            {"r_small": 0.3},
            r"make_yinyang needs 0 < r_small < r_big / 2, got r_small=0.3, r_big=0.5",
        ),
    ],
)
def test_yinyang_bad_settings(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        make_yinyang(**kwargs)
    assert isinstance(info.value, MicrogradError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        # the dots cover (pi/2) * 4e-600 of the square: drawing a point in them never ended
        ({"r_small": 1e-300}, "r_small and r_big between 1e-150 and 1e150, got r_small=1e-300"),
        (
            {"r_big": float("inf")},
            "r_small and r_big between 1e-150 and 1e150, got r_small=0.1, r_big=inf",
        ),
        ({"r_big": 1e200}, "r_small and r_big between 1e-150 and 1e150"),  # its square overflowed
        ({"r_small": 1e-4}, r"r_small / r_big >= 8\.0e-04, got 0\.0002 .*millions of draws"),
    ],
)
def test_yinyang_refuses_radii_it_could_never_draw(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^make_yinyang needs {message}") as info:
        make_yinyang(3, seed=1, **kwargs)
    assert isinstance(info.value, MicrogradError)


def test_yinyang_small_dots_still_draw() -> None:
    _, y = make_yinyang(3, r_small=1e-3, seed=1)  # about 640,000 draws for the dot
    assert y == [0, 1, 2]


def test_yinyang_wants_a_generator_not_a_seed_as_rng() -> None:
    with pytest.raises(
        TypeError, match=r"rng a generator with uniform\(a, b\).*got int; pass seed="
    ):
        make_yinyang(3, rng=5)  # type: ignore[arg-type]


def test_numpy_integers_as_sizes_and_seeds() -> None:
    np = pytest.importorskip("numpy")
    assert make_yinyang(np.int32(9), seed=np.uint64(5)) == make_yinyang(9, seed=5)


@pytest.mark.parametrize("n", [1, 7, 10, 29, 100, 1000, 1001])
def test_split_cuts_where_llm101n_cuts(n: int) -> None:
    X, y = list(range(n)), [i % 3 for i in range(n)]
    (a, ya), (b, _), (c, _) = split_dataset(X, y)
    assert (a, b, c) == (X[: int(0.8 * n)], X[int(0.8 * n) : int(0.9 * n)], X[int(0.9 * n) :])
    assert ya == y[: int(0.8 * n)]


def test_split_cuts_where_llm101n_cuts_at_every_size() -> None:
    for n in range(3000):
        sizes = [len(part) for part, _ in split_dataset(range(n), range(n))]
        assert sizes == [int(0.8 * n), int(0.9 * n) - int(0.8 * n), n - int(0.9 * n)], n


@pytest.mark.parametrize(
    ("n", "fractions", "sizes"),
    [
        (3, [1 / 3] * 3, [1, 1, 1]),  # (1/3) * 3 is 0.9999999999999999: was [0, 2, 1]
        (9, [1 / 3] * 3, [3, 3, 3]),  # was [2, 4, 3]
        (7, [1 / 7] * 7, [1] * 7),  # was [0, 1, 1, 2, 1, 1, 1]
        (100, [0.29, 0.71], [29, 71]),  # 0.29 * 100 is 28.999999999999996: was [28, 72]
        (10, [0.25, 0.75], [2, 8]),  # 2.5: cut below, as int() does
    ],
)
def test_split_ends_where_exact_fractions_end(
    n: int, fractions: list[float], sizes: list[int]
) -> None:
    parts = split_dataset(list(range(n)), list(range(n)), fractions)
    assert [len(x) for x, _ in parts] == sizes


@pytest.mark.parametrize(
    ("inputs", "fractions", "message"),
    [
        (iter([1, 2]), (1.0,), "takes the inputs as a sequence .*got list_iterator"),
        ([1, 2], 1.0, "takes the fractions as a sequence .*got float"),
        ([1, 2], ("a",), "fractions must be a real number, got 'a'"),
    ],
)
def test_split_arguments_of_the_wrong_type(inputs: Any, fractions: Any, message: str) -> None:
    with pytest.raises(TypeError, match=f"^split_dataset {message}") as info:
        split_dataset(inputs, [1, 2], fractions)
    assert isinstance(info.value, MicrogradError)


def test_split_into_any_parts() -> None:
    parts = split_dataset(list("abcdef"), [1, 2, 3, 4, 5, 6], (0.5, 0.5))
    assert parts == [(["a", "b", "c"], [1, 2, 3]), (["d", "e", "f"], [4, 5, 6])]


@pytest.mark.parametrize(
    ("fractions", "message"),
    [((0.5, 0.4), "fractions >= 0 that sum to 1"), ((1.2, -0.2), "fractions >= 0"), ((), "")],
)
def test_split_bad_fractions(fractions: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=f"split_dataset needs {message}"):
        split_dataset([1, 2], [1, 2], fractions)


def test_split_needs_as_many_labels_as_inputs() -> None:
    with pytest.raises(ValueError, match="split_dataset got 2 inputs but 1 labels"):
        split_dataset([1, 2], [1])


def test_fan_in_init_scales_the_uniform_draws() -> None:
    plain = Neuron(4, rng=random.Random(3))
    scaled = Neuron(4, rng=random.Random(3), init="fan_in")
    assert [w.data for w in scaled.w] == [w.data * 4**-0.5 for w in plain.w]
    assert scaled.b.data == 0.0
    model = MLP(2, [8, 3], activation="tanh", rng=RNG(1), init="fan_in")
    assert all(abs(w.data) <= 8**-0.5 for w in model.layers[1].neurons[0].w)
    with pytest.raises(ValueError, match="init must be one of 'uniform', 'fan_in', got 'he'"):
        Neuron(2, init="he")  # type: ignore[arg-type]


def test_multiclass_accuracy_takes_the_first_largest_logit() -> None:
    logits = [[Value(1.0), Value(1.0)], [Value(0.0), Value(2.0)], [Value(5.0), Value(-1.0)]]
    assert accuracy(logits, [0, 1, 1]) == 2 / 3
    with pytest.raises(ValueError, match="accuracy got 3 outputs but 2 labels"):
        accuracy(logits, [0, 1])
    with pytest.raises(ValueError, match="accuracy needs at least one output"):
        accuracy([], [])


def test_fit_with_micrograds_loss_and_sgd_is_train() -> None:
    # fit() with the demo's loss, optimiser and schedule gives train()'s steps.
    X, y01 = make_moons(20, noise=0.1, seed=3)
    y = [2 * t - 1 for t in y01]
    a = MLP(2, [8, 1], rng=random.Random(5))
    b = MLP(2, [8, 1], rng=random.Random(5))
    expected = list(train(a, X, y, steps=10, alpha=0.0))
    got = list(
        fit(
            b,
            hinge_loss,
            SGD(b.parameters(), lr=1.0),
            (X, y),
            steps=10,
            lr=lambda k: 1.0 - 0.9 * k / 10,
        )
    )
    assert [(r.step, r.train_loss, r.train_accuracy, r.learning_rate) for r in got] == [
        (s.step, s.loss, s.accuracy, s.learning_rate) for s in expected
    ]


def test_fit_measures_val_and_test_every_k_steps_before_the_update() -> None:
    X, y = make_yinyang(60, seed=3)
    train_data, val_data, test_data = split_dataset(X, y)
    model = MLP(2, [6, 3], activation="tanh", rng=RNG(3), init="fan_in")
    optimizer = AdamW(model.parameters(), lr=0.05)
    before = measure(model, cross_entropy_loss, val_data)
    records = list(
        fit(
            model,
            cross_entropy_loss,
            optimizer,
            train_data,
            steps=7,
            val_data=val_data,
            test_data=test_data,
            every=3,
        )
    )
    measured = [r.step for r in records if r.val_loss is not None]
    assert measured == [r.step for r in records if r.test_accuracy is not None] == [1, 4, 7]
    assert (records[0].val_loss, records[0].val_accuracy) == before
    assert records[1].val_loss is None


def test_fit_compiled_equals_eager() -> None:
    def run(compile: bool) -> list[Any]:  # noqa: A002
        X, y = make_yinyang(30, seed=11)
        model = MLP(2, [5, 3], activation="tanh", rng=RNG(2), init="fan_in")
        optimizer = AdamW(model.parameters(), lr=0.1)
        return list(fit(model, cross_entropy_loss, optimizer, (X, y), steps=15, compile=compile))

    eager, compiled = run(compile=False), run(compile=True)
    assert [r.train_loss for r in compiled] == pytest.approx(
        [r.train_loss for r in eager], rel=1e-12
    )
    assert [r.train_accuracy for r in compiled] == [r.train_accuracy for r in eager]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": -1}, "fit needs an int steps >= 0, got -1"),
        ({"every": 0}, r"fit needs an int every >= 1 \(measure every that many steps\), got 0"),
    ],
)
def test_fit_bad_settings(kwargs: dict[str, Any], message: str) -> None:
    model = MLP(2, [3])
    with pytest.raises(ValueError, match=message):
        next(fit(model, cross_entropy_loss, SGD(model.parameters()), ([[0.0, 0.0]], [0]), **kwargs))


def test_fit_needs_as_many_targets_as_inputs() -> None:
    model = MLP(2, [3])
    with pytest.raises(ValueError, match="fit got 1 training inputs but 2 targets"):
        next(fit(model, cross_entropy_loss, SGD(model.parameters()), ([[0.0, 0.0]], [0, 1])))
