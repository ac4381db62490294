"""The built-in ops meet the op contract: one test per (op, check).

logsumexp and softplus are also checked at reference points where their values
and partials are known exactly: logits of 1000, 0 and -1000 among them, where
only a logsumexp shifted by its largest input stays finite.
"""

from micrograd_core.testing.pytest_plugin import contract_tests
from tests.helpers import BUILTIN_REFERENCES

test_contract = contract_tests(plugin="builtin", references=BUILTIN_REFERENCES)
