"""The experiments the course section draws, in the order it draws them, with titles.

Which experiments a result file holds, and their order, are the schema's
(``vbschema.course``); the titles are the section's.
"""

from __future__ import annotations

from vbschema.course import EXPERIMENTS, LATER, hidden_sweep_in

__all__ = ["LATER", "hidden_sweep_in"]

# A short title for each experiment, and the same in two lines under the timing figure's bars.
TITLES = {
    "perceptron": ("Perceptron", "Perceptron\nraw"),
    "perceptron_nonseparable": ("Perceptron, not separable", "Perceptron\nnot separable"),
    "adaline_raw_large_eta": ("Adaline (batch), raw features", "Adaline GD\nraw"),
    "adaline_raw_small_eta": ("Adaline (batch), raw features", "Adaline GD\nraw"),
    "adaline_standardized": ("Adaline (batch), standardized", "Adaline GD\nstandardized"),
    "adaline_sgd": ("Adaline, stochastic GD", "Adaline SGD\nstandardized"),
    "adaline_minibatch": ("Adaline, mini-batch GD", "Adaline mini-batch\nstandardized"),
    "logistic_regression": ("Logistic regression", "Logistic regr.\nstandardized"),
    "logistic_flower": ("Logistic regression, flower", "Logistic regr.\nflower"),
    "network_flower": ("Shallow network, flower", "Shallow network\nflower"),
}
# The per-sample rules: each update feeds the next sample, so NumPy loops in Python there.
PER_SAMPLE = {"perceptron": "the perceptron", "adaline_sgd": "stochastic Adaline"}


def experiments_in(results: dict) -> list[str]:
    """The experiments the file holds, in their order: all of them but the ``LATER`` ones
    a file may predate."""
    return [name for name in EXPERIMENTS if name in results["experiments"] or name not in LATER]


def title(results: dict, name: str) -> str:
    return f"{TITLES[name][0]}, η = {results['experiments'][name]['parameters']['eta']:g}"


def tick_label(results: dict, name: str) -> str:
    return f"{TITLES[name][1]}\nη = {results['experiments'][name]['parameters']['eta']:g}"
