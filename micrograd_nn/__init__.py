"""Module, Neuron, Layer and MLP on top of the engine, as in micrograd's nn."""
