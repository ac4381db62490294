"""micrograd-activations meets the op contract: one test per (op, check), e.g. ``-k "sigmoid and taylor"``."""

import micrograd_activations

from micrograd_core.testing.pytest_plugin import contract_tests

test_contract = contract_tests(micrograd_activations)
