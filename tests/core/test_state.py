"""The process-wide state under threads: built once, no method ever vanishes, nothing lost."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator

import pytest

import micrograd_ops
from micrograd_core import (
    Op,
    Value,
    apply,
    default_registry,
    load_registry,
    register_op,
    state,
    unregister_op,
)
from micrograd_core.value import installed

PROBE = Op(
    "probe_sin", 1, forward=math.sin, partials=(lambda x, out: math.cos(x),), method="probe_sin"
)
CUBE = Op(
    "probe_cube",
    1,
    forward=lambda x: x**3,
    partials=(lambda x, out: 3 * x * x,),
    method="probe_cube",
)


pytestmark = pytest.mark.usefixtures("scratch_default")


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Threads switch every microsecond, so races show within a few thousand steps."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def _run(*targets: Callable[[], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as e:  # noqa: BLE001  (reported by the test)
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@pytest.mark.usefixtures("fast_switching")
def test_registering_in_one_thread_never_hides_another_ops_method() -> None:
    register_op(PROBE)
    done = threading.Event()

    def use() -> None:
        for _ in range(3000):
            x = Value(0.5)
            y = x.probe_sin() * 2 + x.relu()  # type: ignore[attr-defined]
            y.backward()

    def churn() -> None:
        for _ in range(300):
            register_op(CUBE)
            unregister_op("probe_cube")
        done.set()

    errors = _run(*[use] * 4, churn)
    assert done.is_set()
    assert errors == []


@pytest.mark.usefixtures("fast_switching")
def test_registrations_from_many_threads_are_all_kept() -> None:
    def register(i: int) -> Callable[[], None]:
        def run() -> None:
            for j in range(20):
                register_op(Op(f"t{i}_{j}", 1, forward=float, partials=(lambda x, out: 1.0,)))

        return run

    assert _run(*(register(i) for i in range(6))) == []
    names = set(default_registry())
    assert {f"t{i}_{j}" for i in range(6) for j in range(20)} <= names


@pytest.mark.usefixtures("fast_switching")
def test_activations_from_threads_nest_and_end_with_the_default() -> None:
    isolated = load_registry({"builtin": micrograd_ops}, environ={})
    register_op(PROBE)

    def activate() -> None:
        for _ in range(200):
            with isolated.activated():
                assert (Value(2.0) * 3).data == 6.0

    assert _run(*[activate] * 4) == []
    assert state.active_registry() is default_registry()
    assert Value(0.0).probe_sin().data == 0.0  # type: ignore[attr-defined]


FIRST_USE_RACE = """
import threading, time
import micrograd_core
from micrograd_core import Op, Value, default_registry, plugins, register_op

builds = []
real = plugins.load_registry

def slow_load(*args, **kwargs):
    builds.append(1)
    time.sleep(0.05)  # a window for the other threads to race into
    return real(*args, **kwargs)

plugins.load_registry = slow_load  # what the first use imports
cube = Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3*x*x,))
start = threading.Barrier(8)

def use():
    start.wait()
    Value(1.0) + 1

def register():
    start.wait()
    register_op(cube)

threads = [threading.Thread(target=use) for _ in range(7)] + [threading.Thread(target=register)]
for t in threads: t.start()
for t in threads: t.join()
print(len(builds), "cube" in default_registry(), (Value(2.0) + 1).data)
"""


def test_first_use_from_many_threads_builds_once_and_keeps_a_registration() -> None:
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(FIRST_USE_RACE)],
            capture_output=True,
            text=True,
            check=True,
            env={"MICROGRAD_LOAD_PLUGINS": "builtin", "PATH": ""},
            timeout=60,
        )
        assert done.stdout.split() == ["1", "True", "3.0"]


def test_a_plugin_method_as_the_very_first_use_of_a_fresh_process() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from micrograd_core import Value; print(Value(1.0).log().data)"],
        capture_output=True,
        text=True,
        check=False,
        env={"MICROGRAD_LOAD_PLUGINS": "builtin", "PATH": ""},
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "0.0\n"), done.stderr


def test_apply_by_name_and_methods_use_one_mechanism_before_first_use() -> None:
    state._reset_default(None)  # as in a fresh process
    assert installed() is None
    assert Value(2.0).tanh().data == math.tanh(2.0)
    assert installed() is default_registry()
    state._reset_default(None)
    assert apply("mul", 2.0, 3.0).data == 6.0


# -- temporary_ops blocks left in any order --------------------------------------

CUBE_2 = Op(
    "probe_cube",
    1,
    forward=lambda x: x * x * x,
    partials=(lambda x, out: 3 * x**2,),
    method="probe_cube",
)


def _cube() -> object:
    """The forward of the default registry's 'probe_cube' now, checked to work, or None."""
    op = default_registry().get("probe_cube")
    if op is None:
        assert not hasattr(Value(2.0), "probe_cube")
        return None
    assert Value(2.0).probe_cube().data == 8.0  # type: ignore[attr-defined]
    return op.forward


@pytest.mark.parametrize("second", [CUBE, CUBE_2], ids=["same-op", "two-versions"])
def test_nested_temporary_ops_left_in_the_other_order(second: Op) -> None:
    outer = state.temporary_ops(CUBE)
    inner = state.temporary_ops(second)
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert _cube() is second.forward  # the block still open keeps its op
    inner.__exit__(None, None, None)
    assert _cube() is None


def test_a_temporary_block_restores_what_it_replaced_whatever_the_order() -> None:
    register_op(CUBE)
    first = state.temporary_ops(CUBE_2)
    second = state.temporary_ops(CUBE_2)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert _cube() is CUBE_2.forward
    second.__exit__(None, None, None)
    assert _cube() is CUBE.forward  # the run-time registration is back


def test_registrations_while_blocks_are_open_stay_after_they_close() -> None:
    square = Op("probe_square", 1, forward=lambda x: x * x, partials=(lambda x, out: 2 * x,))
    outer = state.temporary_ops(CUBE)
    outer.__enter__()
    with state.temporary_ops(PROBE):
        register_op(square)
        outer.__exit__(None, None, None)
        assert {"probe_sin", "probe_square"} <= set(default_registry())
        assert _cube() is None
        unregister_op("probe_sin")  # gone now, and not brought back on exit
    assert "probe_square" in default_registry()
    assert "probe_sin" not in default_registry()


@pytest.mark.parametrize("second", [CUBE, CUBE_2], ids=["same-op", "two-versions"])
def test_temporary_ops_from_two_threads_left_in_the_other_order(second: Op) -> None:
    seen: list[object] = []
    first_open, both_open, first_left = (threading.Barrier(2) for _ in range(3))  # reusable

    def first() -> None:
        with state.temporary_ops(CUBE):
            first_open.wait(timeout=10)
            both_open.wait(timeout=10)
        first_left.wait(timeout=10)

    def then() -> None:
        first_open.wait(timeout=10)
        with state.temporary_ops(second):
            both_open.wait(timeout=10)
            first_left.wait(timeout=10)  # the other block has closed first
            seen.append(_cube())

    for _ in range(20):
        seen.clear()
        assert _run(first, then) == []
        assert seen == [second.forward]
        assert _cube() is None
