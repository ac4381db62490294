"""compile_graph(root, batch=...): one example's graph replayed over a batch equals the
mean of the graphs built per example."""

from __future__ import annotations

import ast
import math
import random
import sys
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd_ops
from micrograd_core import (
    DomainError,
    Inline,
    MicrogradError,
    Op,
    OpRegistry,
    Value,
    apply,
    compile_graph,
)
from micrograd_core.batched import BatchedGraph, BatchLoopWarning
from micrograd_core.graph import node_of, topological_order
from micrograd_nn import MLP
from tests.helpers import RANDOM_KINDS, Program, demo_loss, moons_columns, run_program

Build = Callable[[Sequence[Value], Sequence[Value]], Value]  # (data leaves, parameters) -> root


@pytest.fixture(autouse=True)
def builtin(builtin_registry: OpRegistry) -> OpRegistry:
    """Every test runs on the built-in ops alone, whatever plugins are installed."""
    return builtin_registry


def per_example(
    build: Build, params: Sequence[Value], columns: Sequence[Sequence[float]], reduce: str
) -> tuple[float, list[float], list[float]]:
    """The mean (or sum) built from one graph per example and its gradient, and the
    scale of each: how far rounding may take them (see ``sizes_of_terms``)."""
    n = len(columns[0])
    magnitude = [0.0] * (len(params) + 1)
    for i in range(n):  # each example alone, for the scales
        root, sizes = sizes_of_terms(build([constant(c[i]) for c in columns], params), params)
        magnitude = [m + s for m, s in zip(magnitude, [*sizes, root], strict=True)]
    for p in params:
        p.grad = 0.0
    roots = [build([constant(c[i]) for c in columns], params) for i in range(n)]
    if reduce == "mean":  # each example's share added: no sum of finite values overflows
        roots = [r * (1.0 / n) for r in roots]
    total = sum(roots[1:], roots[0])
    scale = 1.0 / n if reduce == "mean" else 1.0
    try:
        total.backward()
    except MicrogradError as e:
        raise PartialFailed(total.data, magnitude[-1] * scale) from e
    return total.data, [p.grad for p in params], [m * scale for m in magnitude]  # root's last


class PartialFailed(Exception):
    """The engine's backward pass raised (its cause) after a forward pass of ``value``."""

    def __init__(self, value: float, scale: float) -> None:
        super().__init__(value, scale)
        self.value, self.scale = value, scale


def constant(x: float) -> Value:
    """A leaf the engine never differentiates, as a number operand is (the 2 in ``w * 2``):
    a batch leaf wants no gradient, so none of its partials is evaluated (``x ** 0.5`` has
    none at 0)."""
    return node_of(Value(0.0) * x).inputs[1]


# Why the gradients are compared to the size of their terms, not to themselves: the
# arrays compute tanh with NumPy's np.tanh, the engine with math.tanh, and the two
# differ in the last bit for about one input in five. Near saturation tanh's partial
# 1 - out**2 subtracts two numbers close to 1: a last-bit difference in out is then
# a difference of about 2e-16 in a partial that may itself be 1e-14, and no relative
# tolerance holds (the engine's own partial is that inaccurate there: both are right
# to the size of 1 and out**2, the terms subtracted). Calling math.tanh per element
# in the arrays would make them agree to the last bit and cost a Python call per
# node and example. So each gradient is held to 1e-12 of the size of what it sums:
# the same backward with every subtraction counted as an addition (a running error
# bound, as numerical analysis writes one), on the sizes of the values.


def _sized(text: str) -> Callable[..., float]:
    """An inline expression with every subtraction an addition and every number its size."""

    class Sizes(ast.NodeTransformer):
        def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
            self.generic_visit(node)
            if isinstance(node.op, ast.Sub):
                node.op = ast.Add()
            return node

        def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
            self.generic_visit(node)
            return node.operand if isinstance(node.op, ast.USub) else node

        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            return ast.Call(ast.Name("abs", ast.Load()), [node], [])

    body = Sizes().visit(ast.parse(text, mode="eval"))
    code = compile(ast.fix_missing_locations(body), "<sizes>", "eval")

    def sized(*xs: float, out: float = 0.0) -> float:
        scope = {**{f"x{k}": x for k, x in enumerate(xs)}, "out": out}
        return abs(float(eval(code, {"math": math, "abs": abs}, scope)))

    return sized


def sizes_of_terms(root: Value, params: Sequence[Value]) -> tuple[float, list[float]]:
    """The root's value and its gradient as one graph's backward computes them, with every
    value its size and every subtraction an addition: what rounding is relative to."""
    order = topological_order(root)
    size: dict[int, float] = {}
    for node in order:
        view = node_of(node)
        xs = [size[id(v)] for v in view.inputs]
        size[id(node)] = abs(node.data) if view.op is None else _size(view.op, xs, node.data)
    grad = {id(v): 0.0 for v in order}
    grad[id(root)] = 1.0
    for node in reversed(order):
        view = node_of(node)
        if view.op is None:
            continue
        xs = [size[id(v)] for v in view.inputs]
        actual = [v.data for v in view.inputs]
        for k, v in enumerate(view.inputs):
            d = _partial_size(view.op, k, xs, actual, size[id(node)], node.data)
            grad[id(v)] += grad[id(node)] * d
    return size[id(root)], [grad.get(id(p), 0.0) for p in params]


def _size(op: Op, xs: list[float], value: float) -> float:
    inline = op.inlined(len(xs))
    try:
        sized = _sized(inline.forward)(*xs) if inline is not None else abs(value)
    except (ArithmeticError, ValueError):
        sized = math.inf
    return max(abs(value), sized) if math.isfinite(sized) else abs(value)


def _partial_size(
    op: Op, k: int, xs: list[float], actual: list[float], out: float, value: float
) -> float:
    inline = op.inlined(len(xs))
    try:
        if inline is not None:
            d = _sized(inline.partials[k])(*xs, out=out)
        elif op.gradient is not None:
            d = abs(op.gradient(*actual, value)[k])
        else:
            d = abs(op.partials[k](*actual, value))
    except (ArithmeticError, ValueError):
        return 0.0
    return d if math.isfinite(d) else 0.0


def batched(
    build: Build,
    params: Sequence[Value],
    columns: Sequence[Sequence[float]],
    reduce: str = "mean",
) -> tuple[BatchedGraph, float, list[float]]:
    data = [Value(c[0]) for c in columns]  # traced at the first example: it builds
    step = compile_graph(
        build(data, params),
        batch=dict(zip(data, columns, strict=True)),
        reduce="sum" if reduce == "sum" else "mean",
    )
    for p in params:
        p.grad = 0.0
    total = step.forward()
    step.backward()
    return step, total, [p.grad for p in params]


def close(a: float, b: float, scale: float = 0.0) -> bool:
    """Equal to 1e-12 relative, or within 1e-12 of the scale of the sum's terms; or both
    below the smallest normal float, where rounding is absolute (a subnormal keeps fewer
    digits: 0.25 * 2e-313 is rounded, and so a mean of subnormals)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    tolerance = max(1e-12 * scale, sys.float_info.min)
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=tolerance)


def assert_same(
    build: Build, params: Sequence[Value], columns: Sequence[Sequence[float]], reduce: str
) -> BatchedGraph:
    want, want_grads, scales = per_example(build, params, columns, reduce)
    step, got, got_grads = batched(build, params, columns, reduce)
    assert close(got, want, scales[-1]), (got, want)
    for g, w, s in zip(got_grads, want_grads, scales[:-1], strict=True):
        assert close(g, w, s), (got_grads, want_grads)
    return step


# -- the demo ------------------------------------------------------------------------


def hinge_l2(model: MLP) -> Build:
    """micrograd's demo loss for one example (x1, x2, label); its params are the model's."""
    return lambda data, params: demo_loss(model, data)


@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_the_demo_step_batched_is_the_mean_of_per_example_graphs(reduce: str) -> None:
    random.seed(3)
    model = MLP(2, [16, 16, 1])
    step = assert_same(hinge_l2(model), model.parameters(), moons_columns(12, 0), reduce)
    assert step.vectorized
    assert step.size == 12


def test_new_batches_of_any_size_between_passes() -> None:
    random.seed(4)
    model = MLP(2, [8, 1])
    params = model.parameters()
    build = hinge_l2(model)
    data = [Value(0.0) for _ in range(3)]
    columns = moons_columns(30, 1)
    step = compile_graph(build(data, params), batch=dict(zip(data, columns, strict=True)))
    for size, seed in [(1, 5), (7, 6), (50, 7)]:
        columns = moons_columns(size, seed)
        step.set_batch(dict(zip(data, [np.array(c) for c in columns], strict=True)))
        want, want_grads, scales = per_example(build, params, columns, "mean")
        for p in params:
            p.grad = 0.0
        assert close(step.forward(), want, abs(want))
        step.backward()
        for p, w, s in zip(params, want_grads, scales[:-1], strict=True):
            assert close(p.grad, w, s)
        assert step.size == size


def test_backward_accumulates_and_leaves_the_batch_leaves_alone() -> None:
    x, w = Value(7.0), Value(2.0)
    x.grad = 0.25
    step = compile_graph(x * w * w, batch={x: [1.0, 2.0, 3.0]})
    w.grad = 1.0
    assert step.forward() == 8.0  # (1 + 2 + 3) * 4 / 3
    step.backward()
    step.backward()
    assert w.grad == 1.0 + 2 * 8.0  # d/dw of mean(x * w * w) = 2 * w * mean(x) = 8
    assert (x.data, x.grad) == (7.0, 0.25)


def test_backward_before_forward_uses_the_current_values() -> None:
    x, w = Value(0.0), Value(2.0)
    step = compile_graph(x * w, batch={x: [1.0, 3.0]})
    w.data = 5.0
    step.backward()
    assert w.grad == 2.0


def test_a_batch_leaf_the_root_does_not_read() -> None:
    x, w = Value(0.0), Value(3.0)
    step = compile_graph(w * w, batch={x: [1.0, 2.0, 3.0, 4.0]}, reduce="sum")
    assert step.forward() == 36.0
    step.backward()
    assert w.grad == 24.0


def test_groups_whose_nodes_share_inputs_read_elsewhere() -> None:
    def build(data: Sequence[Value], params: Sequence[Value]) -> Value:
        (x,) = data
        w1, w2 = params
        a, b = x * w1, x * w2  # one group of two nodes
        ra, rb = a.relu(), b.relu()  # rows a and b, also read below
        ta, ta2, tb = a.tanh(), a.tanh(), b.tanh()  # rows a, a, b: one row read twice
        return ra + rb * a * b + ta * ta2 - tb * w1

    columns = [[0.5, -1.0, 2.0, 0.25]]
    assert_same(build, [Value(0.75), Value(-1.25)], columns, "mean")
    assert_same(build, [Value(1.5), Value(0.5)], columns, "sum")


# -- what runs once, what runs per example ----------------------------------------------


def counting_op(calls: list[str]) -> Op:
    """An op without expressions whose functions count their calls."""

    def forward(x: float) -> float:
        calls.append("forward")
        return 2.0 * x + 1.0

    def partial(x: float, out: float) -> float:
        calls.append("partial")
        return 2.0

    return Op("twice_plus_one", 1, forward=forward, partials=(partial,))


def test_nodes_that_do_not_depend_on_the_batch_run_once_per_pass() -> None:
    calls: list[str] = []
    op = counting_op(calls)
    x, w = Value(0.0), Value(1.5)
    penalty = apply(op, w)  # depends on no batch leaf
    step = compile_graph(x * w + penalty, batch={x: [1.0, 2.0, 3.0, 4.0, 5.0]})
    calls.clear()
    assert step.forward() == 1.5 * 3.0 + 4.0
    step.backward()
    assert calls == ["forward", "partial"]
    assert w.grad == 3.0 + 2.0  # mean(x) + the penalty's gradient, counted once


def test_an_op_without_expressions_runs_its_functions_per_example() -> None:
    calls: list[str] = []
    op = counting_op(calls)
    x, w = Value(0.0), Value(1.5)
    step = compile_graph(apply(op, x * w), batch={x: [1.0, 2.0, 3.0]})
    calls.clear()
    assert step.forward() == 2.0 * 1.5 * 2.0 + 1.0
    step.backward()
    assert calls == ["forward"] * 3 + ["partial"] * 3
    assert w.grad == 2.0 * 2.0
    assert "calls the op's own functions for every example" in step.source()


def test_source_shows_the_array_kernels() -> None:
    x, w = Value(0.0), Value(1.5)
    step = compile_graph((x * w).relu(), batch={x: [1.0, -2.0]})
    source = step.source()
    assert "np.where(x0 < 0, 0.0, x0)" in source
    assert "# level 2: op 'relu' (1 node)" in source


# -- random graphs ------------------------------------------------------------------------

PLAIN = Op("plain", 1, forward=lambda x: x * 0.5 + 0.25, partials=(lambda x, out: 0.5,))
SHIFTED = Op("shifted", 1, inline=Inline("x0 * 0.5 + 0.25", partials=("0.5",)))
# finite for every finite x, through an inf in Python's floats past 1e154 (x0 * x0)
# and NumPy's; its partial overflows in ** where Python raises and NumPy gives inf
DAMPED = Op(
    "damped",
    1,
    inline=Inline("x0 / (1 + x0 * x0)", partials=("(1 - x0 * x0) / (1 + x0 * x0) ** 2",)),
)


def random_build(program: Program) -> Build:
    """A random graph of the data and the parameters (see ``run_program``)."""

    def build(data: Sequence[Value], params: Sequence[Value]) -> Value:
        pool = [*data, *params]
        root = run_program(
            program,
            pool,
            lambda a, b, c: apply(PLAIN, a) * apply(SHIFTED, b) + apply(DAMPED, a * c),
        )
        # the root reads every step: one the engine builds, and raises in, counts
        return sum(pool[len(data) + len(params) :], root)

    return build


program_steps = st.lists(
    st.tuples(
        st.sampled_from(RANDOM_KINDS),
        st.integers(0, 40),
        st.integers(0, 40),
        st.sampled_from([-1.5, -1.0, -0.5, 0.0, 0.5, 2.0]),
    ),
    min_size=1,
    max_size=20,
)
numbers = st.sampled_from([-1.0, -0.5, 0.0, 0.25, 1.0]) | st.floats(-2, 2)
# what a data set may hold at its edges: zeros of both signs, the largest and smallest
# floats, subnormals, NaN and infinities (the engine's behaviour is the reference)
HOSTILE = (-0.0, 1e-310, 1e154, -1e200, 1.7e308, math.inf, -math.inf, math.nan)


@settings(max_examples=200, deadline=None)
@given(
    program=program_steps,
    size=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    reduce=st.sampled_from(["mean", "sum"]),
    param_values=st.lists(numbers | st.sampled_from(HOSTILE), min_size=2, max_size=2),
    hostile=st.booleans(),
)
def test_random_graphs_batched_equal_per_example_graphs(
    program: list[tuple[str, int, int, float]],
    size: int,
    seed: int,
    reduce: str,
    param_values: list[float],
    hostile: bool,
) -> None:
    rng = random.Random(seed)
    pick = [-1.0, 0.0, 0.5, *(HOSTILE if hostile else ())]
    columns = [[rng.choice([*pick, rng.uniform(-2, 2)]) for _ in range(size)]
               for _ in range(2)]  # fmt: skip
    params = [Value(v) for v in param_values]
    build = random_build(program)
    try:
        per_example(build, params, columns, reduce)
    except MicrogradError as e:  # an example outside an op's domain: the same error batched
        with pytest.raises(type(e)):
            batched(build, params, columns, reduce)
        return
    except PartialFailed as e:
        failed = e
    else:
        assert_same(build, params, columns, reduce)
        return
    # The engine evaluates the partials of every node; a batched graph only those whose
    # gradient reaches a parameter (none of a node made of the data alone): the engine's
    # error, or no error and the engine's forward value.
    cause = failed.__cause__
    assert isinstance(cause, MicrogradError)
    try:
        _, got, _ = batched(build, params, columns, reduce)
    except type(cause):
        return
    assert close(got, failed.value, failed.scale), (got, failed.value)


def test_tanh_near_saturation_is_held_to_the_size_of_its_terms() -> None:
    """The case the tolerance above is for: here np.tanh and math.tanh differ in the
    last bit, and 1 - out**2 makes that 1.3e-12 of the gradient."""
    w, x = 5.018, 1.0
    if float(np.tanh(w * x)) == math.tanh(w * x):
        pytest.skip("this NumPy's tanh agrees with math.tanh here")

    def build(data: Sequence[Value], params: Sequence[Value]) -> Value:
        return (data[0] * params[0]).tanh()

    params = [Value(w)]
    _, want_grads, scales = per_example(build, params, [[x]], "mean")
    _, _, got_grads = batched(build, params, [[x]])
    (got,), (want,) = got_grads, want_grads
    assert not close(got, want, abs(want))  # relative to itself, the comparison would fail
    assert close(got, want, scales[0])
    assert scales[0] > 1.9  # 1 + out**2, the size of the terms subtracted


# -- errors ---------------------------------------------------------------------------------


def test_a_domain_error_names_the_example() -> None:
    x, w = Value(1.0), Value(1.0)
    step = compile_graph(micrograd_ops.log(x * w), batch={x: [1.0, 2.0, -3.0, 4.0]})
    with pytest.raises(DomainError, match="log") as info:
        step.forward()
    assert "in example 2 of the batch (counting from 0)" in info.value.__notes__
    step.set_batch({x: [1.0, 2.0]})
    assert step.forward() == math.log(2.0) / 2


def test_an_overflow_in_the_arrays_is_the_ops_domain_error() -> None:
    x, w = Value(1.0), Value(1.0)
    step = compile_graph((x * w).exp(), batch={x: [1.0, 800.0]})
    with pytest.raises(DomainError, match="exp") as info:
        step.forward()
    assert "in example 1 of the batch (counting from 0)" in info.value.__notes__


def test_nan_in_the_batch_propagates_as_the_engine_does() -> None:
    x, w = Value(1.0), Value(1.0)
    step = compile_graph(x * w, batch={x: [1.0, math.nan]})
    assert math.isnan(step.forward())
    step.backward()
    assert math.isnan(w.grad)


def test_wrong_batches_are_refused() -> None:
    x, y, w = Value(0.0), Value(0.0), Value(1.0)
    xw = x * w
    root = xw + y
    with pytest.raises(ValueError, match="result of op 'mul'"):
        compile_graph(root, batch={xw: [1.0]})
    with pytest.raises(ValueError, match="one length"):
        compile_graph(root, batch={x: [1.0, 2.0], y: [1.0]})
    with pytest.raises(ValueError, match="at least one example"):
        compile_graph(root, batch={x: []})
    with pytest.raises(ValueError, match="empty dict"):
        compile_graph(root, batch={})
    with pytest.raises(TypeError, match="sequence of real numbers"):
        compile_graph(root, batch={x: 1.0})
    with pytest.raises(TypeError, match="real number"):
        compile_graph(root, batch={x: ["a"]})
    with pytest.raises(ValueError, match="one-dimensional"):
        compile_graph(root, batch={x: np.zeros((2, 2))})
    with pytest.raises(ValueError, match="reduce must be 'mean' or 'sum', got 'max'"):
        compile_graph(root, batch={x: [1.0]}, reduce="max")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="reduce='sum' applies to a batch"):
        compile_graph(root, reduce="sum")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="build or batch"):
        compile_graph(root, build=lambda: root, batch={x: [1.0]})  # type: ignore[call-overload]
    step = compile_graph(root, batch={x: [1.0], y: [2.0]})
    with pytest.raises(ValueError, match="same leaves"):
        step.set_batch({x: [1.0]})


# -- without numpy ------------------------------------------------------------------------


def test_without_numpy_a_loop_over_examples_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    random.seed(5)
    model = MLP(2, [4, 1])
    params = model.parameters()
    build = hinge_l2(model)
    columns = moons_columns(9, 2)
    want, want_grads, scales = per_example(build, params, columns, "mean")
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy raises ImportError
    data = [Value(0.0) for _ in range(3)]
    with pytest.warns(BatchLoopWarning, match="numpy is not installed"):
        step = compile_graph(build(data, params), batch=dict(zip(data, columns, strict=True)))
    assert not step.vectorized
    for p in params:
        p.grad = 0.0
    assert close(step.forward(), want, abs(want))
    step.backward()
    for p, w, s in zip(params, want_grads, scales[:-1], strict=True):
        assert close(p.grad, w, s)
    assert step.source().startswith("# a loop over examples (numpy is not installed)")


def test_micrograd_core_does_not_import_numpy() -> None:
    assert micrograd_ops is not None
    code = (
        "import sys, micrograd_core, micrograd_core.compiled, micrograd_core.batched\n"
        "from micrograd_core import Value\n"
        "(Value(1.0) * 2).backward()\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
    )
    import subprocess  # noqa: PLC0415

    subprocess.run([sys.executable, "-c", code], check=True)


def test_threads_compile_and_replay_their_own_batched_graphs(builtin: OpRegistry) -> None:
    import threading  # noqa: PLC0415

    def run(seed: int) -> tuple[float, list[float]]:
        random.seed(seed)
        model = MLP(2, [6, 1])
        params = model.parameters()
        data = [Value(0.0) for _ in range(3)]
        columns = moons_columns(20, seed)
        loss = hinge_l2(model)(data, params)
        step = compile_graph(loss, batch=dict(zip(data, columns, strict=True)))
        for p in params:
            p.grad = 0.0
        total = 0.0
        for _ in range(5):
            total = step.forward()
            step.backward()
        return total, [p.grad for p in params]

    want = {seed: run(seed) for seed in range(4)}
    got: dict[int, tuple[float, list[float]]] = {}

    def worker(seed: int) -> None:
        with builtin.activated():
            got[seed] = run(seed)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert got == want
