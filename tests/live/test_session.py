"""The live view's optimizer column reads the optimizer's public state, ``optimizer.state[p]``."""

from __future__ import annotations

import math

import pytest

from micrograd_cli.live.session import LiveConfig, LiveSession
from micrograd_nn import SGD, Adam


@pytest.mark.parametrize("optimizer", ["adamw", "adam", "sgd"])
def test_the_state_column_is_the_optimizer_s_state(optimizer: str) -> None:
    session = LiveSession(LiveConfig(optimizer=optimizer))
    session.step(3)
    rows = session.state()["parameters"]["rows"]
    params = session.model.parameters()
    assert len(rows) == len(params)
    for row, p in zip(rows, params, strict=True):
        if isinstance(session.optimizer, Adam):
            adam = session.optimizer.state[p]
            assert adam.step == 3
            assert row["state"] == [adam.exp_avg, math.sqrt(adam.exp_avg_sq)]
        else:
            assert isinstance(session.optimizer, SGD)
            assert row["state"] == [session.optimizer.state[p].momentum_buffer]
