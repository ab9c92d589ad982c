"""The slides' training runs on every backend: what each experiment is, and its record.

Every experiment of the course (perceptron, Adaline by batch, stochastic and mini-batch
gradient descent, logistic regression, all on the slides' Iris set-up; the perceptron
again on two species no line separates; logistic regression on the shallow-network
exercise's "flower", and the shallow network of that exercise on it) is trained with
``kernels.train`` on every backend, the pure-Python one included: the data sets are tiny.
The shallow network trains for a thousand iterations; on the smoke ladder it trains for
a few (``Experiment.smoke``), enough to check that the backends agree.

They are timed by the benchmark session itself (``bench/test_course.py``), through
pytest-benchmark like every op: on a backend that compiles, one untimed call of the
run cut to one step first (it pays for loading or compiling the code), then timed
rounds, the last of which gives the result recorded, and the same statistics (median,
quartiles). The trainers are deterministic, so every call
computes the same thing. ``section`` assembles what the result file carries under
``vectorbench_course``: the data, each experiment's parameters, each backend's final
weights, history and times, and how closely the backends agree — everything the report
needs to draw the figures without rerunning anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

import kernels
from bench import sampling
from kernels import datasets, train
from vbschema import COURSE_SCHEMA as SCHEMA
from vbschema.course import HISTORY_DIGITS

# How many timed rounds (training runs) per (experiment, backend). On the lesson and full
# ladders, as the ops': at least sampling.MIN_ROUNDS, then more until the median is known
# to ±3% (``sampling.runs_until_sure``), within ``MAX_TIME_S`` of rounds (or
# sampling.CAP_ROUNDS_AT_LEAST rounds if longer) and at most ``CASE_S`` seconds. Fifteen
# fixed rounds on the full ladder, and three on the lesson's, left 121 of the 132 times
# of the full run of 7 December with an interval beyond ±3% (a shared host's bursts:
# NumPy's perceptron 4.0-8.5 ms a run) and every time of the lesson flagged for its few
# rounds. The lesson's caps are cut to fit its five minutes: with 0.25 s and 1 s its short
# runs took 22 s of rounds instead of 6 (the lesson, its environment built: 305 s), with
# 0.1 s and 0.5 s 16 s (312 s, in a slower hour: its ops' rounds took 10% longer); their
# floor of six rounds alone is about 9 s. At most KEPT_ROUNDS rounds
# (bench/conftest.py), all of which the file keeps: the page's median and interval are
# those of every round the rule judged. The smoke
# ladder, which checks that the experiments run, times a fixed number (``ROUNDS``), as do
# the network's long runs (``rounds`` of the experiment: seconds each).
ROUNDS = {"smoke": 2}
MAX_TIME_S = {"full": 0.5, "lesson": 0.05}
CASE_S = {"full": 3.0, "lesson": 0.3}
# The loops every other backend is compared with, and, when their run is over the course's
# budget, the vectorized reference the tests prove equal to them: found by role.
REFERENCE_BACKEND = kernels.backends.with_role("loop")
FALLBACK_REFERENCE = kernels.backends.with_role("reference")


@dataclass(frozen=True)
class Experiment:
    """One training run of the slides: which trainer, on which data, with which settings."""

    name: str
    trainer: str  # a function of kernels.train
    dataset: str  # a key of the datasets made by ``course_datasets``
    parameters: dict = field(default_factory=dict)
    history: str = "cost"  # what the trainer's history counts
    smoke: dict = field(default_factory=dict)  # parameters changed on the smoke ladder
    rounds: dict | None = None  # a fixed number of timed rounds per ladder, if any

    def fixed_rounds(self, ladder: str) -> int | None:
        """The fixed number of timed rounds on ``ladder``; None: timed until sure."""
        return (self.rounds or {}).get(ladder, ROUNDS.get(ladder))

    def rounds_for(self, ladder: str) -> int:
        """The timed rounds on ``ladder``: the fixed number, or the fewest until sure."""
        fixed = self.fixed_rounds(ladder)
        return sampling.MIN_ROUNDS if fixed is None else fixed

    def parameters_for(self, ladder: str) -> dict:
        return {**self.parameters, **self.smoke} if ladder == "smoke" else dict(self.parameters)

    def steps(self, ladder: str) -> int:
        parameters = self.parameters_for(ladder)
        return parameters.get("epochs", parameters.get("iterations", 0))


EXPERIMENTS = (
    Experiment("perceptron", "perceptron", "raw", {"eta": 0.1, "epochs": 10}, "misclassifications"),
    Experiment("adaline_raw_large_eta", "adaline_gd", "raw", {"eta": 0.01, "epochs": 10}),
    Experiment("adaline_raw_small_eta", "adaline_gd", "raw", {"eta": 0.0001, "epochs": 10}),
    Experiment("adaline_standardized", "adaline_gd", "standardized", {"eta": 0.01, "epochs": 15}),
    Experiment(
        "adaline_sgd", "adaline_sgd", "standardized", {"eta": 0.01, "epochs": 15, "shuffle_seed": 1}
    ),
    Experiment(
        "adaline_minibatch",
        "adaline_minibatch",
        "standardized",
        {"eta": 0.01, "epochs": 15, "batch_size": 10, "shuffle_seed": 1},
    ),
    Experiment(
        "logistic_regression",
        "logistic_regression",
        "standardized_01",
        {"eta": 0.5, "iterations": 100},
    ),
    # The perceptron where no line separates the classes: it never stops updating.
    # Standardized: on the raw features, in file order (all versicolor, then all
    # virginica), the bias barely moves against weights of order 10 and the rule spends
    # its first 64 epochs correcting the first flower of each species, ending each epoch
    # with every versicolor on the wrong side; centred, the line can sit between them.
    Experiment(
        "perceptron_nonseparable",
        "perceptron",
        "standardized_nonseparable",
        {"eta": 0.1, "epochs": 50},
        "misclassifications",
    ),
    # The first half of "a hidden layer separates what a line cannot": the best a line
    # does on the flower (at this η the cost settles within about 10 iterations).
    Experiment("logistic_flower", "logistic_regression", "flower", {"eta": 0.5, "iterations": 50}),
    # The second half: the course's network, 4 tanh units, η = 1.2, on the same points.
    # 1000 iterations reach 88.75% (the course trains 10000 for about 90%).
    Experiment(
        "network_flower",
        "shallow_network",
        "flower",
        {"hidden": 4, "eta": 1.2, "iterations": 1000, "seed": 2},
        smoke={"iterations": 20},
        # one round on the lesson ladder, as the hidden sweep's: 1000 iterations take
        # about 10 s on Dask (a task graph per iteration) and 2.5 s in the loops. Six on
        # the full one, the fewest whose median has a 95% interval (its min and max): a
        # round is already a mean over 1000 iterations, and 15 rounds cost 4 min.
        rounds={"full": 6, "lesson": 1, "smoke": 2},
    ),
)
# The course's hidden-size experiment: the same network and training with h = 1, 2, 3,
# 4, 5, 20 and 50 hidden units, for accuracy and time per iteration against h. Each
# timed round is 1000 iterations (the python backend: about 50 s over the sweep), so
# fewer rounds than the other experiments: a round's time per iteration is already a
# mean over 1000 iterations. Its h = 4 is network_flower, trained once for both.
HIDDEN_SIZES = (1, 2, 3, 5, 20, 50)
HIDDEN_SWEEP = tuple(
    Experiment(
        f"network_h{hidden}",
        "shallow_network",
        "flower",
        {"hidden": hidden, "eta": 1.2, "iterations": 1000, "seed": 2},
        smoke={"iterations": 5},
        rounds={"full": 2, "lesson": 1, "smoke": 1},
    )
    for hidden in HIDDEN_SIZES
)
# Every experiment by its name: the benchmarks are parametrized by name, so that
# pytest-benchmark stores their parameters as JSON ("perceptron"), not as
# "UNSERIALIZABLE[Experiment(...)]".
BY_NAME = {experiment.name: experiment for experiment in (*EXPERIMENTS, *HIDDEN_SWEEP)}


def timer_record(ladder: str, second_attempts: bool = False) -> dict:
    """How the ladder's training runs were timed, for the results file: ``repeats``, the
    fixed number of rounds or the fewest; ``until_sure``, the rule's target and caps (on
    the ladders that time until sure), and the limit beyond which a run was timed once
    more, if the run took its ``second_attempts``; ``fixed_rounds``, the experiments timed
    a fixed number of rounds instead, and how many."""
    record: dict = {"repeats": ROUNDS.get(ladder, sampling.MIN_ROUNDS)}
    if ladder not in ROUNDS:
        record["until_sure"] = {
            "target": sampling.TARGET,
            "max_time_s": MAX_TIME_S[ladder],
            "at_least_rounds": sampling.CAP_ROUNDS_AT_LEAST,
            "case_s": CASE_S[ladder],
        }
        if second_attempts:  # bench/conftest.py, retime_unsure
            record["until_sure"]["second_attempt_beyond"] = sampling.INTERVAL_LIMIT
    fixed = {name: e.fixed_rounds(ladder) for name, e in BY_NAME.items() if e.rounds is not None}
    record["fixed_rounds"] = {name: rounds for name, rounds in fixed.items() if rounds is not None}
    return record


# A training run of the hidden-size sweep predicted to take longer than this many seconds
# is not run, as an op's case over the budget is not (``--course-budget`` sets another):
# on a backend whose every iteration is slow (Dask builds and runs a task graph per
# iteration, about 7 ms whatever h; the loops at h = 20 and 50 take 7 and 16 s) the
# sweep would be most of the lesson's minutes, and Dask's sweep and the loops' h = 20 and
# 50 a minute and a half of the full run's (two rounds each). The course's own network
# (h = 4) is always trained. No budget on the smoke ladder.
BUDGET_S = {"lesson": 3.0, "full": 6.0}


def predicted_seconds(experiment: Experiment, timed: dict[str, float], data: dict) -> float | None:
    """A hidden-size run's predicted seconds on one backend, from the same backend's
    measured runs of the same network at other h (``timed``: experiment name → median
    seconds; the course's own h = 4 comes first, then the sweep in increasing h): a
    straight line through the time against an iteration's FLOPs, a fixed cost per
    iteration plus a cost per FLOP, from the smallest and the largest h timed so far.
    From one point only, its time scaled by the FLOPs and never below it (the fixed cost
    does not shrink). None for another experiment, or with nothing timed."""
    if experiment not in HIDDEN_SWEEP:
        return None

    def flops(e: Experiment) -> float:
        sizes = {"m": len(data["X"]), "n": len(data["X"][0]), "h": e.parameters["hidden"]}
        return kernels.OPS["mlp_gradient"].flops(sizes) * e.parameters["iterations"]

    known = sorted(
        (flops(e), timed[e.name])
        for e in BY_NAME.values()
        if e.name in timed and e.trainer == experiment.trainer
    )
    if not known:
        return None
    (low, t_low), (high, t_high) = known[0], known[-1]
    if high == low or t_high <= t_low:  # one point, or no growth seen
        return max(t_high, t_high * flops(experiment) / high)
    per_flop = (t_high - t_low) / (high - low)
    return t_low + per_flop * (flops(experiment) - low)


# --- the data ----------------------------------------------------------------------------


def course_datasets() -> dict[str, dict]:
    """The slides' set-up three ways: raw (cm), standardized, and standardized with the
    0/1 labels of logistic regression; versicolor against virginica, raw; and the
    flower. Each entry holds the rows themselves."""
    X, y, features = datasets.slides_iris()
    classes = {name: int(label) for name, label in datasets.SLIDES_LABELS.items()}
    common = {
        "source": "kernels/data/iris.csv (UCI copy of Fisher's Iris data)",
        "rows": f"1–{len(y)} (setosa and versicolor)",
        "feature_names": list(features),
    }
    X_std = datasets.standardize(X)
    standardized = {
        **common,
        "standardized": True,
        "unit": None,
        "mean": X.mean(axis=0).tolist(),
        "std": X.std(axis=0).tolist(),
        "X": X_std.tolist(),
    }
    return {
        "raw": {
            **common,
            "standardized": False,
            "unit": datasets.UNIT,
            "X": X.tolist(),
            "y": y.tolist(),
            "classes": classes,
        },
        "standardized": {**standardized, "y": y.tolist(), "classes": classes},
        "standardized_01": {
            **standardized,
            "y": np.where(y == 1, 1, 0).tolist(),
            "classes": {name: int(label == 1) for name, label in classes.items()},
        },
        "standardized_nonseparable": _nonseparable_iris(),
        "flower": _flower(),
    }


def _nonseparable_iris() -> dict:
    """Versicolor against virginica, standardized; ``mean`` and ``std`` give back cm."""
    X, y, features = datasets.nonseparable_iris()
    return {
        "source": "kernels/data/iris.csv (UCI copy of Fisher's Iris data)",
        "rows": f"51–{50 + len(y)} (versicolor and virginica)",
        "feature_names": list(features),
        "standardized": True,
        "unit": None,
        "raw_unit": datasets.UNIT,
        "mean": X.mean(axis=0).tolist(),
        "std": X.std(axis=0).tolist(),
        "X": datasets.standardize(X).tolist(),
        "y": y.tolist(),
        "classes": dict(datasets.NONSEPARABLE_LABELS),
    }


def _flower() -> dict:
    X, y = datasets.planar_flower()
    return {
        "source": (
            "kernels.datasets.planar_flower: the course's load_planar_dataset, "
            f"generated with np.random.RandomState({datasets.FLOWER_SEED})"
        ),
        "rows": f"all {len(y)} points",
        "feature_names": ["x₁", "x₂"],
        "standardized": False,
        "unit": None,
        "X": X.tolist(),
        "y": y.tolist(),
        "classes": {"red": 0, "blue": 1},  # the colours of the course's plots
    }


# --- agreement ---------------------------------------------------------------------------


def weights(run: dict) -> np.ndarray:
    """All of a run's weights in one vector: w and b, or the network's W1, b1, W2, b2."""
    if "W1" in run:
        return np.concatenate([np.ravel(run["W1"]), run["b1"], run["W2"], [run["b2"]]])
    return np.array([*run["w"], run["b"]])


def agreement(
    runs: dict[str, dict], reference: str, m: int, n: int, steps: int, hidden: int | None = None
) -> dict:
    """How far each backend's final weights and history lie from the reference backend's.

    Weights are compared relative to their largest magnitude (a component that cancels
    to near zero carries the rounding of the sums it came from); histories entry by
    entry. The tolerance is ``kernels.train.agreement_rtol``, or for a network of
    ``hidden`` units ``kernels.train.network_agreement_rtol``.
    """
    if hidden is None:
        tolerance = train.agreement_rtol(m, n, steps)
    else:
        tolerance = train.network_agreement_rtol(m, n, hidden, steps)
    ref = runs[reference]
    ref_weights = weights(ref)
    ref_history = np.array(ref["history"], dtype=np.float64)
    if len(runs) < 2 or ref_history.size == 0:
        raise ValueError(
            f"agreement: nothing to compare ({sorted(runs)}, {ref_history.size} epochs)"
        )
    scale = np.max(np.abs(ref_weights))
    backends = {}
    for backend, run in runs.items():
        if backend == reference:
            continue
        run_weights = weights(run)
        history = np.array(run["history"], dtype=np.float64)
        if run_weights.shape != ref_weights.shape or history.shape != ref_history.shape:
            raise ValueError(
                f"agreement: {backend} returned weights {run_weights.shape} and history "
                f"{history.shape}; {reference} returned {ref_weights.shape} and {ref_history.shape}"
            )
        weight_diff = float(np.max(np.abs(run_weights - ref_weights)))
        history_diff = np.abs(history - ref_history) / np.maximum(np.abs(ref_history), 1e-300)
        backends[backend] = {
            "weights_max_abs_diff": weight_diff,
            "weights_max_rel_diff": weight_diff / scale if scale > 0 else weight_diff,
            "history_max_rel_diff": float(np.max(history_diff, initial=0.0)),
            "history_identical": bool(np.array_equal(history, ref_history)),
        }
    within = all(
        diff["weights_max_rel_diff"] <= tolerance and diff["history_max_rel_diff"] <= tolerance
        for diff in backends.values()
    )
    return {
        "reference": reference,
        "tolerance": tolerance,
        "backends": backends,
        "within_tolerance": within,
    }


# --- the experiments ---------------------------------------------------------------------


def training_call(
    experiment: Experiment, data: dict, backend: str, ladder: str = "full", steps: int | None = None
) -> Callable[[], train.TrainingResult | train.NetworkResult]:
    """One training run of ``experiment`` on ``backend``, ready to call (and time); with
    ``steps``, the same run cut to that many epochs or iterations."""
    trainer = getattr(train, experiment.trainer)
    X = np.array(data["X"], dtype=np.float64)
    y = np.array(data["y"])
    parameters = experiment.parameters_for(ladder)
    if steps is not None:
        parameters["epochs" if "epochs" in parameters else "iterations"] = steps
    return lambda: trainer(X, y, backend=backend, **parameters)


def outcome(result: train.TrainingResult | train.NetworkResult) -> dict:
    if isinstance(result, train.NetworkResult):
        return {
            "W1": result.W1.tolist(),
            "b1": result.b1.tolist(),
            "W2": result.W2.tolist(),
            "b2": result.b2,
            "history": result.history.tolist(),
        }
    return {"w": result.w.tolist(), "b": result.b, "history": result.history.tolist()}


def _drawn(run: dict) -> dict:
    """A run as the file keeps it: its history (for the figures, once the agreement is
    measured on the full values) to ``HISTORY_DIGITS`` significant digits, a third of
    the characters of a float's shortest repr (the networks' 1000 iterations per backend
    were a quarter of a full run's file); its last entry whole, as its final weights:
    where the run ended, which a class compares across machines to the agreement's
    tolerance (``reports.classroom.outcomes``)."""
    history = run["history"]
    drawn = [h if isinstance(h, int) else float(f"{h:.{HISTORY_DIGITS}g}") for h in history[:-1]]
    return {**run, "history": drawn + history[-1:]}


def section(
    outcomes: dict[str, dict[str, dict]],
    times: dict[tuple[str, str], dict],
    *,
    machine_record: dict,
    timer: dict,
    ladder: str = "full",
    not_run: list[dict] = (),
) -> dict:
    """What the result file carries under ``vectorbench_course``.

    ``outcomes[experiment][backend]`` is ``outcome`` of the last timed round;
    ``times[(experiment, backend)]`` the statistics of its timed rounds. Experiments
    that ran on fewer than two backends (a ``-k`` selection) have nothing to agree with
    and are left out. ``ladder`` chose the experiments' parameters; ``not_run`` lists the
    training runs over its budget (experiment, backend, predicted seconds, reason).
    """
    data = course_datasets()
    backends = [
        name for name in kernels.BACKENDS if any(name in runs for runs in outcomes.values())
    ]
    if REFERENCE_BACKEND in backends:  # the reference first: the others are compared with it
        backends = [REFERENCE_BACKEND, *(b for b in backends if b != REFERENCE_BACKEND)]
    experiments = {}
    for experiment in BY_NAME.values():
        ran = [b for b in backends if b in outcomes.get(experiment.name, {})]
        if len(ran) < 2:
            continue
        runs = {
            backend: {
                **outcomes[experiment.name][backend],
                "time": times[(experiment.name, backend)],
            }
            for backend in ran
        }
        X = data[experiment.dataset]["X"]
        parameters = experiment.parameters_for(ladder)
        steps = experiment.steps(ladder)
        experiments[experiment.name] = {
            "trainer": f"kernels.train.{experiment.trainer}",
            "dataset": experiment.dataset,
            "parameters": parameters,
            "history": experiment.history,
            "agreement": agreement(
                runs, ran[0], len(X), len(X[0]), steps, parameters.get("hidden")
            ),
            "runs": {backend: _drawn(run) for backend, run in runs.items()},
        }
    return {
        "schema": SCHEMA,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **machine_record,
        "timer": timer,
        "backends": backends,
        "datasets": data,
        "experiments": experiments,
        "not_run": list(not_run),
    }
