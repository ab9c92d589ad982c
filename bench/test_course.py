"""The slides' training runs, every experiment on every backend, timed like the ops.

One untimed call first — it compiles or loads Numba's code, and its result (final
weights and history) is what the result file records — then pytest-benchmark times
``course.ROUNDS`` rounds of one call each (``pedantic``: a training run is long enough
to time alone, and the rounds are fixed so every backend gets the same number). The
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


@pytest.mark.parametrize("backend", kernels.installed_backends())
@pytest.mark.parametrize(
    "experiment", [*course.EXPERIMENTS, *course.HIDDEN_SWEEP], ids=lambda e: e.name
)
def test_course(benchmark, request, experiment, backend):
    rung = ladder(request.config)
    call = course.training_call(experiment, datasets()[experiment.dataset], backend, rung)
    result = call()
    outcomes = request.config.stash[records.COURSE]
    outcome = course.outcome(result)
    outcomes.setdefault(experiment.name, {})[backend] = outcome
    steps = experiment.steps(rung)
    assert len(result.history) == steps
    if backend != course.REFERENCE_BACKEND:  # a backend that disagrees is not timed
        X = datasets()[experiment.dataset]["X"]
        reference = reference_outcome(experiment.name, rung)
        runs = {course.REFERENCE_BACKEND: reference, backend: outcome}
        hidden = experiment.parameters.get("hidden")
        agreement = course.agreement(
            runs, course.REFERENCE_BACKEND, len(X), len(X[0]), steps, hidden
        )
        assert agreement["within_tolerance"], agreement
    benchmark.group = f"course {experiment.name}"
    benchmark.extra_info.update(kind="course", experiment=experiment.name, backend=backend)
    benchmark.pedantic(call, rounds=experiment.rounds_for(rung), iterations=1)
