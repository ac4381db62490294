"""The op spec's records: immutable values, compared field by field, copied with replace."""

from __future__ import annotations

import copy
import math
import pickle

import pytest

import micrograd_ops
from micrograd_core import Inline, Interval, Kink, Op, Provenance
from micrograd_core.op import replace

POSITIVE = Interval(0.0, math.inf, include_low=False)


def test_records_with_equal_fields_are_equal_and_hash_alike() -> None:
    assert Interval(0.0, math.inf, include_low=False) == POSITIVE
    assert hash(Interval(0.0, math.inf, include_low=False)) == hash(POSITIVE)
    assert POSITIVE != Interval(0.0, math.inf)
    assert Kink(at=(0.0,), partials=(0.0,)) == Kink((0.0,), (0.0,))
    assert Provenance("builtin") != Provenance("builtin", "micrograd-registry", "1.0")
    # another record type with the same fields is not equal
    assert Inline("x0", partials=("1.0",)) != Kink(at=("x0",), partials=("1.0",))  # type: ignore[arg-type]
    assert len({Inline("x0", partials=("1.0",)), Inline("x0", partials=("1.0",))}) == 1


def test_a_record_is_immutable() -> None:
    with pytest.raises(AttributeError, match="cannot assign to field 'low': a Interval is immut"):
        POSITIVE.low = 1.0  # mypy does not know it: the records are frozen when run
    with pytest.raises(AttributeError, match="cannot delete field 'doc'"):
        del micrograd_ops.TANH.doc
    with pytest.raises(AttributeError):
        POSITIVE.other = 1.0  # type: ignore[attr-defined]


def test_the_repr_shows_every_field_in_order() -> None:
    assert repr(Kink(at=(0.0,), partials=(0.0,))) == "Kink(at=(0.0,), partials=(0.0,))"
    assert repr(POSITIVE) == ("Interval(low=0.0, high=inf, include_low=False, include_high=True)")
    assert repr(micrograd_ops.TANH).startswith("Op(name='tanh', arity=1, forward=<built-in")


def test_replace_copies_a_record_with_changed_fields() -> None:
    tanh = micrograd_ops.TANH
    renamed = replace(tanh, name="tanh2", method=None)
    assert (renamed.name, renamed.method, renamed.doc) == ("tanh2", None, tanh.doc)
    assert renamed.forward is tanh.forward
    assert renamed.partials == tanh.partials  # the functions are kept, not derived again
    assert replace(tanh) == tanh
    assert replace(POSITIVE, high=1.0) == Interval(0.0, 1.0, include_low=False)
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        replace(tanh, nope=1)


def test_a_record_survives_copy_and_pickle() -> None:
    assert copy.copy(POSITIVE) == POSITIVE
    assert copy.deepcopy(Kink(at=(0.0,), partials=(0.0,))) == Kink(at=(0.0,), partials=(0.0,))
    assert pickle.loads(pickle.dumps(POSITIVE)) == POSITIVE
    square = Op("square", 1, inline=Inline("x0 * x0", partials=("2 * x0",)))
    assert copy.copy(square) == square
