"""The built-in ops meet the op contract: one test per (op, check)."""

from micrograd_core.testing.pytest_plugin import contract_tests

test_contract = contract_tests(plugin="builtin")
