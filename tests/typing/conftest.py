# These files are for mypy only; test_typing.py runs mypy on them.
collect_ignore = ["usage.py", "rejected.py"]
