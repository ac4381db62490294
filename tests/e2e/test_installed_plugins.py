"""Plugins pip-installed into a fresh environment: discovery, listing, selection, failures."""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.conftest import InstalledEnv

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

EVERY_PLUGIN = {"MICROGRAD_DISABLE_PLUGINS": ""}
BROKEN = "broken_import,invalid_op"

TRIG = ["atan", "cos", "sin", "tan"]
ACTIVATIONS = ["gelu", "leaky_relu", "sigmoid", "silu"]
BUILTIN = ["add", "affine", "exp", "log", "logsumexp", "mul", "pow", "relu", "softplus", "tanh"]

BROKEN_IMPORT = (
    "plugin 'broken_import' (micrograd-fixture-broken-import 0.1.0) (entry point "
    "broken_import = 'micrograd_fixture_broken_import') was skipped: ImportError: "
    "libcube.so: cannot open shared object file"
)
INVALID_OP = (
    "plugin 'invalid_op' (micrograd-fixture-invalid-op 0.1.0) (entry point invalid_op = "
    "'micrograd_fixture_invalid_op') was skipped: InvalidOpError: op 'hypot': has arity 2 "
    "but 1 partials (expected one per input)"
)
CUBE_COLLISION = (
    "op 'cube' is provided by plugin 'cube_a' (micrograd-fixture-cube-a 0.1.0) and plugin "
    "'cube_b' (micrograd-fixture-cube-b 0.1.0); choose one by disabling the others, e.g. "
    "MICROGRAD_DISABLE_PLUGINS=cube_b"
)


# Other tests may install more plugins into the shared environment: these tests
# look only at the distributions of this project and of tests/e2e/fixtures.
OURS = ("micrograd-registry", "micrograd-trig", "micrograd-activations", "micrograd-fixture-")


def ops_json(env: InstalledEnv, **variables: str) -> dict[str, Any]:
    """``micrograd ops --json``, restricted to the distributions named in ``OURS``.

    With no op loaded the command prints the (empty) listing, then exits 1.
    """
    done = env.call("micrograd", "ops", "--json", env=variables)
    listing: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == (0 if listing["ops"] else 1), done.stderr
    return {
        "ops": [op for op in listing["ops"] if op["distribution"].startswith(OURS)],
        "failed": [f for f in listing["failed"] if f["distribution"].startswith(OURS)],
        "collisions": [
            c
            for c in listing["collisions"]
            if any(p["distribution"].startswith(OURS) for p in c["providers"])
        ],
    }


def version(distribution: str) -> str:
    pyproject = ROOT / "plugins" / distribution / "pyproject.toml"
    return str(tomllib.loads(pyproject.read_text())["project"]["version"])


def test_installed_plugins_are_discovered_and_listed(installed_env: InstalledEnv) -> None:
    listing = ops_json(installed_env)
    assert listing["failed"] == []
    assert listing["collisions"] == []
    providers = {op["name"]: (op["plugin"], op["distribution"]) for op in listing["ops"]}
    assert providers == {
        **{name: ("builtin", "micrograd-registry") for name in BUILTIN},
        **{name: ("trig", "micrograd-trig") for name in TRIG},
        **{name: ("activations", "micrograd-activations") for name in ACTIVATIONS},
    }
    sin = next(op for op in listing["ops"] if op["name"] == "sin")
    assert sin == {
        "name": "sin",
        "arity": 1,
        "variadic": 0,
        "method": "sin",
        "higher_order": True,
        "inline": True,
        "plugin": "trig",
        "distribution": "micrograd-trig",
        "version": version("micrograd-trig"),
        "doc": "sine of x (radians); sin' = cos",
    }


def test_methods_typed_functions_and_names_reach_the_installed_ops(
    installed_env: InstalledEnv,
) -> None:
    code = """
from micrograd_core import Value, apply
from micrograd_trig import sin
from micrograd_activations import sigmoid

x = Value(0.5)
y = x.sin() + sin(x) + apply("sin", x) + x.sigmoid() + sigmoid(x) + x.silu()
y.backward()
print(y.data, x.grad)
"""
    data, grad = map(float, installed_env.check("python", "-c", code).split())
    s = 1 / (1 + math.exp(-0.5))
    assert math.isclose(data, 3 * math.sin(0.5) + 2 * s + 0.5 * s)
    silu_grad = s + 0.5 * s * (1 - s)
    assert math.isclose(grad, 3 * math.cos(0.5) + 2 * s * (1 - s) + silu_grad)


def test_broken_plugins_are_listed_and_the_rest_works(installed_env: InstalledEnv) -> None:
    listing = ops_json(installed_env, **EVERY_PLUGIN)
    assert listing["failed"] == [
        {
            "plugin": "broken_import",
            "distribution": "micrograd-fixture-broken-import",
            "error": "ImportError: libcube.so: cannot open shared object file",
        },
        {
            "plugin": "invalid_op",
            "distribution": "micrograd-fixture-invalid-op",
            "error": "InvalidOpError: op 'hypot': has arity 2 but 1 partials (expected one "
            "per input)",
        },
    ]
    assert [c["name"] for c in listing["collisions"]] == ["cube"]
    names = [op["name"] for op in listing["ops"]]
    assert names == sorted([*BUILTIN, *TRIG, *ACTIVATIONS])
    stderr = installed_env.call("micrograd", "ops", "--json", env=EVERY_PLUGIN).stderr
    assert stderr.splitlines() == [
        f"warning: {BROKEN_IMPORT}",
        f"warning: {INVALID_OP}",
        f"warning: {CUBE_COLLISION}; until then it is unavailable",
    ]


def test_the_table_lists_failures_and_collisions(installed_env: InstalledEnv) -> None:
    table = installed_env.check("micrograd", "ops", env={**EVERY_PLUGIN, "COLUMNS": "250"})
    assert "failed plugins (skipped)" in table
    assert "micrograd-fixture-broken-import" in table
    assert "collisions (name withheld)" in table
    assert "plugin 'cube_a' (micrograd-fixture-cube-a 0.1.0) and plugin 'cube_b'" in table


def test_a_program_warns_once_per_broken_plugin_and_names_the_collision(
    installed_env: InstalledEnv,
) -> None:
    code = """
import warnings
from micrograd_core import OpCollisionError, Value, apply

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    y = Value(2.0).tan() * 3
for w in caught:
    print(type(w.message).__name__, w.message)
try:
    apply("cube", y)
except OpCollisionError as e:
    print(type(e).__name__, e)
"""
    lines = installed_env.check("python", "-c", code, env=EVERY_PLUGIN).splitlines()
    assert [line for line in lines if "fixture" in line or "cube" in line] == [
        f"PluginWarning {BROKEN_IMPORT}",
        f"PluginWarning {INVALID_OP}",
        f"PluginWarning {CUBE_COLLISION}; until then it is unavailable",
        f"OpCollisionError {CUBE_COLLISION}",
    ]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"MICROGRAD_LOAD_PLUGINS": "builtin,trig"}, [*BUILTIN, *TRIG]),
        ({"MICROGRAD_LOAD_PLUGINS": "trig"}, TRIG),
        ({"MICROGRAD_LOAD_PLUGINS": ""}, []),
        (
            {"MICROGRAD_DISABLE_PLUGINS": f"trig,micrograd-activations,cube_b,{BROKEN}"},
            [*BUILTIN, "cube"],
        ),
    ],
)
def test_allow_and_deny_lists(
    installed_env: InstalledEnv, variables: dict[str, str], expected: list[str]
) -> None:
    listing = ops_json(installed_env, **variables)
    assert [op["name"] for op in listing["ops"]] == sorted(expected)
    assert listing["failed"] == []


def test_without_the_builtin_plugin_operators_explain(installed_env: InstalledEnv) -> None:
    result = installed_env.call(
        *("python", "-c", "from micrograd_core import Value; Value(1.0) + 1"),
        env={**EVERY_PLUGIN, "MICROGRAD_LOAD_PLUGINS": "trig"},
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "micrograd_core.errors.OpNotFoundError: no op named 'add'; registered: atan, cos, sin, "
        "tan. The built-in ops come from plugin 'builtin' of the 'micrograd-registry' "
        "distribution: install it (pip install micrograd-registry) and make sure it is selected "
        "(MICROGRAD_LOAD_PLUGINS='trig')"
    )


def test_strict_mode_stops_at_the_first_broken_plugin(installed_env: InstalledEnv) -> None:
    strict = {**EVERY_PLUGIN, "MICROGRAD_STRICT_PLUGINS": "1"}
    cli = installed_env.call("micrograd", "ops", env=strict)
    assert (cli.returncode, cli.stdout, cli.stderr) == (1, "", f"Error: {BROKEN_IMPORT}\n")
    program = installed_env.call(
        "python", "-c", "from micrograd_core import Value; Value(1.0).sin()", env=strict
    )
    assert program.stderr.splitlines()[-1] == (
        f"micrograd_core.errors.PluginLoadError: {BROKEN_IMPORT}"
    )
    collision_only = {
        "MICROGRAD_DISABLE_PLUGINS": BROKEN,
        "MICROGRAD_STRICT_PLUGINS": "1",
    }
    cli = installed_env.call("micrograd", "ops", env=collision_only)
    assert (cli.returncode, cli.stderr) == (1, f"Error: {CUBE_COLLISION}\n")


@pytest.mark.parametrize("distribution", ["micrograd-trig", "micrograd-activations"])
def test_each_plugin_passes_its_own_tests_once_installed(
    installed_env: InstalledEnv, distribution: str
) -> None:
    module = distribution.replace("-", "_")
    where = installed_env.check("python", "-c", f"import {module}; print({module}.__file__)")
    assert Path(where.strip()).is_relative_to(installed_env.root)  # the installed copy
    tests = installed_env.sources / distribution / "tests"
    out = installed_env.check("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", tests)
    assert re.search(r"\b\d+ passed\b", out)
    assert "failed" not in out


def test_an_installed_op_serves_as_an_activation(installed_env: InstalledEnv) -> None:
    code = """
from micrograd_nn import MLP

model = MLP(2, [3, 1], activation="sigmoid")
out = model([0.5, -1.0])
out.backward()
print(repr(model.layers[0].neurons[0]), all(p.grad == p.grad for p in model.parameters()))
"""
    assert installed_env.check("python", "-c", code).split() == ["SigmoidNeuron(2)", "True"]
