"""What mypy --strict must reject; each line names the error code it expects."""

from __future__ import annotations

import micrograd_ops
from micrograd_core import Value
from micrograd_nn import SGD, Adam, SGDState

Value("a")  # E: arg-type
Value(None)  # E: arg-type
Value(2.0) + "a"  # E: operator
Value(2.0).tahn()  # E: attr-defined
Value(2.0).data = "a"  # E: assignment
Value(2.0, "w1")  # E: call-arg
Value(2.0, label=1)  # E: arg-type
Value(2.0).label = None  # E: assignment
micrograd_ops.tanh("a")  # E: arg-type
micrograd_ops.power(2.0)  # E: call-arg
micrograd_ops.pow(2.0, 3.0)  # E: attr-defined
y: float = micrograd_ops.tanh(2.0)  # E: assignment
micrograd_ops.logsumexp("a")  # E: arg-type
w = Value(1.0)
Adam([w]).state[w].exp_avg = 0.0  # E: misc
SGD([w]).state[w] = SGDState(None)  # E: index
del SGD([w]).state[w]  # E: attr-defined
