"""The course experiments a result file carries (``vectorbench_course``, laid out by
``bench/course.py``): which experiments there are, and the check that builds ``Course``.

Everything the course section reads is checked to be there and of the right kind, so
that a file from another machine or an older version either renders or fails with one
line naming the file and the place that is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vbschema.fields import ResultFileError, is_number

SCHEMA = "vectorbench-course/1"

# The experiments the course section draws, in its order (bench/course.py trains them).
EXPERIMENTS = (
    "perceptron",
    "perceptron_nonseparable",
    "adaline_raw_large_eta",
    "adaline_raw_small_eta",
    "adaline_standardized",
    "adaline_sgd",
    "adaline_minibatch",
    "logistic_regression",
    "logistic_flower",
    "network_flower",
)
# Experiments added after result files were first committed: a file without them still
# renders, without their parts of the section.
LATER = frozenset({"perceptron_nonseparable", "logistic_flower", "network_flower"})
# The experiments whose runs hold a network's W1, b1, W2, b2 instead of w and b.
NETWORKS = frozenset({"network_flower"})
# The hidden-size experiment: the shallow network once per hidden size h, named
# ``network_h{h}``, drawn in a figure of its own rather than in the tables; later too.
HIDDEN_SWEEP_PREFIX = "network_h"
# A run's history is kept to this many significant digits (the figures draw it), but for
# its last entry, kept whole: a class compares machines by where they ended. Files
# written before 7 December 2026 rounded the last entry too.
HISTORY_DIGITS = 7


def hidden_sweep_in(results: Mapping) -> dict[int, str]:
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


@dataclass(frozen=True)
class Course:
    """The course section of a run: ``record`` as ``bench/course.py`` laid it out, checked
    whole unless the run's selection left experiments out (``missing``, which the section
    names instead of drawing)."""

    record: Mapping[str, Any]
    missing: tuple[str, ...]

    @classmethod
    def parse(cls, path: Path, record: Any, place: str = "vectorbench_course") -> Course:
        missing = tuple(missing_experiments(record))
        if not missing:
            try:
                _check_results(record)
            except _Invalid as error:
                raise ResultFileError(path, f"{place}: {error}") from None
        return cls(record, missing)

    def dump(self) -> dict[str, Any]:
        return dict(self.record)


class _Invalid(Exception):
    """What is wrong, and where in the section; ``Course.parse`` adds the file's name."""


def missing_experiments(results: Any) -> list[str]:
    """The experiments the section draws that a result file lacks, because its run's
    selection (``-k perceptron``, ``-k "course and numpy"``) left them out or ran them on
    fewer than two backends (bench/course.py keeps only what can be compared)."""
    experiments = results.get("experiments") if isinstance(results, dict) else None
    if not isinstance(experiments, dict):
        return []  # a malformed section: ``_check_results`` names what is wrong
    return [name for name in EXPERIMENTS if name not in LATER and name not in experiments]


_KINDS: dict[str, Callable[[Any], bool]] = {
    "an object": lambda value: isinstance(value, dict),
    "a list": lambda value: isinstance(value, list),
    "a string": lambda value: isinstance(value, str),
    "true or false": lambda value: isinstance(value, bool),
    "a positive integer": lambda value: type(value) is int and value > 0,
    "a finite number": is_number,
    "a positive number": lambda value: is_number(value) and value > 0,
}


def _get(obj: Any, key: str, kind: str, where: str) -> Any:
    """``obj[key]``, which must be of ``kind`` (a key of ``_KINDS``)."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if not _KINDS[kind](value):
        raise _Invalid(f"{where}.{key} is missing or not {kind}")
    return value


def _numbers(obj: Any, key: str, where: str, length: int | None = None) -> list:
    """``obj[key]``, a non-empty list of finite numbers (of ``length`` if given)."""
    values = _get(obj, key, "a list", where)
    if not values or (length is not None and len(values) != length):
        raise _Invalid(f"{where}.{key} has {len(values)} entries, expected {length or 'some'}")
    if not all(is_number(value) for value in values):
        raise _Invalid(f"{where}.{key} holds something other than finite numbers")
    return values


def _check_results(results: Any) -> None:
    """Everything the section reads is there and of the right kind."""
    if not isinstance(results, dict):
        raise _Invalid("holds a JSON value that is not an object: not a course results file")
    if results.get("schema") != SCHEMA:
        raise _Invalid(
            f"schema is {results.get('schema')!r}, expected {SCHEMA!r}: "
            "not a course results file of this version"
        )
    _get(results, "created", "a string", "results")
    _get(_get(results, "machine", "an object", "results"), "name", "a string", "machine")
    _get(results, "versions", "an object", "results")
    timer = _get(results, "timer", "an object", "results")
    _get(timer, "repeats", "a positive integer", "timer")
    if "until_sure" in timer:  # runs timed until sure (files from 7 December on)
        until = _get(timer, "until_sure", "an object", "timer")
        for key in ("target", "max_time_s", "case_s"):
            _get(until, key, "a positive number", "timer.until_sure")
        _get(until, "at_least_rounds", "a positive integer", "timer.until_sure")
        if "second_attempt_beyond" in until:  # runs timed once more (files from 7 December on)
            _get(until, "second_attempt_beyond", "a positive number", "timer.until_sure")
        fixed = _get(timer, "fixed_rounds", "an object", "timer")
        for name in fixed:
            _get(fixed, name, "a positive integer", "timer.fixed_rounds")
    backends = _get(results, "backends", "a list", "results")
    if not backends or not all(isinstance(backend, str) for backend in backends):
        raise _Invalid("results.backends must be a non-empty list of names")
    datasets = _get(results, "datasets", "an object", "results")
    experiments = _get(results, "experiments", "an object", "results")
    if "not_run" in results:
        _check_not_run(results)
    for name in [*EXPERIMENTS, *hidden_sweep_in(results).values()]:
        if name in LATER and name not in experiments:  # a file from before they were added
            continue
        _check_experiment(results, name, experiments, datasets, backends)


def _check_experiment(
    results: dict, name: str, experiments: dict, datasets: dict, backends: list
) -> None:
    where = f"experiments.{name}"
    experiment = _get(experiments, name, "an object", "experiments")
    _check_dataset(datasets, _get(experiment, "dataset", "a string", where))
    parameters = _get(experiment, "parameters", "an object", where)
    _get(parameters, "eta", "a finite number", f"{where}.parameters")
    if name == "adaline_minibatch":
        _get(parameters, "batch_size", "a positive integer", f"{where}.parameters")
    _get(experiment, "history", "a string", where)
    runs = _get(experiment, "runs", "an object", where)
    # a backend may be absent: a hidden-size run over the ladder's budget, or a
    # variant's run of an experiment whose op it does not compute its own way
    ran = [backend for backend in backends if backend in runs]
    if len(ran) < 2:
        raise _Invalid(f"{where}.runs holds {len(ran)} backend(s): nothing to compare")
    for backend in ran:
        run = _get(runs, backend, "an object", f"{where}.runs")
        at = f"{where}.runs.{backend}"
        if name in NETWORKS or name in hidden_sweep_in(results).values():
            _check_network(run, at)
        else:
            _numbers(run, "w", at, length=2)
            _get(run, "b", "a finite number", at)
        _numbers(run, "history", at)
        # every timed repeat: the section judges them by the benchmarks' quartiles
        time = _get(run, "time", "an object", at)
        times = _numbers(time, "times_s", f"{at}.time")
        if not all(value > 0 for value in times):
            raise _Invalid(f"{at}.time.times_s holds a time that is not positive")
        if "attempts" in time:  # timed more than once (files from 7 December on)
            _get(time, "attempts", "a positive integer", f"{at}.time")
    at = f"{where}.agreement"
    agreement = _get(experiment, "agreement", "an object", where)
    _get(agreement, "tolerance", "a positive number", at)
    _get(agreement, "within_tolerance", "true or false", at)
    compared = _get(agreement, "backends", "an object", at)
    for backend, difference in compared.items():
        for key in ("weights_max_rel_diff", "history_max_rel_diff"):
            _get(difference, key, "a finite number", f"{at}.backends.{backend}")
        _get(difference, "history_identical", "true or false", f"{at}.backends.{backend}")


def _check_not_run(results: dict) -> None:
    """The training runs left out as over the ladder's budget (files before it: none)."""
    for index, entry in enumerate(_get(results, "not_run", "a list", "results")):
        where = f"not_run[{index}]"
        for key in ("experiment", "backend", "reason"):
            _get(entry, key, "a string", where)
        _get(entry, "predicted_s", "a positive number", where)
        _get(entry, "budget_s", "a positive number", where)


def _check_network(run: dict, where: str) -> None:
    """W1 (2 rows of h), b1 and W2 (h each), b2: a network on the plane's 2 features."""
    rows = _get(run, "W1", "a list", where)
    if len(rows) != 2:
        raise _Invalid(f"{where}.W1 has {len(rows)} rows, expected 2")
    hidden = len(_numbers({"W1": rows[0]}, "W1", where))
    _numbers({"W1": rows[1]}, "W1", where, length=hidden)
    _numbers(run, "b1", where, length=hidden)
    _numbers(run, "W2", where, length=hidden)
    _get(run, "b2", "a finite number", where)


def _check_dataset(datasets: dict, name: str) -> None:
    where = f"datasets.{name}"
    data = _get(datasets, name, "an object", "datasets")
    rows = _get(data, "X", "a list", where)
    if not rows:
        raise _Invalid(f"{where}.X has no rows")
    for row in rows:
        _numbers({"X": row}, "X", where, length=2)
    _numbers(data, "y", where, length=len(rows))
    _get(data, "rows", "a string", where)
    if len(_get(data, "feature_names", "a list", where)) != 2:
        raise _Invalid(f"{where}.feature_names must name the 2 features")
    _get(data, "standardized", "true or false", where)
    if len(_get(data, "classes", "an object", where)) != 2:
        raise _Invalid(f"{where}.classes must map the 2 species to their labels")
