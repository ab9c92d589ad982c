"""The course section's figures: histories per epoch, decision regions, times to train.

Drawn and saved with the report's figure kit (``reports.figkit``), like the benchmark
figures; their alternative texts are the template's.

The slides draw decision regions with mlxtend's ``plot_decision_regions``. Here a few
lines of matplotlib do the same, because mlxtend would add scikit-learn, SciPy, pandas
and joblib to the report's dependencies for one contour plot, and its function wants a
fitted classifier with a ``predict`` method, which a results file does not hold. The
course's linear models need only the sign of x·w + b on a grid, from the weights in the
file (``plot_decision_regions``); the models drawn on the shallow-network exercise's
flower need not be linear, so ``plot_planar_decision_regions`` shades the plane by any
predictor, a function from points to labels, one panel per model.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D

from reports.course.experiments import TITLES, experiments_in, tick_label, title
from reports.course.findings import (
    Timing,
    arrays,
    flower_findings,
    hidden_size_findings,
    history,
    network_findings,
    network_output,
    same_point_both_classes,
    timings,
)
from reports.figkit import GRID, backend_line, log_scale, new_figure, save_all, styled
from reports.style import Style

CLASS_COLOURS = ("#ff7f0e", "#17becf")  # the two species; no backend uses these
CLASS_MARKERS = ("o", "^")
BACKEND_MARKERS = ("o", "s", "^", "x", "v", "D")
PLANAR_COLOURS = ("#d62728", "#1f77b4")  # the flower's classes, red and blue as in the course
SEPARABLE_STYLE = {"color": "0.45", "linestyle": "--", "linewidth": 2.0, "marker": "."}
SSE = "½ · sum of squared errors"

# A model's prediction on the flower: (k, 2) points → (k,) labels 0 or 1; and a panel of
# the flower's figure: (title, predictor, accuracy).
Predictor = Callable[[np.ndarray], np.ndarray]
Panel = tuple[str, Predictor, float]


def _classes(results: dict, dataset: str) -> list[tuple[str, float]]:
    """The data set's two classes, (name, label), the lower label first."""
    return sorted(results["datasets"][dataset]["classes"].items(), key=lambda item: item[1])


def _grid(X: np.ndarray) -> list[np.ndarray]:
    """A grid of 300 × 300 points over the samples' plane, with the slides' margin (in the
    features' units)."""
    margin = 1.0
    return np.meshgrid(
        np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, 300),
        np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, 300),
    )


def _frame(ax, results: dict, dataset: str, g1: np.ndarray, g2: np.ndarray) -> None:
    """The axes' limits at the grid's edges, and each axis named by its feature."""
    data = results["datasets"][dataset]
    unit = "standardized" if data["standardized"] else data.get("unit")
    names = [f"{name} [{unit}]" if unit else name for name in data["feature_names"]]
    ax.set_xlim(g1[0, 0], g1[0, -1])
    ax.set_ylim(g2[0, 0], g2[-1, 0])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])


def _backend_style(index: int) -> dict:
    """Later backends drawn thinner and smaller on top, so that where all the curves
    coincide (they should) every one of them still shows."""
    return {
        "linewidth": max(3.2 - 0.7 * index, 0.8),
        "markersize": max(9.0 - 1.8 * index, 3.0),
        "marker": BACKEND_MARKERS[index % len(BACKEND_MARKERS)],
    }


def backends_legend(ax, experiment: dict, lines: list, others: list = (), **options) -> None:
    """The legend of the backends' lines (and ``others``, the data's): where the backends
    agree, every line lies on the one before, and one entry with every backend's colour
    side by side says so, instead of one entry each whose colour never shows."""
    if len(lines) > 1 and experiment["agreement"]["within_tolerance"]:
        handles = [tuple(lines), *others]
        labels = [f"all {len(lines)} backends, one on another", *(h.get_label() for h in others)]
        handler = {tuple: HandlerTuple(ndivide=None, pad=0.0)}  # a stripe of every colour
        ax.legend(handles, labels, handler_map=handler, handlelength=4, fontsize="small", **options)
    else:
        ax.legend(handles=[*lines, *others], fontsize="small", **options)


def plot_history(
    ax, results: dict, look: Style, name: str, ylabel: str, *, log: bool = False, others=()
) -> None:
    """One experiment's history per epoch (or iteration), every backend in its colour;
    ``others``: more lines for the legend."""
    experiment = results["experiments"][name]
    lines = []
    for index, backend in enumerate(results["backends"]):
        if backend not in experiment["runs"]:  # a variant's run that is its base's
            continue
        values = history(experiment["runs"][backend])
        steps = np.arange(1, len(values) + 1)
        style = _backend_style(index)
        if len(values) > 30:  # markers would merge into a band
            style["marker"] = None
        lines += ax.plot(steps, values, **backend_line(backend, look), **style)
    parameters = experiment["parameters"]
    ax.set_xlabel("iteration" if "iterations" in parameters else "epoch")
    ax.set_ylabel(ylabel)
    if log:
        log_scale(ax, x=False)
    ax.set_title(title(results, name))
    ax.grid(True, **GRID)
    backends_legend(ax, experiment, lines, list(others))


def plot_decision_regions(ax, results: dict, look: Style, name: str) -> None:
    """The plane shaded by the class that x·w + b predicts (≥ 0: the second class),
    with the reference backend's weights; every backend's boundary x·w + b = 0 as a line
    in its colour; and the samples, one marker per species."""
    experiment = results["experiments"][name]
    X, y = arrays(results, experiment["dataset"])
    classes = _classes(results, experiment["dataset"])
    g1, g2 = _grid(X)

    def net_input(run: dict) -> np.ndarray:
        return g1 * run["w"][0] + g2 * run["w"][1] + run["b"]

    backends = results["backends"]
    regions = np.where(net_input(experiment["runs"][backends[0]]) >= 0, 1.0, 0.0)
    ax.contourf(g1, g2, regions, levels=[-0.5, 0.5, 1.5], colors=CLASS_COLOURS, alpha=0.25)
    lines, samples = [], []
    for index, backend in enumerate(backends):
        if backend not in experiment["runs"]:
            continue
        z = net_input(experiment["runs"][backend])
        if z.min() < 0 < z.max():  # the boundary crosses the plotted area
            width = _backend_style(index)["linewidth"]
            line = backend_line(backend, look)
            ax.contour(g1, g2, z, levels=[0.0], colors=[line["color"]], linewidths=width)
            lines.append(Line2D([], [], linewidth=width, **line))
    sign = "+" if classes[0][1] < 0 else ""  # −1 and +1, or 0 and 1
    for (species, value), face, marker in zip(classes, CLASS_COLOURS, CLASS_MARKERS, strict=True):
        rows = y == value
        label = f"{species} ({value:{sign}g})"
        samples.append(
            ax.scatter(X[rows, 0], X[rows, 1], c=face, marker=marker, edgecolors="black",
                       linewidths=0.6, label=label)
        )  # fmt: skip
    _frame(ax, results, experiment["dataset"], g1, g2)
    ax.set_title(f"{TITLES[name][0]}: decision regions")
    backends_legend(ax, experiment, lines, samples, loc="upper left")


def plot_planar_decision_regions(
    axes, results: dict, look: Style, dataset: str, panels: list[Panel]
) -> None:
    """One panel per (title, predict, accuracy): the plane shaded by the label ``predict``
    gives each point of a grid, the data set's points on top in their class's colour,
    the title followed by the accuracy on those points.

    ``predict`` may be any model, linear or not: it maps a (k, 2) array of points to k
    labels 0 or 1 (the course's ``predict(parameters, X)``, with samples as rows).
    """
    X, y = arrays(results, dataset)
    classes = _classes(results, dataset)
    g1, g2 = _grid(X)
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    for ax, (heading, predict, accuracy) in zip(axes, panels, strict=True):
        regions = np.asarray(predict(grid), dtype=np.float64).reshape(g1.shape)
        ax.contourf(g1, g2, regions, levels=[-0.5, 0.5, 1.5], colors=PLANAR_COLOURS, alpha=0.25)
        for (name, value), colour in zip(classes, PLANAR_COLOURS, strict=True):
            rows = y == value
            ax.scatter(
                X[rows, 0], X[rows, 1], s=12, c=colour, edgecolors="black", linewidths=0.3,
                label=f"{name} ({value:g})",
            )  # fmt: skip
        _frame(ax, results, dataset, g1, g2)
        ax.set_aspect("equal")
        ax.set_title(f"{heading}: accuracy {accuracy:.0%}")
        ax.legend(fontsize="small", loc="upper left")


def linear_predictor(w, b) -> Predictor:
    """Label 1 where x·w + b >= 0, else 0: logistic regression's σ(x·w + b) >= 0.5."""
    w = np.asarray(w, dtype=np.float64)
    return lambda points: (points @ w + b >= 0).astype(np.int64)


def network_predictor(run: dict) -> Predictor:
    """Label 1 where the network's output σ(tanh(x W1 + b1) W2 + b2) is > 0.5."""
    return lambda points: (network_output(run, points) > 0).astype(np.int64)


def flower_panels(results: dict) -> list[Panel]:
    """The models drawn on the flower, each as (title, predict, accuracy): logistic
    regression, and the shallow network where the file has it."""
    found = flower_findings(results)
    panels = [("Logistic regression", linear_predictor(found["w"], found["b"]), found["accuracy"])]
    network = network_findings(results)
    if network is not None:
        title = f"Shallow network, {network['hidden']} tanh units"
        panels.append((title, network_predictor(network["run"]), network["accuracy"]))
    return panels


def plot_train_times(ax, results: dict, look: Style, judged: dict[str, dict[str, Timing]]) -> None:
    """Median time to train per experiment and backend; whiskers over the interquartile
    range, as the benchmark figures band it."""
    names = experiments_in(results)
    backends = results["backends"]
    width = 0.8 / len(backends)
    for index, backend in enumerate(backends):
        trained = [judged[name].get(backend) for name in names]  # None: not trained
        q1, median, q3 = (
            np.array([getattr(t.quartiles, q) if t else np.nan for t in trained]) * 1e3
            for q in ("q1", "median", "q3")
        )
        ax.bar(
            np.arange(len(names)) + (index - (len(backends) - 1) / 2) * width,
            median,
            width,
            yerr=[median - q1, q3 - median],
            error_kw={"elinewidth": 0.8, "capsize": 2},
            **backend_line(backend, look),
        )
    log_scale(ax, x=False)
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels([tick_label(results, name) for name in names], fontsize="small")
    ax.set_ylabel("time to train [ms]")
    # the runs per experiment differ (the network's long runs fewer): the table says how many
    ax.set_title("Time to train (median and interquartile range of the timed runs)")
    ax.grid(True, axis="y", **GRID)
    ax.legend(fontsize="small")


# --- the figures -------------------------------------------------------------------------

# The section's figures, in the order they are drawn: file name → the drawing, its size
# in inches, and the experiment the result file must hold (files may predate ``LATER``).
FIGURES: dict[str, tuple[Callable[[Figure, dict, Style], None], tuple[float, float], str]] = {}


def _figure(name: str, size: tuple[float, float] = (11.0, 4.2), needs: str = "perceptron"):
    def register(draw: Callable[[Figure, dict, Style], None]):
        FIGURES[name] = (draw, size, needs)
        return draw

    return register


@_figure("course-perceptron")
def _figure_perceptron(fig: Figure, results: dict, look: Style) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, look, "perceptron", "misclassifications")
    left.yaxis.get_major_locator().set_params(integer=True)
    plot_decision_regions(right, results, look, "perceptron")


@_figure("course-perceptron-nonseparable", needs="perceptron_nonseparable")
def _figure_perceptron_nonseparable(fig: Figure, results: dict, look: Style) -> None:
    left, right = fig.subplots(1, 2)
    name = "perceptron_nonseparable"
    separable = history(results["experiments"]["perceptron"]["runs"][results["backends"][0]])
    (line,) = left.plot(
        np.arange(1, len(separable) + 1), separable, **SEPARABLE_STYLE,
        label="setosa vs versicolor (separable)",
    )  # fmt: skip
    plot_history(left, results, look, name, "misclassifications", others=[line])
    left.set_ylim(bottom=-0.3)
    left.yaxis.get_major_locator().set_params(integer=True)
    plot_decision_regions(right, results, look, name)
    dataset = results["experiments"][name]["dataset"]
    twin = same_point_both_classes(*arrays(results, dataset))
    if twin is not None:
        right.annotate(
            "one flower of each species",
            xy=twin,
            xytext=(twin[0] + 0.4, twin[1] - 1.2),
            arrowprops={"arrowstyle": "->"},
            fontsize="small",
        )


@_figure("course-adaline-raw")
def _figure_adaline_raw(fig: Figure, results: dict, look: Style) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, look, "adaline_raw_large_eta", f"{SSE} (log scale)", log=True)
    plot_history(right, results, look, "adaline_raw_small_eta", SSE)


@_figure("course-adaline-standardized")
def _figure_adaline_standardized(fig: Figure, results: dict, look: Style) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, look, "adaline_standardized", SSE)
    plot_decision_regions(right, results, look, "adaline_standardized")


@_figure("course-gradient-descent", size=(13.0, 4.2))
def _figure_gradient_descent(fig: Figure, results: dict, look: Style) -> None:
    axes = fig.subplots(1, 3, sharey=True)
    names = ("adaline_sgd", "adaline_minibatch", "adaline_standardized")
    for ax, name in zip(axes, names, strict=True):
        plot_history(ax, results, look, name, SSE)
        if name == "adaline_minibatch":
            batch = results["experiments"][name]["parameters"]["batch_size"]
            ax.set_title(f"{ax.get_title()}, batch {batch}")
    for ax in axes[1:]:
        ax.set_ylabel("")


@_figure("course-logistic-regression")
def _figure_logistic(fig: Figure, results: dict, look: Style) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, look, "logistic_regression", "mean cross-entropy")
    plot_decision_regions(right, results, look, "logistic_regression")


@_figure("course-hidden-layer", size=(11.0, 4.6), needs="logistic_flower")
def _figure_hidden_layer(fig: Figure, results: dict, look: Style) -> None:
    """Per model of the flower, a column: its cost per iteration above, its decision
    regions below."""
    panels = flower_panels(results)
    names = ["logistic_flower", "network_flower"][: len(panels)]
    fig.set_size_inches(5.5 * len(panels), 9.0)
    axes = fig.subplots(2, len(panels), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        plot_history(ax, results, look, name, "mean cross-entropy")
    dataset = results["experiments"]["logistic_flower"]["dataset"]
    plot_planar_decision_regions(axes[1], results, look, dataset, panels)


@_figure("course-hidden-sizes", needs="network_h1")
def _figure_hidden_sizes(fig: Figure, results: dict, look: Style) -> None:
    """Accuracy on the flower against the hidden size h, and time per iteration against
    h per backend, both on a logarithmic h axis."""
    found = hidden_size_findings(results)
    left, right = fig.subplots(1, 2)
    left.plot(found["sizes"], [100 * a for a in found["accuracy"]], **SEPARABLE_STYLE)
    left.set_ylabel("accuracy on the flower [%]")
    left.set_title(f"Accuracy after {found['iterations']} iterations (every backend)")
    for index, (backend, times) in enumerate(found["per_iteration"].items()):
        if all(np.isnan(times)):  # a variant that does not train the network
            continue
        style = _backend_style(index)
        right.plot(found["sizes"], [t * 1e3 for t in times], **backend_line(backend, look), **style)
    log_scale(right, x=False)
    right.set_ylabel("time per iteration [ms] (median)")
    right.set_title("Time per iteration")
    right.legend(fontsize="small")
    for ax in (left, right):
        log_scale(ax, y=False)
        ax.set_xticks(found["sizes"], [str(h) for h in found["sizes"]])
        ax.set_xlabel("hidden units h")
        ax.grid(True, **GRID)


@_figure("course-train-times", size=(13.0, 5.0))
def _figure_times(fig: Figure, results: dict, look: Style) -> None:
    plot_train_times(fig.subplots(), results, look, timings(results))


@styled
def _draw(draw, results: dict, look: Style, size: tuple[float, float]) -> Figure:
    figure = new_figure(*size)
    draw(figure, results, look)
    return figure


def draw_figures(results: dict, figures_dir: Path, look: Style) -> list[str]:
    """Draw every figure of the section the file has the experiments for into
    ``figures_dir`` (PNG and SVG), each backend as ``look`` (the run's style) shows it;
    returns the figures' file names (without extension)."""
    figures_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        (name, functools.partial(_draw, draw, results, look, size))
        for name, (draw, size, needs) in FIGURES.items()
        if needs in results["experiments"]
    ]
    return save_all(jobs, figures_dir)
