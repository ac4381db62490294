"""Parameters saved as JSON and loaded back; files that do not fit are refused clearly."""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from micrograd_core import MicrogradError, Value
from micrograd_nn import (
    MLP,
    Layer,
    ModelFileError,
    Module,
    Neuron,
    load_parameters,
    save_parameters,
)


@pytest.fixture
def saved(tmp_path: Path) -> tuple[MLP, Path]:
    random.seed(11)
    model = MLP(2, [4, 3, 1])
    for p in model.parameters():
        p.data += 0.1  # biases away from 0 too
    path = tmp_path / "model.json"
    save_parameters(model, path)
    return model, path


def values(model: Module) -> list[float]:
    return [p.data for p in model.parameters()]


def test_round_trip_is_exact(saved: tuple[MLP, Path]) -> None:
    model, path = saved
    twin = MLP(2, [4, 3, 1], rng=random.Random(0))
    assert values(twin) != values(model)
    assert load_parameters(twin, path) is twin
    assert values(twin) == values(model)
    x = [0.3, -1.2]
    assert twin(x).data == model(x).data  # type: ignore[union-attr]


def test_file_is_plain_json(saved: tuple[MLP, Path]) -> None:
    model, path = saved
    document = json.loads(path.read_text())
    assert document["format"] == "micrograd-nn"
    assert document["kind"] == "MLP"
    assert document["sizes"] == [2, 4, 3, 1]
    assert document["model"] == repr(model)
    assert document["parameters"] == values(model)


@pytest.mark.parametrize(
    ("other", "message"),
    [
        (
            lambda: MLP(2, [4, 4, 1]),
            "sizes 2 -> 4 -> 3 -> 1, but the model is an MLP of sizes 2 -> 4 -> 4 -> 1",
        ),
        (lambda: MLP(3, [4, 3, 1]), "but the model is an MLP of sizes 3 -> 4 -> 3 -> 1"),
        (lambda: Layer(2, 4), "but the model is a Layer of 4 neurons with 2 inputs each"),
        (lambda: Neuron(2), "but the model is a Neuron with 2 inputs"),
    ],
)
def test_shape_mismatch_says_what_the_file_holds_and_what_the_model_is(
    saved: tuple[MLP, Path], other: object, message: str
) -> None:
    _, path = saved
    assert callable(other)
    model = other()
    before = values(model)
    with pytest.raises(ModelFileError, match=message) as info:
        load_parameters(model, path)
    assert f"{str(path)!r} holds the parameters of an MLP of sizes 2 -> 4 -> 3 -> 1" in str(
        info.value
    )
    assert isinstance(info.value, MicrogradError)
    assert isinstance(info.value, ValueError)
    assert info.value.path == str(path)
    assert values(model) == before  # left as it was


def edit(path: Path, **changes: object) -> None:
    document = json.loads(path.read_text())
    document.update(changes)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": 2}, "format version 2; this version of micrograd_nn reads version 1"),
        ({"format": "pickle"}, 'not a parameter file: expected a JSON object with "format"'),
        ({"sizes": "big"}, "holds the parameters of a model of kind 'MLP' with sizes 'big'"),
        ({"parameters": [0.5] * 3}, "has 3 parameters; the model has 31"),
        ({"parameters": None}, "has no list of parameters; the model has 31"),
        ({"parameters": [0.5] * 30 + ["1"]}, r"parameter 30 is '1'; expected a finite number"),
    ],
)
def test_damaged_files_are_refused(
    saved: tuple[MLP, Path], changes: dict[str, object], message: str
) -> None:
    model, path = saved
    edit(path, **changes)
    before = values(model)
    with pytest.raises(ModelFileError, match=message):
        load_parameters(model, path)
    assert values(model) == before


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x04\x95 pickled")
    with pytest.raises(ModelFileError, match="is not a parameter file: it is not valid JSON"):
        load_parameters(Neuron(2), path)
    path.write_text("[1, 2]")
    with pytest.raises(ModelFileError, match="expected a JSON object"):
        load_parameters(Neuron(2), path)


def test_missing_file_is_the_usual_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_parameters(Neuron(2), tmp_path / "nothing.json")


def test_non_finite_parameters_are_not_saved(tmp_path: Path) -> None:
    n = Neuron(2)
    n.w[1].data = float("nan")
    with pytest.raises(ValueError, match="parameter 1 is nan"):
        save_parameters(n, tmp_path / "n.json")
    assert not (tmp_path / "n.json").exists()


class Pair(Module):
    """A model of its own, as a micrograd user writes one."""

    def __init__(self) -> None:
        self.a, self.b = Value(1.5), Value(-2.5)

    def parameters(self) -> list[Value]:
        return [self.a, self.b]


def test_any_module_round_trips(tmp_path: Path) -> None:
    save_parameters(Pair(), tmp_path / "pair.json")
    other = Pair()
    other.a.data = 0.0
    load_parameters(other, tmp_path / "pair.json")
    assert (other.a.data, other.b.data) == (1.5, -2.5)
    with pytest.raises(ModelFileError, match="holds the parameters of a Pair of 2 parameters"):
        load_parameters(Neuron(1), tmp_path / "pair.json")


# -- what changes the function: activations; files malformed in every way -------------


@pytest.mark.usefixtures("builtin_registry")
@pytest.mark.parametrize(
    ("saved_as", "loaded_as", "message"),
    [
        (
            lambda: MLP(2, [4, 1], activation="tanh"),
            lambda: MLP(2, [4, 1]),
            "holds the parameters of an MLP of sizes 2 -> 4 -> 1 with activations "
            "tanh -> linear, but the model has activations relu -> linear",
        ),
        (
            lambda: Layer(2, 3),
            lambda: Layer(2, 3, nonlin=False),
            "with activations relu, but the model has activations linear",
        ),
        (
            lambda: Neuron(2, activation="exp"),
            lambda: Neuron(2, activation="tanh"),
            "with activations exp, but the model has activations tanh",
        ),
    ],
)
def test_a_model_with_other_activations_is_refused(
    tmp_path: Path, saved_as: object, loaded_as: object, message: str
) -> None:
    assert callable(saved_as)
    assert callable(loaded_as)
    path = tmp_path / "model.json"
    save_parameters(saved_as(), path)
    model = loaded_as()
    before = values(model)
    with pytest.raises(ModelFileError, match=message):
        load_parameters(model, path)
    assert values(model) == before


@pytest.mark.usefixtures("builtin_registry")
def test_the_file_records_each_layers_activation(tmp_path: Path) -> None:
    model = MLP(2, [3, 3, 1], activation="tanh")
    model.layers[1].neurons[0].activation = "relu"  # one neuron changed by hand
    save_parameters(model, tmp_path / "m.json")
    document = json.loads((tmp_path / "m.json").read_text())
    assert document["activations"] == ["tanh", ["relu", "tanh", "tanh"], None]
    twin = MLP(2, [3, 3, 1], activation="tanh")
    with pytest.raises(ModelFileError, match=r"tanh -> \(relu, tanh, tanh\) -> linear"):
        load_parameters(twin, tmp_path / "m.json")
    twin.layers[1].neurons[0].activation = "relu"
    load_parameters(twin, tmp_path / "m.json")
    assert values(twin) == values(model)


def test_a_file_saved_before_activations_were_recorded_is_checked_by_its_neurons(
    saved: tuple[MLP, Path],
) -> None:
    model, path = saved
    document = json.loads(path.read_text())
    del document["activations"]
    path.write_text(json.dumps(document))
    twin = MLP(2, [4, 3, 1], rng=random.Random(0))
    load_parameters(twin, path)
    assert values(twin) == values(model)
    other = MLP(2, [4, 3, 1], activation="tanh")
    with pytest.raises(ModelFileError, match="holds the parameters of MLP of \\[Layer of \\[ReLU"):
        load_parameters(other, path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": True}, "format version True; this version of micrograd_nn reads version 1"),
        ({"version": 1.0}, "format version 1.0; this version of micrograd_nn reads version 1"),
        ({"sizes": [2, 4, 3, True]}, "sizes [2, 4, 3, True], but the model is an MLP of sizes"),
        ({"activations": "relu"}, "with activations 'relu', but the model has activations"),
        (
            {"parameters": [0.5] * 30 + [10**400]},
            "parameter 30 is an integer of 401 digits; expected a finite number",
        ),
    ],
)
def test_malformed_fields_are_refused(
    saved: tuple[MLP, Path], changes: dict[str, object], message: str
) -> None:
    model, path = saved
    edit(path, **changes)
    before = values(model)
    with pytest.raises(ModelFileError, match=re.escape(message)):
        load_parameters(model, path)
    assert values(model) == before


def test_deeply_nested_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelFileError, match="is not a parameter file: its JSON is nested"):
        load_parameters(Neuron(2), path)


def _at_stack_depth(frames: int, call: Callable[[], None]) -> None:
    """``call()`` from ``frames`` frames further down the stack."""
    if frames:
        _at_stack_depth(frames - 1, call)
    else:
        call()


@pytest.mark.parametrize(
    ("field", "frames"), [("activations", 0), ("activations", 400), ("sizes", 0), ("version", 0)]
)
def test_a_field_nested_to_near_the_recursion_limit_is_refused_at_any_stack_depth(
    saved: tuple[MLP, Path], field: str, frames: int
) -> None:
    """Each nesting up to the recursion limit, where reading the JSON stops coping."""
    model, path = saved
    edit(path, **{field: "@"})
    text = path.read_text()
    limit = sys.getrecursionlimit()
    before = values(model)

    for depth in range(limit - 300 - frames, limit + 5):
        deep = path.with_name(f"deep{depth}.json")  # a new file: much faster than rewriting one
        deep.write_text(text.replace('"@"', "[" * depth + "]" * depth))

        def load(deep: Path = deep) -> None:
            with pytest.raises(ModelFileError, match="is not a parameter file: its JSON is nest"):
                load_parameters(model, deep)

        _at_stack_depth(frames, load)
    assert values(model) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"activations": [["relu", ["relu"]], "relu", None]}, "nested more than 3 levels deep"),
        ({"extra": [[[[]]]]}, "nested more than 3 levels deep"),
        ({"sizes": [[2], 4, 3, 1]}, "with sizes [[2], 4, 3, 1], but the model is an MLP"),
    ],
)
def test_nesting_is_refused_past_what_the_format_has(
    saved: tuple[MLP, Path], changes: dict[str, object], message: str
) -> None:
    model, path = saved
    edit(path, **changes)
    with pytest.raises(ModelFileError, match=re.escape(message)):
        load_parameters(model, path)
