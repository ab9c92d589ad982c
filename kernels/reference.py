"""References for every op, each with a bound on how far a correct backend may stray.

``reference(op, args, dtype)`` computes ``op`` in float64 (the dot product exactly) from
the checked arguments, and, alongside, a first-order bound on the rounding error of any
backend that computes it in ``dtype`` — whatever the order of its sums, whether it
fuses passes or uses FMA. The bounds follow Higham, *Accuracy and Stability of
Numerical Algorithms* (2002), ch. 3:

* a sum of k terms, products included, in any order: |error| <= γ_k · Σ|terms|,
  with γ_k = k·u / (1 - k·u) and u the unit roundoff (half the machine epsilon);
  plus k·η for products that underflow (η, the smallest subnormal; the smallest
  normal number for a backend that flushes subnormal results to zero);
* exp, log and log1p: within ``TRANSCENDENTAL_ULPS`` units in the last place;
* an input error δz passes through f scaled by max |f'| over [z - δz, z + δz].

The tolerance for comparing a backend with the reference adds the reference's own bound
(the same analysis at float64's u), so neither side is assumed exact when it is not.
Sequential ops (the per-sample rules) carry the bound along the trajectory. The
perceptron's decisions are discontinuous: where a net input lies within its error bound
of zero, backends may rightly disagree, and the reference says so
(``well_conditioned=False``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kernels.ops import OPS

# exp, log and log1p in every backend: the C library's (python), NumPy's SIMD ufuncs
# (numpy) and kernels/vector_math.py's (numba, numba_parallel). Measured over 10⁶
# arguments across each whole range and the edge cases (tests/test_vector_math.py): at
# most 1.42 ulp for vector_math's (2.44 for its tanh), 3.66 for NumPy's float32 log,
# 2.33 for its float32 exp. 1 ulp <= 2u relative.
TRANSCENDENTAL_ULPS = 4
C_F = 2 * TRANSCENDENTAL_ULPS
# tanh, measured the same way: at most 6.9 ulp for XLA's (jax, float64, near |z| = 16:
# 7·10⁻¹⁶ below 1) and 4.4 in float32; 1.3 for NumPy's, 2.44 for vector_math's.
TANH_ULPS = 8
C_TANH = 2 * TANH_ULPS
# σ(z) = e/(1+e) with e = exp(-|z|): two errors of exp, the add, the divide, the
# final rounding to the output dtype.
C_SIGMA = 2 * C_F + 3


@dataclass(frozen=True)
class Reference:
    """Reference results of one op, and per-element absolute tolerances."""

    values: tuple
    tolerances: tuple
    well_conditioned: bool = True


def unit_roundoff(dtype) -> float:
    return float(np.finfo(dtype).eps) / 2


def gamma(k: int, u: float) -> float:
    return k * u / (1 - k * u)


def _sum_bound(abs_sum, k: int, u: float, tiny: float):
    """Bound on a computed sum of k terms whose absolute values sum to abs_sum."""
    return gamma(k, u) * abs_sum + k * tiny * (np.asarray(abs_sum) > 0)


def _mean_bound(abs_sum, k: int, m: int, u: float, tiny: float):
    """Bound on a computed sum of k terms, whose absolute values sum to abs_sum, divided
    by m. The division may come first, Σ (termᵢ / m), as in the derivative of a mean
    that automatic differentiation builds: each scaled term may then underflow by up to
    tiny, so the absolute part stays k·tiny instead of shrinking by m. (It matters only
    where subnormals are flushed to zero and tiny is the smallest normal number: float32
    terms of 1e-37 scaled by 1/14 all flush to zero.)"""
    return gamma(k, u) * abs_sum / m + k * tiny * (np.asarray(abs_sum) > 0)


# --- exact dot product -------------------------------------------------------------------


def _split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split: x = hi + lo exactly, each half with at most 26 significant bits."""
    c = 134217729.0 * x  # 2**27 + 1
    hi = c - (c - x)
    return hi, x - hi


def exact_dot(a: np.ndarray, b: np.ndarray) -> float:
    """a · b correctly rounded to float64 (barring overflow and underflow).

    Dekker's TwoProduct writes each a_i·b_i exactly as p_i + e_i; math.fsum then sums
    all p_i and e_i exactly and rounds once.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float(np.dot(a, b))  # inf and NaN: IEEE rules, whatever the order
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return math.fsum(np.concatenate([p, e]).tolist())


# --- float64 evaluation with bounds, op by op ----------------------------------------------


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _max_sigmoid_slope(z, dz):
    """max σ'(t) = σ(t)(1 - σ(t)) over [z - dz, z + dz]: at the point nearest 0."""
    nearest = np.maximum(np.abs(z) - dz, 0.0)
    s = _sigmoid(-nearest)  # the small side: 1 - σ(38) would round to 0
    return s * (1 - s)


def _net_input(w, b, X, u, tiny):
    n = X.shape[1]
    z = X @ w + b
    dz = _sum_bound(np.abs(X) @ np.abs(w) + abs(b), n + 1, u, tiny)
    return z, dz


def _sigmoid_with_bound(z, dz, u, tiny):
    """σ(z), and a bound on σ computed in a backend from a net input dz off."""
    A = _sigmoid(z)
    # Each rounding in σ is relative (u) or, in the subnormal range, absolute (η).
    dA = _max_sigmoid_slope(z, dz) * dz + C_SIGMA * (u * A + tiny)
    # σ(±inf) is exactly 1 or 0 in every backend; the bound above would be inf·0.
    return A, np.where(np.isinf(z), 0.0, dA)


def _activation(w, b, X, u, tiny):
    z, dz = _net_input(w, b, X, u, tiny)
    return _sigmoid_with_bound(z, dz, u, tiny)


def _cost_terms(A, y, eps):
    """Per-sample cross-entropy terms (negated sum parts), and a bound on each."""
    a = np.clip(A, eps, 1 - eps)
    t1 = y * np.log(a)
    t2 = (1 - y) * np.log1p(-a)
    return -(t1 + t2), (np.abs(t1) + np.abs(t2))


def _cost_with_bound(A, y, eps, u, tiny):
    m = len(A)
    terms, abs_terms = _cost_terms(A, y, eps)
    bound = _sum_bound(abs_terms.sum(), m + C_F + 4, u, tiny) / m
    return terms.mean(), bound


def _dot(a, b, u, tiny):
    n = len(a)
    value = exact_dot(a, b)
    return (value,), (_sum_bound(np.abs(a) @ np.abs(b), n, u, tiny),)


def _logistic_forward(w, b, X, u, tiny):
    A, dA = _activation(w, b, X, u, tiny)
    return (A,), (dA,)


def _logistic_cost(A, y, eps, u, tiny):
    cost, bound = _cost_with_bound(A, y, eps, u, tiny)
    return (cost,), (bound,)


def _logistic_backward(X, A, y, u, tiny):
    m = len(y)
    errors = A - y
    dw = X.T @ errors / m
    db = errors.mean()
    dw_bound = _mean_bound(np.abs(X).T @ np.abs(errors), m + 3, m, u, tiny)
    db_bound = _mean_bound(np.abs(errors).sum(), m + 3, m, u, tiny)
    return (dw, db), (dw_bound, db_bound)


def _exact_cost_with_bound(z, dz, y, u, tiny):
    """The mean cross-entropy straight from the net input, as the fused gradient computes
    it: -(y log σ(z) + (1 - y) log(1 - σ(z))) with log σ(z) = -(s + max(-z, 0)),
    log(1 - σ(z)) = -(s + max(z, 0)) and s = log1p(e^-|z|). No clipping: exact for any
    finite z.

    The bound: e carries C_F·u relative error from exp, which log1p turns into at most
    C_F·u·s (s >= e/(1 + e)), plus log1p's own C_F·u·s; both logarithms are sums of
    non-negative parts, so their one rounding each keeps every error relative to them;
    then y·, (1 - y)·, their sum, the m-term sum and the division by m. A slope of at
    most |y| + |1 - y| carries z's own error dz, and each term may round absolutely (η)
    in the subnormal range.
    """
    m = len(y)
    softplus = np.log1p(np.exp(-np.abs(z)))
    t1 = y * -(softplus + np.maximum(-z, 0.0))
    t2 = (1 - y) * -(softplus + np.maximum(z, 0.0))
    abs_terms = np.abs(t1) + np.abs(t2)
    bound = _sum_bound(abs_terms.sum(), m + 2 * C_F + 5, u, tiny) / m
    bound += ((np.abs(y) + np.abs(1 - y)) @ np.where(np.isinf(z), 0.0, dz)) / m
    bound += (2 * C_F + 5) * tiny
    return -(t1 + t2).mean(), bound


def _logistic_gradient(w, b, X, y, u, tiny):
    z, dz = _net_input(w, b, X, u, tiny)
    A, dA = _activation(w, b, X, u, tiny)
    cost, cost_bound = _exact_cost_with_bound(z, dz, y, u, tiny)
    (dw, db), (dw_bound, db_bound) = _logistic_backward(X, A, y, u, tiny)
    dw_bound = dw_bound + np.abs(X).T @ dA / len(y)
    db_bound = db_bound + dA.sum() / len(y)
    return (cost, dw, db), (cost_bound, dw_bound, db_bound)


def _adaline_gd_epoch(w, b, X, y, eta, u, tiny):
    m = X.shape[0]
    z, dz = _net_input(w, b, X, u, tiny)
    errors = y - z
    d_errors = dz + gamma(1, u) * (np.abs(y) + np.abs(z))
    cost = errors @ errors / 2
    cost_bound = np.abs(errors) @ d_errors + d_errors @ d_errors / 2
    cost_bound += _sum_bound(cost, m + 2, u, tiny)
    gradient = X.T @ errors
    gradient_bound = np.abs(X).T @ d_errors + _sum_bound(np.abs(X).T @ np.abs(errors), m, u, tiny)
    new_w = w + eta * gradient
    # η itself is rounded to the dtype: relatively (in γ) and, if tiny, absolutely (η_min).
    w_bound = eta * gradient_bound + gamma(3, u) * (np.abs(w) + eta * np.abs(gradient))
    w_bound += tiny * np.abs(gradient)
    error_sum = errors.sum()
    sum_bound = d_errors.sum() + _sum_bound(np.abs(errors).sum(), m, u, tiny)
    new_b = b + eta * error_sum
    b_bound = eta * sum_bound + gamma(3, u) * (abs(b) + eta * abs(error_sum))
    b_bound += tiny * abs(error_sum)
    return (new_w, new_b, cost), (w_bound, b_bound, cost_bound)


def _sum_of_squared_errors(w, b, weight_bound, X, y, u, tiny):
    """Σ(y - (Xw + b))²/2 and its bound, given a bound on ‖(δw, δb)‖₂."""
    m = X.shape[0]
    z, dz = _net_input(w, b, X, u, tiny)
    dz = dz + np.sqrt(np.sum(X**2, axis=1) + 1) * weight_bound  # Cauchy-Schwarz
    errors = y - z
    d_errors = dz + gamma(1, u) * (np.abs(y) + np.abs(z))
    cost = errors @ errors / 2
    bound = np.abs(errors) @ d_errors + d_errors @ d_errors / 2 + _sum_bound(cost, m + 2, u, tiny)
    return cost, bound


def _adaline_sgd_epoch(w, b, X, y, eta, u, tiny):
    """The bound is carried as one number, δ >= ‖(ŵ - w, b̂ - b)‖₂.

    With x̃ = (x, 1), a step maps the weights θ to θ + η(y - x̃·θ)x̃, whose linear part
    I - ηx̃x̃ᵀ has norm max(1, |1 - η‖x̃‖²|): an earlier error is carried over at most
    scaled by that (not amplified for a stable η), and each step adds its own rounding.
    """
    n = X.shape[1]
    w = w.copy()
    bound = 0.0
    for x, target in zip(X, y, strict=True):
        abs_x = np.abs(x)
        norm_x2 = x @ x + 1.0
        z = x @ w + b
        error = target - z
        local_error = _sum_bound(abs_x @ np.abs(w) + abs(b), n + 1, u, tiny)
        local_error += gamma(1, u) * (abs(target) + abs(z))
        step = eta * error
        step_rounding = tiny * abs(error)  # η rounded to a tiny dtype value
        update_rounding = np.append(  # and, near zero, step·x and the sums by tiny each
            gamma(3, u) * (np.abs(w) + abs(step) * abs_x) + step_rounding * abs_x + 2 * tiny,
            gamma(3, u) * (abs(b) + abs(step)) + step_rounding + 2 * tiny,
        )
        bound = (
            max(1.0, abs(1.0 - eta * norm_x2)) * bound
            + eta * np.sqrt(norm_x2) * local_error
            + np.linalg.norm(update_rounding)
        )
        w += step * x
        b += step
    cost, cost_bound = _sum_of_squared_errors(w, b, bound, X, y, u, tiny)
    return (w, b, cost), (bound + u * np.abs(w), bound + u * abs(b), cost_bound)


def _perceptron_epoch(w, b, X, y, eta, u, tiny):
    n = X.shape[1]
    w = w.copy()
    dw = np.zeros_like(w)
    db = 0.0
    errors = 0
    well_conditioned = True
    for x, target in zip(X, y, strict=True):
        abs_x = np.abs(x)
        z = x @ w + b
        dz = abs_x @ dw + db + _sum_bound(abs_x @ np.abs(w) + abs(b), n + 1, u, tiny)
        if dz > 0 and abs(z) <= 2 * dz:
            # Backend and reference may each be dz off: the sign of z is uncertain.
            well_conditioned = False
        update = eta * (target - (1.0 if z >= 0.0 else -1.0))
        if update != 0.0:  # adding 0·x is exact (and NaN if x is not finite)
            d_update = gamma(2, u) * abs(update) + tiny * abs(update / eta)
            # update·x and w + update·x each round, relatively (γ₂) or, near zero, by up
            # to tiny: a backend that flushes subnormals turns 0.75 × 1.2e-38 into 0.
            dw = dw + abs_x * d_update + gamma(2, u) * (np.abs(w) + abs(update) * abs_x)
            dw = dw + 2 * tiny
            db = db + d_update + gamma(2, u) * (abs(b) + abs(update)) + tiny
            errors += 1
        w += update * x
        b += update
    return (w, b, errors), (dw + u * np.abs(w), db + u * abs(b), 0), well_conditioned


# --- the shallow network ----------------------------------------------------------------


def _product(A, dA, B, dB, u, tiny):
    """A @ B, and a bound on the product a backend computes from A and B known to within
    dA and dB: the inputs' errors carried through (|A|·dB + dA·|B| + dA·dB) plus the
    rounding of each sum of k products, in any order."""
    k = A.shape[-1]
    value = A @ B
    spread = np.abs(A) @ dB + dA @ np.abs(B) + dA @ dB
    return value, spread + _sum_bound((np.abs(A) + dA) @ (np.abs(B) + dB), k + 1, u, tiny)


def _hidden_layer(W1, b1, X, u, tiny):
    """H = tanh(X W1 + b1) and its bound: each net input is a sum of n + 1 terms, tanh's
    slope is at most 1 (and |tanh| <= 1), and tanh rounds within C_TANH·u."""
    n = X.shape[1]
    H = np.tanh(X @ W1 + b1)
    dZ1 = _sum_bound(np.abs(X) @ np.abs(W1) + np.abs(b1), n + 1, u, tiny)
    return H, np.minimum(dZ1, 2.0) + C_TANH * (u * np.abs(H) + tiny)


def _network_output(W1, b1, W2, b2, X, u, tiny):
    """H, the output unit's net input z = H W2 + b2, each with its bound."""
    H, dH = _hidden_layer(W1, b1, X, u, tiny)
    h = len(W2)
    z = H @ W2 + b2
    dz = dH @ np.abs(W2) + _sum_bound((np.abs(H) + dH) @ np.abs(W2) + abs(b2), h + 1, u, tiny)
    return H, dH, z, dz


def _mlp_forward(W1, b1, W2, b2, X, u, tiny):
    _, _, z, dz = _network_output(W1, b1, W2, b2, X, u, tiny)
    A, dA = _sigmoid_with_bound(z, dz, u, tiny)
    return (A,), (dA,)


def _mlp_gradient(W1, b1, W2, b2, X, y, u, tiny):
    """Backpropagation, each step's bound from the bounds of what it is computed from.

    dz2 = A - y rounds once more; dZ1 = dz2·W2·(1 - H²) is a product of three factors
    (two roundings, in any order), where 1 - H² computed from a rounded H is off by
    (2|H| + δH)·δH plus at most three roundings (as 1 - H·H, or (1 - H)(1 + H)); the
    sums over samples are products with k = m terms, and each is divided by m (one more
    rounding, within the γ of its sum).
    """
    m = len(y)
    H, dH, z, dz = _network_output(W1, b1, W2, b2, X, u, tiny)
    A, dA = _sigmoid_with_bound(z, dz, u, tiny)
    cost, cost_bound = _exact_cost_with_bound(z, dz, y, u, tiny)
    dz2 = A - y
    d_dz2 = dA + u * np.abs(dz2) + tiny
    G = 1 - H * H
    dG = (2 * np.abs(H) + dH) * dH + gamma(3, u) * (H * H + np.abs(G)) + 3 * tiny
    E = np.abs(np.outer(dz2, W2))
    dE = np.outer(d_dz2, np.abs(W2))
    dZ1 = np.outer(dz2, W2) * G
    d_dZ1 = (E + dE) * (np.abs(G) + dG) - E * np.abs(G)
    d_dZ1 += gamma(2, u) * (E + dE) * (np.abs(G) + dG) + 2 * tiny
    dW1, dW1_bound = _product(X.T, np.zeros_like(X.T), dZ1, d_dZ1, u, tiny)
    ones = np.ones((1, m))
    db1, db1_bound = _product(ones, np.zeros_like(ones), dZ1, d_dZ1, u, tiny)
    dW2, dW2_bound = _product(H.T, dH.T, dz2, d_dz2, u, tiny)
    db2, db2_bound = _product(ones, np.zeros_like(ones), dz2, d_dz2, u, tiny)
    # Divided by m, before or after summing (_mean_bound): each of the m scaled terms may
    # underflow by up to tiny where subnormals are flushed.
    scaled = [
        bound / m + m * tiny * (bound > 0) for bound in (dW1_bound, db1_bound, dW2_bound, db2_bound)
    ]
    return (cost, dW1 / m, db1[0] / m, dW2 / m, db2[0] / m), (
        cost_bound,
        scaled[0],
        scaled[1][0],
        scaled[2],
        scaled[3][0],
    )


# Each op's reference: float64 arguments, u and tiny in; (values, bounds) or (values,
# bounds, well_conditioned) out. ``kernels.register_op`` adds to it.
EVALUATORS = {
    "dot": _dot,
    "logistic_forward": _logistic_forward,
    "logistic_cost": _logistic_cost,
    "logistic_backward": _logistic_backward,
    "logistic_gradient": _logistic_gradient,
    "adaline_gd_epoch": _adaline_gd_epoch,
    "adaline_sgd_epoch": _adaline_sgd_epoch,
    "perceptron_epoch": _perceptron_epoch,
    "mlp_forward": _mlp_forward,
    "mlp_gradient": _mlp_gradient,
}
assert set(EVALUATORS) == set(OPS), "every op needs a reference"


def smallest(dtype, flushes_subnormals: bool = False) -> float:
    """The absolute error of one rounding near zero: the smallest subnormal (gradual
    underflow), or the smallest normal number for a backend that flushes subnormal
    results to zero (XLA's CPU code runs with flush-to-zero: 0.5 x 2.2e-308 is 0)."""
    info = np.finfo(dtype)
    return float(info.tiny if flushes_subnormals else info.smallest_subnormal)


def _evaluate(op: str, args: tuple, dtype, flushes_subnormals=False) -> tuple[tuple, tuple, bool]:
    u = unit_roundoff(dtype)
    tiny = smallest(dtype, flushes_subnormals)
    as64 = [a.astype(np.float64) if isinstance(a, np.ndarray) else a for a in args]
    out = EVALUATORS[op](*as64, u, tiny)
    return out if len(out) == 3 else (*out, True)


def reference(op: str, args: tuple, dtype, flushes_subnormals: bool = False) -> Reference:
    """The reference results of ``op`` on checked ``args`` (see ``kernels.checks``), with
    tolerances for a backend computing in ``dtype`` (and flushing subnormal results to
    zero, if it does: ``BackendSpec.flushes_subnormals``)."""
    values, backend_bounds, well_conditioned = _evaluate(op, args, dtype, flushes_subnormals)
    if op == "dot":  # exact, rounded once to float64
        own_bounds = (unit_roundoff(np.float64) * abs(values[0]),)
    else:
        _, own_bounds, _ = _evaluate(op, args, np.float64)
    # ... plus the final rounding of a result into the dtype's subnormal range, which
    # is absolute (η), not relative.
    tiny = smallest(dtype, flushes_subnormals)
    tolerances = tuple(
        np.asarray(backend) + np.asarray(own) + (tiny if kind != "count" else 0)
        for kind, backend, own in zip(OPS[op].returns, backend_bounds, own_bounds, strict=True)
    )
    return Reference(values, tolerances, well_conditioned)
