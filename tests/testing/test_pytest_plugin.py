"""The pytest plugin: one case per (op, check), the registry fixture, life without hypothesis."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

from micrograd_core import Op, OpRegistry, Provenance, Value, default_registry
from micrograd_core.testing import check_op
from micrograd_core.testing.pytest_plugin import contract_tests
from micrograd_core.testing.targets import installed_targets
from micrograd_core.value import installed

TARGETS = 8 if installed_targets() else 0
"""The builtin ops' cases of the targets check: one per op with expressions, with torch or jax."""

Run = Callable[..., subprocess.CompletedProcess[str]]

# Makes `import hypothesis` fail as it does where hypothesis is not installed; its
# pytest plugin is then left out (-p no:hypothesispytest), as it would be missing too.
WITHOUT_HYPOTHESIS = """
import sys

class NoHypothesis:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "hypothesis":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoHypothesis())


class KeepFirst:  # pytest puts its assertion rewriter first: go back in front of it
    def pytest_configure(self, config):
        sys.meta_path.insert(0, NoHypothesis())


PLUGINS = [KeepFirst()]
"""

PYTEST_INI = "[pytest]\nfilterwarnings = error\naddopts = -p no:cacheprovider\n"


def _ids(test: object) -> list[str]:
    (mark,) = test.pytestmark  # type: ignore[attr-defined]
    return [param.id for param in mark.args[1]]


def test_one_case_per_op_and_applicable_check() -> None:
    ids = _ids(contract_tests(plugin="builtin"))
    assert "relu-kinks" in ids
    assert "pow-accumulation" in ids
    assert "relu-accumulation" not in ids  # one input: nothing to accumulate
    assert "logsumexp-accumulation" in ids  # variadic: checked with 2 and 4 inputs too
    assert "affine-accumulation" in ids  # with 3 and 7 inputs
    assert "tanh-kinks" not in ids  # no kinks declared
    assert "affine-inline" in ids
    assert "pow-inline" not in ids  # no inline expressions offered
    assert ("affine-targets" in ids) == bool(TARGETS)
    assert "pow-targets" not in ids  # no expressions to translate
    assert "logsumexp-inline" not in ids  # its shift by the largest input has no expression
    assert "softplus-inline" in ids
    assert len(ids) == len(set(ids)) == 94 + TARGETS


def test_registry_fixture_is_isolated_and_active(micrograd_registry: OpRegistry) -> None:
    assert sorted(micrograd_registry) == [
        "add",
        "affine",
        "exp",
        "log",
        "logsumexp",
        "mul",
        "pow",
        "relu",
        "softplus",
        "tanh",
    ]
    assert installed() is micrograd_registry
    assert micrograd_registry is not default_registry()
    square = Op("square", 1, compose=lambda x: x * x)
    extended = micrograd_registry.with_ops([square], Provenance("test"))
    with extended.activated():
        assert (Value(3.0) * 2).data == 6.0
        check_op(extended["square"], sampler="builtin")
    assert installed() is micrograd_registry


def _pytest(
    run_python: Run, tmp_path: Path, test_file: str, *args: str, prelude: str = "PLUGINS = []\n"
) -> str:
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    (tmp_path / "test_ops.py").write_text(textwrap.dedent(test_file))
    run = f"sys.exit(pytest.main({[*args, 'test_ops.py']!r}, plugins=PLUGINS))"
    code = f"{prelude}import sys, pytest\n{run}"
    done = run_python(code)
    return f"exit {done.returncode}\n{done.stdout}{done.stderr}"


WAVE_PLUGIN = """
import math
from micrograd_core import Op, hookimpl

SIN = Op("sin", 1, forward=math.sin, partials=(lambda x, out: math.cos(x),), method="sin")
# A composite built from its own plugin's method: needs a registry that holds sin.
SIN2 = Op("sin2", 1, compose=lambda x: x.sin() * x.sin())

@hookimpl
def micrograd_register_ops(register):
    register(SIN)
    register(SIN2)
"""


def test_a_plugin_test_file_is_two_lines(run_python: Run, tmp_path: Path) -> None:
    (tmp_path / "micrograd_wave.py").write_text(WAVE_PLUGIN)  # importable, not installed
    test_file = """
        import micrograd_wave
        from micrograd_core.testing.pytest_plugin import contract_tests

        test_contract = contract_tests(micrograd_wave, examples=10)
        test_builtin = contract_tests("builtin", examples=10)
    """
    out = _pytest(run_python, tmp_path, test_file, "-k", "sin2 or (tanh and taylor)", "-v")
    assert out.startswith("exit 0\n"), out
    assert "test_ops.py::test_contract[sin2-taylor] PASSED" in out
    assert "test_ops.py::test_builtin[tanh-taylor] PASSED" in out
    assert f"8 passed, {100 + TARGETS} deselected" in out


def test_a_failing_case_says_what_failed(run_python: Run, tmp_path: Path) -> None:
    test_file = """
        import math
        from micrograd_core import Op
        from micrograd_core.testing.pytest_plugin import contract_tests

        sin = Op("sin", 1, forward=math.sin, partials=(lambda x, out: -math.cos(x),))
        test_contract = contract_tests(ops=[sin], examples=10)
        test_missing = contract_tests(plugin="no_such_plugin")
    """
    out = _pytest(run_python, tmp_path, test_file, "-q")
    assert out.startswith("exit 1\n"), out
    assert "FAILED test_ops.py::test_contract[sin-finite_differences]" in out
    assert "FAILED test_ops.py::test_contract[sin-taylor]" in out
    assert "op 'sin' (None) failed finite_differences at (0.0,): partial 0: analytic -1.0" in out
    assert "FAILED test_ops.py::test_missing[no-ops]" in out
    assert "no ops from plugin 'no_such_plugin' in the registry; installed plugins: " in out
    assert "FAILED test_ops.py::test_contract[sin-large_inputs]" in out  # wrong at 1000 too
    assert "4 failed, 4 passed" in out


def test_the_plugin_works_without_hypothesis(run_python: Run, tmp_path: Path) -> None:
    test_file = """
        from micrograd_core.testing.pytest_plugin import contract_tests
        test_contract = contract_tests(plugin="builtin", examples=10)

        def test_fixture(micrograd_registry):
            assert "tanh" in micrograd_registry
    """
    out = _pytest(
        run_python, tmp_path, test_file, "-p", "no:hypothesispytest", prelude=WITHOUT_HYPOTHESIS
    )
    assert out.startswith("exit 0\n"), out
    assert (
        "micrograd contract kit: inputs from the built-in sampler (hypothesis not installed)" in out
    )
    assert f"{95 + TARGETS} passed" in out


def test_the_kit_works_without_hypothesis(run_python: Run) -> None:
    code = WITHOUT_HYPOTHESIS + textwrap.dedent("""
        import math
        from micrograd_core import Op
        from micrograd_core.testing import contract_report
        sin = Op("sin", 1, forward=math.sin, partials=(lambda x, out: -math.cos(x),))
        report = contract_report(sin)
        print(report.sampler, [r.check for r in report.failures])
        try:
            import micrograd_core.testing.strategies
        except ImportError as e:
            print(e)
    """)
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "builtin ['finite_differences', 'taylor', 'large_inputs']"
    assert lines[1].startswith("micrograd_core.testing.strategies needs hypothesis, which is not")
    assert "pip install 'micrograd-registry[testing]'" in lines[1]


def test_references_bound_and_a_stray_reference(run_python: Run, tmp_path: Path) -> None:
    test_file = """
        from micrograd_core import Op
        from micrograd_core.testing import Reference
        from micrograd_core.testing.pytest_plugin import contract_tests

        # right below 200, wrong above: outside the bound, only large_inputs sees it
        cube = Op("cube", 1, forward=lambda x: x**3,
                  partials=(lambda x, out: 3 * x * x * (1 + (x > 200)),))
        test_contract = contract_tests(
            ops=[cube],
            examples=10,
            bound=100.0,
            references={"cube": [Reference((2.0,), value=8.0, partials=(12.5,))]},
        )
        test_stray = contract_tests(
            ops=[cube], references={"cuber": [Reference((1.0,), value=1.0)]}, examples=5
        )
    """
    out = _pytest(run_python, tmp_path, test_file, "-q", "-k", "not stray or references")
    assert out.startswith("exit 1\n"), out
    assert "FAILED test_ops.py::test_contract[cube-references]" in out
    assert "partial 0 is 12.0 (the op's partial), but the reference says 12.5" in out
    assert "FAILED test_ops.py::test_contract[cube-large_inputs]" in out
    assert "test_contract[cube-finite_differences]" not in out  # passed: inputs below 100
    assert "FAILED test_ops.py::test_stray[references]" in out
    assert "references given for 'cuber', which are not tested: cube" in out
