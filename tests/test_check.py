"""A student's own function checked against an op's contract (``kernels.check``): each
course mistake, written here on purpose, is found and named; a correct function passes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from support import STUDENT

import kernels
from kernels import yours

# --- the slides' propagate (logistic_gradient), right and wrong -----------------------------


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cross_entropy_from_z(z, y):
    """The mean cross-entropy from the net input: log σ(z) = -log(1 + e^-z)."""
    return np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))


def propagate(w, b, X, y):
    m = X.shape[0]
    z = X @ w + b
    dz = sigmoid(z) - y
    return cross_entropy_from_z(z, y), X.T @ dz / m, np.mean(dz)


def propagate_slides_layout(w, b, X, y):
    """The slides' code as written, for X of shape (n, m)."""
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -np.sum(y * np.log(A) + (1 - y) * np.log(1 - A)) / m
    return cost, np.dot(X, (A - y).T) / m, np.sum(A - y) / m


def propagate_column_dw(w, b, X, y):
    cost, dw, db = propagate(w, b, X, y)
    return cost, dw.reshape(-1, 1), db


def propagate_summed(w, b, X, y):
    z = X @ w + b
    dz = sigmoid(z) - y
    return cross_entropy_from_z(z, y), X.T @ dz, np.mean(dz)


def propagate_wrong_sign(w, b, X, y):
    cost, dw, db = propagate(w, b, X, y)
    return cost, -dw, db


def propagate_and_update(w, b, X, y):
    """Takes the step inside: the caller's w changes."""
    cost, dw, db = propagate(w, b, X, y)
    w -= 0.01 * dw
    return cost, dw, db


def propagate_float64_accumulator(w, b, X, y):
    cost, dw, db = propagate(w, b, X, y)
    total = np.zeros(X.shape[1])  # float64, whatever X is
    total += dw
    return cost, total, db


def propagate_log_of_probability(w, b, X, y):
    m = X.shape[0]
    A = sigmoid(X @ w + b)
    cost = -np.mean(y * np.log(A) + (1 - y) * np.log(1 - A))
    return cost, X.T @ (A - y) / m, np.mean(A - y)


def propagate_in_float32(w, b, X, y):
    """Right in float32, and returned as float64: within np.allclose, not the bound."""
    cost, dw, db = propagate(w.astype(np.float32), np.float32(b), X.astype(np.float32), y)
    return float(cost), dw.astype(X.dtype), float(db)


def propagate_nudged(w, b, X, y):
    cost, dw, db = propagate(w, b, X, y)
    return cost, dw + 1e-9, db


def propagate_refuses_wide(w, b, X, y):
    assert X.shape[1] < 1000, "too many features"
    return propagate(w, b, X, y)


def propagate_without_return(w, b, X, y):
    propagate(w, b, X, y)


def propagate_without_cost(w, b, X, y):
    return propagate(w, b, X, y)[1:]


# --- the perceptron's epoch -------------------------------------------------------------------


def perceptron_in_place(w, b, X, y, eta):
    """Rosenblatt's rule, its weights updated in the caller's array."""
    errors = 0
    for x, target in zip(X, y, strict=True):
        update = eta * (target - (1.0 if x @ w + b >= 0.0 else -1.0))
        w += update * x
        b += update
        errors += int(update != 0.0)
    return w, b, errors


def perceptron(w, b, X, y, eta):
    return perceptron_in_place(w.copy(), b, X, y, eta)


def perceptron_float_count(w, b, X, y, eta):
    w, b, errors = perceptron(w, b, X, y, eta)
    return w, b, float(errors)


def perceptron_batch(w, b, X, y, eta):
    """Every sample decided with the epoch's first weights: Adaline's batch step, not
    Rosenblatt's rule."""
    predictions = np.where(X @ w + b >= 0.0, 1.0, -1.0)
    updates = eta * (y - predictions)
    return w + X.T @ updates, b + updates.sum(), int(np.count_nonzero(updates))


# --- the shallow network's gradient ---------------------------------------------------------


def mlp_gradient(W1, b1, W2, b2, X, y):
    m = X.shape[0]
    H = np.tanh(X @ W1 + b1)
    z = H @ W2 + b2
    dz2 = sigmoid(z) - y
    dZ1 = np.outer(dz2, W2) * (1 - H**2)
    return cross_entropy_from_z(z, y), X.T @ dZ1 / m, dZ1.mean(axis=0), H.T @ dz2 / m, dz2.mean()


def mlp_transposed_dW1(*args):
    cost, dW1, db1, dW2, db2 = mlp_gradient(*args)
    return cost, dW1.T, db1, dW2, db2


def mlp_keepdims_db1(*args):
    cost, dW1, db1, dW2, db2 = mlp_gradient(*args)
    return cost, dW1, db1.reshape(1, -1), dW2, db2


def mlp_summed_dW2(W1, b1, W2, b2, X, y):
    cost, dW1, db1, dW2, db2 = mlp_gradient(W1, b1, W2, b2, X, y)
    return cost, dW1, db1, dW2 * X.shape[0], db2


def mlp_sign_dW1(*args):
    cost, dW1, db1, dW2, db2 = mlp_gradient(*args)
    return cost, -dW1, db1, dW2, db2


def mlp_wrong_derivative(W1, b1, W2, b2, X, y):
    """tanh'(z) = 1 - H², written 1 - H."""
    m = X.shape[0]
    H = np.tanh(X @ W1 + b1)
    z = H @ W2 + b2
    dz2 = sigmoid(z) - y
    dZ1 = np.outer(dz2, W2) * (1 - H)
    return cross_entropy_from_z(z, y), X.T @ dZ1 / m, dZ1.mean(axis=0), H.T @ dz2 / m, dz2.mean()


def mlp_float64_out(*args):
    return tuple(
        r.astype(np.float64) if isinstance(r, np.ndarray) else r for r in mlp_gradient(*args)
    )


# --- the tests --------------------------------------------------------------------------------


def test_a_correct_propagate_passes_with_one_line():
    outcome = kernels.check(propagate, "logistic_gradient")
    assert outcome.passed, str(outcome)
    assert outcome.diagnoses == []
    assert outcome.cases == len(yours.cases_of("logistic_gradient"))
    assert 0 < outcome.worst <= 1
    assert outcome.seconds is not None
    assert outcome.numpy_seconds is not None
    line = str(outcome)
    assert "\n" not in line
    assert line.startswith(f"propagate passes logistic_gradient: {outcome.cases} cases")
    assert "of its bound" in line


@pytest.mark.parametrize(
    ("op", "function"),
    [("perceptron_epoch", perceptron), ("mlp_gradient", mlp_gradient)],
)
def test_correct_functions_of_other_ops_pass(op, function):
    outcome = kernels.check(function, op, speed=False)
    assert outcome.passed, str(outcome)


@pytest.mark.parametrize(
    ("op", "function", "mistake", "output", "words"),
    [
        ("logistic_gradient", propagate_slides_layout, yours.TRANSPOSED, None, "samples are rows"),
        ("logistic_gradient", propagate_column_dw, yours.COLUMN, "dw", "column vector"),
        ("logistic_gradient", propagate_summed, yours.SUM_NOT_MEAN, "dw", "not averaged"),
        ("logistic_gradient", propagate_wrong_sign, yours.SIGN, "dw", "(A - y), not (y - A)"),
        ("logistic_gradient", propagate_and_update, yours.MODIFIED, "w", "w = w.copy()"),
        ("logistic_gradient", propagate_float64_accumulator, yours.DTYPE, "dw", "float32"),
        ("logistic_gradient", propagate_log_of_probability, yours.NOT_FINITE, "cost", "finite"),
        ("logistic_gradient", propagate_refuses_wide, yours.EXCEPTION, None, "X (3, 2000)"),
        ("logistic_gradient", propagate_without_return, yours.NONE, None, "`return`"),
        ("logistic_gradient", propagate_without_cost, yours.LENGTH, None, "(cost, dw, db)"),
        ("perceptron_epoch", perceptron_in_place, yours.MODIFIED, "w", "in place"),
        ("perceptron_epoch", perceptron_float_count, yours.TYPE, "errors", "int(errors)"),
        ("perceptron_epoch", perceptron_batch, yours.BOUND, "w", "bound"),
        ("mlp_gradient", mlp_transposed_dW1, yours.TRANSPOSED, "dW1", "transpose of (9, 2)"),
        ("mlp_gradient", mlp_keepdims_db1, yours.COLUMN, "db1", "db1.ravel()"),
        ("mlp_gradient", mlp_summed_dW2, yours.SUM_NOT_MEAN, "dW2", "times too large"),
        ("mlp_gradient", mlp_sign_dW1, yours.SIGN, "dW1", "opposite sign"),
        ("mlp_gradient", mlp_wrong_derivative, yours.BOUND, "dW1", "bound"),
        ("mlp_gradient", mlp_float64_out, yours.DTYPE, "dW1", "float64 where the inputs"),
    ],
    ids=lambda value: getattr(value, "__name__", None) if callable(value) else None,
)
def test_each_mistake_is_named(op, function, mistake, output, words):
    outcome = yours.check(function, op, speed=False)
    assert not outcome.passed
    found = [d for d in outcome.diagnoses if d.mistake == mistake and d.output == output]
    assert found, str(outcome)
    diagnosis = found[0]
    assert words in diagnosis.message, diagnosis.message
    assert diagnosis.case is not None
    # the case is pasteable: it makes the very inputs the function got
    namespace = {"kernels": kernels, "np": np}
    exec(diagnosis.case.code(), namespace)  # the check's own line of code
    made = diagnosis.case.arguments()
    for name, value in zip(kernels.OPS[op].arg_names, made, strict=True):
        np.testing.assert_array_equal(namespace[name], value)
    assert str(outcome).splitlines()[0] == outcome.summary()


@pytest.mark.parametrize("function", [propagate_in_float32, propagate_nudged])
def test_an_error_np_allclose_accepts_fails_the_bound(function):
    outcome = kernels.check(function, "logistic_gradient", speed=False)
    assert not outcome.passed
    bound = [d for d in outcome.diagnoses if d.mistake == yours.BOUND]
    assert bound, str(outcome)
    for diagnosis in bound:
        assert diagnosis.error > diagnosis.bound
        assert np.allclose(diagnosis.received, diagnosis.expected)  # what allclose says
        assert diagnosis.element is not None
        assert "np.allclose would have accepted it" in diagnosis.message


def test_a_bound_failure_names_element_error_and_bound():
    outcome = kernels.check(mlp_wrong_derivative, "mlp_gradient", speed=False)
    diagnosis = next(d for d in outcome.diagnoses if d.output == "dW1")
    row, column = diagnosis.element
    assert f"dW1[{row}, {column}]" in diagnosis.message
    assert f"error {diagnosis.error:.3g} against a bound of {diagnosis.bound:.3g}" in (
        diagnosis.message
    )
    assert abs(diagnosis.received - diagnosis.expected) == pytest.approx(diagnosis.error)


def test_a_python_loop_is_cut_short(monkeypatch):
    """Predicted from its time on the cases, the loop is never called at the mid size."""
    monkeypatch.setattr(yours, "SPEED_LIMIT_S", 0.01)
    calls = []

    def counted(w, b, X, y):
        calls.append(X.shape)
        return kernels.get("python").logistic_gradient(w, b, X, y)  # loops over lists

    outcome = kernels.check(counted, "logistic_gradient")
    assert [d.mistake for d in outcome.diagnoses] == [yours.LOOP], str(outcome)
    assert "Cut short, not run" in outcome.diagnoses[0].message
    assert "NumPy's" in outcome.diagnoses[0].message
    mid = yours.speed_sizes("logistic_gradient")
    assert (mid["m"], mid["n"]) not in calls
    assert len(calls) == outcome.cases


QUIET_S = 0.002  # a call at the speed probe's size, NumPy's and yours alike


def _mid_size_slowed(monkeypatch, sleep_s: float, first: int | None):
    """``propagate`` whose calls at the speed probe's size take ``sleep_s`` on its
    ``first`` calls there (a burst from another program), or on every one if ``first``
    is None, and QUIET_S on the others, beside a NumPy that takes QUIET_S: times a busy
    machine cannot turn into the other verdict (two BLAS pools on two cores slowed a
    real NumPy call 10×). The cases, at their small sizes, are the real ``propagate``."""
    mid = yours.speed_sizes("logistic_gradient")
    monkeypatch.setattr(
        yours, "_numpy", lambda: SimpleNamespace(logistic_gradient=lambda *_: time.sleep(QUIET_S))
    )
    seen = []

    def slowed(w, b, X, y):
        if X.shape != (mid["m"], mid["n"]):
            return propagate(w, b, X, y)
        seen.append(1)
        time.sleep(sleep_s if first is None or len(seen) <= first else QUIET_S)
        return None  # the speed probe times the call; the cases checked the values

    return slowed, seen


def test_a_burst_of_noise_is_not_taken_for_a_python_loop(monkeypatch):
    """The first five calls slowed (0.1 s each, fifty times NumPy's): the verdict is
    confirmed with more calls before it is given, and a quiet one clears it."""
    slowed, seen = _mid_size_slowed(monkeypatch, 0.1, first=yours.SPEED_PAIRS)
    outcome = kernels.check(slowed, "logistic_gradient")
    assert outcome.passed, str(outcome)
    assert len(seen) == yours.SPEED_PAIRS + 1


def test_a_steady_slowdown_is_a_python_loop(monkeypatch):
    slowed, seen = _mid_size_slowed(monkeypatch, 0.1, first=None)
    outcome = kernels.check(slowed, "logistic_gradient")
    assert [d.mistake for d in outcome.diagnoses] == [yours.LOOP], str(outcome)
    assert "a Python loop inside?" in outcome.diagnoses[0].message
    assert len(seen) > yours.SPEED_PAIRS  # confirmed before it was claimed


def test_a_machine_busy_from_the_first_call_of_yours_is_not_a_python_loop(monkeypatch):
    """NumPy's three warm-up calls quiet, then everything 30× slower (another program
    took the cores): yours is compared with NumPy's calls made beside it, not with the
    quiet ones from before (a CI run failed so: 15.8 ms against 1.34 ms)."""
    mid = yours.speed_sizes("logistic_gradient")
    numpy_calls = []

    def numpy_op(*_):
        numpy_calls.append(1)
        time.sleep(QUIET_S if len(numpy_calls) <= 3 else 30 * QUIET_S)

    monkeypatch.setattr(yours, "_numpy", lambda: SimpleNamespace(logistic_gradient=numpy_op))

    def busy(w, b, X, y):
        if X.shape != (mid["m"], mid["n"]):
            return propagate(w, b, X, y)
        time.sleep(30 * QUIET_S)

    outcome = kernels.check(busy, "logistic_gradient")
    assert outcome.passed, str(outcome)
    assert len(numpy_calls) > 3  # NumPy was timed beside yours too


def test_a_function_that_hangs_gets_one_line_and_stops_the_check():
    release = threading.Event()

    def stuck(w, b, X, y):
        release.wait(5)  # ends by itself once the test is over

    try:
        outcome = kernels.check(stuck, "logistic_gradient", limit=0.2, first_limit=0.2)
    finally:
        release.set()
    assert [d.mistake for d in outcome.diagnoses] == [yours.HANG]
    assert outcome.cases == 1
    assert "had not returned after 0.2 s" in str(outcome)


def test_inputs_are_fresh_for_every_call_and_not_kept():
    seen = []

    def keeps(w, b, X, y):
        seen.append((w, X))
        return propagate(w, b, X, y)

    kernels.check(keeps, "logistic_gradient", speed=False)
    ids = [id(a) for pair in seen for a in pair]
    assert len(ids) == len(set(ids))  # never the same array twice
    # an array the function changes is not passed on to the next case
    outcome = kernels.check(propagate_and_update, "logistic_gradient", speed=False)
    assert outcome.cases == len(yours.cases_of("logistic_gradient"))


def test_every_backend_passes_its_own_check():
    """The check asks of a student what every backend gives: all pass it, every op."""
    for op in kernels.OPS:
        for backend in ("numpy", "numba"):
            outcome = kernels.check(getattr(kernels.get(backend), op), op, speed=False)
            assert outcome.passed, f"{backend}: {outcome}"


def test_an_unknown_op_is_refused():
    with pytest.raises(ValueError, match="unknown op 'propagate'; choose one of dot, "):
        kernels.check(propagate, "propagate")


# --- the command line ----------------------------------------------------------------------


@pytest.fixture
def student_file(tmp_path):
    path = tmp_path / "my_file.py"
    path.write_text(STUDENT, encoding="utf-8")
    return path


def command(*args):
    return subprocess.run(
        [sys.executable, "-m", "kernels.check", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_command_exits_0_on_a_pass_and_1_on_a_mistake(student_file):
    passed = command(f"{student_file}:propagate", "--op", "logistic_gradient")
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.startswith("propagate passes logistic_gradient:")
    assert passed.stderr == ""
    failed = command(f"{student_file}:summed", "--op", "logistic_gradient")
    assert failed.returncode == 1
    assert "sum against mean: dw is m = 9 times too large" in failed.stdout
    assert failed.stderr == ""


@pytest.mark.parametrize(
    ("target", "op", "message"),
    [
        ("{file}:propagate", "propagate", "--op: unknown op 'propagate'; choose one of dot,"),
        ("{file}:nothing", "logistic_gradient", "{file}: defines no 'nothing'"),
        ("{file}:not_a_function", "logistic_gradient", "{file}: not_a_function is a int, not a"),
        ("{dir}/absent.py:propagate", "logistic_gradient", "{dir}/absent.py: no such file"),
        ("{dir}:propagate", "logistic_gradient", "{dir}: is a directory, not a Python file"),
        ("/dev/null:propagate", "logistic_gradient", "/dev/null: is not a regular file"),
        ("{file}", "logistic_gradient", "{file}: expected FILE.py:FUNCTION"),
    ],
)
def test_the_command_refuses_bad_arguments_in_one_line(student_file, capsys, target, op, message):
    fill = {"file": student_file, "dir": student_file.parent}
    code = yours.main([target.format(**fill), "--op", op])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith(message.format(**fill))
    assert err.count("\n") == 1


def test_a_file_that_does_not_import_is_one_line(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("def propagate(w, b, X, y)\n    return 1\n", encoding="utf-8")
    raising = tmp_path / "raising.py"
    raising.write_text("import numpy\nraise RuntimeError('no data here')\n", encoding="utf-8")
    assert yours.main([f"{broken}:propagate", "--op", "logistic_gradient"]) == 2
    assert yours.main([f"{raising}:propagate", "--op", "logistic_gradient"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{broken}: line 1: expected ':'",
        f"{raising}: importing it raised RuntimeError: no data here",
    ]


# --- timing it beside the backends -----------------------------------------------------------

TINY = [{"m": 1, "n": 1}, {"m": 9, "n": 4}]


def test_time_returns_the_table_the_figure_and_the_reading():
    timing = kernels.time(propagate, "logistic_gradient", sizes=TINY)
    table = timing.table
    assert list(table["backend"].unique()) == ["python", "numpy", "yours"]
    assert (table["status"] == "ok").all()
    assert list(table["size"]) == [1, 36] * 3
    assert (table["ci_low_s"] <= table["median_s"]).all()
    assert (table["median_s"] <= table["ci_high_s"]).all()
    assert (table["rounds"] >= 6).all()  # the benchmarks' rule: at least MIN_ROUNDS
    assert timing.reading.startswith("your `propagate` is ")
    assert " the loop and " in timing.reading
    assert timing.reading.endswith(("faster", "slower", "level"))
    assert "NumPy at m × n = 9 × 4: " in timing.reading
    (ax,) = timing.figure.axes
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["Python loop", "NumPy", "yours (propagate)"]
    assert timing.reading in ax.get_title()


def test_a_wrong_function_is_not_timed():
    calls = []

    def counted(w, b, X, y):
        calls.append(X.shape)
        return propagate_summed(w, b, X, y)

    with pytest.raises(ValueError, match="not timed, the check fails first:\ncounted fails"):
        kernels.time(counted, "logistic_gradient", sizes=TINY)
    assert len(calls) <= len(yours.cases_of("logistic_gradient"))  # the check's calls only


def test_the_example_runs_the_exercise_end_to_end(tmp_path):
    """examples/propagate.py, as a student runs it (a plain script: no nbmake needed)."""
    root = Path(__file__).resolve().parent.parent
    figure = tmp_path / "propagate.png"
    done = subprocess.run(
        [sys.executable, str(root / "examples" / "propagate.py"), "--quick", "--out", str(figure)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "propagate_loop fails logistic_gradient: 1 problem"
    assert lines[1].startswith("- Python loop: propagate_loop ")
    assert lines[2].startswith("propagate passes logistic_gradient: 14 cases")
    assert any(line.startswith("your `propagate` is ") for line in lines)
    assert figure.stat().st_size > 0
