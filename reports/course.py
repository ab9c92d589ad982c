"""The report's "Course experiments" section: figures and readings from one results file.

``load(path)`` reads and checks a ``course-*.json`` file written by ``bench/course.py``;
``render(results, figures_dir, link_prefix)`` draws its figures (PNG and SVG) and returns
the Markdown section. Only the results file is read: nothing is trained again, and
neither the kernels nor the benchmark code is imported, so a file from another machine
or an older version renders the same way.

Decision regions: the slides draw them with mlxtend's ``plot_decision_regions``. Here
``plot_decision_regions`` below does the same in about thirty lines of matplotlib,
because mlxtend would add scikit-learn, SciPy, pandas and joblib to the report's
dependencies for one contour plot, and its function wants a fitted classifier with a
``predict`` method, which a results file does not hold. Every model of the course is
linear, so its regions are just the sign of x·w + b on a grid, computed from the
weights stored in the file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from reports.formatting import format_ratio, format_time
from reports.style import colour, label

SCHEMA = "vectorbench-course/1"
UNSTABLE = 0.10  # relative standard deviation above which a time is flagged (as pyperf does)
NEAR_RESOLUTION = 1000  # times below this many timer ticks are flagged as coarse
EPS = float(np.finfo(np.float64).eps)

# The experiments this section draws, in the order it draws them, with a short title.
TITLES = {
    "perceptron": "Perceptron",
    "adaline_raw_large_eta": "Adaline (batch), raw features",
    "adaline_raw_small_eta": "Adaline (batch), raw features",
    "adaline_standardized": "Adaline (batch), standardized",
    "adaline_sgd": "Adaline, stochastic GD",
    "adaline_minibatch": "Adaline, mini-batch GD",
    "logistic_regression": "Logistic regression",
}
# The same, in two lines for the labels under the bars of the timing figure.
TICK_LABELS = {
    "perceptron": "Perceptron\nraw",
    "adaline_raw_large_eta": "Adaline GD\nraw",
    "adaline_raw_small_eta": "Adaline GD\nraw",
    "adaline_standardized": "Adaline GD\nstandardized",
    "adaline_sgd": "Adaline SGD\nstandardized",
    "adaline_minibatch": "Adaline mini-batch\nstandardized",
    "logistic_regression": "Logistic regr.\nstandardized",
}
CLASS_COLOURS = ("#ff7f0e", "#17becf")  # the two species; no backend uses these
CLASS_MARKERS = ("o", "^")
BACKEND_MARKERS = ("o", "s", "^", "x", "v", "D")


# --- loading -----------------------------------------------------------------------------


class _Invalid(Exception):
    """What is wrong, and where in the file; ``load`` adds the file's name."""


def load(path: Path | str) -> dict[str, Any]:
    """The results in ``path``, checked: a file ``render`` cannot draw raises ValueError
    with one line naming the file and what is wrong with it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise ValueError(f"{path}: cannot be read as a course results file ({reason})") from None
    if not text.strip():
        raise ValueError(f"{path}: is empty, not a course results file")
    try:
        results = json.loads(text)
    except json.JSONDecodeError as error:
        truncated = error.pos >= len(text.rstrip()) - 1
        what = "ends in the middle of the JSON (truncated?)" if truncated else "is not valid JSON"
        raise ValueError(
            f"{path}: {what}: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    try:
        _check_results(results)
    except _Invalid as error:
        raise ValueError(f"{path}: {error}") from None
    return results


def check(results: Any) -> dict[str, Any]:
    """The course section of a result file, checked: raises ValueError with one line
    naming the place and what is wrong."""
    try:
        _check_results(results)
    except _Invalid as error:
        raise ValueError(str(error)) from None
    return results


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_KINDS: dict[str, Callable[[Any], bool]] = {
    "an object": lambda value: isinstance(value, dict),
    "a list": lambda value: isinstance(value, list),
    "a string": lambda value: isinstance(value, str),
    "true or false": lambda value: isinstance(value, bool),
    "a positive integer": lambda value: type(value) is int and value > 0,
    "a finite number": _is_number,
    "a positive number": lambda value: _is_number(value) and value > 0,
}


def _get(obj: Any, key: str, kind: str, where: str) -> Any:
    """``obj[key]``, which must be of ``kind`` (a key of ``_KINDS``)."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if not _KINDS[kind](value):
        raise _Invalid(f"{where}.{key} is missing or not {kind}")
    return value


def _numbers(obj: Any, key: str, where: str, length: int | None = None) -> list:
    """``obj[key]``, a non-empty list of finite numbers (of ``length`` if given)."""
    values = _get(obj, key, "a list", where)
    if not values or (length is not None and len(values) != length):
        raise _Invalid(f"{where}.{key} has {len(values)} entries, expected {length or 'some'}")
    if not all(_is_number(value) for value in values):
        raise _Invalid(f"{where}.{key} holds something other than finite numbers")
    return values


def _check_results(results: Any) -> None:
    """Everything ``render`` reads is there and of the right kind."""
    if not isinstance(results, dict):
        raise _Invalid("holds a JSON value that is not an object: not a course results file")
    if results.get("schema") != SCHEMA:
        raise _Invalid(
            f"schema is {results.get('schema')!r}, expected {SCHEMA!r}: "
            "not a course results file of this version"
        )
    _get(results, "created", "a string", "results")
    _get(_get(results, "machine", "an object", "results"), "name", "a string", "machine")
    _get(results, "versions", "an object", "results")
    _get(_get(results, "timer", "an object", "results"), "repeats", "a positive integer", "timer")
    backends = _get(results, "backends", "a list", "results")
    if not backends or not all(isinstance(backend, str) for backend in backends):
        raise _Invalid("results.backends must be a non-empty list of names")
    datasets = _get(results, "datasets", "an object", "results")
    experiments = _get(results, "experiments", "an object", "results")
    for name in TITLES:
        where = f"experiments.{name}"
        experiment = _get(experiments, name, "an object", "experiments")
        _check_dataset(datasets, _get(experiment, "dataset", "a string", where))
        parameters = _get(experiment, "parameters", "an object", where)
        _get(parameters, "eta", "a finite number", f"{where}.parameters")
        if name == "adaline_minibatch":
            _get(parameters, "batch_size", "a positive integer", f"{where}.parameters")
        _get(experiment, "history", "a string", where)
        runs = _get(experiment, "runs", "an object", where)
        for backend in backends:
            run = _get(runs, backend, "an object", f"{where}.runs")
            at = f"{where}.runs.{backend}"
            _numbers(run, "w", at, length=2)
            _get(run, "b", "a finite number", at)
            _numbers(run, "history", at)
            time = _get(run, "time", "an object", at)
            for statistic in ("median_s", "min_s", "max_s"):
                _get(time, statistic, "a positive number", f"{at}.time")
        at = f"{where}.agreement"
        agreement = _get(experiment, "agreement", "an object", where)
        _get(agreement, "tolerance", "a positive number", at)
        _get(agreement, "within_tolerance", "true or false", at)
        compared = _get(agreement, "backends", "an object", at)
        for backend, difference in compared.items():
            for key in ("weights_max_rel_diff", "history_max_rel_diff"):
                _get(difference, key, "a finite number", f"{at}.backends.{backend}")
            _get(difference, "history_identical", "true or false", f"{at}.backends.{backend}")


def _check_dataset(datasets: dict, name: str) -> None:
    where = f"datasets.{name}"
    data = _get(datasets, name, "an object", "datasets")
    rows = _get(data, "X", "a list", where)
    if not rows:
        raise _Invalid(f"{where}.X has no rows")
    for row in rows:
        _numbers({"X": row}, "X", where, length=2)
    _numbers(data, "y", where, length=len(rows))
    _get(data, "rows", "a string", where)
    if len(_get(data, "feature_names", "a list", where)) != 2:
        raise _Invalid(f"{where}.feature_names must name the 2 features")
    _get(data, "standardized", "true or false", where)
    if len(_get(data, "classes", "an object", where)) != 2:
        raise _Invalid(f"{where}.classes must map the 2 species to their labels")


# --- numbers in prose --------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _num(x: float) -> str:
    """Three significant digits, a proper minus, powers of ten for the very large."""
    if x != 0 and not 1e-3 <= abs(x) < 1e5:
        mantissa, exponent = f"{x:.2e}".split("e")
        text = f"{mantissa}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    else:
        text = f"{x:.3g}"
    return text.replace("-", "−")


def _vector(values: Sequence[float]) -> str:
    return "(" + ", ".join(_num(v) for v in values) + ")"


def _linear(w: Sequence[float], b: float, names: Sequence[str]) -> str:
    """``w·x + b`` written out: ``−0.68·sepal length + 1.82·petal length − 0.4``."""
    text = f"{_num(w[0])}·{names[0]}"
    for value, name in ((w[1], names[1]), (b, None)):
        sign = "−" if value < 0 else "+"
        term = _num(abs(value)) + (f"·{name}" if name else "")
        text += f" {sign} {term}"
    return text


def _eps(x: float) -> str:
    """A relative difference in units of float64's machine epsilon."""
    return "0" if x == 0 else f"{x / EPS:.2g} ε"


# --- what the data says ------------------------------------------------------------------


def _arrays(results: dict, dataset: str) -> tuple[np.ndarray, np.ndarray]:
    data = results["datasets"][dataset]
    return np.array(data["X"], dtype=np.float64), np.array(data["y"], dtype=np.float64)


def _hessian_eigenvalues(X: np.ndarray) -> np.ndarray:
    """Eigenvalues of [X 1]ᵀ[X 1], the curvature of Adaline's summed squared error: batch
    gradient descent on it converges only for η < 2/λ_max."""
    X1 = np.column_stack([X, np.ones(len(X))])
    return np.linalg.eigvalsh(X1.T @ X1)


def _misclassified(results: dict, experiment: dict, run: dict) -> int:
    X, y = _arrays(results, experiment["dataset"])
    labels = sorted(results["datasets"][experiment["dataset"]]["classes"].values())
    predicted = np.where(X @ np.array(run["w"]) + run["b"] >= 0, labels[1], labels[0])
    return int(np.sum(predicted != y))


def _history(run: dict) -> np.ndarray:
    return np.array(run["history"], dtype=np.float64)


# --- drawing -----------------------------------------------------------------------------


def _axis_label(results: dict, dataset: str, feature: int) -> str:
    data = results["datasets"][dataset]
    name = data["feature_names"][feature]
    if data["standardized"]:
        return f"{name} [standardized]"
    return f"{name} [{data['unit']}]" if data.get("unit") else name


def _backend_style(index: int) -> dict:
    """Later backends drawn thinner and smaller on top, so that where all the curves
    coincide (they should) every one of them still shows."""
    return {
        "linewidth": max(3.2 - 0.7 * index, 0.8),
        "markersize": max(9.0 - 1.8 * index, 3.0),
        "marker": BACKEND_MARKERS[index % len(BACKEND_MARKERS)],
    }


def plot_history(ax, results: dict, name: str, ylabel: str, *, log: bool = False) -> None:
    """One experiment's history per epoch (or iteration), every backend in its colour."""
    experiment = results["experiments"][name]
    for index, backend in enumerate(results["backends"]):
        history = _history(experiment["runs"][backend])
        steps = np.arange(1, len(history) + 1)
        style = _backend_style(index)
        if len(history) > 30:  # markers would merge into a band
            style["marker"] = None
        ax.plot(steps, history, color=colour(backend), label=label(backend), **style)
    parameters = experiment["parameters"]
    ax.set_xlabel("iteration" if "iterations" in parameters else "epoch")
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.set_title(f"{TITLES[name]}, η = {parameters['eta']:g}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")


def plot_decision_regions(ax, results: dict, name: str, *, resolution: int = 300) -> None:
    """The plane shaded by the class that x·w + b predicts (≥ 0: the second class),
    with the reference backend's weights; every backend's boundary x·w + b = 0 as a line
    in its colour; and the samples, one marker per species.

    A small stand-in for mlxtend's ``plot_decision_regions``: the models are linear, so
    the prediction on the grid needs only w and b from the results file.
    """
    experiment = results["experiments"][name]
    X, y = _arrays(results, experiment["dataset"])
    classes = results["datasets"][experiment["dataset"]]["classes"]
    (low_name, low), (high_name, high) = sorted(classes.items(), key=lambda item: item[1])
    margin = 1.0  # the slides' margin, in the features' units
    g1, g2 = np.meshgrid(
        np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution),
        np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution),
    )

    def net_input(run: dict) -> np.ndarray:
        return g1 * run["w"][0] + g2 * run["w"][1] + run["b"]

    backends = results["backends"]
    regions = np.where(net_input(experiment["runs"][backends[0]]) >= 0, 1.0, 0.0)
    ax.contourf(g1, g2, regions, levels=[-0.5, 0.5, 1.5], colors=CLASS_COLOURS, alpha=0.25)
    handles = []
    for index, backend in enumerate(backends):
        z = net_input(experiment["runs"][backend])
        if z.min() < 0 < z.max():  # the boundary crosses the plotted area
            width = _backend_style(index)["linewidth"]
            ax.contour(g1, g2, z, levels=[0.0], colors=[colour(backend)], linewidths=width)
            handles.append(
                Line2D([], [], color=colour(backend), linewidth=width, label=label(backend))
            )
    for (species, value), face, marker in zip(
        ((low_name, low), (high_name, high)), CLASS_COLOURS, CLASS_MARKERS, strict=True
    ):
        rows = y == value
        handles.append(
            ax.scatter(
                X[rows, 0],
                X[rows, 1],
                c=face,
                marker=marker,
                edgecolors="black",
                linewidths=0.6,
                label=f"{species} ({value:+g})" if low < 0 else f"{species} ({value:g})",
            )
        )
    ax.set_xlim(g1[0, 0], g1[0, -1])
    ax.set_ylim(g2[0, 0], g2[-1, 0])
    ax.set_xlabel(_axis_label(results, experiment["dataset"], 0))
    ax.set_ylabel(_axis_label(results, experiment["dataset"], 1))
    ax.set_title(f"{TITLES[name]}: decision regions")
    ax.legend(handles=handles, fontsize="small", loc="upper left")


def plot_train_times(ax, results: dict) -> None:
    """Median time to train per experiment and backend; whiskers from fastest to slowest."""
    names = list(TITLES)
    backends = results["backends"]
    width = 0.8 / len(backends)
    for index, backend in enumerate(backends):
        times = [results["experiments"][n]["runs"][backend]["time"] for n in names]
        median = np.array([t["median_s"] for t in times]) * 1e3
        low = median - np.array([t["min_s"] for t in times]) * 1e3
        high = np.array([t["max_s"] for t in times]) * 1e3 - median
        ax.bar(
            np.arange(len(names)) + (index - (len(backends) - 1) / 2) * width,
            median,
            width,
            yerr=[low, high],
            color=colour(backend),
            label=label(backend),
            error_kw={"elinewidth": 0.8, "capsize": 2},
        )
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels([_tick_label(results, n) for n in names], fontsize="small")
    ax.set_ylabel("time to train [ms]")
    ax.set_title(f"Time to train (median of {results['timer']['repeats']} runs)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small")


def _tick_label(results: dict, name: str) -> str:
    return f"{TICK_LABELS[name]}\nη = {results['experiments'][name]['parameters']['eta']:g}"


# --- the figures -------------------------------------------------------------------------


def _figure_perceptron(fig: Figure, results: dict) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, "perceptron", "misclassifications")
    left.yaxis.get_major_locator().set_params(integer=True)
    plot_decision_regions(right, results, "perceptron")


def _figure_adaline_raw(fig: Figure, results: dict) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(
        left, results, "adaline_raw_large_eta", "½ · sum of squared errors (log scale)", log=True
    )
    plot_history(right, results, "adaline_raw_small_eta", "½ · sum of squared errors")


def _figure_adaline_standardized(fig: Figure, results: dict) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, "adaline_standardized", "½ · sum of squared errors")
    plot_decision_regions(right, results, "adaline_standardized")


def _figure_gradient_descent(fig: Figure, results: dict) -> None:
    axes = fig.subplots(1, 3, sharey=True)
    names = ("adaline_sgd", "adaline_minibatch", "adaline_standardized")
    for ax, name in zip(axes, names, strict=True):
        plot_history(ax, results, name, "½ · sum of squared errors")
        if name == "adaline_minibatch":
            batch = results["experiments"][name]["parameters"]["batch_size"]
            ax.set_title(f"{ax.get_title()}, batch {batch}")
    for ax in axes[1:]:
        ax.set_ylabel("")


def _figure_logistic(fig: Figure, results: dict) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, "logistic_regression", "mean cross-entropy")
    plot_decision_regions(right, results, "logistic_regression")


def _figure_times(fig: Figure, results: dict) -> None:
    plot_train_times(fig.subplots(), results)


def _save(
    draw: Callable[[Figure, dict], None],
    results: dict,
    figures_dir: Path,
    stem: str,
    size: tuple[float, float],
) -> str:
    """Draw one figure, save it as PNG and SVG; returns the PNG's file name."""
    # A fixed SVG hash salt and no date: the same results give byte-identical files.
    with mpl.rc_context({"svg.hashsalt": "vectorbench-course"}):
        fig = Figure(figsize=size, layout="constrained")
        draw(fig, results)
        fig.savefig(figures_dir / f"{stem}.png", dpi=150)
        fig.savefig(figures_dir / f"{stem}.svg", metadata={"Date": None})
    return f"{stem}.png"


# --- the Markdown ------------------------------------------------------------------------


def render(results: dict, figures_dir: Path, link_prefix: str) -> str:
    """Draw the figures into ``figures_dir`` and return the Markdown section, whose
    images are linked as ``link_prefix + file name``."""
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)

    def image(draw, stem: str, alt: str, size=(11.0, 4.2)) -> str:
        return f"![{alt}]({link_prefix}{_save(draw, results, figures_dir, stem, size)})"

    sections = [
        "## Course experiments",
        _introduction(results),
        "### Perceptron",
        image(
            _figure_perceptron,
            "course-perceptron",
            "Perceptron on Iris: misclassifications per epoch, and its decision regions",
        ),
        _reading_perceptron(results),
        "### Adaline on the raw features: a learning rate too large, and one too small",
        image(
            _figure_adaline_raw,
            "course-adaline-raw",
            "Adaline on raw Iris features: cost per epoch for two learning rates",
        ),
        _reading_adaline_raw(results),
        "### Adaline on standardized features",
        image(
            _figure_adaline_standardized,
            "course-adaline-standardized",
            "Adaline on standardized Iris features: cost per epoch and decision regions",
        ),
        _reading_adaline_standardized(results),
        "### Stochastic, mini-batch and batch gradient descent",
        image(
            _figure_gradient_descent,
            "course-gradient-descent",
            "Adaline by stochastic, mini-batch and batch gradient descent: cost per epoch",
            size=(13.0, 4.2),
        ),
        _reading_gradient_descent(results),
        "### Logistic regression",
        image(
            _figure_logistic,
            "course-logistic-regression",
            "Logistic regression on Iris: cost per iteration and decision regions",
        ),
        _reading_logistic(results),
        "### Time to train, per backend",
        image(
            _figure_times,
            "course-train-times",
            "Median time to train each experiment on each backend",
            size=(11.0, 5.0),
        ),
        _times_table(results),
        _reading_times(results),
        "### Do the backends agree?",
        _agreement_table(results),
    ]
    return "\n\n".join(sections) + "\n"


def _introduction(results: dict) -> str:
    machine = results["machine"]
    cpu = machine.get("cpu") or {}
    threads = machine.get("threads") or {}
    raw = results["datasets"][results["experiments"]["perceptron"]["dataset"]]
    git = results.get("git") or {}
    commit = f", commit `{git['commit'][:10]}`" if git.get("commit") else ""
    dirty = " with local changes" if git.get("dirty") else ""
    quick = " (a quick run)" if results.get("quick") else ""
    unit = f" ({raw['unit']})" if raw.get("unit") else ""
    versions = ", ".join(
        f"{name} {version}"
        for name, version in results["versions"].items()
        if name in ("python", "numpy", "numba")
    )
    created = datetime.fromisoformat(results["created"]).strftime("%Y-%m-%d %H:%M %Z")
    return (
        "The slides' training runs, each trained with `kernels.train` on every backend: "
        f"{', '.join(label(b) for b in results['backends'])}. "
        f"Data: rows {raw['rows']} of the UCI copy of the Iris data, features "
        f"{' and '.join(raw['feature_names'])}{unit}, setosa labelled −1 and "
        "versicolor +1 (0 and 1 for logistic regression). "
        f"Measured on `{machine['name']}` ({cpu.get('brand', 'unknown CPU')}, "
        f"{threads.get('all_cores', '?')} cores, Numba with "
        f"{threads.get('numba_threads', '?')} threads) on {created}{quick}{commit}{dirty}; "
        f"{versions}."
    )


def _reading_perceptron(results: dict) -> str:
    experiment = results["experiments"]["perceptron"]
    run = experiment["runs"][results["backends"][0]]
    history = [int(h) for h in run["history"]]
    eta = experiment["parameters"]["eta"]
    if history and history[-1] == 0:
        last = max((i for i, h in enumerate(history) if h > 0), default=-1) + 1
        outcome = (
            f"From epoch {last + 1} on it makes no mistake: setosa and versicolor are "
            "linearly separable in this plane, and on separable data the perceptron is "
            "guaranteed to stop making mistakes after finitely many updates (the "
            "perceptron convergence theorem)."
        )
    else:
        outcome = (
            f"It still misclassified {history[-1] if history else '?'} flowers in the last "
            "epoch: more epochs are needed."
        )
    w, b = run["w"], run["b"]
    names = results["datasets"][experiment["dataset"]]["feature_names"]
    m = len(results["datasets"][experiment["dataset"]]["y"])
    same = (
        " The boundaries of all backends lie on top of each other."
        if experiment["agreement"]["within_tolerance"]
        else ""
    )
    return (
        f"Each epoch the perceptron visits the {m} flowers in order and, for every one it "
        f"gets wrong, moves the weights by η·(y − ŷ)·x with η = {eta:g}. "
        f"Misclassifications per epoch: {', '.join(map(str, history))}. {outcome} "
        f"Final weights w = {_vector(w)}, b = {_num(b)}: the decision boundary is the line "
        f"{_linear(w, b, names)} = 0, with versicolor predicted above it.{same}"
    )


def _reading_adaline_raw(results: dict) -> str:
    large = results["experiments"]["adaline_raw_large_eta"]
    small = results["experiments"]["adaline_raw_small_eta"]
    backend = results["backends"][0]
    X, _ = _arrays(results, large["dataset"])
    eigenvalues = _hessian_eigenvalues(X)
    limit = 2 / eigenvalues[-1]
    eta_large, eta_small = large["parameters"]["eta"], small["parameters"]["eta"]
    cost_large, cost_small = _history(large["runs"][backend]), _history(small["runs"][backend])
    if np.all(np.diff(cost_large) > 0):
        large_text = (
            f"With η = {eta_large:g}, {eta_large / limit:.0f} times that limit, each step "
            "overshoots the bottom of the valley and lands higher up on the other side, "
            f"so the cost grows every epoch: from {_num(cost_large[0])} to "
            f"{_num(cost_large[-1])} in {len(cost_large)} epochs (hence the logarithmic "
            "axis). The weights are oscillating with growing amplitude: gradient descent "
            "diverges."
        )
    else:
        large_text = (
            f"With η = {eta_large:g} the cost went from {_num(cost_large[0])} to "
            f"{_num(cost_large[-1])}."
        )
    return (
        f"Adaline's batch step moves the weights by η·Xᵀe, a sum over all {len(X)} flowers "
        "of error times features. On the raw features (in cm, values between "
        f"{X.min():g} and {X.max():g}) that sum is large, and batch gradient descent on the "
        "summed squared error is stable only for η < 2/λ_max, where λ_max is the largest "
        "eigenvalue of XᵀX (with a column of ones for the bias). For this data "
        f"2/λ_max = {_num(limit)}. {large_text} "
        f"With η = {eta_small:g}, inside the limit, every step goes downhill, but the cost "
        f"only falls from {_num(cost_small[0])} to {_num(cost_small[-1])} in "
        f"{len(cost_small)} epochs: it crawls. The valley is long and flat — its steepest "
        f"direction is {eigenvalues[-1] / eigenvalues[0]:,.0f} times steeper than its "
        "flattest — and a step small enough for the steep direction barely moves along "
        "the flat one."
    )


def _reading_adaline_standardized(results: dict) -> str:
    experiment = results["experiments"]["adaline_standardized"]
    run = experiment["runs"][results["backends"][0]]
    cost = _history(run)
    raw, _ = _arrays(results, results["experiments"]["adaline_raw_large_eta"]["dataset"])
    scaled, _ = _arrays(results, experiment["dataset"])
    raw_eigen, eigen = _hessian_eigenvalues(raw), _hessian_eigenvalues(scaled)
    eta = experiment["parameters"]["eta"]
    limit = 2 / eigen[-1]
    converges = "converges" if eta < limit and cost[-1] < cost[0] else "does not converge"
    wrong = _misclassified(results, experiment, run)
    return (
        "Standardizing each feature — subtracting its mean, dividing by its standard "
        "deviation — puts both on the same scale, centred on zero. The valley of the "
        f"cost becomes much rounder (steepest over flattest direction: "
        f"{raw_eigen[-1] / raw_eigen[0]:,.0f} before, {eigen[-1] / eigen[0]:.3g} after) and "
        f"the stable range grows to η < {_num(limit)}, so the same η = {eta:g} that "
        f"diverged on the raw features now {converges}: the cost falls from "
        f"{_num(cost[0])} to {_num(cost[-1])} in {len(cost)} epochs. It does not reach zero, "
        "because Adaline fits the labels −1 and +1 with a plane, which no straight cut "
        "through the flowers does exactly. For classifying only the sign of the net input "
        f"matters, and {_flowers_wrong(wrong)}."
    )


def _flowers_wrong(count: int) -> str:
    if count == 0:
        return "every flower is on the right side of the boundary"
    return f"{count} flower{'s are' if count > 1 else ' is'} still on the wrong side"


def _reading_gradient_descent(results: dict) -> str:
    backend = results["backends"][0]
    sgd = results["experiments"]["adaline_sgd"]
    mini = results["experiments"]["adaline_minibatch"]
    batch = results["experiments"]["adaline_standardized"]
    m = len(results["datasets"][batch["dataset"]]["y"])
    size = mini["parameters"]["batch_size"]
    updates = {"stochastic": m, "mini-batch": math.ceil(m / size), "batch": 1}
    costs = {
        name: _history(e["runs"][backend])
        for name, e in (("stochastic", sgd), ("mini-batch", mini), ("batch", batch))
    }
    first = ", ".join(f"{_num(c[0])} ({name})" for name, c in costs.items())
    last = ", ".join(f"{_num(c[-1])} ({name})" for name, c in costs.items())
    seed = sgd["parameters"].get("shuffle_seed")
    shuffled = (
        f"SGD and mini-batch visit the flowers in a fresh random order each epoch, drawn "
        f"from seed {seed}, the same order on every backend — which is why their curves "
        "coincide too. "
        if seed is not None
        else ""
    )
    return (
        f"Three ways to spend an epoch on the same standardized data with the same "
        f"η = {batch['parameters']['eta']:g}: stochastic gradient descent updates the weights "
        f"after every flower ({updates['stochastic']} updates per epoch), mini-batch after "
        f"every {size} ({updates['mini-batch']} updates), batch once. More updates per epoch "
        f"means more progress per epoch: the first epoch's cost is {first}; after "
        f"{len(costs['batch'])} epochs it is {last}. {shuffled}"
        f"Each cost is half the sum of squared errors over the {m} flowers, but taken at "
        "different moments: batch before its update, SGD after the epoch, mini-batch as the sum of "
        "each batch's cost before that batch's update; compare the trends, not the third "
        "digit. The price of many small updates is in the timing table below: each update "
        "depends on the previous one, so the loop over samples cannot become one array "
        "operation."
    )


def _reading_logistic(results: dict) -> str:
    experiment = results["experiments"]["logistic_regression"]
    run = experiment["runs"][results["backends"][0]]
    cost = _history(run)
    parameters = experiment["parameters"]
    wrong = _misclassified(results, experiment, run)
    return (
        "Logistic regression predicts the probability σ(x·w + b) that a flower is "
        "versicolor and follows the gradient of the mean cross-entropy. With all weights "
        f"zero every probability is 0.5, so the first cost is log 2 = {_num(cost[0])}; after "
        f"{len(cost)} iterations with η = {parameters['eta']:g} it is {_num(cost[-1])}, and "
        f"{_flowers_wrong(wrong)}. The boundary is where the probability is "
        "exactly 0.5, that is where x·w + b = 0: a straight line, as for the perceptron and "
        "Adaline. On separable data the cost keeps falling towards zero as the weights "
        "grow, without ever reaching it. (η can be larger than Adaline's here because this "
        "cost is a mean over the flowers, not a sum.)"
    )


def _median(results: dict, name: str, backend: str) -> float:
    return results["experiments"][name]["runs"][backend]["time"]["median_s"]


def _fastest(results: dict, name: str) -> str:
    return min(results["backends"], key=lambda backend: _median(results, name, backend))


def _times_table(results: dict) -> str:
    backends = results["backends"]
    reference = backends[0]
    header = ["experiment", *(label(b) for b in backends)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    resolution = results["timer"].get("resolution_s") or 0.0
    unstable = coarse = False
    for name in TITLES:
        parameters = results["experiments"][name]["parameters"]
        cells = [f"{TITLES[name]}, η = {parameters['eta']:g}"]
        base = _median(results, name, reference)
        for backend in backends:
            time = results["experiments"][name]["runs"][backend]["time"]
            flag = ""
            spread = time.get("relative_stdev")
            if spread is not None and spread >= UNSTABLE:
                flag, unstable = " †", True
            if time["median_s"] < NEAR_RESOLUTION * resolution:
                flag, coarse = flag + " ‡", True
            cell = format_time(time["median_s"]) + flag
            if backend != reference:
                cell += f" ({format_ratio(base / time['median_s'])})"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    timer = results["timer"]
    notes = [
        f"Median of {timer['repeats']} timed runs after one untimed warm-up run; in "
        f"brackets, the speed-up over the {label(reference)} backend (above 1× is faster)."
    ]
    if unstable:
        notes.append(
            f"† the runs' standard deviation is at least {UNSTABLE:.0%} of their mean: "
            "something else competed for the CPU, so treat that number as rough."
        )
    if coarse:
        notes.append(
            f"‡ less than {NEAR_RESOLUTION:,} times the timer's resolution "
            f"({format_time(resolution)}): the clock itself limits the precision."
        )
    return "\n".join(lines) + "\n\n" + " ".join(notes)


def _reading_times(results: dict) -> str:
    backends = results["backends"]
    reference = backends[0]
    m, n = _arrays(results, results["experiments"]["perceptron"]["dataset"])[0].shape
    parts = [
        f"Iris is tiny — {m} flowers, {n} features — so an epoch is a few hundred "
        "multiply-adds, which compiled code does in well under a microsecond. What these "
        "times measure is mostly the cost of *calling* and of interpreting: Python stepping "
        "through its loops one operation at a time, NumPy creating small arrays and "
        "dispatching each operation, the argument checks in front of every op, the entry "
        "into compiled Numba code."
    ]
    if "numpy" in backends and reference != "numpy":
        per_sample = {"perceptron": "the perceptron", "adaline_sgd": "stochastic Adaline"}
        slower = [
            text
            for name, text in per_sample.items()
            if _median(results, name, "numpy") > _median(results, name, reference)
        ]
        if slower:
            parts.append(
                f"NumPy is slower than the {label(reference)} backend on the per-sample rules "
                f"({' and '.join(slower)}): there it loops over the flowers in Python "
                "anyway and pays NumPy's overhead for each tiny operation on one flower."
            )
    if "numba" in backends:
        fastest = [n for n in TITLES if _fastest(results, n) in ("numba", "numba_parallel")]
        parts.append(
            f"Compiled loops (Numba) are the fastest in {len(fastest)} of {len(TITLES)} "
            "experiments: the same loops as the Python backend, run as machine code."
        )
    if "numba" in backends and "numba_parallel" in backends:
        gains = [
            _median(results, n, "numba") / _median(results, n, "numba_parallel") for n in TITLES
        ]
        parts.append(
            f"Running on all cores changes little (Numba parallel against Numba: "
            f"{format_ratio(min(gains))} to {format_ratio(max(gains))}): {m} samples are too "
            "few to be worth sharing out (the parallel kernels keep so few rows in one block), "
            "so what is left is the cost of entering a parallel region; and the per-sample "
            "rules cannot be shared out at all."
        )
    parts.append(
        "The benchmarks at larger sizes show where vectorizing and compiling pay off in "
        "arithmetic rather than in overhead."
    )
    return " ".join(parts)


def _agreement_table(results: dict) -> str:
    backends = results["backends"]
    reference = backends[0]
    others = backends[1:]
    header = ["experiment", *(label(b) for b in others), "tolerance", "agree?"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in TITLES:
        experiment = results["experiments"][name]
        agreement = experiment["agreement"]
        counts = experiment["history"] == "misclassifications"
        cells = [f"{TITLES[name]}, η = {experiment['parameters']['eta']:g}"]
        for backend in others:
            diff = agreement["backends"].get(backend)
            if diff is None:
                cells.append("—")
                continue
            if counts:
                history = "same counts" if diff["history_identical"] else "counts differ"
            else:
                history = f"history {_eps(diff['history_max_rel_diff'])}"
            cells.append(f"w, b {_eps(diff['weights_max_rel_diff'])}; {history}")
        cells.append(f"{agreement['tolerance'] / EPS:,.0f} ε")
        cells.append("yes" if agreement["within_tolerance"] else "**no**")
        lines.append("| " + " | ".join(cells) + " |")
    return (
        "\n".join(lines)
        + "\n\n"
        + f"Largest difference from the {label(reference)} backend, relative, in units of "
        "ε = 2.2·10⁻¹⁶ (float64's machine epsilon): for the final weights relative to "
        "their largest magnitude, for the histories entry by entry. The backends add and "
        "multiply in different orders, so they agree to rounding, not bit for bit; the "
        "tolerance, ε times the number of rounded operations in the run "
        "(`kernels.train.agreement_rtol`), bounds that rounding to first order."
    )
