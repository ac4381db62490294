"""How the batched demo step scales with the batch: ours against PyTorch from 1 to 100,000 points.

``python -m benchmarks.batch_sizes [--sizes 1,10,...] [--plot FILE.svg]``

Each (implementation, size) runs the ``train_batched`` workload in a fresh worker
process (``benchmarks.worker``, one thread, CPU time, medians), the two
implementations taking turns at each size. It prints a table of the medians and
the ratio ours/torch (below 1: ours is faster), and with ``--plot`` draws both
times per step against the batch size (matplotlib, the ``plot`` extra).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.run import Job, in_worker

__all__ = ["SIZES", "main", "measure", "table"]

SIZES = (1, 10, 100, 1_000, 10_000, 100_000)
IMPLS = ("ours", "torch")


def repeats(size: int) -> int:
    """Steps to time at ``size``: fewer as a step gets longer."""
    return 30 if size <= 1_000 else 10 if size <= 10_000 else 5


def measure(impl: str, size: int) -> float | None:
    """The median time of one batched demo step (ms), or None where ``impl`` cannot run."""
    job = Job("train_batched", size, repeats(size), label=f"batched step, {size:,} points")
    result = in_worker(impl, job, "on")
    return float(result["median"]) if result.get("status") == "ok" else None


def table(times: dict[str, dict[int, float | None]], sizes: tuple[int, ...]) -> str:
    """A Markdown table of the medians and ours/torch."""
    rows = ["| points | ours | torch | ours/torch |", "| ---: | ---: | ---: | ---: |"]
    for size in sizes:
        ours, torch = times["ours"].get(size), times["torch"].get(size)
        ratio = f"{ours / torch:.2f}x" if ours and torch else "-"
        shown = [f"{t:,.3f} ms" if t is not None else "n/a" for t in (ours, torch)]
        rows.append(f"| {size:,} | {shown[0]} | {shown[1]} | {ratio} |")
    return "\n".join(rows)


def plot(times: dict[str, dict[int, float | None]], path: Path) -> None:
    """Both implementations' times per step against the batch size, log-log, as SVG."""
    import matplotlib as mpl  # noqa: PLC0415  (the plot extra)

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for impl, label in (("ours", "ours (one example's graph, batched)"), ("torch", "PyTorch")):
        points = [(s, t) for s, t in sorted(times[impl].items()) if t is not None]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("batch size (moons points)")
    axes.set_ylabel("ms per training step (CPU time, median)")
    axes.set_title("micrograd's demo step, MLP(2, [16, 16, 1]), float64, one thread")
    axes.grid(visible=True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: measure every size, print the table, draw the plot if asked."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch_sizes", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="comma-separated batch sizes (default: %(default)s)",
    )
    parser.add_argument("--plot", type=Path, help="write an SVG plot of the times here")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    times: dict[str, dict[int, float | None]] = {impl: {} for impl in IMPLS}
    for size in sizes:
        for impl in IMPLS:
            times[impl][size] = measure(impl, size)
        print(f"{size:>7,} points: " + ", ".join(f"{i} {times[i][size]}" for i in IMPLS))
    print(table(times, sizes))
    if args.plot is not None:
        plot(times, args.plot)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
