"""Saving and loading a model's parameters as JSON (never pickle: loading runs no code).

A file records what makes the model compute what it computes, next to its
parameters in the order ``parameters()`` lists them: the model's kind, its sizes
and, for a ``Neuron``, ``Layer`` or ``MLP``, the activation of each layer
(``null`` for a linear one; a list, neuron by neuron, for a layer whose neurons
differ). Loading into a model that differs in any of them fails with a message
that says what the file holds and what the model is::

    {"format": "micrograd-nn", "version": 1, "kind": "MLP", "sizes": [2, 16, 16, 1],
     "activations": ["relu", "relu", null], "model": "MLP of [...]",
     "parameters": [0.23, -0.61, ...]}

Files written before activations were recorded are checked by ``model``, the
model's repr, which names each neuron's activation.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, TypeVar

from micrograd_core import MicrogradError
from micrograd_nn.module import MLP, Layer, Module, Neuron

__all__ = ["FORMAT", "VERSION", "ModelFileError", "load_parameters", "save_parameters"]

M = TypeVar("M", bound=Module)

FORMAT = "micrograd-nn"
VERSION = 1

_NESTING = 3
"""How deep a parameter file's JSON nests at most: the object, its activations, a layer's."""


class ModelFileError(MicrogradError, ValueError):
    """A parameter file is not one, or does not fit the model it is loaded into.

    >>> ModelFileError("'m.json' is not a parameter file", path="m.json").path
    'm.json'
    """

    def __init__(self, msg: str, *, path: str) -> None:
        super().__init__(msg)
        self.path = path


def _shape(module: Module) -> tuple[str, list[int]]:
    """The model's kind and sizes: what a file must match to load into it."""
    if isinstance(module, MLP):
        first = module.layers[0].neurons[0] if module.layers else None
        nin = len(first.w) if first is not None else 0
        return "MLP", [nin, *(len(layer.neurons) for layer in module.layers)]
    if isinstance(module, Layer):
        return "Layer", [len(module.neurons[0].w) if module.neurons else 0, len(module.neurons)]
    if isinstance(module, Neuron):
        return "Neuron", [len(module.w)]
    return type(module).__name__, [len(module.parameters())]


Activation = str | None | list[str | None]
"""One layer's activation: an op name, ``None`` for linear, or one per neuron if they differ."""


def _activations(module: Module) -> list[Activation] | None:
    """The activation of each layer of ``module``; ``None`` for a model of another kind."""
    if isinstance(module, MLP):
        return [_layer_activation(layer) for layer in module.layers]
    if isinstance(module, Layer):
        return [_layer_activation(module)]
    if isinstance(module, Neuron):
        return [_neuron_activation(module)]
    return None


def _neuron_activation(neuron: Neuron) -> str | None:
    return neuron.activation if neuron.nonlin else None


def _layer_activation(layer: Layer) -> Activation:
    each = [_neuron_activation(n) for n in layer.neurons]
    return each[0] if len(set(each)) == 1 else each


def _describe_activations(activations: object) -> str:
    def one(a: object) -> str:
        if a is None:
            return "linear"
        if isinstance(a, str):
            return a
        if isinstance(a, list) and all(x is None or isinstance(x, str) for x in a):
            return "(" + ", ".join(one(x) for x in a) + ")"
        raise TypeError

    if isinstance(activations, list):
        try:
            return " -> ".join(one(a) for a in activations)
        except TypeError:
            pass
    return repr(activations)


def _same(a: object, b: object) -> bool:
    """Whether two JSON values are equal, types included (``true`` is not ``1``)."""
    return json.dumps(a) == json.dumps(b)


def _describe(kind: object, sizes: object) -> str:
    if not isinstance(sizes, list) or not sizes or not all(type(n) is int for n in sizes):
        return f"a model of kind {kind!r} with sizes {sizes!r}"
    if kind == "MLP":
        return "an MLP of sizes " + " -> ".join(map(str, sizes))
    if kind == "Layer":
        return f"a Layer of {sizes[1]} neurons with {sizes[0]} inputs each"
    if kind == "Neuron":
        return f"a Neuron with {sizes[0]} inputs"
    return f"a {kind} of {sizes[0]} parameters"


def save_parameters(module: Module, path: str | os.PathLike[str]) -> None:
    """Write the parameters of ``module`` to ``path`` as JSON.

    >>> import os, random, tempfile
    >>> random.seed(0)
    >>> model, twin = MLP(2, [3, 1]), MLP(2, [3, 1])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> save_parameters(model, path)
    >>> load_parameters(twin, path) is twin
    True
    >>> [p.data for p in twin.parameters()] == [p.data for p in model.parameters()]
    True
    """
    kind, sizes = _shape(module)
    values = [p.data for p in module.parameters()]
    for i, x in enumerate(values):
        if not math.isfinite(x):
            msg = f"parameter {i} is {x!r}; a model with non-finite parameters cannot be saved"
            raise ValueError(msg)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "sizes": sizes,
        "activations": _activations(module),
        "model": repr(module),
        "parameters": values,
    }
    Path(path).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def load_parameters(module: M, path: str | os.PathLike[str]) -> M:
    """Set the parameters of ``module`` from a file ``save_parameters`` wrote; return ``module``.

    Raises :class:`ModelFileError` if the file is not such a file or was saved
    from a model of another kind or other sizes; the model is then left as it was.
    """
    where = str(path)
    data = Path(path).read_bytes()
    try:
        document: Any = json.loads(data)
    except ValueError as e:  # not JSON, or not text at all
        msg = f"{where!r} is not a parameter file: it is not valid JSON ({e})"
        raise ModelFileError(msg, path=where) from None
    except RecursionError:
        msg = f"{where!r} is not a parameter file: its JSON is nested too deeply to read"
        raise ModelFileError(msg, path=where) from None
    if _nested_deeper(document, _NESTING):  # what follows compares and quotes it recursively
        msg = (
            f"{where!r} is not a parameter file: its JSON is nested more than {_NESTING} levels "
            "deep, the most a parameter file has"
        )
        raise ModelFileError(msg, path=where)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        msg = f'{where!r} is not a parameter file: expected a JSON object with "format": {FORMAT!r}'
        raise ModelFileError(msg, path=where)
    if not _same(document.get("version"), VERSION):
        msg = (
            f"{where!r} has format version {document.get('version')!r}; "
            f"this version of micrograd_nn reads version {VERSION}"
        )
        raise ModelFileError(msg, path=where)
    kind, sizes = _shape(module)
    if not _same(document.get("kind"), kind) or not _same(document.get("sizes"), sizes):
        theirs = _describe(document.get("kind"), document.get("sizes"))
        msg = (
            f"{where!r} holds the parameters of {theirs}, but the model is {_describe(kind, sizes)}"
        )
        raise ModelFileError(msg, path=where)
    _check_activations(module, document, where)
    values = document.get("parameters")
    parameters = module.parameters()
    if not isinstance(values, list) or len(values) != len(parameters):
        count = len(values) if isinstance(values, list) else "no list of"
        msg = f"{where!r} has {count} parameters; the model has {len(parameters)}"
        raise ModelFileError(msg, path=where)
    for i, x in enumerate(values):
        if type(x) is int and not _fits_a_float(x):
            msg = (
                f"{where!r}: parameter {i} is an integer of {len(str(abs(x)))} digits; "
                "expected a finite number"
            )
            raise ModelFileError(msg, path=where)
        if type(x) not in (int, float) or not math.isfinite(x):
            msg = f"{where!r}: parameter {i} is {x!r}; expected a finite number"
            raise ModelFileError(msg, path=where)
    for p, x in zip(parameters, values, strict=True):
        p.data = float(x)
    return module


def _check_activations(module: Module, document: dict[str, Any], where: str) -> None:
    """Refuse a file whose model has other activations than ``module``."""
    ours = _activations(module)
    if ours is None:
        return  # a model of its own kind: its kind, sizes and parameter count are checked
    if "activations" not in document:  # written before activations were recorded
        if document.get("model") != repr(module):
            msg = f"{where!r} holds the parameters of {document.get('model')}, but the model is "
            msg += repr(module)
            raise ModelFileError(msg, path=where)
        return
    theirs = document["activations"]
    if not _same(theirs, ours):
        msg = (
            f"{where!r} holds the parameters of {_describe(*_shape(module))} with activations "
            f"{_describe_activations(theirs)}, but the model has activations "
            f"{_describe_activations(ours)}"
        )
        raise ModelFileError(msg, path=where)


def _nested_deeper(document: object, levels: int) -> bool:
    """Whether ``document`` has lists or objects nested more than ``levels`` deep.

    Level by level, without recursion: no depth of nesting can exhaust the stack.
    """
    level = [document]
    for _ in range(levels):
        level = [
            child
            for container in level
            if isinstance(container, list | dict)
            for child in (container.values() if isinstance(container, dict) else container)
        ]
    return any(isinstance(x, list | dict) for x in level)


def _fits_a_float(n: int) -> bool:
    try:
        float(n)
    except OverflowError:
        return False
    return True
