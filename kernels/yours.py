"""Check a function of your own against an op's contract, the way the backends are checked.

    python -m kernels.check my_file.py:propagate --op logistic_gradient

(``kernels/check.py``, the command, runs ``main`` here) or, in a notebook,
``kernels.check(propagate, "logistic_gradient")``. Your function takes
the op's arguments in the suite's order and layout (samples as rows: ``X`` is (m, n),
``y`` (m,), ``w`` (n,)). It is called on the inputs every backend is proven on — the
shapes of ``CASES``, in float64 and float32, from the op's own input generator, and
edge cases (net inputs large enough to saturate σ and tanh, probabilities of exactly 0
and 1) — each time on fresh copies, and every result is compared with the bounded
reference of ``kernels.reference``: a correct result is within the rounding-error
bound, however the sums are ordered. ``np.allclose`` would accept a result computed in
float32 inside a float64 function, or off by 1e-9; the bound does not.

What is wrong is said in the course's words: the slides' columns where the suite has
rows, ``(n, 1)`` where ``(n,)`` was expected, a sum where a mean was, a sign, an input
changed in place, float64 out of float32 in, ``nan`` where the exact result is finite,
a hidden Python loop (a call timed beside NumPy's at a mid-size problem, predicted
before it is made, so a slow function is cut short instead of running for minutes), an
exception with the input that raised it, ``None`` or a tuple of the wrong length, and a
call that hangs. ``check`` prints nothing; its result is data (``Check``, a list of
``Diagnosis``) and reads as text with ``str``.

``compare`` is the comparison itself, element by element against the bound; the tests
of the backends use it too (``tests/support.py``).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import numbers
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kernels.checks import check_arguments
from kernels.ops import OPS, Op, make_inputs
from kernels.reference import reference
from reports.cli import OneLineParser

# The shapes every backend is proven on (tests/test_kernels.py), each in float64 and
# float32, with the seed m + n: from one sample of one feature (all overhead, no sum to
# order) to 2000 features and to 257 samples (sums long enough for their rounding to show).
CASES = [
    {"m": 1, "n": 1, "h": 1},
    {"m": 1, "n": 9, "h": 2},
    {"m": 9, "n": 1, "h": 5},
    {"m": 40, "n": 13, "h": 7},
    {"m": 3, "n": 2000, "h": 3},
    {"m": 257, "n": 31, "h": 33},
]
DTYPES = ("float64", "float32")

# A call that has not returned after this many seconds hangs: the check stops there. The
# largest case is under 10⁶ multiply-adds, a second even for a loop in the interpreter.
CALL_LIMIT_S = 5.0
# ... except the first call in each dtype, which may compile (Numba's parallel kernels
# take 10-20 s to compile cold on a 2-core machine; JAX and Numba compile per dtype).
FIRST_CALL_LIMIT_S = 30.0
# The speed probe: a mid-size problem of about SPEED_FLOPS floating-point operations
# (X of 10⁴ × 100 for the logistic gradient: about a millisecond for NumPy, a second for
# a loop in the interpreter), never called if your function is predicted to take longer
# than SPEED_LIMIT_S there.
SPEED_FLOPS = 4_000_000
SPEED_LIMIT_S = 2.0
# Slower than NumPy by more than this factor is a loop in the interpreter: that is the
# lesson's gap (the slides' loop against np.dot is 100× or more), while an honest
# whole-array version, however it orders its work, stays within a few times NumPy's.
SLOWER_THAN_NUMPY = 10.0
# Calls of yours (each followed by one of NumPy's) timed at the speed probe's size; more
# when they say "slower", to be sure before it is said.
SPEED_PAIRS = 5
SPEED_PAIRS_TO_CONFIRM = 15

# The mistakes recognised, in the words the diagnoses use.
TRANSPOSED = "transposed layout"
COLUMN = "(n, 1) against (n,)"
SHAPE = "wrong shape"
SUM_NOT_MEAN = "sum against mean"
SIGN = "sign error"
MODIFIED = "modified input"
DTYPE = "wrong dtype"
NOT_FINITE = "nan or inf"
BOUND = "outside the bound"
LOOP = "Python loop"
EXCEPTION = "exception"
NONE = "returned None"
LENGTH = "wrong number of results"
TYPE = "wrong type"
HANG = "hangs"

LAYOUT_FIX = (
    "the slides stack samples as columns (X is n × m, Z = np.dot(w.T, X) + b); here "
    "samples are rows (X is m × n): Z = X @ w + b, dw = X.T @ (A - y) / m"
)


@dataclass(frozen=True)
class Case:
    """One input of the check: the op's generator at ``sizes``, ``dtype`` and ``seed``,
    and an edge case's change to it (``edge``), reproducible by pasting ``code``."""

    op: str
    sizes: dict
    dtype: str
    seed: int
    edge: str = ""

    def arguments(self) -> tuple:
        """Fresh arguments: a new copy for every call."""
        args = make_inputs(self.op, self.sizes, self.dtype, seed=self.seed)
        return EDGES[self.edge][1](OPS[self.op], args) if self.edge else args

    def code(self) -> str:
        """Python that makes this case's arguments."""
        spec = OPS[self.op]
        sizes = {name: self.sizes[name] for name in spec.size_names}
        made = (
            f"{', '.join(spec.arg_names)} = kernels.make_inputs({self.op!r}, {sizes}, "
            f"{self.dtype!r}, seed={self.seed})"
        )
        return f"{made}; {EDGES[self.edge][0]}" if self.edge else made

    @property
    def flops(self) -> int:
        return OPS[self.op].flops(self.sizes)


def _saturated(op: Op, args: tuple) -> tuple:
    """X a thousand times larger: net inputs of hundreds, where σ is 0 or 1 to the last
    bit and log(A) or log(1 - A) of a rounded probability is -inf."""
    k = op.arg_names.index("X")
    return (*args[:k], args[k] * 1000, *args[k + 1 :])


def _certain(op: Op, args: tuple) -> tuple:
    """Probabilities of exactly 0 and 1: the cost clips them (kernels.checks.clip_for)."""
    k = op.arg_names.index("A")
    A = args[k].copy()
    A[::2], A[1::2] = 0, 1
    return (*args[:k], A, *args[k + 1 :])


# name → (the change, as Python to paste; the change)
EDGES: dict[str, tuple[str, Callable]] = {
    "saturated": ("X = X * 1000", _saturated),
    "certain": ("A[::2], A[1::2] = 0, 1", _certain),
}


def edges_of(op: Op) -> list[str]:
    """The edge cases that mean something for ``op``: saturation where a net input is
    computed from X and goes through σ or tanh (not the learning rules, whose learning
    rate suits data of unit scale), certainty where probabilities are given."""
    names = op.arg_names
    edges = []
    if "X" in names and "eta" not in names and "A" not in names:
        edges.append("saturated")
    if "A" in names:
        edges.append("certain")
    return edges


def cases_of(op: str) -> list[Case]:
    """Every case of the check of ``op``, in the order tried: the shapes, then the edges."""
    spec = OPS[op]
    cases = [Case(op, sizes, dtype, sizes["m"] + sizes["n"]) for sizes in CASES for dtype in DTYPES]
    edge_sizes = CASES[3]  # 40 samples of 13 features: sums long enough to matter
    for edge in edges_of(spec):
        seed = edge_sizes["m"] + edge_sizes["n"]
        cases += [Case(op, edge_sizes, dtype, seed, edge) for dtype in DTYPES]
    return cases


@dataclass(frozen=True)
class Diagnosis:
    """One problem found: what (``mistake``), where (``output``, ``case``), and the
    numbers behind it; ``message`` says it in the course's words."""

    mistake: str
    message: str
    output: str | None = None
    case: Case | None = None
    expected: object = None
    received: object = None
    element: tuple | None = None
    error: float | None = None
    bound: float | None = None

    def __str__(self) -> str:
        where = f" (the inputs: {self.case.code()})" if self.case is not None else ""
        return f"{self.mistake}: {self.message}{where}"


@dataclass
class Check:
    """The outcome of ``check``: ``passed`` if there is no diagnosis."""

    op: str
    name: str
    cases: int = 0
    compared: int = 0
    worst: float = 0.0  # the largest error as a share of its bound
    diagnoses: list[Diagnosis] = field(default_factory=list)
    seconds: float | None = None  # your function at the speed probe's size
    numpy_seconds: float | None = None

    @property
    def passed(self) -> bool:
        return not self.diagnoses and self.cases > 0

    def __bool__(self) -> bool:
        return self.passed

    def summary(self) -> str:
        if self.passed:
            speed = ""
            if self.seconds is not None and self.numpy_seconds:
                speed = f"; {self.numpy_seconds / self.seconds:.2g}× NumPy's speed at mid-size"
            return (
                f"{self.name} passes {self.op}: {self.cases} cases, {self.compared} values, "
                f"largest error {self.worst:.2g} of its bound{speed}"
            )
        found = len(self.diagnoses)
        return f"{self.name} fails {self.op}: {found} problem{'s' * (found > 1)}"

    def __str__(self) -> str:
        return "\n".join([self.summary(), *(f"- {d}" for d in self.diagnoses)])


# --- comparing results with the reference --------------------------------------------------


def _shape_mistake(name: str, got: tuple, want: tuple, case: Case | None) -> Diagnosis:
    samples = case.sizes["m"] if case is not None else None
    if len(want) == 1 and got in ((want[0], 1), (1, want[0])):
        return Diagnosis(
            COLUMN,
            f"{name} has shape {got} where {want} was expected: the slides' column "
            f"vector; return {name}.ravel() (or keep y and w 1-D, shape (m,) and (n,), "
            "so that no (n, 1) array appears)",
            name,
            case,
            want,
            got,
        )
    if len(want) == 0 and int(np.prod(got)) == 1:
        return Diagnosis(
            COLUMN,
            f"{name} is an array of shape {got} where a number was expected: return float({name})",
            name,
            case,
            want,
            got,
        )
    if len(want) == 2 and got == want[::-1] and want[0] != want[1]:
        return Diagnosis(
            TRANSPOSED,
            f"{name} has shape {got}, the transpose of {want}: {LAYOUT_FIX}",
            name,
            case,
            want,
            got,
        )
    layout = ""
    if samples is not None and samples in got and samples not in want:
        layout = f"; it has the length of the samples (m = {samples}): {LAYOUT_FIX}"
    return Diagnosis(
        SHAPE, f"{name} has shape {got} where {want} was expected{layout}", name, case, want, got
    )


def _first(mask: np.ndarray) -> tuple[int, ...]:
    """The index of the first True element of ``mask`` (() for a 0-d array)."""
    return tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()


def _at(where: tuple) -> str:
    return f"[{', '.join(map(str, where))}]" if where else ""


def _value_mistake(name, got, want, tol, case: Case | None, m: int) -> Diagnosis | None:
    """Why ``got`` is not within ``tol`` of ``want`` (same shape): None if it is."""
    nan = np.isnan(want)
    misplaced = (np.isnan(got) != nan) | (np.isinf(want) & (got != want))
    if np.any(misplaced):
        lost = misplaced & np.isfinite(want)
        where = _first(lost if np.any(lost) else misplaced)
        numbers_ = {"expected": float(want[where]), "received": float(got[where]), "element": where}
        if np.any(lost):
            hint = (
                "log of a probability rounded to 0 or 1 (np.log(A) where A == 0.0, or "
                "np.log(1 - A) where A == 1.0): compute the cost from the net input z, "
                "log σ(z) = -np.logaddexp(0, -z), or clip A"
                if "cost" in name
                else "exp of a large net input overflowed: σ(z) = 1 / (1 + np.exp(-z)) is "
                "fine, but not e^z / (1 + e^z)"
            )
            message = (
                f"{name}{_at(where)} is {got[where]} where the exact result is "
                f"{want[where]:.6g}, finite: {hint}"
            )
        else:
            message = (
                f"{name}{_at(where)} is {got[where]} where {want[where]} was expected (NaN "
                "and inf in the input propagate as the reference's do)"
            )
        return Diagnosis(NOT_FINITE, message, name, case, **numbers_)
    finite = np.isfinite(want)
    error = np.where(finite, np.abs(got - want), 0.0)
    if np.all((error <= tol) | ~finite):  # a NaN or inf expected and received: not compared
        return None
    excess = np.where(finite, error - tol, -np.inf)
    where = _first(excess == excess.max())
    numbers_ = {
        "output": name,
        "case": case,
        "expected": float(want[where]),
        "received": float(got[where]),
        "element": where,
        "error": float(error[where]),
        "bound": float(tol[where]),
    }
    significant = np.any(np.abs(want[finite]) > tol[finite])
    if significant and np.all(np.abs(got + want)[finite] <= tol[finite]):
        message = (
            f"{name} has the opposite sign everywhere: the gradient of the cost is "
            "(A - y), not (y - A), and gradient descent subtracts it: w = w - α dw"
        )
        return Diagnosis(SIGN, message, **numbers_)
    if significant and m > 1:
        for factor, what in ((m, "summed over the m samples, not averaged"), (1 / m, "")):
            if np.all(np.abs(got - factor * want)[finite] <= (factor * tol + tol)[finite]):
                if factor == m:
                    message = f"{name} is m = {m} times too large: {what}; divide by m"
                else:
                    message = f"{name} is m = {m} times too small: divided by m twice"
                return Diagnosis(SUM_NOT_MEAN, message, **numbers_)
    error_, scale = numbers_["error"], abs(numbers_["expected"])
    hint = ""
    if error_ <= 1e-8 + 1e-5 * scale:  # np.allclose's default test
        hint = (
            " (np.allclose would have accepted it; the bound does not: a correct result "
            "is never that far off"
        )
        if case is not None and case.dtype == "float64" and error_ >= 1e-9 * scale:
            hint += ", and an error this size is float32's: a float32 array or constant inside?"
        hint += ")"
    message = (
        f"{name}{_at(where)} is {numbers_['received']!r} where {numbers_['expected']!r} was "
        f"expected: error {numbers_['error']:.3g} against a bound of "
        f"{numbers_['bound']:.3g}{hint}"
    )
    return Diagnosis(BOUND, message, **numbers_)


def compare(op: str, results: tuple, values: tuple, tolerances: tuple, dtype=None, case=None):
    """Each result against its reference value, within its tolerance, element by element.

    Returns (elements compared, the largest error as a share of its bound, diagnoses).
    An empty result, a missing one or one of another shape is a diagnosis: a comparison
    of nothing never passes. With ``dtype``, an array of another dtype is one too.
    """
    spec = OPS[op]
    names, diagnoses, compared, worst = spec.output_names, [], 0, 0.0
    if len(results) != len(spec.returns):
        message = (
            f"returned {len(results)} results where {len(spec.returns)} were expected "
            f"({', '.join(names)})"
        )
        return 0, 0.0, [Diagnosis(LENGTH, message, case=case)]
    m = case.sizes["m"] if case is not None else 1
    for name, kind, result, value, tol in zip(
        names, spec.returns, results, values, tolerances, strict=True
    ):
        if kind == "count":
            if not isinstance(result, numbers.Integral) or isinstance(result, bool):
                what = f"{type(result).__name__} {result!r}"
                message = f"{name} is a {what}; a count of samples is an int: int({name})"
                diagnoses.append(Diagnosis(TYPE, message, name, case, value, result))
            elif result != value:
                message = f"{name} is {result} where {value} was expected"
                diagnoses.append(Diagnosis(BOUND, message, name, case, value, result))
            compared += 1
            continue
        if result is None:
            diagnoses.append(Diagnosis(NONE, f"{name} is None", name, case))
            continue
        try:
            got = np.asarray(result)
        except Exception as error:  # any object a function may return
            message = f"{name} is a {type(result).__name__}, not numbers ({error})"
            diagnoses.append(Diagnosis(TYPE, message, name, case))
            continue
        want = np.asarray(value, dtype=np.float64)
        if got.dtype.kind not in "fiu":
            message = f"{name} has dtype {got.dtype}; real numbers were expected"
            diagnoses.append(Diagnosis(TYPE, message, name, case))
            continue
        if got.shape != want.shape:
            diagnoses.append(_shape_mistake(name, got.shape, want.shape, case))
            continue
        if want.size == 0:
            diagnoses.append(Diagnosis(SHAPE, f"{name} is empty: nothing to compare", name, case))
            continue
        if dtype is not None and kind != "scalar" and got.dtype != dtype:
            message = (
                f"{name} is {got.dtype} where the inputs are {dtype}: a float64 constant "
                f"or array (np.zeros(n) is float64) promoted it; make it with "
                f"dtype=X.dtype, or return {name}.astype(X.dtype)"
            )
            diagnoses.append(Diagnosis(DTYPE, message, name, case, str(dtype), str(got.dtype)))
        tol = np.broadcast_to(np.asarray(tol, dtype=np.float64), want.shape)
        got64 = got.astype(np.float64)
        mistake = _value_mistake(name, got64, want, tol, case, m)
        if mistake is not None:
            diagnoses.append(mistake)
        else:
            finite = np.isfinite(want)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(finite & (tol > 0), np.abs(got64 - want) / tol, 0.0)
            worst = max(worst, float(share.max()))
        compared += got.size
    return compared, worst, diagnoses


# --- calling the function ------------------------------------------------------------------


@dataclass
class Call:
    """What one call did: its result or exception, its seconds; ``hung`` if it did not
    return within the limit (it goes on in a daemon thread, which Python cannot stop)."""

    result: object = None
    error: BaseException | None = None
    seconds: float = 0.0
    hung: bool = False


def call(function: Callable, args: tuple, limit: float) -> Call:
    """``function(*args)`` in a thread of its own, waited for at most ``limit`` seconds."""
    outcome = Call()

    def run():
        start = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                outcome.result = function(*args)
        except BaseException as error:  # SystemExit too: it is reported
            outcome.error = error
        outcome.seconds = time.perf_counter() - start

    thread = threading.Thread(target=run, name="kernels.check call", daemon=True)
    thread.start()
    thread.join(limit)
    outcome.hung = thread.is_alive()
    return outcome


def _fresh(args: tuple) -> tuple:
    return tuple(copy.deepcopy(a) for a in args)


def _changed(op: Op, before: tuple, after: tuple) -> list[str]:
    changed = []
    for name, old, new in zip(op.arg_names, before, after, strict=True):
        if isinstance(old, np.ndarray) and not np.array_equal(old, new, equal_nan=True):
            changed.append(name)
    return changed


def _as_results(op: Op, result) -> tuple | None:
    if len(op.returns) == 1:
        return None if isinstance(result, tuple | list) else (result,)
    return tuple(result) if isinstance(result, tuple | list) else None


def _check_case(function, name: str, case: Case, limit: float, outcome: Check) -> Call:
    spec = OPS[case.op]
    args = case.arguments()
    pristine = _fresh(args)
    done = call(function, args, limit)
    if done.hung:
        message = (
            f"{name} had not returned after {limit:g} s (an endless loop? a loop whose "
            "index never grows?); the check stops here"
        )
        outcome.diagnoses.append(Diagnosis(HANG, message, case=case))
        return done
    if done.error is not None:
        error = done.error
        text = f"{type(error).__name__}: {error}".splitlines()[0]
        shaped = zip(spec.arg_names, pristine, strict=True)
        shapes = ", ".join(f"{n} {a.shape}" for n, a in shaped if hasattr(a, "shape"))
        hint = ""
        if isinstance(error, ValueError) and any(
            word in str(error) for word in ("align", "matmul", "broadcast", "shape")
        ):
            hint = f" — {LAYOUT_FIX}"
            mistake = TRANSPOSED
        else:
            mistake = EXCEPTION
        message = f"{name} raised {text} on inputs of shapes {shapes}{hint}"
        outcome.diagnoses.append(Diagnosis(mistake, message, case=case, received=text))
        return done
    changed = _changed(spec, pristine, args)
    if changed:
        what = ", ".join(changed)
        message = (
            f"{name} changed its input {what} in place ({changed[0]} -= … or "
            f"{changed[0]} += … on the caller's array): work on a copy, "
            f"{changed[0]} = {changed[0]}.copy(), or write {changed[0]} = {changed[0]} - …"
        )
        outcome.diagnoses.append(Diagnosis(MODIFIED, message, changed[0], case))
    if done.result is None:
        message = f"{name} returned None: a `return` is missing"
        outcome.diagnoses.append(Diagnosis(NONE, message, case=case))
        return done
    results = _as_results(spec, done.result)
    if results is None:
        got = (
            f"a {type(done.result).__name__} of {len(done.result)}"
            if isinstance(done.result, tuple | list)
            else f"one {type(done.result).__name__}"
        )
        message = (
            f"{name} returned {got} where {len(spec.returns)} result"
            f"{'s' * (len(spec.returns) > 1)} ({', '.join(spec.output_names)}) were expected"
        )
        outcome.diagnoses.append(Diagnosis(LENGTH, message, case=case))
        return done
    checked, dtype = check_arguments(case.op, pristine, {})
    ref = reference(case.op, checked, dtype)
    compared, worst, found = compare(case.op, results, ref.values, ref.tolerances, dtype, case)
    outcome.compared += compared
    outcome.worst = max(outcome.worst, worst)
    outcome.diagnoses += found
    return done


def _usable(case: Case) -> bool:
    """A case whose reference is finite and decided: a perceptron's net input within its
    rounding of zero may rightly go either way, and says nothing."""
    checked, dtype = check_arguments(case.op, case.arguments(), {})
    ref = reference(case.op, checked, dtype)
    finite = all(np.all(np.isfinite(v)) for v in ref.values)
    return ref.well_conditioned and finite


def speed_sizes(op: str) -> dict[str, int]:
    """The speed probe's problem: 100 features (16 hidden units), and the samples (or,
    for the dot product, the length) doubled until about ``SPEED_FLOPS``."""
    spec = OPS[op]
    sizes = {"m": 1, "n": 100 if len(spec.size_names) > 1 else 1, "h": 16}
    grown = spec.size_names[0]
    while spec.flops(sizes) < SPEED_FLOPS:
        sizes[grown] *= 2
    return {name: sizes[name] for name in spec.size_names}


def _duration(seconds: float) -> str:
    return f"{seconds:.3g} s" if seconds >= 1 else f"{seconds * 1e3:.3g} ms"


def _shown(sizes: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())


def _check_speed(function, name: str, op: str, calls: list, outcome: Check) -> None:
    """Your function beside NumPy's at ``speed_sizes``: predicted first from its fastest
    time per FLOP on the largest case, and called only if that is under SPEED_LIMIT_S."""
    sizes = speed_sizes(op)
    args = make_inputs(op, sizes, "float64", seed=1)
    numpy_op = getattr(_numpy(), op)
    numpy_op(*args)
    numpy_s = min(call(numpy_op, args, CALL_LIMIT_S).seconds for _ in range(3))
    largest = max(case.flops for case, _ in calls)
    per_flop = min(done.seconds for case, done in calls if case.flops == largest) / largest
    predicted = per_flop * OPS[op].flops(sizes)
    slow = SLOWER_THAN_NUMPY * numpy_s
    if predicted > SPEED_LIMIT_S and predicted > slow:
        message = (
            f"{name} would take about {_duration(predicted)} at {_shown(sizes)} (from "
            f"{_duration(per_flop * largest)} at {largest:,} FLOPs), "
            f"{predicted / numpy_s:.0f}× NumPy's {_duration(numpy_s)}: a Python loop "
            "inside? Cut short, not run. Replace the loop over samples by whole-array "
            "expressions (X @ w, X.T @ dz), as the slides do"
        )
        outcome.diagnoses.append(Diagnosis(LOOP, message, received=predicted, expected=numpy_s))
        return
    # Yours and NumPy's in turn, on the same arrays (the cases showed that your function
    # changes no input), the fastest of each: on a busy machine either call may be slowed
    # many times over (two BLAS thread pools on two cores), never sped up. Only NumPy's
    # calls made between yours count, so that both minima come from the same moments: a
    # quiet NumPy call from before the machine got busy would make yours look slow. A
    # verdict of "slower" is confirmed with more calls before it is given: one quiet call
    # of yours is enough to clear it.
    seconds: list[float] = []
    numpy_times: list[float] = []
    budget = SPEED_LIMIT_S / 4  # for the first verdict; twice that to confirm "slower"
    while True:
        done = call(function, args, max(CALL_LIMIT_S, 3 * predicted))
        if done.hung or done.error is not None:
            return  # reported by the cases already, or a problem of this size only
        seconds.append(done.seconds)
        numpy_times.append(call(numpy_op, args, CALL_LIMIT_S).seconds)
        slower = min(seconds) > SLOWER_THAN_NUMPY * min(numpy_times)
        enough = len(seconds) >= SPEED_PAIRS or sum(seconds) >= budget
        if enough and not slower:
            break
        if len(seconds) >= SPEED_PAIRS_TO_CONFIRM or sum(seconds) >= 2 * budget:
            break
    outcome.seconds = min(seconds)
    outcome.numpy_seconds = min(numpy_times)
    ratio = outcome.seconds / outcome.numpy_seconds
    if ratio > SLOWER_THAN_NUMPY:
        message = (
            f"{name} takes {_duration(outcome.seconds)} at {_shown(sizes)}, "
            f"{ratio:.0f}× NumPy's {_duration(outcome.numpy_seconds)}: a Python "
            "loop inside? Replace it by whole-array expressions (X @ w, X.T @ dz)"
        )
        outcome.diagnoses.append(
            Diagnosis(LOOP, message, received=outcome.seconds, expected=outcome.numpy_seconds)
        )


def _numpy():
    from kernels.backends import get

    return get("numpy")


def check(
    function: Callable,
    op: str,
    *,
    limit: float = CALL_LIMIT_S,
    first_limit: float = FIRST_CALL_LIMIT_S,
    speed: bool = True,
) -> Check:
    """Run ``function`` through ``op``'s contract on every case of ``cases_of(op)``.

        Returns a ``Check``: ``passed``, the cases tried, the largest error as a share of its
        bound, and a ``Diagnosis`` per problem (one per mistake and output, at its first
        case). A call that does not return within ``limit`` seconds (the first in each dtype:
    ``first_limit``, for compiling) stops the check. With
        ``speed``, a function that passes is timed beside NumPy at a mid-size problem.
    """
    if op not in OPS:
        raise ValueError(f"unknown op {op!r}; choose one of {', '.join(OPS)}")
    if not callable(function):
        raise TypeError(f"{function!r} is not a function")
    name = getattr(function, "__name__", repr(function))
    outcome = Check(op, name)
    calls, seen, diagnoses, dtypes = [], set(), [], set()
    for case in cases_of(op):
        if not _usable(case):
            continue
        before = len(outcome.diagnoses)
        first = case.dtype not in dtypes
        dtypes.add(case.dtype)
        done = _check_case(function, name, case, first_limit if first else limit, outcome)
        outcome.cases += 1
        if len(outcome.diagnoses) == before:
            calls.append((case, done))
        for diagnosis in outcome.diagnoses[before:]:
            key = (diagnosis.mistake, diagnosis.output)
            if key not in seen:
                seen.add(key)
                diagnoses.append(diagnosis)
        if done.hung:
            break
    outcome.diagnoses = diagnoses
    if speed and outcome.passed and calls:
        _check_speed(function, name, op, calls, outcome)
    return outcome


# --- the command line ----------------------------------------------------------------------


class LoadError(Exception):
    """A file or function that cannot be loaded: one line for the command line."""


def load(target: str) -> Callable:
    """The function ``NAME`` of ``FILE.py`` given as ``FILE.py:NAME``."""
    path_text, _, function_name = target.rpartition(":")
    if not path_text or not function_name:
        raise LoadError(f"{target}: expected FILE.py:FUNCTION, e.g. my_file.py:propagate")
    path = Path(path_text)
    if path.is_dir():
        raise LoadError(f"{path}: is a directory, not a Python file")
    if path.exists() and not path.is_file():  # a device or a pipe
        raise LoadError(f"{path}: is not a regular file")
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location(f"_yours_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise LoadError(f"{path}: line {error.lineno}: {error.msg}") from None
    except BaseException as error:  # the file's own code failed on import
        first = f"{type(error).__name__}: {error}".splitlines()[0]
        raise LoadError(f"{path}: importing it raised {first}") from None
    function = getattr(module, function_name, None)
    if function is None:
        raise LoadError(f"{path}: defines no {function_name!r}")
    if not callable(function):
        raise LoadError(f"{path}: {function_name} is a {type(function).__name__}, not a function")
    return function


def arguments(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """The command line's arguments: FILE.py:FUNCTION and --op (``bench.run`` adds its own)."""
    parser = OneLineParser(prog=prog, description=doc)
    parser.add_argument("target", metavar="FILE.py:FUNCTION", help="your function")
    parser.add_argument("--op", required=True, help=f"the op it computes: {', '.join(OPS)}")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = arguments("python -m kernels.check", "Check your function against an op's contract.")
    options = parser.parse_args(argv)
    if options.op not in OPS:
        print(f"--op: unknown op {options.op!r}; choose one of {', '.join(OPS)}", file=sys.stderr)
        return 2
    try:
        function = load(options.target)
    except LoadError as error:
        print(error, file=sys.stderr)
        return 2
    outcome = check(function, options.op)
    print(outcome)
    return 0 if outcome.passed else 1
