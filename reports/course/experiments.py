"""The experiments the course section draws, in the order it draws them.

The one list of them in the report: the validator checks that each is in the file, the
figures and the tables walk it.
"""

from __future__ import annotations

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
# Experiments added after result files were first committed: a file without them still
# renders, without their parts of the section.
LATER = frozenset({"perceptron_nonseparable", "logistic_flower", "network_flower"})
# The experiments whose runs hold a network's W1, b1, W2, b2 instead of w and b.
NETWORKS = frozenset({"network_flower"})
# The per-sample rules: each update feeds the next sample, so NumPy loops in Python there.
PER_SAMPLE = {"perceptron": "the perceptron", "adaline_sgd": "stochastic Adaline"}


# The hidden-size experiment: the shallow network once per hidden size h, named
# ``network_h{h}``, drawn in a figure of its own rather than in the tables; later too.
HIDDEN_SWEEP_PREFIX = "network_h"


def hidden_sweep_in(results: dict) -> dict[int, str]:
    """The hidden-size experiment's runs the file holds: h → experiment name, by h.

    The course's own network (``NETWORKS``) is the sweep's point at its h when the file
    has no ``network_h{h}`` of that h: it is the same training, so a run trains it once.
    """
    experiments = results["experiments"]
    sweep = {
        int(name[len(HIDDEN_SWEEP_PREFIX) :]): name
        for name in experiments
        if name.startswith(HIDDEN_SWEEP_PREFIX) and name[len(HIDDEN_SWEEP_PREFIX) :].isdigit()
    }
    if sweep:
        for name in NETWORKS & experiments.keys():
            sweep.setdefault(experiments[name]["parameters"]["hidden"], name)
    return dict(sorted(sweep.items()))


def experiments_in(results: dict) -> list[str]:
    """The experiments of ``TITLES`` the file holds, in their order: all of them but the
    ``LATER`` ones a file may predate."""
    return [name for name in TITLES if name in results["experiments"] or name not in LATER]
