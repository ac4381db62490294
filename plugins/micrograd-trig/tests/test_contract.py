"""micrograd-trig meets the op contract: one test per (op, check), e.g. ``-k "sin and taylor"``."""

import micrograd_trig

from micrograd_core.testing.pytest_plugin import contract_tests

test_contract = contract_tests(micrograd_trig)
