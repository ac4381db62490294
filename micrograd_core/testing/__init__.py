"""The op contract kit: prove any op's value and gradient right.

``check_op(op)`` runs every contract check on one op and raises one
:class:`ContractError` listing each failure; ``contract_report(op)`` returns the
:class:`ContractReport` instead. Each check is also a function of its own in
:mod:`micrograd_core.testing.check`; :mod:`~micrograd_core.testing.evaluation`
holds how they evaluate an op, :mod:`~micrograd_core.testing.runner` how they
run. Inputs come from hypothesis when it is installed (derandomised, after every
input of the built-in sampler; strategies in
:mod:`micrograd_core.testing.strategies`), else from a deterministic built-in
sampler; either way a failure is reported at the smallest failing input found.
Install hypothesis with the ``testing`` extra: ``pip install 'micrograd-registry[testing]'``.

For pytest, the plugin :mod:`micrograd_core.testing.pytest_plugin` (loaded
automatically) gives ``contract_tests`` and the ``micrograd_registry`` fixture.

>>> import math
>>> from micrograd_core import Op
>>> sin = Op("sin", 1, forward=math.sin, partials=(lambda x, out: math.cos(x),))
>>> contract_report(sin, sampler="builtin").ok
True
"""

from micrograd_core.testing._sample import BOUND, CORE, LARGE, Point, sample_points, special_points
from micrograd_core.testing.check import (
    CHECKS,
    Check,
    check_accumulation,
    check_constants,
    check_engine,
    check_finite_differences,
    check_forward,
    check_inline,
    check_kinks,
    check_large_inputs,
    check_metadata,
    check_references,
    check_second_order,
    check_targets,
    check_taylor,
)
from micrograd_core.testing.evaluation import ATOL, RTOL
from micrograd_core.testing.reference import Reference
from micrograd_core.testing.report import CheckFailure, CheckResult, ContractError, ContractReport
from micrograd_core.testing.runner import (
    Sampler,
    check_op,
    contract_report,
    hypothesis_available,
    run_check,
)

__all__ = [
    "ATOL",
    "BOUND",
    "CHECKS",
    "CORE",
    "LARGE",
    "RTOL",
    "Check",
    "CheckFailure",
    "CheckResult",
    "ContractError",
    "ContractReport",
    "Point",
    "Reference",
    "Sampler",
    "check_accumulation",
    "check_constants",
    "check_engine",
    "check_finite_differences",
    "check_forward",
    "check_inline",
    "check_kinks",
    "check_large_inputs",
    "check_metadata",
    "check_op",
    "check_references",
    "check_second_order",
    "check_targets",
    "check_taylor",
    "contract_report",
    "hypothesis_available",
    "run_check",
    "sample_points",
    "special_points",
]
