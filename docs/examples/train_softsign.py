"""Train a moons classifier whose hidden neurons use softsign, an activation from a plugin."""

import random

from micrograd_nn import MLP, make_moons, train

X, y = make_moons(60, noise=0.1, seed=0)
labels = [2 * label - 1 for label in y]  # hinge loss wants -1 and 1

random.seed(1337)
model = MLP(2, [8, 8, 1], activation="softsign")
print(model.layers[0].neurons[0], "...")
for step in train(model, X, labels, steps=40):
    if step.step % 10 == 0:
        print(f"step {step.step}  loss {step.loss:.4f}  accuracy {step.accuracy:.0%}")
