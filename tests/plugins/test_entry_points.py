"""Discovery through ``micrograd`` entry points of distributions in a temporary directory."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from micrograd_cli import cli
from micrograd_core import (
    OpCollisionError,
    PluginLoadError,
    PluginWarning,
    Value,
    apply,
    load_registry,
)

if TYPE_CHECKING:
    from tests.plugins.conftest import Site

BUILTIN = "from micrograd_ops import micrograd_register_ops\n"

CUBE = """
from micrograd_core import Op, Register, hookimpl

@hookimpl
def micrograd_register_ops(register: Register) -> None:
    register(Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x * x,),
                method="cube", doc="x ** 3\\n\\nmore text"))
"""

RAISES_ON_IMPORT = 'raise ImportError("libcube.so: cannot open shared object file")\n'

ONE_PARTIAL_FOR_TWO_INPUTS = """
from micrograd_core import Op, Register, hookimpl

@hookimpl
def micrograd_register_ops(register: Register) -> None:
    register(Op("hypot", 2, forward=lambda x, y: (x*x + y*y) ** 0.5,
                partials=(lambda x, y, out: x / out,)))
"""


@pytest.fixture
def installed(site: Site) -> Site:
    """The built-in plugin, a good one, one that fails on import and one with an invalid op."""
    site.add("micrograd-registry", "0.1.0", builtin=BUILTIN)
    site.add("micrograd-cube", "2.0", cube=CUBE)
    site.add("micrograd-broken", "0.3", broken=RAISES_ON_IMPORT)
    site.add("micrograd-hypot", "1.1", hypot=ONE_PARTIAL_FOR_TWO_INPUTS)
    return site


BROKEN = (
    "plugin 'broken' (micrograd-broken 0.3) (entry point broken = "
    "'micrograd_broken_broken') was skipped: ImportError: libcube.so: cannot open shared "
    "object file"
)
HYPOT = (
    "plugin 'hypot' (micrograd-hypot 1.1) (entry point hypot = 'micrograd_hypot_hypot') was "
    "skipped: InvalidOpError: op 'hypot': has arity 2 but 1 partials (expected one per input)"
)


@pytest.mark.usefixtures("installed")
def test_discovery_loads_good_plugins_and_reports_the_broken_ones() -> None:
    with pytest.warns(PluginWarning) as caught:
        registry = load_registry()
    assert sorted(str(w.message) for w in caught) == [BROKEN, HYPOT]
    assert [(f.plugin, f.distribution, f.version) for f in registry.failures] == [
        ("broken", "micrograd-broken", "0.3"),
        ("hypot", "micrograd-hypot", "1.1"),
    ]
    provenance = registry["cube"].provenance
    assert provenance is not None
    assert (provenance.plugin, provenance.distribution, provenance.version) == (
        "cube",
        "micrograd-cube",
        "2.0",
    )
    with registry.activated():
        assert apply("cube", Value(2.0) + 1).data == 27.0


@pytest.mark.usefixtures("installed")
def test_strict_mode_raises_on_the_first_broken_plugin() -> None:
    with pytest.raises(PluginLoadError, match=re.escape(BROKEN)) as caught:
        load_registry(environ={"MICROGRAD_STRICT_PLUGINS": "1"})
    assert (caught.value.plugin, caught.value.distribution) == ("broken", "micrograd-broken")
    assert isinstance(caught.value.__cause__, ImportError)


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("name", ["broken", "micrograd-broken"])
def test_a_plugin_is_disabled_by_entry_point_or_distribution_name(name: str) -> None:
    with pytest.warns(PluginWarning, match="hypot"):
        registry = load_registry(environ={"MICROGRAD_DISABLE_PLUGINS": name})
    assert [f.plugin for f in registry.failures] == ["hypot"]


def test_two_distributions_with_one_plugin_name_are_told_apart(site: Site) -> None:
    site.add("micrograd-cube", "2.0", cube=CUBE)
    site.add("micrograd-cube-fork", "2.1", cube=CUBE)
    with pytest.warns(PluginWarning, match="op 'cube' is provided by plugin 'cube'"):
        registry = load_registry()
    with pytest.raises(OpCollisionError) as caught:
        registry["cube"]
    assert str(caught.value) == (
        "op 'cube' is provided by plugin 'cube' (micrograd-cube 2.0) and plugin 'cube' "
        "(micrograd-cube-fork 2.1); choose one by disabling the others, e.g. "
        "MICROGRAD_DISABLE_PLUGINS=micrograd-cube-fork"
    )
    chosen = load_registry(environ={"MICROGRAD_DISABLE_PLUGINS": "micrograd-cube-fork"})
    assert chosen["cube"].provenance is not None
    assert chosen["cube"].provenance.distribution == "micrograd-cube"


@pytest.mark.usefixtures("installed", "fresh_default")
def test_ops_json_lists_ops_failures_and_collisions(site: Site) -> None:
    site.add("micrograd-cube-fork", "2.1", cube_fork=CUBE)
    result = CliRunner().invoke(cli, ["ops", "--json"])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    assert set(listing) == {"ops", "failed", "collisions"}
    assert [op["name"] for op in listing["ops"]] == [
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
    assert listing["ops"][0] == {
        "name": "add",
        "arity": 2,
        "variadic": 0,
        "method": None,
        "higher_order": True,
        "inline": True,
        "plugin": "builtin",
        "distribution": "micrograd-registry",
        "version": "0.1.0",
        "doc": "x + y",
    }
    assert listing["failed"] == [
        {
            "plugin": "broken",
            "distribution": "micrograd-broken",
            "error": "ImportError: libcube.so: cannot open shared object file",
        },
        {
            "plugin": "hypot",
            "distribution": "micrograd-hypot",
            "error": "InvalidOpError: op 'hypot': has arity 2 but 1 partials (expected one "
            "per input)",
        },
    ]
    assert listing["collisions"] == [
        {
            "kind": "op",
            "name": "cube",
            "providers": [
                {"plugin": "cube", "distribution": "micrograd-cube", "version": "2.0"},
                {"plugin": "cube_fork", "distribution": "micrograd-cube-fork", "version": "2.1"},
            ],
        }
    ]
    assert "warning: " + BROKEN in result.stderr


@pytest.mark.usefixtures("installed", "fresh_default")
def test_ops_table_shows_each_op_and_the_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(cli, ["ops"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if " cube " in line)
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells == ["cube", "1", "cube", "any", "cube", "micrograd-cube", "2.0", "x ** 3"]
    assert "failed plugins" in result.stdout
    assert "libcube.so" in result.stdout


@pytest.mark.usefixtures("installed", "fresh_default")
def test_ops_in_strict_mode_fails_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRAD_STRICT_PLUGINS", "1")
    result = CliRunner().invoke(cli, ["ops", "--json"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {BROKEN}\n"


def test_a_module_whose_hook_is_not_marked_is_reported(site: Site) -> None:
    unmarked = "def micrograd_register_ops(register):\n    pass\n"
    site.add("micrograd-unmarked", "1.0", unmarked=unmarked)
    with pytest.warns(PluginWarning) as caught:
        load_registry()
    assert str(caught[0].message) == (
        "plugin 'unmarked' (micrograd-unmarked 1.0) (entry point unmarked = "
        "'micrograd_unmarked_unmarked') was skipped: PluginLoadError: module "
        "'micrograd_unmarked_unmarked' has no micrograd_register_ops function marked with "
        "@micrograd_core.hookimpl"
    )


FLOATS_ONLY_RULE = """
import math
from micrograd_core import Op, Register, hookimpl

@hookimpl
def micrograd_register_ops(register: Register) -> None:
    register(Op("wave", 1, forward=math.sin, partials=(lambda x, out: math.cos(x),)))
"""


@pytest.mark.usefixtures("installed", "fresh_default")
def test_ops_shows_which_ops_give_derivatives_of_any_order(site: Site) -> None:
    site.add("micrograd-wave", "0.1", wave=FLOATS_ONLY_RULE)
    listing = json.loads(CliRunner().invoke(cli, ["ops", "--json"]).stdout)
    order = {op["name"]: op["higher_order"] for op in listing["ops"]}
    assert order["wave"] is False  # its rule calls math.cos on what it is given
    assert order["cube"] is order["tanh"] is order["pow"] is True
    table = CliRunner().invoke(cli, ["ops"], env={"COLUMNS": "120"}).stdout
    row = next(line for line in table.splitlines() if " wave " in line)
    assert [cell.strip() for cell in row.split("│")[1:5]] == ["wave", "1", "", "1st"]
