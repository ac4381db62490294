"""Run one workload of one implementation, in this process, and print its result as JSON.

``python -m benchmarks.worker IMPL WORKLOAD SIZE REPEATS on|off``: ``off`` disables
the cyclic garbage collector before anything is built. The result (one JSON
object on stdout) has a ``status``: ``ok``, ``absent`` (package not installed),
``unsupported`` or ``error`` (the exception, e.g. micrograd's RecursionError).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import warnings
from typing import Any

__all__ = ["main", "run"]


def run(impl_name: str, workload: str, size: int, repeats: int, collector: bool) -> dict[str, Any]:
    """Measure one workload; never raises for a failure of the implementation measured."""
    # torch warns at import when numpy is missing; it uses none here.
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    from benchmarks.impl import load  # noqa: PLC0415
    from benchmarks.workloads import WORKLOADS, Unsupported  # noqa: PLC0415

    record: dict[str, Any] = {
        "impl": impl_name,
        "workload": workload,
        "size": size,
        "collector": "on" if collector else "off",
    }
    impl = load(impl_name)
    if impl is None:
        return {**record, "status": "absent"}
    record["version"] = impl.version
    if not collector:
        gc.disable()
    try:
        result = WORKLOADS[workload](impl, size, repeats)
    except Unsupported as e:
        return {**record, "status": "unsupported", "reason": str(e)}
    except (RecursionError, MemoryError, ArithmeticError, ValueError, TypeError) as e:
        return {**record, "status": "error", "reason": f"{type(e).__name__}"}
    finally:
        gc.enable()
    return {**record, "status": "ok", "median": statistics.median(result["times"]), **result}


def main() -> None:
    """Command-line entry: parse the five arguments, print the JSON result."""
    impl_name, workload, size, repeats, collector = sys.argv[1:6]
    if collector not in {"on", "off"}:
        msg = f"collector must be 'on' or 'off', got {collector!r}"
        raise SystemExit(msg)
    result = run(impl_name, workload, int(size), int(repeats), collector == "on")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
