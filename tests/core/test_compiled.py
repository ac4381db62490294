"""compile_graph: a replay computes what a freshly built graph computes, to the last bit."""

from __future__ import annotations

import gc
import math
import random
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import micrograd_trig
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd_ops
from micrograd_core import (
    CompiledGraph,
    DivisionByZeroError,
    DomainError,
    GraphChangedError,
    Inline,
    InvalidOpError,
    MicrogradError,
    Op,
    OpRegistry,
    Provenance,
    Value,
    apply,
    compile_graph,
    load_registry,
)
from micrograd_core import _kernel as kernel_module
from micrograd_core import _replay_plan as replay_plan_module
from micrograd_core import compiled as compiled_module
from micrograd_nn import MLP, moons_classifier, train
from micrograd_nn.training import _objective, scores
from tests.helpers import RANDOM_KINDS, Program, run_program, run_switching_often

Build = Callable[[], Value]


@pytest.fixture(autouse=True)
def builtin(builtin_registry: OpRegistry) -> OpRegistry:
    """Every test runs on the built-in ops alone, whatever plugins are installed."""
    return builtin_registry


def fresh(build: Build, leaves: Sequence[Value]) -> tuple[float, list[float]]:
    """The root's value and the leaves' gradients from a graph built now (grads from 0)."""
    for leaf in leaves:
        leaf.grad = 0.0
    root = build()
    root.backward()
    return root.data, [leaf.grad for leaf in leaves]


def replayed(compiled: CompiledGraph, leaves: Sequence[Value]) -> tuple[float, list[float]]:
    """The same from a replay of the compiled graph."""
    for leaf in leaves:
        leaf.grad = 0.0
    data = compiled.forward()
    compiled.backward()
    return data, [leaf.grad for leaf in leaves]


def same(a: tuple[float, list[float]], b: tuple[float, list[float]]) -> bool:
    """Bit for bit (as hex: -0.0 is not 0.0, NaN is NaN)."""
    return [x.hex() for x in [a[0], *a[1]]] == [x.hex() for x in [b[0], *b[1]]]


def check_replays(
    build: Build, leaves: Sequence[Value], settings: Iterator[Sequence[float]]
) -> CompiledGraph:
    """Compile once, then for each setting of the leaves compare a replay with a fresh graph."""
    compiled = compile_graph(build())
    for setting in settings:
        for leaf, x in zip(leaves, setting, strict=True):
            leaf.data = x
        expected = fresh(build, leaves)
        got = replayed(compiled, leaves)
        assert same(got, expected), (setting, got, expected)
    return compiled


# -- the same numbers -----------------------------------------------------------


def test_replay_after_the_inputs_change() -> None:
    x, y, w = Value(0.5), Value(-1.5), Value(2.0)

    def build() -> Value:
        return ((x * w + y).tanh() * x + (y * y).exp()) / (w**2 + 1)

    rng = random.Random(0)
    check_replays(build, [x, y, w], ([rng.uniform(-2, 2) for _ in range(3)] for _ in range(50)))


def test_relu_branches_flip_between_replays() -> None:
    x, w = Value(1.0), Value(0.5)

    def build() -> Value:
        return (x * w).relu() * 3 + (x - 1).relu()

    # both relus change side, and pass through their kink at 0 (relu'(0) = 0)
    settings = [(1.0, 0.5), (-1.0, 0.5), (2.0, -1.0), (0.0, 1.0), (1.0, 0.0), (3.0, 2.0)]
    check_replays(build, [x, w], iter(settings))


def test_shared_subexpressions_and_constants() -> None:
    a, b = Value(1.5), Value(-0.75)

    def build() -> Value:
        e = a * b  # used four times
        f = e * e + e * 2 + 1 / e + a**2 - 3  # x * x: one node, both inputs the same
        return apply("affine", f, e, e, a, a, b, 2.0) + 2**a

    rng = random.Random(1)
    settings = ([rng.uniform(0.1, 2), rng.uniform(-2, -0.1)] for _ in range(30))
    check_replays(build, [a, b], settings)


def test_a_node_with_more_users_than_one_row_sums() -> None:
    # x has 75 users: its gradient is summed in rows of 32, 32 and 11 terms
    x, y = Value(0.7), Value(-0.3)

    def build() -> Value:
        total = y * 0.0
        for k in range(75):
            total = total + (x * (k / 7 - 5) + y).tanh()
        return total

    rng = random.Random(4)
    check_replays(build, [x, y], ([rng.uniform(-1, 1) for _ in range(2)] for _ in range(10)))


def test_gradients_accumulate_like_backward() -> None:
    # backward() adds to .grad: two replays add twice, as two backward() calls do
    x = Value(3.0)
    compiled = compile_graph(x * x)
    compiled.backward()
    compiled.backward()
    assert x.grad == 12.0


def test_a_leaf_as_root() -> None:
    x = Value(2.0)
    compiled = compile_graph(x)
    x.data = 5.0
    assert compiled.forward() == 5.0
    compiled.backward()
    assert x.grad == 1.0


def test_an_op_from_a_third_party_plugin() -> None:
    trig = load_registry({"builtin": micrograd_ops}, environ={}).with_ops(
        micrograd_trig.OPS, Provenance("trig")
    )
    x, y = Value(0.3), Value(1.2)

    def build() -> Value:
        return apply("atan", apply("sin", x) * apply("cos", y) + apply("tan", x * y))

    with trig.activated():
        rng = random.Random(2)
        compiled = check_replays(
            build, [x, y], ([rng.uniform(-0.7, 0.7) for _ in range(2)] for _ in range(20))
        )
        x.data, y.data = 0.25, -0.5
        expected = fresh(build, [x, y])
    # the registry is gone; the compiled graph keeps the ops it was traced with
    assert replayed(compiled, [x, y]) == expected


def test_the_demo_over_100_steps() -> None:
    # the demo's model on fewer points: 100 steps, every loss and gradient compared
    model, X, y = moons_classifier(seed=0, hidden=(8, 8), n_samples=30)
    twin, _, _ = moons_classifier(seed=0, hidden=(8, 8), n_samples=30)
    compiled = None
    for k in range(100):
        batch = scores(model, X)
        loss = _objective(batch, y, model.parameters(), 1e-4)
        model.zero_grad()
        loss.backward()
        if compiled is None:
            twin_batch = scores(twin, X)
            compiled = compile_graph(_objective(twin_batch, y, twin.parameters(), 1e-4))
        twin.zero_grad()
        assert compiled.forward() == loss.data
        compiled.backward()
        assert [p.grad for p in twin.parameters()] == [p.grad for p in model.parameters()]
        assert [s.data for s in twin_batch] == [s.data for s in batch]
        for m in (model, twin):
            for p in m.parameters():
                p.data -= (1.0 - 0.9 * k / 100) * p.grad


def test_train_with_compile_gives_the_same_steps() -> None:
    # compile=True replays one example's graph over the data set: its sums over
    # the examples are added in another order, so the same to about 1e-12
    model, X, y = moons_classifier(seed=0, n_samples=40)
    twin, _, _ = moons_classifier(seed=0, n_samples=40)
    built, replayed = (
        list(train(model, X, y, steps=10)),
        list(train(twin, X, y, steps=10, compile=True)),
    )
    assert [s.loss for s in replayed] == pytest.approx([s.loss for s in built], rel=1e-12)
    assert [s.accuracy for s in replayed] == [s.accuracy for s in built]
    assert [p.data for p in twin.parameters()] == pytest.approx(
        [p.data for p in model.parameters()], rel=1e-12, abs=1e-15
    )


# -- random graphs -------------------------------------------------------------


def random_graph(program: Program, xs: list[Value]) -> Value:
    """A random graph of ``xs``, with an op without inline expressions run per node."""
    plain = shifted(None)
    return run_program(program, list(xs), lambda a, b, c: apply(plain, a) * c)


program_steps = st.lists(
    st.tuples(
        st.sampled_from(RANDOM_KINDS),
        st.integers(0, 40),
        st.integers(0, 40),
        st.sampled_from([-1.5, -1.0, -0.5, 0.0, 0.5, 2.0]),
    ),
    min_size=1,
    max_size=25,
)
leaf_values = st.lists(st.sampled_from([-1.0, -0.5, 0.0, 0.25, 1.0, 1.5]) | st.floats(-2, 2),
                       min_size=3, max_size=3)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(program=program_steps, points=st.lists(leaf_values, min_size=1, max_size=3))
def test_random_graphs_replay_as_they_build(
    program: list[tuple[str, int, int, float]], points: list[list[float]]
) -> None:
    xs = [Value(0.5), Value(-1.0), Value(2.0)]
    check_replays(lambda: random_graph(program, xs), xs, iter(points))


def test_threads_compile_and_replay_their_own_graphs() -> None:
    """Kernels are compiled once per process and shared: threads racing to compile
    the same ones, then replaying, each get their own graph's numbers."""
    for cache in (kernel_module._kernel, kernel_module._partials_kernel):
        cache.cache_clear()
    program = [("tanh", 0, 1, 0.5), ("affine", 3, 2, -1.0), ("relu", 4, 0, 2.0), ("mul", 5, 3, 0.0)]
    failures: list[str] = []
    start = threading.Barrier(4)

    def run(seed: int) -> None:
        rng = random.Random(seed)
        xs = [Value(rng.uniform(-1, 1)) for _ in range(3)]
        start.wait()
        try:
            check_replays(
                lambda: random_graph(program, xs),
                xs,
                ([rng.uniform(-2, 2) for _ in range(3)] for _ in range(40)),
            )
        except AssertionError as e:  # pragma: no cover  (reported below)
            failures.append(f"thread {seed}: {e}")

    run_switching_often([threading.Thread(target=run, args=(seed,)) for seed in range(4)])
    assert failures == []


# -- a wrong replay is caught -----------------------------------------------------


def sabotage(monkeypatch: pytest.MonkeyPatch, change: Callable[[Any], Any]) -> None:
    """Make compile_graph build ``change(plan)`` instead of its plan."""
    real_plan = replay_plan_module._plan
    monkeypatch.setattr(compiled_module, "_plan", lambda order: change(real_plan(order)))


def test_a_replay_with_stale_partials_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The relu test fails on a replay that keeps each partial's value from the trace."""

    def stale(plan: Any) -> Any:
        for kernel, rows in plan.partials:
            kernel(plan.buffer, rows)
        return plan._replace(partials=[])

    sabotage(monkeypatch, stale)
    with pytest.raises(AssertionError):
        test_relu_branches_flip_between_replays()


def test_a_replay_that_adds_a_shared_input_once_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared-subexpression test fails on a replay that merges repeated inputs (x * x)."""
    real_sums = replay_plan_module._sums

    def merged(terms: list[list[int]], level: list[int]) -> Any:
        once = []
        for flat in terms:
            pairs = list(zip(flat[::2], flat[1::2], strict=True))
            once.append([x for pair in dict.fromkeys(pairs) for x in pair])
        return real_sums(once, level)

    monkeypatch.setattr(replay_plan_module, "_sums", merged)
    with pytest.raises(AssertionError):
        test_shared_subexpressions_and_constants()


def test_a_replay_that_sums_in_another_order_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo test and the random graphs fail on a replay whose gradient sums add the
    users first to last: the same terms, rounded in another order."""
    real_sums = replay_plan_module._sums

    def reordered(terms: list[list[int]], level: list[int]) -> Any:
        flipped = [[x for i in range(len(t) - 2, -1, -2) for x in t[i : i + 2]] for t in terms]
        return real_sums(flipped, level)

    monkeypatch.setattr(replay_plan_module, "_sums", reordered)
    with pytest.raises(AssertionError):
        test_the_demo_over_100_steps()
    with pytest.raises(AssertionError):
        test_random_graphs_replay_as_they_build()


def test_a_replay_that_sums_a_long_sums_rows_out_of_order_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The many-users test fails on a replay that adds a long sum's last row first."""

    def short_rows_first(group: tuple[tuple[int, int], object]) -> tuple[int, int]:
        (level, count), _ = group
        return -level, count

    monkeypatch.setattr(replay_plan_module, "_top_down_full_rows_first", short_rows_first)
    with pytest.raises(AssertionError):
        test_a_node_with_more_users_than_one_row_sums()


def test_a_replay_that_reads_stale_leaves_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo test fails on a replay that skips a node in its first forward loop."""

    def stale(plan: Any) -> Any:
        (kernel, rows), *rest = plan.forward
        return plan._replace(forward=[(kernel, rows[1:]), *rest])

    sabotage(monkeypatch, stale)
    with pytest.raises(AssertionError):
        test_the_demo_over_100_steps()


def test_a_replay_out_of_level_order_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inputs test fails on a replay that runs the forward levels top down."""
    sabotage(monkeypatch, lambda plan: plan._replace(forward=plan.forward[::-1]))
    with pytest.raises(AssertionError):
        test_replay_after_the_inputs_change()


# -- inline expressions ------------------------------------------------------------


def shifted(inline: Inline | None) -> Op:
    """An op ``x + 1`` whose inline expressions are ``inline``."""
    return Op(
        "shifted", 1, forward=lambda x: x + 1.0, partials=(lambda x, out: 1.0,), inline=inline
    )


def test_the_replay_runs_an_ops_inline_expressions() -> None:
    """An op whose expressions disagree with its functions (a bug the contract kit
    reports) shows which ones a replay runs, and verify=True catches the difference."""
    liar = shifted(Inline("x0 + 2.0", partials=("3.0",)))
    x = Value(1.0)
    compiled = compile_graph(apply(liar, x) * x)
    x.data = 2.0
    assert compiled.forward() == 8.0  # (2 + 2) * 2, the expression's
    compiled.backward()
    assert x.grad == 3.0 * 2.0 + 4.0
    with pytest.raises(
        GraphChangedError, match=r"the replay gives 4\.0 where the engine gives 3\.0"
    ):
        compiled.forward(verify=True)


def test_ops_with_and_without_inline_expressions_in_one_graph() -> None:
    # pow offers none: its functions run between the built-ins' loops
    plain = shifted(None)
    x, y = Value(0.5), Value(1.5)

    def build() -> Value:
        return apply(plain, (x * y).tanh() ** y) * x + apply("affine", y, x, y, x, 2.0)

    rng = random.Random(3)
    check_replays(build, [x, y], ([rng.uniform(0.1, 2) for _ in range(2)] for _ in range(30)))


def test_inline_expressions_that_fail_for_some_arity_fall_back_to_the_functions() -> None:
    def inline(n: int) -> Inline:
        if n > 3:
            msg = "only up to 3 inputs"
            raise ValueError(msg)
        return Inline(" + ".join(f"x{i}" for i in range(n)), partials=("1.0",) * n)

    total = Op("total", 1, variadic=1, forward=lambda *xs: sum(xs, 0.0), inline=inline,
               gradient=lambda *xs: [1.0] * (len(xs) - 1))  # fmt: skip
    xs = [Value(float(i)) for i in range(5)]

    def build() -> Value:
        return apply(total, *xs[:3]) * apply(total, *xs)

    check_replays(build, xs, ([float(i * k) for i in range(5)] for k in range(5)))


@pytest.mark.parametrize(
    ("inline", "problem"),
    [
        (Inline("y0 + 2.0", partials=("y0",)), r"inline forward 'y0 \+ 2\.0': uses 'y0'"),
        (Inline("x0 + x1", partials=("1.0",)), r"inline forward 'x0 \+ x1': uses 'x1'"),
    ],
)
def test_invalid_inline_expressions_of_an_unregistered_op_are_its_error(
    inline: Inline, problem: str
) -> None:
    # an op applied without registering it was never validated: a name that is no
    # input (y0), or an input it does not have (x1), never reaches a loop, and the
    # replay does not quietly call the functions instead: the op's error names it
    root = apply(shifted(inline), Value(2.0))
    with pytest.raises(InvalidOpError, match=f"^op 'shifted': {problem}") as e:
        compile_graph(root)
    assert e.value.op_name == "shifted"


def test_a_neuron_too_wide_to_compile_inline_falls_back_to_the_functions() -> None:
    # 1,501 products in one expression are deeper than Python's compiler goes
    ws = [Value(random.Random(i).uniform(-1, 1)) for i in range(1501)]

    def build() -> Value:
        return apply("affine", 0.5, *(x for w in ws for x in (w, w))).tanh()

    check_replays(build, ws[:3], ([0.01 * k] * 3 for k in range(3)))


def test_an_overflow_in_a_replay_is_the_ops_domain_error() -> None:
    # mul's inline expression does not check for overflow; its function does
    x, y = Value(2.0), Value(3.0)
    compiled = compile_graph(x * y + 1)
    x.data = 1e200
    y.data = 1e200
    with pytest.raises(DomainError, match=r"mul\(1e\+200, 1e\+200\) overflows .*at node 3 of 5"):
        compiled.forward()


def test_an_inline_partial_that_is_not_finite_where_its_function_raises() -> None:
    def d_root(x: float, out: float) -> float:
        if out == 0:
            msg = "root: no derivative at 0"
            raise DomainError(msg, op_name="root", inputs=(x,))
        return 0.5 / out

    root = Op(
        "root",
        1,
        forward=math.sqrt,
        partials=(d_root,),
        inline=Inline("math.sqrt(x0)", partials=("0.5 / out if out else math.inf",)),
    )
    x = Value(4.0)
    compiled = compile_graph(apply(root, x) * 3.0)
    compiled.backward()
    assert x.grad == 0.75
    x.data = 0.0
    compiled.forward()
    with pytest.raises(DomainError, match="root: no derivative at 0; at node 2 of 4"):
        compiled.backward()


def test_a_partial_read_in_place_is_checked_after_a_forward_that_was_not_finite() -> None:
    # the partial is an input (read where it is, never computed), and its
    # function raises where that input is infinite
    def d_half_square(x: float, out: float) -> float:
        if not math.isfinite(x):
            msg = "half_square: no derivative at infinity"
            raise DomainError(msg, op_name="half_square", inputs=(x,))
        return x

    half_square = Op(
        "half_square",
        1,
        forward=lambda x: x * x * 0.5,
        partials=(d_half_square,),
        inline=Inline("x0 * x0 * 0.5", partials=("x0",)),
    )
    x = Value(2.0)
    compiled = compile_graph(apply(half_square, x) + 1.0)
    compiled.backward()
    assert x.grad == 2.0
    x.data = math.inf
    assert compiled.forward() == math.inf
    with pytest.raises(DomainError, match="no derivative at infinity; at node 2 of 4"):
        compiled.backward()


def test_infinite_and_nan_inputs_replay_as_the_engine_computes() -> None:
    x, y = Value(1.0), Value(2.0)

    def build() -> Value:
        return (x * y).relu() + (x + y).tanh() * y

    settings = [(math.inf, 1.0), (-math.inf, 2.0), (math.nan, 1.0), (1.0, 2.0), (0.0, math.inf)]
    check_replays(build, [x, y], iter(settings))


# -- what is frozen, and the check for it ---------------------------------------


def test_verify_catches_control_flow_that_changed() -> None:
    x = Value(2.0)

    def build() -> Value:
        return x * 2 if x.data > 0 else x + 2  # Python control flow on .data

    compiled = compile_graph(build(), build=build)
    x.data = 3.0
    assert compiled.forward(verify=True) == 6.0
    x.data = -3.0
    assert compiled.forward() == -6.0  # the traced branch, replayed
    with pytest.raises(GraphChangedError, match=r"has add at node 2 of 3 .*op 'mul'.*control") as e:
        compiled.forward(verify=True)
    assert e.value.node == 2


def test_verify_catches_a_different_shape_and_a_different_value() -> None:
    x = Value(2.0)
    grow = [False]

    def build() -> Value:
        y = x * 2
        return y + 1 if grow[0] else y

    compiled = compile_graph(build(), build=build)
    grow[0] = True
    with pytest.raises(GraphChangedError, match="has 5 nodes where the traced one has 3"):
        compiled.forward(verify=True)
    # the same structure but another constant: the values differ
    k = [2.0]
    compiled = compile_graph(x * k[0], build=lambda: x * k[0])
    k[0] = 3.0
    with pytest.raises(
        GraphChangedError, match=r"replay gives 2.0 where .* gives 3.0 at node 0 .*a constant"
    ):
        compiled.forward(verify=True)


def test_verify_without_build_recomputes_through_the_engine() -> None:
    x = Value(0.5)
    compiled = compile_graph((x * 3).tanh())
    x.data = -1.25
    assert compiled.forward(verify=True) == (Value(-1.25) * 3).tanh().data


# -- errors name the op and its place ---------------------------------------------


def test_a_domain_error_in_a_forward_replay() -> None:
    x = Value(2.0)
    compiled = compile_graph(apply("log", x * 1.5))
    x.data = -1.0
    with pytest.raises(DomainError, match=r"^log\(-1.5\) is outside .*at node 3 of 4") as e:
        compiled.forward()
    assert e.value.op_name == "log"


def test_a_domain_error_in_a_backward_replay() -> None:
    a, b = Value(2.0), Value(2.0)
    compiled = compile_graph(a**b)
    a.data = -2.0
    assert compiled.forward() == 4.0
    with pytest.raises(DomainError, match=r"pow: d/dy of x \*\* y .* at node 2 of 3"):
        compiled.backward()


def test_an_op_result_that_is_no_real_number() -> None:
    def forward(x: float) -> Any:
        return complex(x, 1) if x < 0 else x

    def partial(x: float, out: float) -> Any:
        return 1j if x > 5 else 1

    odd = Op("odd", 1, forward=forward, partials=(partial,))
    x = Value(1.0)
    compiled = compile_graph(apply(odd, x) * 2)
    compiled.backward()  # an int partial is a real number, as in the engine
    assert x.grad == 2.0
    x.data = 6.0
    compiled.forward()
    with pytest.raises(InvalidOpError, match=r"op 'odd': its partial 0 returned 'complex'"):
        compiled.backward()
    x.data = -1.0
    with pytest.raises(InvalidOpError, match=r"op 'odd': its forward returned 'complex'"):
        compiled.forward()


def test_an_int_result_becomes_a_float_as_in_the_engine() -> None:
    floor = Op("floor", 1, forward=math.floor, partials=(lambda x, out: 0,))
    x = Value(2.5)
    floored = apply(floor, x)
    compiled = compile_graph(floored * 2.0 + x)
    x.data = 3.75
    assert compiled.forward() == 9.75
    assert type(floored.data) is float
    x.data = 4  # an int set by hand: the engine computes with it and gives floats
    assert compiled.forward() == fresh(lambda: apply(floor, x) * 2.0 + x, [x])[0] == 12.0
    assert type(compiled.forward()) is float


def test_a_gradient_of_the_wrong_length() -> None:
    short = Op("short", 1, variadic=1, forward=lambda *xs: sum(xs), gradient=lambda *a: [1.0])
    x, y = Value(1.0), Value(2.0)
    compiled = compile_graph(apply(short, x, y))
    with pytest.raises(InvalidOpError, match="gradient gave 1 partials for 2 inputs"):
        compiled.backward()


# -- memory ----------------------------------------------------------------------


def test_a_dropped_compiled_graph_is_freed_without_the_collector() -> None:
    random.seed(0)
    model = MLP(2, [4, 1])
    w = model.parameters()[0]
    before = sys.getrefcount(w)
    gc.collect()
    gc.disable()
    try:
        score = model([1.0, 2.0])
        assert isinstance(score, Value)
        compiled = compile_graph(score.relu())
        del score
        assert sys.getrefcount(w) > before
        ref = weakref.ref(compiled)
        del compiled
        assert ref() is None
        assert sys.getrefcount(w) == before
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_compile_graph_takes_a_value() -> None:
    with pytest.raises(TypeError, match="takes the Value at the root of a graph, got 'float'"):
        compile_graph(1.0)  # type: ignore[call-overload]


# -- the engine's errors, whatever the kind ----------------------------------------


def _raising(error: Callable[[float], Exception]) -> Callable[[float, float], float]:
    def partial(x: float, out: float) -> float:
        if x < 0:
            raise error(x)
        return 1.0

    return partial


def _none_below_zero(x: float) -> float:
    return None if x < 0 else x  # type: ignore[return-value]


ODD_OPS = {
    "forward None": Op("odd", 1, forward=_none_below_zero, partials=(lambda x, o: 1.0,)),
    "partial None": Op("odd", 1, forward=lambda x: x, partials=(lambda x, o: _none_below_zero(x),)),
    "partial ZeroDivisionError": Op(
        "odd", 1, forward=lambda x: x, partials=(_raising(lambda x: ZeroDivisionError("0")),)
    ),
    "partial TypeError": Op(
        "odd", 1, forward=lambda x: x, partials=(_raising(lambda x: TypeError("no")),)
    ),
    "partial DivisionByZeroError": Op(
        "odd",
        1,
        forward=lambda x: x,
        partials=(_raising(lambda x: DivisionByZeroError("d", op_name="odd", inputs=(x,))),),
    ),
    "gradient count": Op(
        "odd", 1, forward=lambda x: x, gradient=lambda x, o: [1.0] * (1 + (x < 0))
    ),
}
PHASE = {"forward None": "forward"}  # the others fail in the backward pass


def _odd_times(x: Value, y: Value) -> Value:
    return apply("odd", x) * y


# (what, the graph on leaves x and y, x and y where it fails, the pass that fails)
ERRORS: list[tuple[str, Callable[[Value, Value], Value], float, float, str]] = [
    ("x / 0", lambda x, y: x / y, 1.0, 0.0, "forward"),
    ("0 ** -1", lambda x, y: (x * y) ** -1, 1.0, 0.0, "forward"),
    ("log(-x)", lambda x, y: apply("log", x * y), -1.0, 1.0, "forward"),
    ("overflow", lambda x, y: x * y + 1, 1e200, 1e200, "forward"),
    ("d/dy (-x) ** y", lambda x, y: x**y, -2.0, 2.0, "backward"),
    *((what, _odd_times, -1.0, 2.0, PHASE.get(what, "backward")) for what in ODD_OPS),
]


@pytest.mark.parametrize(("what", "graph", "x0", "y0", "fails"), ERRORS, ids=[e[0] for e in ERRORS])
def test_a_replay_raises_the_error_the_engine_raises(
    builtin: OpRegistry,
    what: str,
    graph: Callable[[Value, Value], Value],
    x0: float,
    y0: float,
    fails: str,
) -> None:
    """The same type and attributes (op, plugin, inputs) as from a graph built afresh."""
    registry = builtin
    if what in ODD_OPS:
        registry = builtin.with_ops([ODD_OPS[what]], Provenance("oddities"))

    def by_the_engine() -> None:
        out = graph(Value(x0), Value(y0))
        if fails == "backward":
            out.backward()

    def by_a_replay() -> None:
        x, y = Value(2.0), Value(3.0)
        compiled = compile_graph(graph(x, y))
        x.data, y.data = x0, y0
        compiled.forward()
        if fails == "backward":
            compiled.backward()

    with registry.activated():
        with pytest.raises(MicrogradError) as engine:
            by_the_engine()
        with pytest.raises(MicrogradError) as replay:
            by_a_replay()
    assert type(replay.value) is type(engine.value)
    for attribute in ("op_name", "plugin", "inputs"):
        assert getattr(replay.value, attribute, None) == getattr(engine.value, attribute, None)
    assert "of the compiled graph" in str(replay.value)
