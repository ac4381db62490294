"""The pytest plugin of the op contract kit, loaded through the ``pytest11`` entry point.

An op author's whole contract test file::

    import micrograd_special
    from micrograd_core.testing.pytest_plugin import contract_tests

    test_contract = contract_tests(micrograd_special)

That is one test per (op, check), with ids such as ``test_contract[erf-taylor]``,
so ``pytest -k taylor`` or ``-k "erf and not large_inputs"`` picks some. The
fixture ``micrograd_registry`` gives an isolated registry of the built-in ops,
active for one test. Nothing here imports hypothesis: without it the checks use
the built-in sampler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib.metadata import entry_points

import pytest

from micrograd_core.op import Op, Provenance
from micrograd_core.plugins import ENTRY_POINT_GROUP, LOAD_ENV, load_registry
from micrograd_core.registry import BUILTIN_PLUGIN, OpRegistry
from micrograd_core.state import default_registry
from micrograd_core.testing._sample import BOUND
from micrograd_core.testing.check import CHECKS
from micrograd_core.testing.reference import Reference
from micrograd_core.testing.runner import hypothesis_available, run_check

__all__ = ["contract_tests", "micrograd_registry", "pytest_report_header"]


def _provided(
    plugin: object, distribution: str | None, registry: OpRegistry
) -> tuple[list[Op], str]:
    """The ops of ``registry`` from ``plugin`` or ``distribution``, and what was asked for."""
    wanted = " and ".join(
        f"{kind} {name!r}"
        for kind, name in (("plugin", plugin), ("distribution", distribution))
        if name is not None
    )
    ops = [
        op
        for op in registry.values()
        if op.provenance is not None
        and (plugin is None or op.provenance.plugin == plugin)
        and (distribution is None or op.provenance.distribution == distribution)
    ]
    return ops, wanted


def _nothing_found(wanted: str, registry: OpRegistry) -> str:
    installed = ", ".join(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)))
    failed = "; ".join(f"{f.plugin!r}: {f.error}" for f in registry.failures)
    msg = f"no ops from {wanted} in the registry; installed plugins: {installed or 'none'}"
    return msg + (f"; plugins that failed to load: {failed}" if failed else "")


def _module_ops(plugin: object) -> tuple[list[Op], OpRegistry]:
    """A plugin module's ops, registered through its own hook, and a registry holding them.

    When the plugin is installed the default registry already holds them; when it
    is only importable (a source checkout) they are added to the default's ops.
    """
    name = getattr(plugin, "__name__", type(plugin).__name__)
    own = list(load_registry({name: plugin}, environ={}, strict=True).values())
    installed = default_registry()
    if own and all(op.name in installed for op in own):
        return [installed[op.name] for op in own], installed
    registry = installed.with_ops(own, Provenance(name), on_collision="withhold")
    return [registry[op.name] for op in own], registry


def contract_tests(
    plugin: object = None,
    *,
    distribution: str | None = None,
    ops: Iterable[Op] | None = None,
    examples: int = 50,
    bound: float = BOUND,
    references: Mapping[str, Iterable[Reference]] | None = None,
) -> Callable[[Op, str], None]:
    """A test of every contract check on every op given, one parametrised case per (op, check).

    ``plugin`` is the plugin module itself (its ops are registered through its
    hook, installed or not) or the entry-point name of an installed plugin;
    ``distribution`` selects the installed ops of one distribution; ``ops`` gives
    the ops directly. Assign the result to a module-level name that starts with
    ``test``. Checks that do not apply to an op (``accumulation`` for one input)
    get no case; asking for a plugin that provides nothing gives one failing case
    saying what is installed. ``bound`` limits the magnitude of typical inputs;
    ``references`` maps an op's name to points where its value and partials are
    known (:class:`~micrograd_core.testing.Reference`), checked on every run.
    """
    registry = default_registry()
    missing = None
    if ops is not None:
        selected = list(ops)
    elif plugin is not None and not isinstance(plugin, str):
        selected, registry = _module_ops(plugin)
    elif plugin is None and distribution is None:
        msg = "contract_tests needs a plugin, a distribution or ops"
        raise TypeError(msg)
    else:
        selected, wanted = _provided(plugin, distribution, registry)
        missing = _nothing_found(wanted, registry) if not selected else None
    known = {name: tuple(refs) for name, refs in (references or {}).items()}
    cases = [
        pytest.param(op, name, id=f"{op.name}-{name}")
        for op in selected
        for name, check in CHECKS.items()
        if check.skip_reason(op, known.get(op.name, ())) is None
    ]
    strays = sorted(set(known) - {op.name for op in selected})
    if strays and missing is None:
        names = ", ".join(op.name for op in selected)
        msg = f"references given for {', '.join(map(repr, strays))}, which are not tested: {names}"
        cases.append(pytest.param(None, msg, id="references"))
    if missing is not None:
        cases = [pytest.param(None, missing, id="no-ops")]

    @pytest.mark.parametrize(("op", "check"), cases)
    def test_contract(op: Op, check: str) -> None:
        if op is None:
            pytest.fail(check, pytrace=False)
        with registry.activated():
            if check != "metadata" and run_check(op, "metadata").status == "failed":
                pytest.skip("the op's metadata is invalid (see its metadata case)")
            result = run_check(
                op, check, examples=examples, bound=bound, references=known.get(op.name, ())
            )
        if result.status == "failed":
            pytest.fail(f"op {op.name!r} ({op.provenance}) failed {result}", pytrace=False)

    return test_contract


@pytest.fixture
def micrograd_registry() -> Iterator[OpRegistry]:
    """A registry of the built-in ops only, active for the test (the default is untouched).

    Add ops with ``micrograd_registry.with_ops(ops, Provenance("test"))`` and
    activate that with its ``activated()`` context manager.
    """
    registry = load_registry(environ={LOAD_ENV: BUILTIN_PLUGIN}, strict=True)
    with registry.activated():
        yield registry


def pytest_report_header() -> str:
    """Say which inputs the contract checks draw from."""
    if hypothesis_available():
        return "micrograd contract kit: inputs from hypothesis (derandomised)"
    return "micrograd contract kit: inputs from the built-in sampler (hypothesis not installed)"
