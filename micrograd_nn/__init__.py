"""micrograd's nn (Module, Neuron, Layer, MLP) on the op-plugin engine, and what training needs.

``from micrograd_nn import Neuron, Layer, MLP`` replaces ``from micrograd.nn import
...``; losses (cross-entropy and softmax among them), SGD, Adam and AdamW, the
moons and yin-yang data sets, JSON checkpoints, ``no_grad``, micrograd's demo
loop and a training loop for any model come with it.
"""

from micrograd_core.value import no_grad
from micrograd_nn.checkpoint import ModelFileError, load_parameters, save_parameters
from micrograd_nn.dataset import RNG, make_moons, make_yinyang, split_dataset
from micrograd_nn.export import from_torch, to_torch
from micrograd_nn.loss import (
    LOGSUMEXP,
    SOFTPLUS,
    bce_with_logits_loss,
    cross_entropy_loss,
    hinge_loss,
    l2_penalty,
    log_softmax,
    logsumexp,
    mse_loss,
    softmax,
    softplus,
)
from micrograd_nn.module import INITS, MLP, Layer, Module, Neuron, resolve_activation
from micrograd_nn.optimizer import (
    SGD,
    Adam,
    AdamState,
    AdamW,
    NotAParameterError,
    OptimizerState,
    SGDState,
)
from micrograd_nn.training import (
    Optimizer,
    Record,
    Step,
    accuracy,
    cyclic_collector_paused,
    evaluate,
    fit,
    measure,
    moons_classifier,
    scores,
    train,
)

__all__ = [
    "INITS",
    "LOGSUMEXP",
    "MLP",
    "RNG",
    "SGD",
    "SOFTPLUS",
    "Adam",
    "AdamState",
    "AdamW",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "NotAParameterError",
    "Optimizer",
    "OptimizerState",
    "Record",
    "SGDState",
    "Step",
    "accuracy",
    "bce_with_logits_loss",
    "cross_entropy_loss",
    "cyclic_collector_paused",
    "evaluate",
    "fit",
    "from_torch",
    "hinge_loss",
    "l2_penalty",
    "load_parameters",
    "log_softmax",
    "logsumexp",
    "make_moons",
    "make_yinyang",
    "measure",
    "moons_classifier",
    "mse_loss",
    "no_grad",
    "resolve_activation",
    "save_parameters",
    "scores",
    "softmax",
    "softplus",
    "split_dataset",
    "to_torch",
    "train",
]
