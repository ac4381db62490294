"""Where one training step of the demo spends its time: ``python -m benchmarks.profiling``.

Prints the functions cProfile finds hottest over a few steps of ``ours`` (or
another implementation: ``--impl micrograd``; ``--workload train_op_by_op`` for
the step on micrograd's ``nn.py`` copy), then what the cyclic garbage
collector did during those steps: collections per generation and their time,
measured with ``gc.callbacks``. cProfile slows Python calls down, so read its
figures as shares, not as absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import time
from typing import Any

from benchmarks.impl import IMPLEMENTATIONS, load
from benchmarks.workloads import WORKLOADS

__all__ = ["collector_activity", "main"]


TRAINING = ("train", "train_op_by_op")


def collector_activity(
    impl_name: str, steps: int, workload: str = "train"
) -> dict[int, tuple[int, float]]:
    """Collections and milliseconds spent in each generation during ``steps`` steps."""
    impl = load(impl_name)
    if impl is None:
        msg = f"{impl_name} is not installed"
        raise SystemExit(msg)
    spent = {generation: [0, 0.0] for generation in range(3)}
    started = [0.0]

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            entry = spent[info["generation"]]
            entry[0] += 1
            entry[1] += (time.perf_counter() - started[0]) * 1000

    gc.callbacks.append(watch)
    try:
        WORKLOADS[workload](impl, 100, steps)
    finally:
        gc.callbacks.remove(watch)
    return {g: (int(n), float(ms)) for g, (n, ms) in spent.items()}


def main(argv: list[str] | None = None) -> None:
    """Profile a few training steps, then report the collector's activity."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling", description=__doc__)
    parser.add_argument("--impl", default="ours", choices=IMPLEMENTATIONS[:3])
    parser.add_argument("--workload", default="train", choices=TRAINING)
    parser.add_argument("--steps", type=int, default=3, help="measured steps (after 2 warm-up)")
    args = parser.parse_args(argv)
    impl = load(args.impl)
    if impl is None:
        parser.error(f"{args.impl} is not installed")
    profiler = cProfile.Profile()
    profiler.runcall(WORKLOADS[args.workload], impl, 100, args.steps)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
    total = args.steps + 2
    print(f"cyclic garbage collector over {total} steps of {args.impl} ({args.workload}):")
    activity = collector_activity(args.impl, args.steps, args.workload)
    for generation, (count, ms) in activity.items():
        print(f"  generation {generation}: {count:5} collections, {ms / total:7.1f} ms per step")


if __name__ == "__main__":
    main()
