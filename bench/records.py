"""What a benchmark session records besides pytest-benchmark's own timings.

Kept in pytest's ``config.stash`` (one per session, no module globals): the cases
deliberately not run (with the reason) and the compile costs. The conftest's hooks write
them into the result file.

The course experiments' outcomes are kept here too: their timings are ordinary
pytest-benchmark entries (``extra_info.kind == "course"``).
"""

from __future__ import annotations

import pytest

NOT_RUN = pytest.StashKey[list]()  # vbschema.NotRun, each
JIT = pytest.StashKey[list]()  # vbschema.JitCost, each
COURSE = pytest.StashKey[dict]()  # experiment → backend → final weights and history
COURSE_SECONDS = pytest.StashKey[dict]()  # backend → experiment → median seconds, timed
COURSE_NOT_RUN = pytest.StashKey[list]()  # training runs over the course budget
SLIDES = pytest.StashKey[dict]()  # the slides' demo timed the slides' way
SECOND_ATTEMPTS = pytest.StashKey[bool]()  # the unsure cases' second attempts were taken


def setup(config: pytest.Config) -> None:
    config.stash[NOT_RUN] = []
    config.stash[JIT] = []
    config.stash[COURSE] = {}
    config.stash[COURSE_SECONDS] = {}
    config.stash[COURSE_NOT_RUN] = []


def catalogue() -> dict:
    """The ops and backends this run knows, in their order, as the result file carries them:
    the report reads names, labels and colours from here, never from a list of its own."""
    import kernels

    return {
        "ops": {name: op.record() for name, op in kernels.OPS.items()},
        "backends": {name: _backend(name, spec) for name, spec in kernels.BACKENDS.items()},
    }


def _backend(name: str, spec) -> dict:
    """A backend's record; a variant's ``ops`` are the ops it computes its own way (its
    others are the backend it varies, timed under that name), so the report reads the
    others as not its own, not as unmeasured."""
    import kernels

    record = spec.record()
    if spec.variant_of and spec.installed:
        record["ops"] = list(kernels.own_ops(name))
    return record
