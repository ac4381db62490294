"""Saving and loading a model's parameters as JSON (never pickle: loading runs no code).

A file records the model's kind and sizes next to its parameters, in the order
``parameters()`` lists them; loading into a model of other sizes fails with a
message that says what the file holds and what the model is::

    {"format": "micrograd-nn", "version": 1, "kind": "MLP", "sizes": [2, 16, 16, 1],
     "model": "MLP of [...]", "parameters": [0.23, -0.61, ...]}
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
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        msg = f'{where!r} is not a parameter file: expected a JSON object with "format": {FORMAT!r}'
        raise ModelFileError(msg, path=where)
    if document.get("version") != VERSION:
        msg = (
            f"{where!r} has format version {document.get('version')!r}; "
            f"this version of micrograd_nn reads version {VERSION}"
        )
        raise ModelFileError(msg, path=where)
    kind, sizes = _shape(module)
    if document.get("kind") != kind or document.get("sizes") != sizes:
        theirs = _describe(document.get("kind"), document.get("sizes"))
        msg = (
            f"{where!r} holds the parameters of {theirs}, but the model is {_describe(kind, sizes)}"
        )
        raise ModelFileError(msg, path=where)
    values = document.get("parameters")
    parameters = module.parameters()
    if not isinstance(values, list) or len(values) != len(parameters):
        count = len(values) if isinstance(values, list) else "no list of"
        msg = f"{where!r} has {count} parameters; the model has {len(parameters)}"
        raise ModelFileError(msg, path=where)
    for i, x in enumerate(values):
        if type(x) not in (int, float) or not math.isfinite(x):
            msg = f"{where!r}: parameter {i} is {x!r}; expected a finite number"
            raise ModelFileError(msg, path=where)
    for p, x in zip(parameters, values, strict=True):
        p.data = float(x)
    return module
