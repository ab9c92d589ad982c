"""The experiments the course section draws, in the order it draws them.

The one list of them in the report: the validator checks that each is in the file, the
figures and the tables walk it.
"""

from __future__ import annotations

# A short title for each experiment.
TITLES = {
    "perceptron": "Perceptron",
    "adaline_raw_large_eta": "Adaline (batch), raw features",
    "adaline_raw_small_eta": "Adaline (batch), raw features",
    "adaline_standardized": "Adaline (batch), standardized",
    "adaline_sgd": "Adaline, stochastic GD",
    "adaline_minibatch": "Adaline, mini-batch GD",
    "logistic_regression": "Logistic regression",
}
# The same, in two lines for the labels under the bars of the timing figure.
TICK_LABELS = {
    "perceptron": "Perceptron\nraw",
    "adaline_raw_large_eta": "Adaline GD\nraw",
    "adaline_raw_small_eta": "Adaline GD\nraw",
    "adaline_standardized": "Adaline GD\nstandardized",
    "adaline_sgd": "Adaline SGD\nstandardized",
    "adaline_minibatch": "Adaline mini-batch\nstandardized",
    "logistic_regression": "Logistic regr.\nstandardized",
}
# The per-sample rules: each update feeds the next sample, so NumPy loops in Python there.
PER_SAMPLE = {"perceptron": "the perceptron", "adaline_sgd": "stochastic Adaline"}
