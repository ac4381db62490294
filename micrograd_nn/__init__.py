"""micrograd's nn (Module, Neuron, Layer, MLP) on the op-plugin engine, and what training needs.

``from micrograd_nn import Neuron, Layer, MLP`` replaces ``from micrograd.nn import
...``; losses, an SGD optimiser, a moons data set, JSON checkpoints and the
demo's training loop come with it.
"""

from micrograd_core.value import no_grad
from micrograd_nn.checkpoint import ModelFileError, load_parameters, save_parameters
from micrograd_nn.dataset import make_moons
from micrograd_nn.loss import (
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
from micrograd_nn.module import MLP, Layer, Module, Neuron, resolve_activation
from micrograd_nn.optimizer import SGD, Adam, AdamW
from micrograd_nn.training import (
    Step,
    accuracy,
    cyclic_collector_paused,
    evaluate,
    moons_classifier,
    scores,
    train,
)

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "Step",
    "accuracy",
    "bce_with_logits_loss",
    "cross_entropy_loss",
    "cyclic_collector_paused",
    "evaluate",
    "hinge_loss",
    "l2_penalty",
    "load_parameters",
    "log_softmax",
    "logsumexp",
    "make_moons",
    "moons_classifier",
    "mse_loss",
    "no_grad",
    "resolve_activation",
    "save_parameters",
    "scores",
    "softmax",
    "softplus",
    "train",
]
