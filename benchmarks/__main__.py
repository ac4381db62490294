"""``python -m benchmarks``: run every workload and print the table."""

from benchmarks.run import main

if __name__ == "__main__":
    main()
