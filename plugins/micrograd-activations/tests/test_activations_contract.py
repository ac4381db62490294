"""micrograd-activations meets the op contract: one test per (op, check), for ``pytest -k``."""

import micrograd_activations

from micrograd_core.testing.pytest_plugin import contract_tests

test_contract = contract_tests(micrograd_activations)
