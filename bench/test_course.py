"""The slides' training runs, every experiment on every backend, timed like the ops.

On a backend that compiles, one untimed call of the same run cut to one epoch or
iteration first: each step calls the same op on the same shapes, so it compiles (or
loads) all of Numba's or XLA's code and warms the caches, at a thousandth of the
network's run (the whole run, untimed, was a second attempt of every slow experiment:
about 17 s of the lesson). Then pytest-benchmark times rounds of one call each (a
training run is long enough to time alone): as many as the median needs to be known to
±3%, within a cap, as the ops' (``sampling.runs_until_sure``); a fixed number on the
smoke ladder and for the network's long runs (``course.ROUNDS``, the experiment's
``rounds``). The last round's result is the outcome
the result file records, a training run being deterministic, and it is checked against
the loops' (a disagreement fails the run, and no result file is written). The conftest
gathers the outcomes and these timings into ``vectorbench_course``.

A run of the hidden-size sweep predicted over the course's budget (``--course-budget``,
by default ``course.BUDGET_S`` of the ladder) is not run, and is listed as such
(``vectorbench_course["not_run"]``), as an op's case over the budget is.
"""

from __future__ import annotations

import functools

import pytest

import kernels
from bench import course, records, sampling
from bench.conftest import KEPT_ROUNDS, course_budget, ladder
from kernels import train


@functools.cache
def datasets() -> dict[str, dict]:
    return course.course_datasets()


@functools.cache
def reference_outcome(name: str, rung: str) -> dict:
    experiment = course.BY_NAME[name]
    data = datasets()[experiment.dataset]
    call = course.training_call(experiment, data, course.REFERENCE_BACKEND, rung)
    return course.outcome(call())


def reference_of(config, name: str, rung: str) -> tuple[str, dict] | None:
    """What a backend's outcome is checked against, and whose it is: the loops' own, when
    their case has run (a training run of the loops is the longest of all); when the loops
    were over the budget, NumPy's (the tests prove it equal to the loops); None for NumPy
    itself then. A selection that left the loops out computes their outcome untimed."""
    recorded = config.stash[records.COURSE].get(name, {})
    if course.REFERENCE_BACKEND in recorded:
        return course.REFERENCE_BACKEND, recorded[course.REFERENCE_BACKEND]
    skipped = {(e["experiment"], e["backend"]) for e in config.stash[records.COURSE_NOT_RUN]}
    if (name, course.REFERENCE_BACKEND) not in skipped:
        return course.REFERENCE_BACKEND, reference_outcome(name, rung)
    fallback = course.FALLBACK_REFERENCE
    return (fallback, recorded[fallback]) if fallback in recorded else None


def skip_if_over_budget(config, experiment: course.Experiment, backend: str) -> None:
    """Skip, and record as not run, a training run predicted over the course's budget."""
    limit = course_budget(config)
    timed = config.stash[records.COURSE_SECONDS].get(backend, {})
    predicted = course.predicted_seconds(experiment, timed, datasets()[experiment.dataset])
    if limit is None or predicted is None or predicted <= limit:
        return
    reason = f"predicted {predicted:.3g} s per training run, over the {limit:g} s budget"
    config.stash[records.COURSE_NOT_RUN].append(
        {"experiment": experiment.name, "backend": backend, "predicted_s": predicted,
         "budget_s": limit, "reason": reason}
    )  # fmt: skip
    pytest.skip(reason)


def timed(config, benchmark, experiment: course.Experiment, backend: str, call, rung: str):
    """``call``'s timed rounds, fixed in number or until sure (``course.ROUNDS``); their
    median kept to predict the longer runs' times."""
    rounds = experiment.fixed_rounds(rung)
    if rounds is None and not benchmark.cprofile:  # (profiled: pytest-benchmark's own rounds)
        benchmark.extra_info["rounds"] = "until sure"
        most = KEPT_ROUNDS  # all of which the file keeps
        sampling.runs_until_sure(benchmark, course.MAX_TIME_S[rung], course.CASE_S[rung], most)
        result = benchmark(call)
    else:
        benchmark.extra_info["rounds"] = "fixed"
        result = benchmark.pedantic(call, rounds=experiment.rounds_for(rung), iterations=1)
    if benchmark.stats is not None:  # None: --benchmark-disable
        seconds = config.stash[records.COURSE_SECONDS].setdefault(backend, {})
        # the first attempt's: what predicted the sweep's runs (a second comes after them)
        seconds.setdefault(experiment.name, benchmark.stats.stats.median)
    return result


def trains(backend: str, experiment: course.Experiment) -> bool:
    """Whether ``backend`` trains ``experiment``: a backend of every op (not the BLAS
    ladder's steps); a variant (JAX one pass, JAX autodiff) only where the trainer's op
    is one it computes its own way — elsewhere its run would be its base's, repeated."""
    spec = kernels.BACKENDS[backend]
    if spec.ops is not None:
        return False
    return spec.variant_of is None or train.OP_OF[experiment.trainer] in kernels.own_ops(backend)


@pytest.mark.parametrize(
    ("experiment", "backend"),
    [
        pytest.param(name, backend, id=f"{name}-{backend}")
        for name, experiment in course.BY_NAME.items()
        for backend in kernels.installed_backends()
        if trains(backend, experiment)
    ],
)
def test_course(benchmark, request, experiment, backend):
    experiment = course.BY_NAME[experiment]  # parametrized by name: stored as JSON
    rung = ladder(request.config)
    skip_if_over_budget(request.config, experiment, backend)
    call = course.training_call(experiment, datasets()[experiment.dataset], backend, rung)
    benchmark.group = f"course {experiment.name}"
    benchmark.extra_info.update(kind="course", experiment=experiment.name, backend=backend)
    steps = experiment.steps(rung)
    if kernels.BACKENDS[backend].compiles:  # untimed: compiles or loads, warms the caches
        course.training_call(experiment, datasets()[experiment.dataset], backend, rung, 1)()
    # what the outcome is checked against: none for the loops, which are the reference
    reference = (
        None
        if backend == course.REFERENCE_BACKEND
        else reference_of(request.config, experiment.name, rung)
    )
    result = timed(request.config, benchmark, experiment, backend, call, rung)
    outcome = course.outcome(result)
    request.config.stash[records.COURSE].setdefault(experiment.name, {})[backend] = outcome
    assert len(result.history) == steps
    if reference is not None:
        X = datasets()[experiment.dataset]["X"]
        name, expected = reference
        runs = {name: expected, backend: outcome}
        hidden = experiment.parameters.get("hidden")
        agreement = course.agreement(runs, name, len(X), len(X[0]), steps, hidden)
        assert agreement["within_tolerance"], agreement
