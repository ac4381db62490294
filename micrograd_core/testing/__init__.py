"""The op contract kit: prove any op's value and gradient right.

``check_op(op)`` runs every contract check on one op and raises one
:class:`ContractError` listing each failure; ``contract_report(op)`` returns the
:class:`ContractReport` instead. Each check is also a function of its own in
:mod:`micrograd_core.testing.check`. Inputs come from hypothesis when it is
installed (derandomised, shrinking a failure to a minimal input; strategies in
:mod:`micrograd_core.testing.strategies`), else from a deterministic built-in
sampler. Install hypothesis with the ``testing`` extra:
``pip install 'micrograd-registry[testing]'``.

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
    ATOL,
    CHECKS,
    RTOL,
    Check,
    Sampler,
    check_accumulation,
    check_constants,
    check_engine,
    check_finite_differences,
    check_forward,
    check_inline,
    check_kinks,
    check_large_inputs,
    check_metadata,
    check_op,
    check_references,
    check_taylor,
    contract_report,
    run_check,
)
from micrograd_core.testing.reference import Reference
from micrograd_core.testing.report import CheckFailure, CheckResult, ContractError, ContractReport

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
    "check_taylor",
    "contract_report",
    "run_check",
    "sample_points",
    "special_points",
]
