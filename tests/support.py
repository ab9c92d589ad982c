"""Shared test helpers: call an op on every backend, compare with the bounded reference.

Every comparison counts what it compared and fails if that is nothing: a backend that
returned an empty array, or fewer results than the op declares, fails instead of
passing vacuously.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import kernels
from kernels.checks import check_arguments
from kernels.ops import OPS
from kernels.reference import Reference, reference
from kernels.yours import compare

# ``nox -s tests`` tests every backend it has the libraries of; ``nox -s tests_torch``
# then needs to test only the backends of an optional extra (PyTorch's), the ones
# ``nox -s tests`` skipped. With VECTORBENCH_TEST_BACKENDS=optional, the backend
# parameters and every loop over the backends below keep only those (a backend that
# ``requires`` a library beyond the suite's own); unset, every backend is tested.
TESTED_BACKENDS = os.environ.get("VECTORBENCH_TEST_BACKENDS", "all")
if TESTED_BACKENDS not in ("all", "optional"):
    raise pytest.UsageError(
        f"VECTORBENCH_TEST_BACKENDS must be all or optional, not {TESTED_BACKENDS!r}"
    )


# Why a test is skipped in a run of the optional backends only.
RUN_BY_TESTS = "nox -s tests runs this test"


def under_test(name: str) -> bool:
    """Whether this run tests backend ``name`` (see VECTORBENCH_TEST_BACKENDS above)."""
    return TESTED_BACKENDS == "all" or bool(kernels.BACKENDS[name].requires)


def some_backend(backends: list[str], which: str) -> None:
    """Fails a test that would compare nothing, having no backend ``which`` (e.g.
    "compiles per shape") to run; in a run of the optional backends only, skips it:
    ``nox -s tests`` has run it on the others."""
    if backends:
        return
    if TESTED_BACKENDS == "optional":
        pytest.skip(f"no optional backend {which}: {RUN_BY_TESTS}")
    pytest.fail(f"no backend {which}: this test would compare nothing")


# The backends whose libraries are installed and that implement every op: the ones the
# tests of the whole contract (training, the checks, the course) run.
INSTALLED = [
    name
    for name in kernels.installed_backends()
    if under_test(name) and kernels.BACKENDS[name].ops is None
]


def implementing(op: str, backends=None) -> list[str]:
    """The installed backends this run tests with a kernel of ``op`` (the BLAS ladder's
    steps too), or of ``backends`` if given."""
    if backends is None:
        backends = [name for name in kernels.installed_backends() if under_test(name)]
    return [name for name in backends if kernels.BACKENDS[name].implements(op)]


def _parameter(name: str, spec: kernels.BackendSpec):
    if spec.installed:
        return pytest.param(name)
    reason = f"{' and '.join(spec.missing)} not installed"
    return pytest.param(name, marks=pytest.mark.skip(reason=reason))


# Every backend of every op as a test parameter: one whose libraries are not
# installed (an optional extra, such as PyTorch) is skipped, saying which library.
BACKEND_PARAMS = [
    _parameter(name, spec)
    for name, spec in kernels.BACKENDS.items()
    if under_test(name) and spec.ops is None
]
# Every (op, backend) the catalogue implements, as test parameters, skipped the same way.
OP_BACKEND_PARAMS = [
    pytest.param(op, *_parameter(name, spec).values, marks=_parameter(name, spec).marks)
    for op in OPS
    for name, spec in kernels.BACKENDS.items()
    if under_test(name) and spec.implements(op)
]


def as_tuple(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


def run(backend: str, op: str, args: tuple) -> tuple:
    return as_tuple(getattr(kernels.get(backend), op)(*args))


def reference_for(op: str, args: tuple, backend: str | None = None) -> tuple[Reference, np.dtype]:
    """The reference, with tolerances for ``backend`` (its way with subnormals)."""
    checked, dtype = check_arguments(op, args, {})
    flushes = backend is not None and kernels.BACKENDS[backend].flushes_subnormals
    return reference(op, checked, dtype, flushes_subnormals=flushes), dtype


def assert_within(op: str, backend: str, results: tuple, values: tuple, tolerances: tuple) -> int:
    """|result - value| <= tolerance for every output element; returns how many were compared.

    NaN must match NaN, and inf must match inf of the same sign; an empty or missing
    result fails (``kernels.yours.compare``, the comparison a student's function gets).
    """
    compared, _, diagnoses = compare(op, results, values, tolerances)
    assert not diagnoses, f"{backend}.{op}: {diagnoses[0]}"
    assert compared > 0
    return compared


def assert_matches_reference(op: str, args: tuple, backends=None) -> Reference:
    """Every backend of ``op`` (of ``backends``, if given) against the reference; returns
    the reference."""
    ref, _ = reference_for(op, args)
    for backend in implementing(op, backends):
        mine = (
            reference_for(op, args, backend)[0]
            if kernels.BACKENDS[backend].flushes_subnormals
            else ref
        )
        assert_within(op, backend, run(backend, op, args), mine.values, mine.tolerances)
    return ref


def assert_result_dtypes(op: str, results: tuple, dtype) -> None:
    for kind, result in zip(OPS[op].returns, results, strict=True):
        if kind in ("vector", "matrix"):
            assert isinstance(result, np.ndarray), type(result)
            assert result.ndim == (1 if kind == "vector" else 2), f"{op}: {kind} is {result.shape}"
            assert result.dtype == dtype, f"{op}: {kind} result is {result.dtype}, not {dtype}"
        elif kind == "scalar":
            assert type(result) is float, f"{op}: scalar result is {type(result).__name__}"
        else:
            assert type(result) is int, f"{op}: count is {type(result).__name__}"


def whole_report(out) -> str:
    """A built report's pages as one text: the lesson (README.md) first, then each
    detail page it links to, in the lesson's order."""
    from reports.atomic import report_files
    from reports.page import DETAILS, LESSON

    files = report_files(out)  # the detail pages sit with the figures the lesson links to
    pages = [out / LESSON, *(files / name for name in DETAILS)]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages if page.exists())


# A student's file for the tests of ``kernels.check`` and ``bench.run --mine``: the
# slides' propagate in the suite's layout, and the same summed instead of averaged.
STUDENT = """import numpy as np


def propagate(w, b, X, y):
    m = X.shape[0]
    z = X @ w + b
    dz = 1 / (1 + np.exp(-z)) - y
    cost = np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))
    return cost, X.T @ dz / m, np.mean(dz)


def summed(w, b, X, y):
    cost, dw, db = propagate(w, b, X, y)
    return cost, dw * X.shape[0], db

not_a_function = 3
"""
