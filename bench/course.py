"""The slides' training runs on every backend, timed, written to one results file.

    python -m bench.course --out reports/results [--quick]

(``PYTHONPATH=. python bench/course.py …`` does the same; ``python -m bench.run`` calls
it after the benchmarks). Every experiment of the course (perceptron, Adaline by batch,
stochastic and mini-batch gradient descent, logistic regression, all on the slides'
Iris set-up) is trained with ``kernels.train`` on every backend, the pure-Python one
included: Iris is tiny.

Timing: the first call of each (experiment, backend) is not timed (it pays for loading
or compiling Numba's code) and its result is the one recorded; then ``repeats`` calls
are timed with ``time.perf_counter`` and summarised by their median, with minimum,
maximum and the relative standard deviation as the spread. The trainers are
deterministic, so every call computes the same thing.

The file ``course-<machine>-<YYYYmmdd-HHMMSS>.json`` (schema ``vectorbench-course/1``)
holds everything ``reports/course.py`` needs to draw the figures without rerunning
anything: the data, each experiment's parameters, each backend's final weights, history
and times, how closely the backends agree, and the conditions of the run (machine,
threads, versions, commit: ``bench/machine.py``, as for the benchmarks). It is written
to a temporary file in the same directory, then published under its final name the
way ``bench/run.py`` publishes benchmark results: atomically, so a reader never sees
half a file, and never over an existing file (a ``-2``, ``-3`` … suffix is added).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import kernels
from bench import machine
from bench.run import partial_file, publish
from kernels import datasets, train

SCHEMA = "vectorbench-course/1"
REPEATS = 15
QUICK_REPEATS = 3
REFERENCE_BACKEND = "python"  # the loops every other backend is compared with


@dataclass(frozen=True)
class Experiment:
    """One training run of the slides: which trainer, on which data, with which settings."""

    name: str
    trainer: str  # a function of kernels.train
    dataset: str  # a key of the datasets made by ``course_datasets``
    parameters: dict = field(default_factory=dict)
    history: str = "cost"  # what the trainer's history counts

    @property
    def steps(self) -> int:
        return self.parameters.get("epochs", self.parameters.get("iterations", 0))


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
)


# --- the data ----------------------------------------------------------------------------


def course_datasets() -> dict[str, dict]:
    """The slides' set-up three ways: raw (cm), standardized, and standardized with the
    0/1 labels of logistic regression. Each entry holds the rows themselves."""
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
    }


# --- timing ------------------------------------------------------------------------------


def time_training(
    run: Callable[[], train.TrainingResult], repeats: int
) -> tuple[train.TrainingResult, dict]:
    """One untimed warm-up call (its result is returned), then ``repeats`` timed calls."""
    result = run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    mean = statistics.fmean(times)
    stats = {
        "repeats": repeats,
        "times_s": times,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "relative_stdev": statistics.stdev(times) / mean if repeats > 1 else None,
    }
    return result, stats


# --- agreement ---------------------------------------------------------------------------


def agreement(runs: dict[str, dict], reference: str, m: int, n: int, steps: int) -> dict:
    """How far each backend's final weights and history lie from the reference backend's.

    Weights are compared relative to their largest magnitude (a component that cancels
    to near zero carries the rounding of the sums it came from); histories entry by
    entry. The tolerance is ``kernels.train.agreement_rtol``.
    """
    tolerance = train.agreement_rtol(m, n, steps)
    ref = runs[reference]
    ref_weights = np.array([*ref["w"], ref["b"]])
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
        weights = np.array([*run["w"], run["b"]])
        history = np.array(run["history"], dtype=np.float64)
        if weights.shape != ref_weights.shape or history.shape != ref_history.shape:
            raise ValueError(
                f"agreement: {backend} returned weights {weights.shape} and history "
                f"{history.shape}; {reference} returned {ref_weights.shape} and {ref_history.shape}"
            )
        weight_diff = float(np.max(np.abs(weights - ref_weights)))
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


def run_experiment(experiment: Experiment, data: dict, repeats: int, backends) -> dict:
    trainer = getattr(train, experiment.trainer)
    X = np.array(data["X"], dtype=np.float64)
    y = np.array(data["y"])
    runs = {}
    for backend in backends:
        result, times = time_training(
            lambda backend=backend: trainer(X, y, backend=backend, **experiment.parameters),
            repeats,
        )
        runs[backend] = {
            "w": result.w.tolist(),
            "b": result.b,
            "history": result.history.tolist(),
            "time": times,
        }
    m, n = X.shape
    return {
        "trainer": f"kernels.train.{experiment.trainer}",
        "dataset": experiment.dataset,
        "parameters": dict(experiment.parameters),
        "history": experiment.history,
        "runs": runs,
        "agreement": agreement(runs, backends[0], m, n, experiment.steps),
    }


def run_experiments(*, quick: bool = False, backends=kernels.BACKENDS) -> dict:
    """Every experiment on every backend: the contents of one results file."""
    backends = tuple(backends)
    if REFERENCE_BACKEND in backends:  # the reference first: the others are compared with it
        backends = (REFERENCE_BACKEND, *(b for b in backends if b != REFERENCE_BACKEND))
    repeats = QUICK_REPEATS if quick else REPEATS
    data = course_datasets()
    created = datetime.now(timezone.utc)
    experiments = {
        experiment.name: run_experiment(experiment, data[experiment.dataset], repeats, backends)
        for experiment in EXPERIMENTS
    }
    return {
        "schema": SCHEMA,
        "created": created.isoformat(timespec="seconds"),
        "quick": quick,
        "machine": {
            "name": machine.machine_slug(),
            "cpu": machine.cpu_info(),
            "threads": machine.thread_info(),
        },
        "versions": machine.versions(),
        "git": machine.git_state(),
        "timer": {
            **machine.timer_info(),
            "warmup_calls": 1,
            "repeats": repeats,
            "statistic": "median",
        },
        "backends": list(backends),
        "datasets": data,
        "experiments": experiments,
    }


# --- writing the file --------------------------------------------------------------------


def results_stem(results: dict) -> str:
    """``course-<machine>-<YYYYmmdd-HHMMSS>``, the time of the run in UTC."""
    created = datetime.fromisoformat(results["created"]).astimezone(timezone.utc)
    return f"course-{results['machine']['name']}-{created:%Y%m%d-%H%M%S}"


def write_results(results: dict, out_dir: Path) -> Path:
    """Write ``results`` as a new JSON file in ``out_dir``; returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=1, allow_nan=False) + "\n"
    partial = partial_file(out_dir, "course")  # names this process, for stale clean-up
    try:
        with partial.open("w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        partial.chmod(0o644)  # mkstemp's 0600 would hide the results from other users
        return publish(partial, results_stem(results))
    finally:
        partial.unlink(missing_ok=True)


# --- the command line --------------------------------------------------------------------


def summary(results: dict) -> str:
    """Median train times per backend, and the speed-up over the Python loops."""
    backends = results["backends"]
    lines = [f"{'experiment':24s}" + "".join(f"{b:>22s}" for b in backends)]
    for name, experiment in results["experiments"].items():
        runs = experiment["runs"]
        base = runs[backends[0]]["time"]["median_s"]
        cells = []
        for backend in backends:
            median = runs[backend]["time"]["median_s"]
            cells.append(f"{median * 1e3:9.3f} ms ({base / median:6.1f}×)")
        flag = "" if experiment["agreement"]["within_tolerance"] else "  BACKENDS DISAGREE"
        lines.append(f"{name:24s}" + "".join(f"{c:>22s}" for c in cells) + flag)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.course", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="directory for the results file")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_REPEATS} timed repeats instead of {REPEATS}"
    )
    args = parser.parse_args(argv)

    results = run_experiments(quick=args.quick)
    path = write_results(results, args.out)
    print(summary(results))
    print(f"wrote {path}")
    experiments = results["experiments"]
    disagree = [name for name, e in experiments.items() if not e["agreement"]["within_tolerance"]]
    if disagree:
        print(f"error: backends disagree beyond rounding in {', '.join(disagree)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
