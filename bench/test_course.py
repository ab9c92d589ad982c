"""The slides' training runs, every experiment on every backend, timed like the ops.

One untimed call first on a backend that compiles — it compiles or loads Numba's or
XLA's code, and its result (final weights and history) is what the result file records —
then pytest-benchmark times ``course.ROUNDS`` rounds of one call each (a backend that
compiles nothing, the Python loops and Dask, is only timed: its last round's result is
its outcome, a training run being deterministic;
``pedantic``: a training run is long enough to time alone, and the rounds are fixed so
every backend gets the same number). The
conftest gathers the outcomes and these timings into ``vectorbench_course``.
"""

from __future__ import annotations

import functools

import pytest

import kernels
from bench import course, records
from bench.conftest import ladder


@functools.cache
def datasets() -> dict[str, dict]:
    return course.course_datasets()


@functools.cache
def reference_outcome(name: str, rung: str) -> dict:
    experiment = next(e for e in (*course.EXPERIMENTS, *course.HIDDEN_SWEEP) if e.name == name)
    data = datasets()[experiment.dataset]
    call = course.training_call(experiment, data, course.REFERENCE_BACKEND, rung)
    return course.outcome(call())


def reference_of(config, name: str, rung: str) -> dict:
    """The loops' outcome: the one their own case recorded, when it has run (a training
    run of the loops is the longest of all: the shallow network's take tens of seconds)."""
    recorded = config.stash[records.COURSE].get(name, {}).get(course.REFERENCE_BACKEND)
    return recorded if recorded is not None else reference_outcome(name, rung)


# The backends of every op (training needs several): not the BLAS ladder's steps.
@pytest.mark.parametrize(
    "backend", [name for name in kernels.installed_backends() if kernels.BACKENDS[name].ops is None]
)
@pytest.mark.parametrize(
    "experiment", [*course.EXPERIMENTS, *course.HIDDEN_SWEEP], ids=lambda e: e.name
)
def test_course(benchmark, request, experiment, backend):
    rung = ladder(request.config)
    call = course.training_call(experiment, datasets()[experiment.dataset], backend, rung)
    benchmark.group = f"course {experiment.name}"
    benchmark.extra_info.update(kind="course", experiment=experiment.name, backend=backend)
    rounds = experiment.rounds_for(rung)
    steps = experiment.steps(rung)
    outcomes = request.config.stash[records.COURSE]
    if backend == course.REFERENCE_BACKEND:
        # The loops compile nothing and are what the others are checked against: their
        # timed rounds are their run (deterministic: every round trains alike), and the
        # last one's result is the outcome recorded.
        result = benchmark.pedantic(call, rounds=rounds, iterations=1)
        assert len(result.history) == steps
        outcomes.setdefault(experiment.name, {})[backend] = course.outcome(result)
        return
    compiles = kernels.BACKENDS[backend].compiles
    # untimed: compiles or loads the compiled code, warms the caches; a backend that
    # compiles nothing is checked on its timed rounds' result instead (a disagreement
    # fails the run all the same, and no result file is written)
    result = call() if compiles else benchmark.pedantic(call, rounds=rounds, iterations=1)
    outcome = course.outcome(result)
    outcomes.setdefault(experiment.name, {})[backend] = outcome
    assert len(result.history) == steps
    # a backend that disagrees with the loops is not timed
    X = datasets()[experiment.dataset]["X"]
    runs = {
        course.REFERENCE_BACKEND: reference_of(request.config, experiment.name, rung),
        backend: outcome,
    }
    hidden = experiment.parameters.get("hidden")
    agreement = course.agreement(runs, course.REFERENCE_BACKEND, len(X), len(X[0]), steps, hidden)
    assert agreement["within_tolerance"], agreement
    if compiles:
        benchmark.pedantic(call, rounds=rounds, iterations=1)
