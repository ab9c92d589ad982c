"""Sessions: ``nox -s tests`` proves the kernels right; ``nox -s bench`` times them and
builds the report; ``nox -s report`` rebuilds the report from stored results;
``nox -s lint`` checks style. ``tests_torch`` and ``bench_torch`` do the same with the
optional PyTorch backends installed."""

from __future__ import annotations

import os
import shlex

import nox

nox.options.default_venv_backend = "uv|virtualenv"
# Python caches the bytecode of what it imports in __pycache__; where
# PYTHONDONTWRITEBYTECODE is set, as on CI, nothing ever caches it, and every fresh Python
# process of a session (pytest's workers, the benchmark's run, each JIT probe, each report
# command) recompiled jax, pandas, numba and matplotlib from source: 7-8 s instead of
# 2.7 s on the 2-core machine. So the sessions let Python write it. The first process
# compiles what the suite imports (about 1,600 files: 6 s); uv's UV_COMPILE_BYTECODE
# compiled all 6,500 files of the environment at install instead, 18-24 s of a fresh
# `nox -s tests` (measured side by side: install and first import 28.8 s with it,
# 10.7 s without, at load 4).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Correctness tests, and every benchmark once, untimed, on small sizes."""
    session.install("-e", ".[test]")
    # Without arguments: the tests, and every benchmark once, untimed, on the smoke ladder
    # (a broken benchmark fails the tests too), in one session on every core
    # (pytest-xdist; Numba's kernels compiled once before the workers start, see
    # kernels/numba_warmup.py). One session rather than two: the benchmarks' file runs on
    # one worker while the tests run on the others, instead of after them.
    session.run("pytest", *(session.posargs or [*PARALLEL, "tests", *SMOKE]))


# The benchmarks run once each on the smoke ladder, untimed. bench/test_course.py is left
# out only because tests/test_train.py runs it (its course_run fixture: the same session,
# timed, on the smoke ladder).
SMOKE = ["bench", "--ladder=smoke", "--benchmark-disable", "--ignore=bench/test_course.py"]


# Spread over the cores, a test file per worker: a module fixture that runs a benchmark
# session or builds a report (test_train's course_run, ...) runs once. The files go out
# in collection order, longest first (tests/conftest.py), not by their number of tests.
PARALLEL = ["-n", "auto", "--dist", "loadfile", "--no-loadscope-reorder"]


# The PyTorch requirement of the torch sessions: pip arguments, so it can name an index,
# e.g. VECTORBENCH_TORCH="torch --index-url https://download.pytorch.org/whl/cpu".
TORCH = os.environ.get("VECTORBENCH_TORCH", "torch==2.13.0")
# The tests that run every backend of the catalogue, and PyTorch's own.
BACKEND_TESTS = [
    "tests/test_kernels.py", "tests/test_checks.py", "tests/test_numerics.py",
    "tests/test_generated.py", "tests/test_exact.py", "tests/test_cross_entropy.py",
    "tests/test_trajectories.py", "tests/test_train.py", "tests/test_engines.py",
    "tests/test_catalogue.py",
]  # fmt: skip


# pip compiles the bytecode of every file it installs, PyTorch's thousands included; the
# sessions let Python cache what it imports instead (see PYTHONDONTWRITEBYTECODE above).
PIP_NO_COMPILE = ["--no-compile"]


def install_torch(session: nox.Session) -> None:
    """PyTorch first, on its own: by pip, never uv. PyPI's default Linux wheel is a CUDA
    build of several GB; pip takes a CPU build from a local wheel directory (pip.conf's
    find-links) or from the index VECTORBENCH_TORCH names, where uv would not look."""
    session.install(*PIP_NO_COMPILE, *shlex.split(TORCH))


@nox.session(venv_backend="venv")
def tests_torch(session: nox.Session) -> None:
    """The backends' correctness tests for the PyTorch backends (``nox -s tests`` runs
    the others'), and their benchmarks once, untimed, on small sizes."""
    install_torch(session)
    session.install(*PIP_NO_COMPILE, "-e", ".[test]")
    # The optional backends' cases only (tests/support.py): nox -s tests ran the others.
    session.run(
        "pytest",
        *(session.posargs or [*PARALLEL, *BACKEND_TESTS]),
        env={"VECTORBENCH_TEST_BACKENDS": "optional"},
    )
    if not session.posargs:
        session.run("pytest", "bench", "--ladder=smoke", "--benchmark-disable", "-q", "-k", "torch")


def install_loudly(session: nox.Session, *args: str) -> None:
    """``session.install`` with the installer's own progress shown: a first run downloads
    a few hundred MB, and nox would otherwise stay silent for a minute or more."""
    session.log("installing the environment (downloads the first time; then it checks, quickly)")
    session.install(*args, silent=False)


# nox forwards a Ctrl-C to the command it runs, but not a SIGTERM or SIGHUP, and nothing
# when it is killed: the runner is asked to notice that nox is gone and stop its pytest.
STOP_WITH_NOX = ["--stop-with-parent"]


@nox.session
def bench(session: nox.Session) -> None:
    """Time the lesson's ladder, store the results, write the report to reports/local/.

    ``nox -s bench -- --full`` runs the exhaustive sweep; ``--out reports`` regenerates
    the committed reference report.
    """
    install_loudly(session, "-e", ".[bench]")
    session.run("python", "-m", "bench.run", *STOP_WITH_NOX, *session.posargs)


@nox.session(venv_backend="venv")
def bench_torch(session: nox.Session) -> None:
    """``bench`` with the PyTorch backends installed, so they are timed too."""
    install_torch(session)
    install_loudly(session, *PIP_NO_COMPILE, "-e", ".[bench]")
    session.run("python", "-m", "bench.run", *STOP_WITH_NOX, *session.posargs)


@nox.session
def report(session: nox.Session) -> None:
    """Rebuild the report from stored results: the newest, or the files named. Installs
    only what reports/ imports (pyproject's ``report`` extra), not the kernels' Numba."""
    extras = nox.project.load_toml("pyproject.toml")["project"]["optional-dependencies"]
    install_loudly(session, *extras["report"])
    session.run("python", "-m", "reports", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
