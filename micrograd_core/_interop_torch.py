"""An op as a function on PyTorch tensors: the backend of :func:`micrograd_core.interop.to_torch`.

An op's rendered expressions become a ``torch.autograd.Function`` whose
backward computes the rendered partials with torch's own operations (so torch
differentiates the backward again); an op with functions only becomes one that
calls them element by element, its derivatives the same way one order up.
torch is imported when a function is made or run, never with this module.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Sequence
from typing import Any

from micrograd_core._interop_backend import (
    TensorFunction,
    _Backend,
    _Derivative,
    _module,
    _real_dtype_error,
    _Rule,
)
from micrograd_core.op import Op


class _Torch(_Backend):
    def convert(self, op: Op, xs: Sequence[Any]) -> list[Any]:
        torch = _module("torch")

        tensors = [x for x in xs if isinstance(x, torch.Tensor)]
        dtype = functools.reduce(torch.promote_types, [t.dtype for t in tensors], torch.bool)
        if dtype.is_complex:
            raise _real_dtype_error(op, dtype)
        if not dtype.is_floating_point:
            dtype = torch.get_default_dtype()
        device = tensors[0].device if tensors else None
        return [
            x.to(dtype)
            if isinstance(x, torch.Tensor)
            else torch.as_tensor(x, dtype=dtype, device=device)
            for x in xs
        ]

    def rendered(self, op: Op, rule: _Rule) -> TensorFunction:
        function = _torch_functions()[0]
        return functools.partial(function.apply, (op, rule))

    def elementwise(self, op: Op) -> TensorFunction:
        function = _torch_functions()[1]
        return functools.partial(function.apply, _Derivative(op))

    def rule_values(self, rule: _Rule, xs: tuple[float, ...], out: float) -> list[float]:
        torch = _module("torch")
        m = _typed_torch(torch.float64, torch.device("cpu"))
        ts = [torch.tensor(x, dtype=torch.float64) for x in xs]
        t_out = torch.tensor(out, dtype=torch.float64)
        values = [rule.forward(*ts, None, m), *(p(*ts, t_out, m) for p in rule.partials)]
        return [float(v) for v in values]


@functools.cache
def _torch_functions() -> tuple[Any, Any]:
    """torch's autograd functions for rendered rules and for the op's float functions."""
    torch = _module("torch")

    def shaped(result: Any, xs: Sequence[Any]) -> Any:
        """The forward ``result`` as a new tensor of the inputs' broadcast shape and dtype."""
        like = xs[0]
        shape = torch.broadcast_shapes(*(x.shape for x in xs))
        r = torch.as_tensor(result, dtype=like.dtype, device=like.device)
        if r.shape != shape:
            r = r.expand(shape).clone()
        return r.clone() if any(r is x for x in xs) else r

    def reduced(g: Any, shape: Any) -> Any:
        """A gradient of the broadcast output summed back to an input's ``shape``."""
        return g if g.shape == shape else g.sum_to_size(shape)

    base: Any = torch.autograd.Function

    class Rendered(base):  # type: ignore[misc]  # torch is untyped here
        """An op's rendered expressions: the backward is torch's operations, differentiable."""

        @staticmethod
        def forward(ctx: Any, spec: tuple[Op, _Rule], *xs: Any) -> Any:
            _, rule = spec
            out = shaped(rule.forward(*xs, None, _typed_torch(xs[0].dtype, xs[0].device)), xs)
            ctx.spec = spec
            ctx.save_for_backward(*xs, out)
            return out

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            _, rule = ctx.spec
            *xs, out = ctx.saved_tensors
            m = _typed_torch(out.dtype, out.device)
            grads: list[Any] = [None]
            for i, needed in enumerate(ctx.needs_input_grad[1:]):
                partial = rule.partials[i](*xs, out, m) if needed else None
                grads.append(None if partial is None else reduced(g * partial, xs[i].shape))
            return tuple(grads)

    class Elementwise(base):  # type: ignore[misc]  # torch is untyped here
        """An op's float functions, element by element; derivatives the same way, one order up."""

        @staticmethod
        def forward(ctx: Any, spec: _Derivative, *xs: Any) -> Any:
            broadcast = torch.broadcast_tensors(*xs)
            columns = [t.reshape(-1).tolist() for t in broadcast]
            values = [spec.at(point) for point in zip(*columns, strict=True)]
            like = xs[0]
            out = torch.tensor(values, dtype=like.dtype, device=like.device)
            ctx.spec = spec
            ctx.save_for_backward(*xs)
            return out.reshape(broadcast[0].shape)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            spec: _Derivative = ctx.spec
            xs = ctx.saved_tensors
            grads: list[Any] = [None]
            for i, needed in enumerate(ctx.needs_input_grad[1:]):
                d = Elementwise.apply(spec.then(i), *xs) if needed else None
                grads.append(None if d is None else reduced(g * d, xs[i].shape))
            return tuple(grads)

    return Rendered, Elementwise


@functools.cache
def _typed_torch(dtype: Any, device: Any) -> _TypedModule:
    torch = _module("torch")

    return _TypedModule(torch, dtype, device)


class _TypedModule:
    """torch for rendered expressions: its functions take Python's numbers as tensors of
    one dtype, so ``torch.where(c, 1.0, 0.01)`` computes in the inputs' float64, not in
    torch's default float32."""

    def __init__(self, module: types.ModuleType, dtype: Any, device: Any) -> None:
        self._module = module
        self._dtype = dtype
        self._device = device

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._module, name)
        if isinstance(found, types.ModuleType):
            found = _TypedModule(found, self._dtype, self._device)
        elif callable(found):
            found = functools.partial(self._call, found)
        setattr(self, name, found)  # looked up once
        return found

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        torch = _module("torch")

        return function(
            *(
                torch.as_tensor(
                    a, dtype=torch.bool if type(a) is bool else self._dtype, device=self._device
                )
                if isinstance(a, int | float)
                else a
                for a in args
            )
        )
