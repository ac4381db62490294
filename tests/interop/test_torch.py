"""to_torch(op): every op a function on tensors that passes gradcheck and gradgradcheck."""

from __future__ import annotations

import math
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from micrograd_activations import GELU, SILU, SOFTPLUS

from micrograd_core import Inline, Op, Value, grad, interop
from tests.interop.conftest import OPS, arity, import_torch, inputs_for

torch = import_torch()
gradcheck = torch.autograd.gradcheck
gradgradcheck = torch.autograd.gradgradcheck


def tensors(op: Op, size: int = 4, seed: int = 0) -> list[Any]:
    columns = inputs_for(op, arity(op), size, seed)
    return [torch.tensor(c, dtype=torch.float64, requires_grad=True) for c in columns]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_every_op_passes_gradcheck_and_gradgradcheck(op: Op) -> None:
    f = interop.to_torch(op)
    xs = tensors(op)
    assert gradcheck(f, xs)
    assert gradgradcheck(f, xs)


def test_the_new_plugin_op_passes_gradcheck_and_gradgradcheck(cube: Op) -> None:
    f = interop.to_torch(cube)  # written as functions only: the element-by-element path
    xs = tensors(cube)
    assert gradcheck(f, xs)
    assert gradgradcheck(f, xs)
    assert f(torch.tensor([2.0], dtype=torch.float64)).tolist() == [8.0]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_values_are_the_ops_floats(op: Op) -> None:
    xs = tensors(op, size=20, seed=1)
    out = interop.to_torch(op)(*xs)
    columns = [x.tolist() for x in xs]
    want = [op(*point).data for point in zip(*columns, strict=True)]
    for w, g in zip(want, out.tolist(), strict=True):
        assert g == pytest.approx(w, rel=4e-16 * 8, abs=1e-300)


def test_third_derivatives_match_micrograds() -> None:
    f = interop.to_torch("tanh")
    t = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    y = f(t)
    got = []
    for _ in range(3):
        (y,) = torch.autograd.grad(y, t, create_graph=True)
        got.append(y.item())
    x = Value(0.3)
    v = x.tanh()
    want = []
    for _ in range(3):
        (v,) = grad(v, [x], create_graph=True)
        want.append(v.data)
    assert got == pytest.approx(want, rel=1e-14)


def test_broadcasting_sums_each_gradient_back_to_its_input() -> None:
    mul = interop.to_torch("mul")
    a = torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([10.0, 20.0], dtype=torch.float64, requires_grad=True)
    out = mul(a, b)
    assert out.shape == (3, 2)
    out.sum().backward()
    assert a.grad.tolist() == [[30.0], [30.0], [30.0]]
    assert b.grad.tolist() == [6.0, 6.0]
    assert gradgradcheck(mul, [a, b])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_any_float_dtype(dtype: str) -> None:
    kind = getattr(torch, dtype)
    x = torch.tensor([0.5, -1.0], dtype=kind, requires_grad=True)
    y = interop.to_torch(SOFTPLUS)(x)
    y.sum().backward()
    assert y.dtype == kind
    assert x.grad is not None
    assert x.grad.dtype == kind
    want = [math.log1p(math.exp(0.5)), math.log1p(math.exp(-1.0))]
    assert y.double().tolist() == pytest.approx(want, rel=1e-2)


def test_numbers_and_ints_become_floats() -> None:
    add = interop.to_torch("add")
    assert add(torch.tensor([1, 2]), 0.5).dtype == torch.get_default_dtype()
    x = torch.tensor([1.0], dtype=torch.float64)
    assert add(x, 2).dtype == torch.float64
    leaky = interop.to_torch(_leaky())
    # Python's numbers in expressions take the inputs' dtype: 0.01 is float64's 0.01
    x = torch.tensor([-1.0], dtype=torch.float64, requires_grad=True)
    y = leaky(x)
    y.backward()
    assert (y.item(), x.grad.item()) == (-0.01, 0.01)  # not float32's 0.01


def _leaky() -> Op:
    return Op(
        "leaky",
        1,
        forward=lambda x: x if x > 0 else 0.01 * x,
        partials=(lambda x, out: 1.0 if x > 0 else 0.01,),
        inline=Inline("x0 if x0 > 0 else 0.01 * x0", partials=("1.0 if x0 > 0 else 0.01",)),
    )


def test_a_partial_is_computed_only_for_inputs_that_need_it() -> None:
    # d/dy of x ** y is out * log(x), which has no value at x < 0: only x wants a gradient
    power = interop.to_torch("pow")
    x = torch.tensor([-2.0, -0.5], dtype=torch.float64, requires_grad=True)
    power(x, 3.0).sum().backward()
    assert x.grad.tolist() == [12.0, 0.75]
    assert gradgradcheck(lambda t: power(t, 3.0), [x])


def test_a_wrong_partial_fails_gradcheck() -> None:
    wrong = Op(
        "wrong_sin",
        1,
        forward=math.sin,
        partials=(lambda x, out: -math.cos(x),),
        inline=Inline("math.sin(x0)", partials=("-math.cos(x0)",)),
    )
    # the module torch.autograd.gradcheck is hidden by the function of the same name
    error = sys.modules["torch.autograd.gradcheck"].GradcheckError
    with pytest.raises(error, match="Jacobian mismatch"):
        gradcheck(
            interop.to_torch(wrong), [torch.tensor([0.3], dtype=torch.float64, requires_grad=True)]
        )


def test_an_expression_torch_lacks_is_an_error_naming_the_op() -> None:
    gamma = Op(
        "my_gamma",
        1,
        forward=math.gamma,
        partials=(lambda x, out: out,),  # wrong, and never reached
        inline=Inline("math.gamma(x0)", partials=("out",)),
    )
    with pytest.raises(interop.NotTranslatableError, match=r"op 'my_gamma'.*math\.gamma") as e:
        interop.to_torch(gamma)
    assert (e.value.op_name, e.value.target) == ("my_gamma", "torch")


def test_a_composite_that_branches_on_its_inputs_is_an_error() -> None:
    def compose(x: Value) -> Value:
        return x.tanh() if x.data > 0 else x.exp()

    branching = Op("branching", 1, compose=compose)
    with pytest.raises(interop.NotTranslatableError, match="builds different graphs"):
        interop.to_torch(branching)


def test_a_composite_runs_through_its_parts() -> None:
    for op in (SILU, GELU):
        translation = interop._Translation(op, "torch")
        assert translation.kind(1) == "parts"
    gelu = interop.to_torch(GELU)
    x = torch.tensor([-1.0, 0.5], dtype=torch.float64)
    assert gelu(x).tolist() == pytest.approx([GELU(-1.0).data, GELU(0.5).data], rel=1e-15)


def test_the_wrong_number_of_inputs_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"op 'tanh' .*takes 1 input"):
        interop.to_torch("tanh")(torch.zeros(1), torch.zeros(1))


def test_complex_inputs_are_refused() -> None:
    with pytest.raises(TypeError, match=r"real floats, got inputs of dtype torch\.complex128"):
        interop.to_torch("exp")(torch.zeros(1, dtype=torch.complex128))


def test_threads_share_translations_safely() -> None:
    # the first calls in each thread make the rule, the autograd functions and the typed
    # module at once; every thread must get the op's numbers
    x = torch.linspace(-1.0, 1.0, 7, dtype=torch.float64)
    want = [1 - math.tanh(v) ** 2 for v in x.tolist()]

    def gradient(_: int) -> list[float]:
        t = x.clone().requires_grad_()
        interop.to_torch("tanh")(t).sum().backward()
        return t.grad.tolist()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(gradient, range(64)))
    for result in results:
        assert result == pytest.approx(want, rel=1e-15)
