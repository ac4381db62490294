"""Helpers shared by test modules."""

from __future__ import annotations

import builtins
import inspect
import math
import random
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

from micrograd_core import (
    Op,
    OpRegistry,
    Provenance,
    Register,
    Value,
    apply,
    hookimpl,
    load_registry,
    node_of,
)
from micrograd_core.op import replace
from micrograd_core.testing import Reference
from micrograd_nn import (
    MLP,
    RNG,
    AdamW,
    Record,
    cross_entropy_loss,
    fit,
    make_yinyang,
    split_dataset,
)

# Built-in ops' values and partials where they are known exactly; the built-in
# contract test checks them on every run. A logsumexp without its shift by the
# largest input overflows at the first (tests/ops/test_logit_ops.py).
BUILTIN_REFERENCES: dict[str, list[Reference]] = {
    "logsumexp": [
        Reference((1000.0, 0.0, -1000.0), value=1000.0, partials=(1.0, 0.0, 0.0)),
        Reference(
            (-1000.0, 1000.0, 0.0, 1000.0),
            value=1000.0 + math.log(2),
            partials=(0.0, 0.5, 0.0, 0.5),
        ),
        Reference((0.0, 0.0), value=math.log(2), partials=(0.5, 0.5)),
    ],
    "softplus": [
        Reference((0.0,), value=math.log(2), partials=(0.5,)),
        Reference((1000.0,), value=1000.0, partials=(1.0,)),
        Reference((-1000.0,), value=0.0, partials=(0.0,)),
    ],
}


def make_plugin(*ops: object, raises: BaseException | None = None) -> object:
    """A plugin object whose hook registers ``ops`` (or raises ``raises``)."""

    class Plugin:
        @hookimpl
        def micrograd_register_ops(self, register: Register) -> None:
            if raises is not None:
                raise raises
            for op in ops:
                register(op)  # type: ignore[arg-type]  # invalid ops on purpose

    return Plugin()


def stand_in(op: Op, marker: float) -> Op:
    """Another op of ``op``'s name and arity, whose value is always ``marker``."""
    return Op(
        op.name,
        op.arity,
        variadic=op.variadic,
        forward=lambda *xs: marker,
        gradient=lambda *xs_out: [0.0] * (len(xs_out) - 1),
        doc=f"a stand-in for {op.name!r}",
    )


def check_plugin_convention(module: ModuleType, *, renamed: Mapping[str, str] = {}) -> None:
    """``module`` exports its ops as every plugin here does, the built-in one included.

    Each op its hook registers is the module's attribute of its name in capitals
    (``TANH``), an ``Op`` record, and no public ``Op`` has a lowercase name; ``OPS``,
    if there, holds them all. Each op has a typed function in lowercase, named after
    the op unless ``renamed`` says otherwise (``{"pow": "power"}``), that returns a
    ``Value`` to mypy and applies the op the active registry holds under that name,
    not its own record. No public name of the module is a Python builtin's.
    """
    registered = load_registry({"plugin": module}, environ={})
    name = module.__name__
    assert registered.failures == (), f"{name} failed to load: {registered.failures}"
    ops: list[Op] = []
    for op_name in registered:
        op = getattr(module, op_name.upper(), None)
        assert isinstance(op, Op), f"{name}.{op_name.upper()} is {op!r}, not the op's record"
        registered_op = replace(registered[op_name], provenance=None)
        assert registered_op == op, f"{name} registers another {op_name!r} than its record"
        ops.append(op)
    assert ops, f"{name} registers no op"
    if hasattr(module, "OPS"):
        assert sorted(op.name for op in module.OPS) == sorted(registered), f"{name}.OPS"
    lowercase_ops = [
        attribute
        for attribute, value in vars(module).items()
        if isinstance(value, Op) and not attribute.isupper() and not attribute.startswith("_")
    ]
    assert lowercase_ops == [], f"{name} exports Op records in lowercase: {lowercase_ops}"
    public = [attribute for attribute in dir(module) if not attribute.startswith("_")]
    shadowing = [attribute for attribute in public if hasattr(builtins, attribute)]
    assert shadowing == [], f"{name} has names of Python builtins: {shadowing}"
    assert set(module.__all__) <= set(public), f"{name}.__all__ names what it lacks"

    stand_ins = {op.name: stand_in(op, marker=100.0 + i) for i, op in enumerate(ops)}
    other = OpRegistry().with_ops(stand_ins.values(), Provenance("stand-ins"))
    for op in ops:
        function_name = renamed.get(op.name, op.name)
        exported = {op.name.upper(), function_name}
        assert exported <= set(module.__all__), f"{name}.__all__ lacks {exported}"
        function = getattr(module, function_name)
        assert inspect.isfunction(function), f"{function!r} is not a function"
        returns = inspect.signature(function).return_annotation
        assert returns in (Value, "Value"), f"{function_name}() returns {returns!r}, not Value"
        args = [0.5] * op.arity
        with other.activated():
            out = function(*args)
        applied = node_of(out).op
        assert applied is other[op.name], f"{name}.{function_name} applied {applied!r}"
        assert out.data == 100.0 + ops.index(op)


# -- random graphs for the compiled and batched replays ----------------------------

RANDOM_KINDS = (
    "add",
    "mul",
    "square",
    "relu",
    "tanh",
    "exp",
    "pow",
    "affine",
    "plain",
    "sub",
    "div",
)
Program = list[tuple[str, int, int, float]]


def run_program(
    program: Program, pool: list[Value], plain: Callable[[Value, Value, float], Value]
) -> Value:
    """Each step applies an op to two earlier results of ``pool`` (often the same one) or a
    constant, and appends the result; ``plain`` is the step of an op without expressions."""
    for kind, i, j, c in program:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        match kind:
            case "add":
                v = a + b
            case "mul":
                v = a * b
            case "square":
                v = a * a
            case "relu":
                v = (a * c).relu()
            case "tanh":
                v = (a + b * c).tanh()
            case "exp":
                v = a.tanh().exp()
            case "pow":
                v = (a * a + 1) ** c
            case "affine":
                v = apply("affine", c, a, b, b, a, c, a)
            case "plain":
                v = plain(a, b, c)
            case "sub":
                v = c - a - b
            case _:
                v = a / (b * b + 1)
        pool.append(v)
    return pool[-1] + pool[-2] * 0.5  # the last two share what came before


def llm101n(
    *,
    compile: bool,  # noqa: A002  (fit's option)
    steps: int = 100,
    batch_size: int | None = None,
    loss: Callable[[list[Any], Sequence[Any]], Value] | None = None,
) -> tuple[list[Record], MLP]:
    """LLM101n's micrograd program through ``fit``: its records and the trained model.

    ``loss`` defaults to cross-entropy, LLM101n's.
    """
    random = RNG(42)
    X, y = make_yinyang(100, rng=random)
    train_split, val_split, _test_split = split_dataset(X, y, (0.8, 0.1, 0.1))
    model = MLP(2, [8, 3], activation="tanh", rng=random, init="fan_in")
    optimizer = AdamW(model.parameters(), lr=1e-1, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-4)
    records = fit(
        model,
        cross_entropy_loss if loss is None else loss,
        optimizer,
        train_split,
        val_data=val_split,
        steps=steps,
        every=10,
        batch_size=batch_size,
        compile=compile,
    )
    return list(records), model


def run_switching_often(threads: Sequence[threading.Thread]) -> None:
    """Start ``threads`` and wait for them all, the interpreter switching threads as
    often as it allows (every microsecond), so that a race shows within a few steps."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)


def demo_loss(model: MLP, data: Sequence[Value]) -> Value:
    """micrograd's demo loss for one example ``(x1, x2, label)``: hinge loss and L2 on
    every parameter, as one example's graph for a batched replay."""
    x1, x2, label = data
    score = model([x1, x2])
    assert isinstance(score, Value)
    return (1 + -label * score).relu() + 1e-4 * sum(p * p for p in model.parameters())


def moons_columns(n: int, seed: int) -> list[list[float]]:
    """``n`` random examples shaped like the demo's (x1, x2, label), as three columns."""
    rng = random.Random(seed)
    return [
        [rng.uniform(-1.5, 2.5) for _ in range(n)],
        [rng.uniform(-1, 1.5) for _ in range(n)],
        [rng.choice([-1.0, 1.0]) for _ in range(n)],
    ]
