"""Benchmarks against micrograd and PyTorch: ``make bench`` (or ``python -m benchmarks``).

Each implementation runs each workload in its own subprocess (``benchmarks.worker``),
once with the cyclic garbage collector in its default state and once with it
disabled; ``benchmarks.run`` collects the medians into a table and a JSON file.
"""
