"""Small cases computed exactly with fractions.Fraction.

Small integers scaled by a power-of-two learning rate keep the intermediates exactly
representable in float64. The exact evaluators below *check* that premise for every
product and every sum — a sum of terms that are multiples of 2^-k and whose absolute
values add up to S is exact in any order if S·2^k < 2^53 — and hypothesis discards the
cases where it fails (long trajectories grow the numbers). Where it holds, every backend
must reproduce the exact rational result *to the last bit*, and where the op divides by
m (not a power of two), its single correctly rounded quotient.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from support import INSTALLED, run

SMALL_INTS = st.integers(-4, 4).map(float)


@st.composite
def integer_problems(draw, labels=(-1.0, 1.0)):
    m = draw(st.integers(1, 6))
    n = draw(st.integers(1, 5))
    X = draw(hnp.arrays(np.float64, (m, n), elements=SMALL_INTS))
    w = draw(hnp.arrays(np.float64, n, elements=SMALL_INTS))
    b = draw(SMALL_INTS)
    y = draw(hnp.arrays(np.float64, m, elements=st.sampled_from(labels)))
    eta = 2.0 ** -draw(st.integers(2, 5))
    return w, b, X, y, eta


class NotExact(Exception):
    """An intermediate result would be rounded in float64."""


def checked(value: Fraction) -> Fraction:
    """A product or quotient that float64 must hold exactly."""
    if Fraction(float(value)) != value:
        raise NotExact(value)
    return value


def exact_sum(terms) -> Fraction:
    """A sum that float64 computes exactly in any order."""
    terms = [checked(Fraction(t)) for t in terms]
    scale = max((t.denominator for t in terms), default=1)
    if sum(abs(t) for t in terms) * scale >= 2**53:
        raise NotExact(terms)
    return sum(terms, Fraction(0))


def fractions(array) -> list:
    return [Fraction(float(v)) for v in np.ravel(array)]


def rows(X) -> list[list[Fraction]]:
    return [fractions(row) for row in X]


def net_input(w, b, x):
    return exact_sum([b, *(wj * xj for wj, xj in zip(w, x, strict=True))])


def exact_dot(a, b):
    return exact_sum(x * y for x, y in zip(fractions(a), fractions(b), strict=True))


def exact_adaline_gd(w, b, X, y, eta):
    w, b, X, y, eta = fractions(w), Fraction(b), rows(X), fractions(y), Fraction(eta)
    errors = [exact_sum([t, -net_input(w, b, x)]) for x, t in zip(X, y, strict=True)]
    new_w = [
        exact_sum([wj, checked(eta * exact_sum(e * x[j] for e, x in zip(errors, X, strict=True)))])
        for j, wj in enumerate(w)
    ]
    new_b = exact_sum([b, checked(eta * exact_sum(errors))])
    return new_w, new_b, exact_sum(e * e for e in errors) / 2


def exact_adaline_sgd(w, b, X, y, eta):
    w, b, X, y, eta = fractions(w), Fraction(b), rows(X), fractions(y), Fraction(eta)
    for x, t in zip(X, y, strict=True):
        error = exact_sum([t, -net_input(w, b, x)])
        step = checked(eta * error)
        w = [exact_sum([wj, checked(step * xj)]) for wj, xj in zip(w, x, strict=True)]
        b = exact_sum([b, step])
    errors = [exact_sum([t, -net_input(w, b, x)]) for x, t in zip(X, y, strict=True)]
    return w, b, exact_sum(e * e for e in errors) / 2


def exact_perceptron(w, b, X, y, eta):
    w, b, X, y, eta = fractions(w), Fraction(b), rows(X), fractions(y), Fraction(eta)
    errors = 0
    for x, t in zip(X, y, strict=True):
        update = checked(eta * (t - (1 if net_input(w, b, x) >= 0 else -1)))
        if update:
            w = [exact_sum([wj, checked(update * xj)]) for wj, xj in zip(w, x, strict=True)]
            b = exact_sum([b, update])
            errors += 1
    return w, b, errors


def exact_backward(X, A, y):
    X, A, y = rows(X), fractions(A), fractions(y)
    m = len(y)
    errors = [exact_sum([a, -t]) for a, t in zip(A, y, strict=True)]
    dw = [exact_sum(e * x[j] for e, x in zip(errors, X, strict=True)) / m for j in range(len(X[0]))]
    return dw, exact_sum(errors) / m


def exactly(evaluate, *args):
    """The exact result, or discard the example if float64 could not hold it."""
    try:
        return evaluate(*args)
    except NotExact:
        assume(False)


def assert_exactly(results, expected):
    for got, want in zip(results, expected, strict=True):
        if isinstance(want, list):
            assert np.asarray(got).tolist() == [float(v) for v in want]
        elif isinstance(want, int):
            assert got == want
        else:
            assert got == float(want)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 300).flatmap(
        lambda n: st.tuples(*[hnp.arrays(np.float64, n, elements=SMALL_INTS)] * 2)
    )
)
def test_dot_is_exact(ab):
    a, b = ab
    expected = float(exactly(exact_dot, a, b))
    for backend in INSTALLED:
        assert run(backend, "dot", (a, b)) == (expected,)


@settings(max_examples=60, deadline=None)
@given(integer_problems())
def test_adaline_gd_epoch_is_exact(problem):
    expected = exactly(exact_adaline_gd, *problem)
    for backend in INSTALLED:
        assert_exactly(run(backend, "adaline_gd_epoch", problem), expected)


@settings(max_examples=60, deadline=None)
@given(integer_problems())
def test_adaline_sgd_epoch_is_exact(problem):
    expected = exactly(exact_adaline_sgd, *problem)
    for backend in INSTALLED:
        assert_exactly(run(backend, "adaline_sgd_epoch", problem), expected)


@settings(max_examples=60, deadline=None)
@given(integer_problems())
def test_perceptron_epoch_is_exact(problem):
    expected = exactly(exact_perceptron, *problem)
    for backend in INSTALLED:
        assert_exactly(run(backend, "perceptron_epoch", problem), expected)


@settings(max_examples=60, deadline=None)
@given(integer_problems(labels=(0.0, 1.0)))
def test_logistic_backward_is_exact(problem):
    _, _, X, y, _ = problem
    A = np.round(np.linspace(0.0, 1.0, len(y)) * 8) / 8  # probabilities in eighths
    expected = exactly(exact_backward, X, A, y)
    for backend in INSTALLED:
        assert_exactly(run(backend, "logistic_backward", (X, A, y)), expected)


def test_perceptron_by_hand():
    """Two samples, worked on paper: w = 0, b = 0, eta = 0.5.

    Sample (1, 2) with target -1: z = 0 >= 0 predicts +1; update = 0.5·(-1 - 1) = -1,
    so w = (-1, -2), b = -1. Sample (-1, 0) with target +1: z = 1 - 1 = 0 >= 0 predicts
    +1: no update. One error.
    """
    X = np.array([[1.0, 2.0], [-1.0, 0.0]])
    y = np.array([-1.0, 1.0])
    for backend in INSTALLED:
        w, b, errors = run(backend, "perceptron_epoch", (np.zeros(2), 0.0, X, y, 0.5))
        assert w.tolist() == [-1.0, -2.0]
        assert (b, errors) == (-1.0, 1)
