"""Sessions: ``nox -s tests`` proves the kernels right; ``nox -s bench`` times them and
builds the report; ``nox -s report`` rebuilds the report from stored results;
``nox -s lint`` checks style."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Correctness tests, and every benchmark once, untimed, on small sizes."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)
    if not session.posargs:  # a broken benchmark fails the tests too
        session.run("pytest", "bench", "--ladder=smoke", "--benchmark-disable", "-q")


@nox.session
def bench(session: nox.Session) -> None:
    """Time every op × backend × size, store the results, build reports/README.md.

    ``nox -s bench -- --quick`` runs a reduced ladder in a few minutes.
    """
    session.install("-e", ".[bench]")
    session.run("python", "-m", "bench.run", *session.posargs)


@nox.session
def report(session: nox.Session) -> None:
    """Rebuild the report from stored results: the newest, or the files named."""
    session.install("-e", ".[report]")
    session.run("python", "-m", "reports", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
