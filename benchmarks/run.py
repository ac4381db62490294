"""Run every workload for every implementation and print a table of medians and ratios.

``python -m benchmarks [--tiny] [--impls ours,micrograd,...] [--out FILE]``

Each (implementation, workload, size, collector) runs in a fresh subprocess
(``benchmarks.worker``), with the cyclic garbage collector on (Python's default)
and, separately, disabled. Ratios compare medians measured in this same run.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.impl import IMPLEMENTATIONS

__all__ = ["Job", "main", "plan", "run_all"]

RESULTS = Path(__file__).parent / "results"
TIMEOUT = 900  # seconds for one worker


@dataclass(frozen=True)
class Job:
    """One workload at one size, measured ``repeats`` times."""

    workload: str
    size: int
    repeats: int
    label: str
    collectors: tuple[str, ...] = ("on", "off")
    rounds: int = 1


def plan(tiny: bool = False) -> list[Job]:
    """The workloads and sizes of a full run (or of a quick smoke run)."""
    if tiny:
        return [
            Job("train", 8, 1, "train step (8 moons points)"),
            Job("train_op_by_op", 8, 1, "train step, nn.py copy"),
            Job("train_compiled", 8, 1, "train step, compiled"),
            Job("train_op_by_op_compiled", 8, 1, "train step, nn.py compiled"),
            Job("train_batched", 8, 1, "train step, batched", ("on",)),
            Job("compile_time", 8, 1, "compile the step", ("on",)),
            Job("compiled_memory", 8, 1, "bytes per compiled node", ("on",)),
            Job("chain", 100, 1, "chain of 100 ops"),
            Job("wide_sum", 64, 1, "wide sum of 64"),
            Job("deep_tanh", 3, 1, "deep tanh 3x4"),
            Job("memory", 200, 1, "bytes per node", ("on",)),
            Job("free", 200, 1, "free a dropped graph", ("off",)),
            Job("hessian", 2, 1, "Hessian of an MLP loss, 2 points", ("on",)),
            Job("jvp", 2, 1, "jvp of an MLP loss, 2 points", ("on",)),
            Job("grad", 2, 1, "grad of an MLP loss, 2 points", ("on",)),
        ]
    return [
        Job("train", 100, 5, "train step (demo)", rounds=3),
        Job("train_op_by_op", 100, 5, "train step, nn.py op by op", rounds=3),
        Job("train_compiled", 100, 5, "train step (demo), compiled", rounds=3),
        Job("train_op_by_op_compiled", 100, 5, "train step, op by op, compiled", rounds=3),
        Job("train_batched", 100, 20, "train step (demo), batched / tensors", ("on",), rounds=3),
        Job("train_batched", 10_000, 10, "train step, 1e4 points, batched / tensors", ("on",)),
        Job("compile_time", 100, 5, "compile the demo step", ("on",)),
        Job("compiled_memory", 100, 1, "bytes per compiled node", ("on",)),
        Job("chain", 10_000, 5, "chain 1e4 ops"),
        Job("chain", 100_000, 3, "chain 1e5 ops"),
        Job("chain", 1_000_000, 3, "chain 1e6 ops"),
        Job("wide_sum", 100_000, 5, "wide sum 1e5"),
        Job("deep_tanh", 1000, 5, "deep tanh 1000x4"),
        Job("memory", 100_000, 1, "bytes per node", ("on",)),
        Job("free", 100_000, 3, "free dropped 1e5 graph", ("off",)),
        # derivatives beyond backward(): a tanh MLP(2, [4, 1]) loss of its 17 parameters
        Job("hessian", 20, 3, "Hessian 17x17, MLP loss on 20 points", ("on",)),
        Job("jvp", 100, 5, "jvp (forward mode), MLP loss on 100 points", ("on",)),
        Job("grad", 100, 5, "grad (reverse mode), same loss", ("on",)),
    ]


def installed(impl: str) -> bool:
    """Whether ``impl``'s package can be imported here (found without importing it)."""
    package = {"ours": "micrograd_core", "floor": "benchmarks"}.get(impl, impl)
    return importlib.util.find_spec(package) is not None


def in_worker(impl: str, job: Job, collector: str) -> dict[str, Any]:
    """``job`` for ``impl`` in a fresh worker process (``benchmarks.worker``): its record,
    or one with status "error" and the reason."""
    cmd = [sys.executable, "-m", "benchmarks.worker", impl, job.workload, str(job.size)]
    cmd += [str(job.repeats), collector]
    record = {"impl": impl, "workload": job.workload, "size": job.size, "collector": collector}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return {**record, "status": "error", "reason": f"timeout ({TIMEOUT} s)"}
    if done.returncode != 0 or not done.stdout.strip():
        last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return {**record, "status": "error", "reason": last[:120]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


STARTUP = {
    "ours": "import micrograd_core, micrograd_nn\nregistry = micrograd_core.default_registry()\n",
    "micrograd": "import micrograd.engine, micrograd.nn\n",
    "torch": "import torch\n",
}
_TIMED = (
    "import time\nt0 = time.perf_counter()\n{code}"
    "print((time.perf_counter() - t0) * 1000, {detail})\n"
)


def startup(impl: str, repeats: int) -> dict[str, Any]:
    """Import time (and, for ours, building the default registry), in fresh interpreters."""
    record: dict[str, Any] = {"impl": impl, "workload": "startup", "size": 0, "collector": "on"}
    if impl not in STARTUP:
        return {**record, "status": "unsupported", "reason": "nothing to import"}
    detail = "','.join(sorted(registry))" if impl == "ours" else "''"
    script = _TIMED.format(code=STARTUP[impl], detail=detail)
    inside, wall, ops = [], [], ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        )
        wall.append((time.perf_counter() - t0) * 1000)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
            status = "absent" if "ModuleNotFoundError" in reason else "error"
            return {**record, "status": status, "reason": reason[:120]}
        ms, _, ops = done.stdout.strip().partition(" ")
        inside.append(float(ms))
    return {
        **record,
        "status": "ok",
        "median": statistics.median(inside),
        "times": inside,
        "process": statistics.median(wall),
        "ops": ops,
    }


# A fresh interpreter's wall time, best of 7: importing each implementation (the
# floor is a bare interpreter, ``python -c pass``), importing ``Value`` alone,
# and ``micrograd --help``.
LAUNCH: dict[str, dict[str, str]] = {
    "import": {
        "ours": "import micrograd_core",
        "micrograd": "import micrograd",
        "torch": "import torch",
        "floor": "pass",
    },
    "import_value": {"ours": "from micrograd_core import Value"},
    "help": {"ours": "from micrograd_cli import main\nmain()"},
}
# How the notes name each of them.
LAUNCHED = {
    "import": "import {package}",
    "import_value": "from micrograd_core import Value",
    "help": "micrograd --help",
}


def _launch_command(impl: str, workload: str) -> list[str] | None:
    code = LAUNCH[workload].get(impl)
    if code is None:
        return None
    if workload == "help":
        script = Path(sys.executable).with_name("micrograd")  # the console script
        if script.exists():
            return [str(script), "--help"]
        return [sys.executable, "-c", f"import sys\nsys.argv[0] = 'micrograd'\n{code}", "--help"]
    return [sys.executable, "-c", code]


def launch(impl: str, workload: str, repeats: int) -> dict[str, Any]:
    """A fresh interpreter running ``LAUNCH[workload][impl]``: wall times, best first.

    One run before the timed ones writes the bytecode caches, as a second run on
    a user's machine finds them.
    """
    record: dict[str, Any] = {"impl": impl, "workload": workload, "size": 0, "collector": "on"}
    command = _launch_command(impl, workload)
    if command is None:
        return {**record, "status": "unsupported", "reason": "no such command"}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times, cpu = [], []
    for i in range(repeats + 1):
        used, t0 = _children_cpu(), time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if i:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((_children_cpu() - used) * 1000)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
            status = "absent" if "ModuleNotFoundError" in reason else "error"
            return {**record, "status": status, "reason": reason[:120]}
    best, median = min(times), statistics.median(times)
    return {**record, "status": "ok", "best": best, "median": median, "times": times, "cpu": cpu}


def _children_cpu() -> float:
    """Seconds of processor time (user and system) used by finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_all(
    impls: list[str], tiny: bool = False, log: bool = True, workloads: set[str] | None = None
) -> list[dict[str, Any]]:
    """Every job for every implementation; larger sizes are skipped after a failure.

    The implementations take turns on each job (and, for jobs run in several
    rounds, on each round), so that a change in the machine's load between two
    of them shows less in their ratio.
    """
    present = [impl for impl in impls if installed(impl)]
    if log:
        for impl in sorted(set(impls) - set(present)):
            print(f"  {impl:9} not installed: skipped", flush=True)
    records: list[dict[str, Any]] = []
    failed: dict[tuple[str, str, str], str] = {}
    for job in plan(tiny):
        if workloads is not None and job.workload not in workloads:
            continue
        for collector in job.collectors:
            rounds: dict[str, list[dict[str, Any]]] = {impl: [] for impl in present}
            for _ in range(job.rounds):
                for impl in present:
                    earlier = failed.get((impl, job.workload, collector))
                    if earlier is None:
                        result = in_worker(impl, job, collector)
                    else:
                        record = {"impl": impl, "workload": job.workload, "size": job.size}
                        result = {**record, "collector": collector, "status": "skipped"}
                        result["reason"] = f"{earlier}, not run"
                    if result["status"] == "error":
                        reason = f"{result['reason']} at {job.size:,}"
                        failed[(impl, job.workload, collector)] = reason
                    rounds[impl].append(result)
            for impl in present:
                result = _merge(rounds[impl])
                records.append(result)
                if log:
                    print(f"  {impl:9} {job.label:24} gc {collector:3} {_cell(result)}", flush=True)
    if workloads is None or "startup" in workloads:
        records += [startup(impl, 1 if tiny else 7) for impl in present]
    for workload in LAUNCH:
        if workloads is None or workload in workloads:
            records += [launch(impl, workload, 1 if tiny else 7) for impl in present]
    return records


def _merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One record from several rounds: all their times, the first round's other fields."""
    for result in results:
        if result["status"] != "ok":
            return result
    merged = dict(results[0])
    merged["times"] = [t for result in results for t in result["times"]]
    merged["median"] = statistics.median(merged["times"])
    return merged


def _cell(record: dict[str, Any] | None) -> str:
    if record is None:
        return "-"
    status = record["status"]
    if status == "unsupported":
        return "n/a"
    if status == "skipped":
        return "not run"
    if status != "ok":
        return str(record.get("reason", status))
    value = _shown(record)
    if record["workload"] in ("memory", "compiled_memory"):
        return f"{value:,.0f} B"
    return f"{value:,.1f} ms" if value >= 1 else f"{value:.3f} ms"


def _shown(record: dict[str, Any]) -> float:
    """The figure a cell shows: the best time of a start-up, the median of the rest."""
    return float(record.get("best", record["median"]))


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    if a is None or b is None or a["status"] != "ok" or b["status"] != "ok" or not _shown(b):
        return "-"
    ratio = _shown(a) / _shown(b)
    return f"{ratio:.1f}x" if ratio >= 1 else f"{ratio:.2f}x"


def table(records: list[dict[str, Any]], tiny: bool = False) -> str:
    """A markdown table: one row per workload and collector setting, ratios last."""
    index = {(r["impl"], r["workload"], r["size"], r["collector"]): r for r in records}
    head = ["workload", "gc", *IMPLEMENTATIONS, "micrograd/ours", "torch/ours", "ours/floor"]
    rows = [head, ["---"] * len(head)]
    extra = [
        Job("startup", 0, 1, "start-up (import + registry)", ("on",)),
        Job("import", 0, 7, "python -c 'import ...', best", ("on",)),
        Job("import_value", 0, 7, "python -c 'from ... import Value', best", ("on",)),
        Job("help", 0, 7, "micrograd --help, best", ("on",)),
    ]
    for job in [*plan(tiny), *extra]:
        for collector in job.collectors:
            cells = {i: index.get((i, job.workload, job.size, collector)) for i in IMPLEMENTATIONS}
            rows.append(
                [
                    job.label,
                    collector,
                    *(_cell(cells[i]) for i in IMPLEMENTATIONS),
                    _ratio(cells["micrograd"], cells["ours"]),
                    _ratio(cells["torch"], cells["ours"]),
                    _ratio(cells["ours"], cells["floor"]),
                ]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for row in rows:
        fill = "-" if row[0] == "---" else " "
        lines.append(
            "| " + " | ".join(c.ljust(w, fill) for c, w in zip(row, widths, strict=True)) + " |"
        )
    return "\n".join(lines)


def notes(records: list[dict[str, Any]]) -> str:
    """What the table cannot show: per-op chain cost (linearity), freeing, start-up details."""
    out = []
    chains = [r for r in records if r["workload"] == "chain" and r["status"] == "ok"]
    for impl in IMPLEMENTATIONS:
        per_op = [
            f"{r['size']:,}: {r['median'] * 1000 / r['size']:.2f} us/op (gc {r['collector']})"
            for r in chains
            if r["impl"] == impl
        ]
        if per_op:
            out.append(f"chain cost per op, {impl}: " + "; ".join(per_op))
    for r in records:
        if r["workload"] == "free" and r["status"] == "ok":
            how = (
                f"{r['cyclic']:,} objects left for the cyclic collector, which took "
                f"{statistics.median(r['collect']):.1f} ms"
                if r["cyclic"]
                else "freed by reference counting alone (cyclic collector found 0 objects)"
            )
            out.append(f"free, {r['impl']}: drop {statistics.median(r['drop']):.1f} ms; {how}")
        if r["workload"] == "compile_time" and r["status"] == "ok":
            steps = "never" if r["break_even"] is None else f"after {r['break_even']:.1f} steps"
            out.append(
                f"compile, {r['impl']}: {r['median']:.1f} ms for the demo step's graph; a step "
                f"builds in {r['built']:.1f} ms and replays in {r['replayed']:.1f} ms; "
                f"compiling pays for itself {steps}"
            )
        if r["workload"] == "compiled_memory" and r["status"] == "ok":
            out.append(
                f"bytes per compiled node, {r['impl']}: {r['median']:.0f} on top of the graph "
                f"it keeps ({r['nodes']:,} nodes, tracemalloc)"
            )
        if r["workload"] == "memory" and r["status"] == "ok":
            after = (
                "backward failed"
                if r["backward"] is None
                else f"{r['backward']:.0f} after backward"
            )
            out.append(
                f"bytes per node, {r['impl']}: {r['median']:.0f} after forward, {after} "
                f"({r['method']})"
            )
        if r["status"] == "error":
            where = f"{r['workload']} {r['size']:,}, {r['impl']} (gc {r['collector']})"
            out.append(f"{where}: {r['reason']}; larger sizes not run")
        if r["workload"] == "startup" and r["status"] == "ok":
            extra = f"; ops: {r['ops']}" if r["ops"] else ""
            out.append(
                f"start-up, {r['impl']}: {r['median']:.0f} ms in-process, "
                f"{r['process']:.0f} ms for the whole interpreter{extra}"
            )
        if r["workload"] in LAUNCHED and r["status"] == "ok" and r["impl"] != "floor":
            out.append(_launch_note(r, records))
        train_rows = ("train", "train_compiled", "train_op_by_op_compiled", "train_batched")
        if r["workload"] in train_rows and r["status"] == "ok" and r["collector"] == "on":
            losses = ", ".join(repr(x) for x in r["losses"][:3])
            out.append(f"{r['workload']} losses, {r['impl']}: {losses}")
    return "\n".join(out)


def _launch_note(record: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """A fresh interpreter's best time for ``record``, and how far over a bare one."""
    package = "micrograd_core" if record["impl"] == "ours" else record["impl"]
    what = LAUNCHED[record["workload"]].format(package=package)
    bare = next((b for b in records if b["workload"] == "import" and b["impl"] == "floor"), None)
    over = (
        f", {record['best'] - bare['best']:.1f} ms over bare python ({bare['best']:.1f} ms)"
        if bare is not None and bare["status"] == "ok"
        else ""
    )
    return (
        f"{what}: {record['best']:.1f} ms for a fresh interpreter, best of "
        f"{len(record['times'])}{over}; processor time {min(record['cpu']):.1f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run, print the table and notes, write the JSON file."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="tiny sizes, one repeat (smoke test)")
    parser.add_argument(
        "--impls", default=",".join(IMPLEMENTATIONS), help="comma-separated implementations"
    )
    parser.add_argument(
        "--workloads", help="comma-separated workloads to run (default: all), e.g. train,startup"
    )
    parser.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/)")
    args = parser.parse_args(argv)
    impls = [name.strip() for name in args.impls.split(",") if name.strip()]
    unknown = sorted(set(impls) - set(IMPLEMENTATIONS))
    if unknown:
        parser.error(f"unknown implementation(s) {unknown}; expected: {', '.join(IMPLEMENTATIONS)}")
    workloads = None if args.workloads is None else set(args.workloads.split(","))
    print(f"benchmarks: {', '.join(impls)} ({'tiny' if args.tiny else 'full'} sizes)", flush=True)
    records = run_all(impls, tiny=args.tiny, workloads=workloads)
    print()
    print(table(records, tiny=args.tiny))
    print()
    print(notes(records))
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or RESULTS / f"bench-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": stamp,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "tiny": args.tiny,
    }
    out.write_text(json.dumps({"meta": meta, "records": records}, indent=1) + "\n")
    print(f"\nwrote {out}")
