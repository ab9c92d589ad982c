"""What the course results say, as data: each ``*_findings`` function returns the numbers
and decisions one part of the section is worded from. Training times are judged like the
benchmarks' (``reports.rules``): quartiles of every timed repeat, one flag rule, one
comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from reports.course.experiments import PER_SAMPLE, TITLES, experiments_in, hidden_sweep_in, title
from reports.rules import FASTER, SLOWER, Comparison, Quartiles, flags
from reports.style import COMPILED, COMPILED_PARALLEL, REFERENCE, Style

# "Clearly better": a fifth more of the flower's points right than the best line.
CLEARLY_BETTER = 0.2

# --- the data ----------------------------------------------------------------------------


def arrays(results: dict, dataset: str) -> tuple[np.ndarray, np.ndarray]:
    data = results["datasets"][dataset]
    return np.array(data["X"], dtype=np.float64), np.array(data["y"], dtype=np.float64)


def history(run: dict) -> np.ndarray:
    return np.array(run["history"], dtype=np.float64)


def hessian_eigenvalues(X: np.ndarray) -> np.ndarray:
    """Eigenvalues of [X 1]ᵀ[X 1], the curvature of Adaline's summed squared error: batch
    gradient descent on it converges only for η < 2/λ_max."""
    X1 = np.column_stack([X, np.ones(len(X))])
    return np.linalg.eigvalsh(X1.T @ X1)


def misclassified(results: dict, experiment: dict, run: dict) -> int:
    X, y = arrays(results, experiment["dataset"])
    labels = sorted(results["datasets"][experiment["dataset"]]["classes"].values())
    predicted = np.where(X @ np.array(run["w"]) + run["b"] >= 0, labels[1], labels[0])
    return int(np.sum(predicted != y))


def _reference_run(results: dict, name: str) -> tuple[dict, dict]:
    experiment = results["experiments"][name]
    return experiment, experiment["runs"][results["backends"][0]]


# --- the readings ------------------------------------------------------------------------


def perceptron_findings(results: dict) -> dict:
    experiment, run = _reference_run(results, "perceptron")
    errors = [int(h) for h in run["history"]]
    last_mistake = max((i for i, h in enumerate(errors) if h > 0), default=-1) + 1
    dataset = results["datasets"][experiment["dataset"]]
    return {
        "m": len(dataset["y"]),
        "eta": experiment["parameters"]["eta"],
        "errors": errors,
        "converged": bool(errors) and errors[-1] == 0,
        "clean_from_epoch": last_mistake + 1,
        "w": run["w"],
        "b": run["b"],
        "feature_names": dataset["feature_names"],
        "backends_agree": experiment["agreement"]["within_tolerance"],
    }


def nonseparable_findings(results: dict) -> dict | None:
    """The perceptron on versicolor against virginica; None for a file from before it."""
    if "perceptron_nonseparable" not in results["experiments"]:
        return None
    experiment, run = _reference_run(results, "perceptron_nonseparable")
    X, y = arrays(results, experiment["dataset"])
    errors = [int(h) for h in run["history"]]
    dataset = results["datasets"][experiment["dataset"]]
    twin = same_point_both_classes(X, y)
    return {
        "m": len(y),
        "rows": dataset["rows"],
        "eta": experiment["parameters"]["eta"],
        "epochs": len(errors),
        "errors": errors,
        "fewest": min(errors),
        "most": max(errors),
        "updates": sum(errors),
        "every_epoch_updates": all(e > 0 for e in errors),
        "wrong_at_end": misclassified(results, experiment, run),
        "last_errors": errors[-1] if errors else 0,
        "twin": twin,  # as drawn
        "twins": _measured(dataset, twin),  # as measured
        "unit": dataset.get("raw_unit") or dataset.get("unit"),
        "backends_agree": experiment["agreement"]["within_tolerance"],
    }


def same_point_both_classes(X: np.ndarray, y: np.ndarray) -> list[float] | None:
    """A point that occurs with both labels (no line can separate those), or None."""
    labels_at: dict[tuple, set] = {}
    for point, label in zip(map(tuple, X.tolist()), y.tolist(), strict=True):
        labels_at.setdefault(point, set()).add(label)
    return next((list(point) for point, seen in labels_at.items() if len(seen) > 1), None)


def _measured(dataset: dict, point: list[float] | None) -> list[float] | None:
    """A point of the data set in the features' own units (undoing standardization)."""
    if point is None or not dataset["standardized"]:
        return point
    return [
        z * std + mean for z, mean, std in zip(point, dataset["mean"], dataset["std"], strict=True)
    ]


def adaline_raw_findings(results: dict) -> dict:
    large, large_run = _reference_run(results, "adaline_raw_large_eta")
    small, small_run = _reference_run(results, "adaline_raw_small_eta")
    X, _ = arrays(results, large["dataset"])
    eigenvalues = hessian_eigenvalues(X)
    cost_large, cost_small = history(large_run), history(small_run)
    return {
        "m": len(X),
        "x_min": float(X.min()),
        "x_max": float(X.max()),
        "limit": 2 / eigenvalues[-1],
        "eta_large": large["parameters"]["eta"],
        "eta_small": small["parameters"]["eta"],
        "cost_large": list(cost_large),
        "cost_small": list(cost_small),
        "diverges": bool(np.all(np.diff(cost_large) > 0)),
        "steepness": eigenvalues[-1] / eigenvalues[0],
    }


def adaline_standardized_findings(results: dict) -> dict:
    experiment, run = _reference_run(results, "adaline_standardized")
    cost = history(run)
    eigen = hessian_eigenvalues(arrays(results, experiment["dataset"])[0])
    eta = experiment["parameters"]["eta"]
    limit = 2 / eigen[-1]
    return {
        "steepness": eigen[-1] / eigen[0],
        "limit": limit,
        "eta": eta,
        "converges": bool(eta < limit and cost[-1] < cost[0]),
        "cost": list(cost),
        "wrong": misclassified(results, experiment, run),
    }


def gradient_descent_findings(results: dict) -> dict:
    names = {
        "stochastic": "adaline_sgd",
        "mini-batch": "adaline_minibatch",
        "batch": "adaline_standardized",
    }
    costs = {label: history(_reference_run(results, name)[1]) for label, name in names.items()}
    sgd, mini, batch = (results["experiments"][name] for name in names.values())
    m = len(results["datasets"][batch["dataset"]]["y"])
    size = mini["parameters"]["batch_size"]
    return {
        "m": m,
        "eta": batch["parameters"]["eta"],
        "batch_size": size,
        "minibatch_updates": math.ceil(m / size),
        "first": {name: cost[0] for name, cost in costs.items()},
        "last": {name: cost[-1] for name, cost in costs.items()},
        "epochs": len(costs["batch"]),
        "shuffle_seed": sgd["parameters"].get("shuffle_seed"),
    }


def logistic_findings(results: dict) -> dict:
    experiment, run = _reference_run(results, "logistic_regression")
    return {
        "cost": list(history(run)),
        "eta": experiment["parameters"]["eta"],
        "wrong": misclassified(results, experiment, run),
        "standardized": bool(results["datasets"][experiment["dataset"]].get("standardized")),
    }


def flower_findings(results: dict) -> dict | None:
    """Logistic regression on the flower; None for a file from before it."""
    if "logistic_flower" not in results["experiments"]:
        return None
    experiment, run = _reference_run(results, "logistic_flower")
    _, y = arrays(results, experiment["dataset"])
    wrong = misclassified(results, experiment, run)
    return {
        "m": len(y),
        "per_class": int(np.sum(y == 1)),
        "eta": experiment["parameters"]["eta"],
        "cost": list(history(run)),
        "wrong": wrong,
        "accuracy": 1 - wrong / len(y),
        "one_class": max(np.mean(y == 0), np.mean(y == 1)),  # always answering the larger class
        "w": run["w"],
        "b": run["b"],
    }


def network_output(run: dict, points: np.ndarray) -> np.ndarray:
    """The net input of the network's output unit, H W2 + b2 with H = tanh(X W1 + b1):
    the network predicts label 1 where it is > 0 (where A = σ(·) > 0.5)."""
    H = np.tanh(points @ np.array(run["W1"]) + np.array(run["b1"]))
    return H @ np.array(run["W2"]) + run["b2"]


def clearly_beats(accuracy: float, line: dict | None) -> bool:
    """Whether ``accuracy`` is clearly better than logistic regression's line on the flower
    (``flower_findings``, None for a file from before it)."""
    return line is not None and accuracy >= line["accuracy"] + CLEARLY_BETTER


def network_findings(results: dict, line: dict | None) -> dict | None:
    """The shallow network on the flower, against ``line``; None for a file from before it."""
    if "network_flower" not in results["experiments"]:
        return None
    experiment, run = _reference_run(results, "network_flower")
    X, y = arrays(results, experiment["dataset"])
    wrong = int(np.sum((network_output(run, X) > 0).astype(np.float64) != y))
    accuracy = 1 - wrong / len(y)
    return {
        "hidden": len(run["b1"]),
        "eta": experiment["parameters"]["eta"],
        "seed": experiment["parameters"].get("seed"),
        "cost": list(history(run)),
        "wrong": wrong,
        "accuracy": accuracy,
        "beats_line": clearly_beats(accuracy, line),
        "backends_agree": experiment["agreement"]["within_tolerance"],
        "run": run,
    }


def hidden_size_findings(results: dict, line: dict | None) -> dict | None:
    """Accuracy and median time per iteration against the hidden size h, per backend, the
    best h against ``line``; None for a file without the hidden-size experiment."""
    sweep = hidden_sweep_in(results)
    if not sweep:
        return None
    sizes = list(sweep)
    accuracy, per_iteration = [], {backend: [] for backend in results["backends"]}
    same_everywhere = True
    for name in sweep.values():
        experiment = results["experiments"][name]
        X, y = arrays(results, experiment["dataset"])
        runs = experiment["runs"]
        right = {
            backend: float(np.mean((network_output(run, X) > 0) == y))
            for backend, run in runs.items()
        }
        same_everywhere &= len(set(right.values())) == 1
        accuracy.append(right[experiment["agreement"].get("reference") or next(iter(runs))])
        iterations = experiment["parameters"]["iterations"]
        for backend, times in per_iteration.items():  # NaN where a run was over the budget
            times.append(
                Quartiles.of(runs[backend]["time"]["times_s"]).median / iterations
                if backend in runs
                else math.nan
            )
    best = int(np.argmax(accuracy))
    first = results["experiments"][sweep[sizes[0]]]["parameters"]  # the same for every h
    # backend → the h it was not trained at (over the ladder's budget), and the least
    # predicted time of those runs
    not_run: dict[str, dict] = {}
    h_of = {name: hidden for hidden, name in sweep.items()}
    for entry in results.get("not_run", []):
        if entry["experiment"] in h_of:
            found = not_run.setdefault(
                entry["backend"],
                {"sizes": [], "predicted_s": math.inf, "budget_s": entry["budget_s"]},
            )
            found["sizes"] = sorted([*found["sizes"], h_of[entry["experiment"]]])
            found["predicted_s"] = min(found["predicted_s"], entry["predicted_s"])
    return {
        # trained long enough to read accuracies: the best h clearly beats the line
        "trained": clearly_beats(accuracy[best], line),
        "sizes": sizes,
        "accuracy": accuracy,
        "same_everywhere": same_everywhere,
        "best_size": sizes[best],
        "best_accuracy": accuracy[best],
        "eta": first["eta"],
        "iterations": first["iterations"],
        "per_iteration": per_iteration,
        # growth from the smallest h to the largest, for the backends that ran both
        "growth": {
            backend: times[-1] / times[0]
            for backend, times in per_iteration.items()
            if not (math.isnan(times[0]) or math.isnan(times[-1]))
        },
        "not_run": not_run,
        # the ladder's budget, the same for every run left out
        "not_run_budget_s": max((found["budget_s"] for found in not_run.values()), default=0.0),
    }


# --- the times to train ----------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One experiment's times on one backend, judged by the report's one flag rule, and
    against the reference backend (``None`` for the reference itself)."""

    quartiles: Quartiles
    flags: tuple[str, ...]
    against_reference: Comparison | None


def timings(results: dict) -> dict[str, dict[str, Timing]]:
    """Per experiment and backend, judged like a benchmark: one training run is one
    round, the timer is the course's."""
    backends = results["backends"]
    resolution = results["timer"].get("resolution_s") or 0.0
    judged: dict[str, dict[str, Timing]] = {}
    for name in experiments_in(results):
        runs = results["experiments"][name]["runs"]
        quartiles = {b: Quartiles.of(runs[b]["time"]["times_s"]) for b in backends if b in runs}
        reference = quartiles[backends[0]]
        judged[name] = {
            backend: Timing(
                quartiles=q,
                flags=tuple(flags(q.interval_rel, q.median, resolution, q.rounds)),
                against_reference=None
                if backend == backends[0]
                else Comparison.of(reference.band, q.band),
            )
            for backend, q in quartiles.items()
        }
    return judged


def times_findings(results: dict, judged: dict[str, dict[str, Timing]], look: Style) -> dict:
    """What the reading of the timing table states."""
    backends = results["backends"]
    reference = backends[0]
    m, n = arrays(results, results["experiments"]["perceptron"]["dataset"])[0].shape
    numpy, loop, parallel = look.the(REFERENCE), look.the(COMPILED), look.the(COMPILED_PARALLEL)
    numpy_slower = []
    if numpy in backends and reference != numpy:
        numpy_slower = [
            text
            for name, text in PER_SAMPLE.items()
            if judged[name][numpy].against_reference.verdict == SLOWER
        ]
    names = experiments_in(results)
    compiled = [b for b in backends if look.role(b) in (COMPILED, COMPILED_PARALLEL)]
    fastest = {
        name: min(judged[name], key=lambda backend: judged[name][backend].quartiles.median)
        for name in names
    }
    gains, verdicts = [], []
    if {loop, parallel} <= set(backends):
        against_loop = [
            Comparison.of(judged[name][loop].quartiles.band, judged[name][parallel].quartiles.band)
            for name in names
        ]
        gains = [comparison.speedup for comparison in against_loop]
        verdicts = [comparison.verdict for comparison in against_loop]
    return {
        "m": m,
        "n": n,
        "reference": reference,
        "numpy_slower": numpy_slower,
        "has_numba": loop in backends,
        "compiled_fastest": sum(fastest[name] in compiled for name in names),
        "parallel_fastest": sum(fastest[name] == parallel for name in names),
        "experiments": len(names),
        "vectorized": numpy,  # the backend of the reference role
        "compiled": loop,
        "parallel": parallel,
        "parallel_gains": gains,
        "parallel_faster": verdicts.count(FASTER),
        "parallel_slower": verdicts.count(SLOWER),
    }


def conditions(results: dict) -> dict:
    """The run's conditions, for the section's introduction."""
    machine, experiments = results["machine"], results["experiments"]
    cpu, threads = machine.get("cpu") or {}, machine.get("threads") or {}
    git = results.get("git") or {}
    timer = results["timer"]
    usual = timer["repeats"]
    until = timer.get("until_sure")  # None: every run timed a fixed number of rounds
    fixed = timer.get("fixed_rounds", {}) if until else {}
    other_repeats = []  # timed for another (fixed) number of rounds: the network's long runs
    sampled = []  # the rounds of the runs timed until sure
    names = experiments_in(results)
    for name in names:
        repeats = {run["time"]["repeats"] for run in experiments[name]["runs"].values()}
        if until and name not in fixed:
            sampled.extend(repeats)
        elif repeats != {usual} or until:
            other_repeats.append((TITLES[name][0], max(repeats)))
    return {
        "backends": results["backends"],
        # backend → the experiments it trained, for a backend that left some out (a
        # variant trains only where it computes the trainer's op its own way)
        "partly": {
            backend: [
                title(results, name) for name in names if backend in experiments[name]["runs"]
            ]
            for backend in results["backends"]
            if any(backend not in experiments[name]["runs"] for name in names)
        },
        "raw": results["datasets"][experiments["perceptron"]["dataset"]],
        "machine": {
            "name": machine["name"],
            "cpu": cpu.get("brand", "unknown CPU"),
            "cores": threads.get("all_cores", "?"),
            "numba_threads": threads.get("numba_threads", "?"),
        },
        "created": datetime.fromisoformat(results["created"]).strftime("%Y-%m-%d %H:%M %Z"),
        "ladder": results.get("ladder", "full"),
        "commit": (git.get("commit") or "")[:10],
        "dirty": bool(git.get("dirty")),
        "versions": ", ".join(f"{name} {version}" for name, version in results["versions"].items()),
        "repeats": usual,
        "other_repeats": other_repeats,
        "until_sure": until
        and sampled
        and {
            "least": min(sampled),
            "most": max(sampled),
            **{key: until[key] for key in ("target", "max_time_s", "at_least_rounds", "case_s")},
            "second_attempt_beyond": until.get("second_attempt_beyond"),
        },
    }


def section(results: dict, look: Style) -> dict:
    """Every finding the section is worded and drawn from, each computed once: the
    template's variables, and ``judged``, the times the tables and figures read."""
    judged = timings(results)
    flower = flower_findings(results)
    return {
        **conditions(results),
        "perceptron": perceptron_findings(results),
        "nonseparable": nonseparable_findings(results),
        "adaline_raw": adaline_raw_findings(results),
        "adaline_standardized": adaline_standardized_findings(results),
        "gradient_descent": gradient_descent_findings(results),
        "logistic": logistic_findings(results),
        "flower": flower,
        "network": network_findings(results, flower),
        "hidden_sizes": hidden_size_findings(results, flower),
        "judged": judged,
        "times": times_findings(results, judged, look),
    }
