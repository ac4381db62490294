"""softsign meets the op contract: its value, its gradient, and how the engine uses both."""

import micrograd_softsign

from micrograd_core.testing.pytest_plugin import contract_tests

test_contract = contract_tests(micrograd_softsign)
