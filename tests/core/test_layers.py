"""micrograd_core's modules import each other in layers, and tools read nodes through node_of."""

from __future__ import annotations

import ast
import importlib
import re
import textwrap
from pathlib import Path

import pytest

import micrograd_core

# Lowest first. A module imports only modules of its own layer or below, and
# never in a cycle; imports inside functions count, those under TYPE_CHECKING
# do not. The package's __init__ and the tools that read graphs come last.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors"}),
    frozenset({"grammar"}),  # what an inline expression may say
    frozenset({"dialect"}),  # an expression written for each target
    frozenset({"derivation"}),  # an op's float functions, from its expressions
    frozenset({"op", "hookspecs"}),
    frozenset({"_kernel"}),  # loops compiled from ops' expressions, for compiled graphs
    frozenset({"_array_kernels"}),  # a batched graph's steps on arrays
    # the engine (_batch_plan: one example's graph as a batched graph's array steps)
    frozenset(
        {
            "graph",
            "_operand",
            "value",
            "functional",
            "_batch_plan",
            "batched",
            "compiled",
            "_replay_plan",
        }
    ),
    frozenset({"registry"}),
    frozenset({"plugins"}),  # discovery
    frozenset({"state"}),  # the one owner of process-wide state
    # PyTorch and JAX: what every target shares, and each target's backend
    frozenset({"interop", "_interop_backend", "_interop_torch", "_interop_jax"}),
    frozenset({"viz", "testing", "__init__"}),
)
PACKAGE = Path(micrograd_core.__file__).parent


def _imports(source: str, package: str) -> set[str]:
    """The top-level modules of ``package`` that ``source`` imports, outside TYPE_CHECKING."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == package:  # from package import module, or a re-export
                names = [f"{package}.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        else:
            names = []
        for name in names:
            parts = name.split(".")
            if parts[0] == package:
                found.add(parts[1] if len(parts) > 1 else "__init__")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def _module_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Each top-level module (a subpackage counts as one) and the modules it imports."""
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        module = parts[0]
        imported = _imports(path.read_text(), package)
        if module in {p.name for p in root.iterdir() if p.is_dir()}:
            imported.discard(module)  # a subpackage may import its own modules
        graph.setdefault(module, set()).update(imported - {module})
    # "from micrograd_core import Value" names the package, not a module: it is __init__
    return {m: {d if d in graph else "__init__" for d in deps} for m, deps in graph.items()}


def layer_violations(root: Path, package: str) -> list[str]:
    """What breaks the layering of ``package`` (in ``root``): upward imports and cycles."""
    graph = _module_graph(root, package)
    level = {module: i for i, layer in enumerate(LAYERS) for module in layer}
    problems = [f"{m} is in no layer" for m in graph if m not in level]
    problems += [
        f"{m} imports {d}, a higher layer"
        for m, deps in sorted(graph.items())
        for d in sorted(deps)
        if level.get(d, -1) > level.get(m, len(LAYERS))
    ]
    # a cycle among modules of one layer
    state: dict[str, int] = {}

    def cycle_from(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for dep in sorted(graph.get(module, ())):
            if state.get(dep) == 1:
                return [*path, module, dep]
            if dep not in state and (found := cycle_from(dep, [*path, module])):
                return found
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := cycle_from(module, [])):
            problems.append("import cycle: " + " -> ".join(cycle))
            break  # the modules on that path are left half-visited
    return problems


def test_micrograd_core_imports_in_layers() -> None:
    assert layer_violations(PACKAGE, "micrograd_core") == []


def _write(root: Path, files: dict[str, str]) -> Path:
    package = root / "micrograd_core"
    for name, source in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return package


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        pytest.param(
            {"op.py": "from micrograd_core.graph import backward_rule\n", "graph.py": ""},
            "op imports graph, a higher layer",
            id="spec-imports-engine",
        ),
        pytest.param(
            {
                "value.py": "def f():\n    from micrograd_core.registry import default\n",
                "registry.py": "",
            },
            "value imports registry, a higher layer",
            id="import-inside-a-function",
        ),
        pytest.param(
            {
                "graph.py": "import micrograd_core.value\n",
                "value.py": "from micrograd_core.graph import CONSTANT\n",
            },
            "import cycle: graph -> value -> graph",
            id="cycle-in-a-layer",
        ),
        pytest.param(
            {"errors.py": "from micrograd_core import Value\n", "__init__.py": ""},
            "errors imports __init__, a higher layer",
            id="the-package-itself",
        ),
    ],
)
def test_a_broken_layering_is_reported(tmp_path: Path, files: dict[str, str], problem: str) -> None:
    assert problem in layer_violations(_write(tmp_path, files), "micrograd_core")


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    files = {
        "op.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from micrograd_core.value import Value\n",
        "value.py": "from micrograd_core.op import Op\n",
    }
    assert layer_violations(_write(tmp_path, files), "micrograd_core") == []


# -- the wiring: what lower layers are handed from above, all in one place -------

# Each name a module of a lower layer calls upward through, and what fills it
# in: state._wire_layers() sets them all, and no other code sets any.
WIRING: dict[tuple[str, str], tuple[str, str]] = {
    ("op", "_engine.apply"): ("value", "apply"),
    ("op", "_engine.method"): ("state", "_method"),
    ("value", "_first_use_hook"): ("state", "_install_first_use"),
    ("registry", "_activation"): ("state", "_activated"),
}
WIRING_PLACE = ("state", "_wire_layers")


def _module_aliases(tree: ast.AST, package: str) -> dict[str, str]:
    """Local names bound to a module of ``package`` (``from package import op as _op``)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == package:
            for alias in node.names:
                aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == package and len(parts) == 2 and alias.asname:
                    aliases[alias.asname] = parts[1]
    return aliases


def upward_assignments(root: Path, package: str) -> dict[tuple[str, str], list[str]]:
    """Attributes of another module of ``package`` set by assignment or ``setattr``:
    ``(module set, attribute) -> ["module.function" where it happens, ...]``."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        aliases = _module_aliases(tree, package)

        def visit(node: ast.AST, where: str, aliases: dict[str, str] = aliases) -> None:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                where = f"{where}.{node.name}"
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "setattr"
                and node.args
            ):
                targets = [ast.Attribute(node.args[0], "<setattr>", ast.Store())]
            for target in targets:
                chain = target
                attributes: list[str] = []
                while isinstance(chain, ast.Attribute):
                    attributes.insert(0, chain.attr)
                    chain = chain.value
                if isinstance(chain, ast.Name) and chain.id in aliases and attributes:
                    key = (aliases[chain.id], ".".join(attributes))
                    found.setdefault(key, []).append(where)
            for child in ast.iter_child_nodes(node):
                visit(child, where)

        visit(tree, module)
    return found


def test_lower_layers_are_handed_their_upward_calls_in_one_place() -> None:
    found = upward_assignments(PACKAGE, "micrograd_core")
    place = ".".join(WIRING_PLACE)
    assert found == {key: [place] for key in WIRING}


def test_the_wiring_is_in_force() -> None:
    for (module, attribute), (owner, name) in WIRING.items():
        target: object = importlib.import_module(f"micrograd_core.{module}")
        for part in attribute.split("."):
            target = getattr(target, part)
        assert target is getattr(importlib.import_module(f"micrograd_core.{owner}"), name)
    # the place sits above every module it wires, and at or above what it hands them
    level = {module: i for i, layer in enumerate(LAYERS) for module in layer}
    for (module, _), (owner, _) in WIRING.items():
        assert level[module] < level[WIRING_PLACE[0]] >= level[owner]


def test_wiring_outside_its_place_is_reported(tmp_path: Path) -> None:
    files = {
        "op.py": "class _E:\n    apply = None\n_engine = _E()\n",
        "value.py": "from micrograd_core import op as _op_spec\n"
        "def apply(): ...\n_op_spec._engine.apply = apply\n",
    }
    found = upward_assignments(_write(tmp_path, files), "micrograd_core")
    assert found == {("op", "_engine.apply"): ["value"]}


PRIVATE_NODE = re.compile(r"\._a\b|\._b\b|\bCONSTANT\b|\._prev\b")


@pytest.mark.parametrize("tool", ["viz.py", *(p.name for p in (PACKAGE / "testing").glob("*.py"))])
def test_tools_read_nodes_through_node_of(tool: str) -> None:
    path = PACKAGE / tool if (PACKAGE / tool).exists() else PACKAGE / "testing" / tool
    assert not PRIVATE_NODE.findall(path.read_text())


MAX_LINES = 600


def too_long(package: Path) -> dict[str, int]:
    """The modules under ``package`` over :data:`MAX_LINES` lines, with their lengths."""
    sizes = {
        str(p.relative_to(package)): len(p.read_text().splitlines()) for p in package.rglob("*.py")
    }
    return {name: n for name, n in sizes.items() if n > MAX_LINES}


def test_no_module_is_over_600_lines() -> None:
    assert too_long(PACKAGE) == {}


def test_a_module_over_600_lines_is_reported(tmp_path: Path) -> None:
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "short.py").write_text("x = 1\n" * MAX_LINES)
    assert too_long(tmp_path) == {str(Path("deep", "long.py")): MAX_LINES + 1}
