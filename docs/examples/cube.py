"""Register an op at run time, differentiate through it, and list it with ``micrograd ops``."""

from micrograd_cli import cli
from micrograd_core import Op, Value, apply, register_op

CUBE = Op(
    "cube",
    1,
    forward=lambda x: x**3,
    partials=(lambda x, out: 3 * x**2,),
    method="cube",
    doc="x ** 3",
)
register_op(CUBE)

x = Value(2.0)
y = apply("cube", x) + 2 * x  # x.cube() too, though mypy cannot see that method
y.backward()
print(f"y = {y.data}, dy/dx = {x.grad}")

cli.main(["ops"], standalone_mode=False)
