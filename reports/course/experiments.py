"""The experiments the course section draws, in the order it draws them, with titles.

Which experiments a result file holds, and their order, are the schema's
(``vbschema.course``); the titles are the section's.
"""

from __future__ import annotations

from vbschema.course import (
    EXPERIMENTS,
    HIDDEN_SWEEP_PREFIX,
    LATER,
    NETWORKS,
    hidden_sweep_in,
)

__all__ = ["EXPERIMENTS", "HIDDEN_SWEEP_PREFIX", "LATER", "NETWORKS", "hidden_sweep_in"]

# A short title for each experiment.
TITLES = {
    "perceptron": "Perceptron",
    "perceptron_nonseparable": "Perceptron, not separable",
    "adaline_raw_large_eta": "Adaline (batch), raw features",
    "adaline_raw_small_eta": "Adaline (batch), raw features",
    "adaline_standardized": "Adaline (batch), standardized",
    "adaline_sgd": "Adaline, stochastic GD",
    "adaline_minibatch": "Adaline, mini-batch GD",
    "logistic_regression": "Logistic regression",
    "logistic_flower": "Logistic regression, flower",
    "network_flower": "Shallow network, flower",
}
# The same, in two lines for the labels under the bars of the timing figure.
TICK_LABELS = {
    "perceptron": "Perceptron\nraw",
    "perceptron_nonseparable": "Perceptron\nnot separable",
    "adaline_raw_large_eta": "Adaline GD\nraw",
    "adaline_raw_small_eta": "Adaline GD\nraw",
    "adaline_standardized": "Adaline GD\nstandardized",
    "adaline_sgd": "Adaline SGD\nstandardized",
    "adaline_minibatch": "Adaline mini-batch\nstandardized",
    "logistic_regression": "Logistic regr.\nstandardized",
    "logistic_flower": "Logistic regr.\nflower",
    "network_flower": "Shallow network\nflower",
}
# The per-sample rules: each update feeds the next sample, so NumPy loops in Python there.
PER_SAMPLE = {"perceptron": "the perceptron", "adaline_sgd": "stochastic Adaline"}


def experiments_in(results: dict) -> list[str]:
    """The experiments the file holds, in their order: all of them but the ``LATER`` ones
    a file may predate."""
    return [name for name in EXPERIMENTS if name in results["experiments"] or name not in LATER]
