"""The course section's figures: histories per epoch, decision regions, times to train.

The slides draw decision regions with mlxtend's ``plot_decision_regions``; a few lines of
Matplotlib do the same here, because mlxtend would add scikit-learn, SciPy and joblib to
the report's dependencies for one contour plot, and wants a fitted classifier, which a
results file does not hold: the plane is shaded by a predictor, a function from points
to labels, built from the weights in the file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D

from reports.course import findings
from reports.course.experiments import TITLES, experiments_in, tick_label, title
from reports.figkit import GRID, Say, backend_line, log_scale, new_figure, save_all, styled
from reports.style import Style

CLASS_COLOURS = ("#ff7f0e", "#17becf")  # the two species; no backend uses these
CLASS_MARKERS = ("o", "^")
BACKEND_MARKERS = ("o", "s", "^", "x", "v", "D")
PLANAR_COLOURS = ("#d62728", "#1f77b4")  # the flower's classes, red and blue as in the course
SEPARABLE_STYLE = {"color": "0.45", "linestyle": "--", "linewidth": 2.0, "marker": "."}
SSE = "½ · sum of squared errors"

# A model's prediction: (k, 2) points → (k,) labels 0 or 1; and a panel of the flower's
# figure: (title, predictor, accuracy).
Predictor = Callable[[np.ndarray], np.ndarray]
Panel = tuple[str, Predictor, float]


def _regions(ax, results: dict, dataset: str, predict: Predictor, colours, markers, **looks):
    """The plane shaded by the label ``predict`` gives each point of a 300 × 300 grid (with
    the slides' margin), the samples on top in their class's colour and marker, each axis
    named by its feature. Returns the grid and the samples' artists."""
    X, y = findings.arrays(results, dataset)
    margin = 1.0  # in the features' units
    g1, g2 = np.meshgrid(*(np.linspace(f.min() - margin, f.max() + margin, 300) for f in X.T))
    regions = np.asarray(predict(np.column_stack([g1.ravel(), g2.ravel()])), dtype=np.float64)
    ax.contourf(g1, g2, regions.reshape(g1.shape), [-0.5, 0.5, 1.5], colors=colours, alpha=0.25)
    data = results["datasets"][dataset]
    classes = sorted(data["classes"].items(), key=lambda item: item[1])  # the lower label first
    sign = "+" if classes[0][1] < 0 else ""  # −1 and +1, or 0 and 1
    samples = []
    for (name, value), colour, marker in zip(classes, colours, markers, strict=True):
        rows = y == value
        label = f"{name} ({value:{sign}g})"
        dot = {"c": colour, "marker": marker, "edgecolors": "black", "label": label}
        samples.append(ax.scatter(X[rows, 0], X[rows, 1], **dot, **looks))
    unit = "standardized" if data["standardized"] else data.get("unit")
    names = [f"{name} [{unit}]" if unit else name for name in data["feature_names"]]
    ax.set(xlim=(g1[0, 0], g1[0, -1]), ylim=(g2[0, 0], g2[-1, 0]), xlabel=names[0], ylabel=names[1])
    return (g1, g2), samples


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
        values = findings.history(experiment["runs"][backend])
        steps = np.arange(1, len(values) + 1)
        style = _backend_style(index)
        if len(values) > 30:  # markers would merge into a band
            style["marker"] = None
        lines += ax.plot(steps, values, **backend_line(backend, look), **style)
    xlabel = "iteration" if "iterations" in experiment["parameters"] else "epoch"
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title(results, name))
    if log:
        log_scale(ax, x=False)
    ax.grid(True, **GRID)
    backends_legend(ax, experiment, lines, list(others))


def plot_decision_regions(ax, results: dict, look: Style, name: str) -> None:
    """The plane shaded by the class that x·w + b predicts with the reference backend's
    weights; every backend's boundary x·w + b = 0 as a line in its colour; the samples,
    one marker per species."""
    experiment = results["experiments"][name]
    runs = experiment["runs"]
    reference = runs[results["backends"][0]]
    predict = linear_predictor(reference["w"], reference["b"])
    (g1, g2), samples = _regions(
        ax, results, experiment["dataset"], predict, CLASS_COLOURS, CLASS_MARKERS, linewidths=0.6
    )
    lines = []
    for index, backend in enumerate(results["backends"]):
        if backend not in runs:
            continue
        z = g1 * runs[backend]["w"][0] + g2 * runs[backend]["w"][1] + runs[backend]["b"]
        if z.min() < 0 < z.max():  # the boundary crosses the plotted area
            width = _backend_style(index)["linewidth"]
            line = backend_line(backend, look)
            ax.contour(g1, g2, z, levels=[0.0], colors=[line["color"]], linewidths=width)
            lines.append(Line2D([], [], linewidth=width, **line))
    ax.set_title(f"{TITLES[name][0]}: decision regions")
    backends_legend(ax, experiment, lines, samples, loc="upper left")


def plot_planar_decision_regions(
    axes, results: dict, look: Style, dataset: str, panels: list[Panel]
) -> None:
    """A panel per (title, predict, accuracy): the plane shaded by any model's ``predict``."""
    for ax, (heading, predict, accuracy) in zip(axes, panels, strict=True):
        _regions(ax, results, dataset, predict, PLANAR_COLOURS, "oo", s=12, linewidths=0.3)
        ax.set_aspect("equal")
        ax.set_title(f"{heading}: accuracy {accuracy:.0%}")
        ax.legend(fontsize="small", loc="upper left")


def linear_predictor(w, b) -> Predictor:
    """Label 1 where x·w + b >= 0, else 0: logistic regression's σ(x·w + b) >= 0.5."""
    w = np.asarray(w, dtype=np.float64)
    return lambda points: (points @ w + b >= 0).astype(np.int64)


def network_predictor(run: dict) -> Predictor:
    """Label 1 where the network's output σ(tanh(x W1 + b1) W2 + b2) is > 0.5."""
    return lambda points: (findings.network_output(run, points) > 0).astype(np.int64)


def flower_panels(found: dict) -> list[Panel]:
    """The models drawn on the flower, each as (title, predict, accuracy), from the section's
    findings (``findings.section``): logistic regression, and the shallow network where the
    file has it."""
    line, network = found["flower"], found["network"]
    panels = [("Logistic regression", linear_predictor(line["w"], line["b"]), line["accuracy"])]
    if network is not None:
        title = f"Shallow network, {network['hidden']} tanh units"
        panels.append((title, network_predictor(network["run"]), network["accuracy"]))
    return panels


# --- the figures -------------------------------------------------------------------------

# The section's figures, in the order they are drawn: file name → the drawing, its size
# in inches, and the experiment the result file must hold (files may predate ``LATER``).
Drawing = Callable[[Figure, dict, Style, dict], None]  # (figure, results, look, findings)
FIGURES: dict[str, tuple[Drawing, tuple[float, float], str]] = {}


def _figure(name: str, size: tuple[float, float] = (11.0, 4.2), needs: str = "perceptron"):
    def register(draw: Drawing):
        FIGURES[name] = (draw, size, needs)
        return draw

    return register


@_figure("course-perceptron")
def _figure_perceptron(fig: Figure, results: dict, look: Style, found: dict) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, look, "perceptron", "misclassifications")
    left.yaxis.get_major_locator().set_params(integer=True)
    plot_decision_regions(right, results, look, "perceptron")


@_figure("course-perceptron-nonseparable", needs="perceptron_nonseparable")
def _figure_perceptron_nonseparable(fig: Figure, results: dict, look: Style, found: dict) -> None:
    left, right = fig.subplots(1, 2)
    name = "perceptron_nonseparable"
    reference = results["experiments"]["perceptron"]["runs"][results["backends"][0]]
    separable = findings.history(reference)
    (line,) = left.plot(
        np.arange(1, len(separable) + 1), separable, **SEPARABLE_STYLE,
        label="setosa vs versicolor (separable)",
    )  # fmt: skip
    plot_history(left, results, look, name, "misclassifications", others=[line])
    left.set_ylim(bottom=-0.3)
    left.yaxis.get_major_locator().set_params(integer=True)
    plot_decision_regions(right, results, look, name)
    twin = found["nonseparable"]["twin"]
    if twin is not None:
        right.annotate(
            "one flower of each species",
            xy=twin,
            xytext=(twin[0] + 0.4, twin[1] - 1.2),
            arrowprops={"arrowstyle": "->"},
            fontsize="small",
        )


@_figure("course-adaline-raw")
def _figure_adaline_raw(fig: Figure, results: dict, look: Style, found: dict) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, look, "adaline_raw_large_eta", f"{SSE} (log scale)", log=True)
    plot_history(right, results, look, "adaline_raw_small_eta", SSE)


@_figure("course-adaline-standardized")
def _figure_adaline_standardized(fig: Figure, results: dict, look: Style, found: dict) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, look, "adaline_standardized", SSE)
    plot_decision_regions(right, results, look, "adaline_standardized")


@_figure("course-gradient-descent", size=(13.0, 4.2))
def _figure_gradient_descent(fig: Figure, results: dict, look: Style, found: dict) -> None:
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
def _figure_logistic(fig: Figure, results: dict, look: Style, found: dict) -> None:
    left, right = fig.subplots(1, 2)
    plot_history(left, results, look, "logistic_regression", "mean cross-entropy")
    plot_decision_regions(right, results, look, "logistic_regression")


@_figure("course-hidden-layer", size=(11.0, 4.6), needs="logistic_flower")
def _figure_hidden_layer(fig: Figure, results: dict, look: Style, found: dict) -> None:
    """Per model of the flower, a column: its cost per iteration above, its decision
    regions below."""
    panels = flower_panels(found)
    names = ["logistic_flower", "network_flower"][: len(panels)]
    fig.set_size_inches(5.5 * len(panels), 9.0)
    axes = fig.subplots(2, len(panels), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        plot_history(ax, results, look, name, "mean cross-entropy")
    dataset = results["experiments"]["logistic_flower"]["dataset"]
    plot_planar_decision_regions(axes[1], results, look, dataset, panels)


@_figure("course-hidden-sizes", needs="network_h1")
def _figure_hidden_sizes(fig: Figure, results: dict, look: Style, found: dict) -> None:
    """Accuracy on the flower against the hidden size h, and time per iteration against
    h per backend, both on a logarithmic h axis."""
    sweep = found["hidden_sizes"]
    left, right = fig.subplots(1, 2)
    left.plot(sweep["sizes"], [100 * a for a in sweep["accuracy"]], **SEPARABLE_STYLE)
    left.set_ylabel("accuracy on the flower [%]")
    left.set_title(f"Accuracy after {sweep['iterations']} iterations (every backend)")
    for index, (backend, times) in enumerate(sweep["per_iteration"].items()):
        if all(np.isnan(times)):  # a variant that does not train the network
            continue
        style = _backend_style(index)
        right.plot(sweep["sizes"], [t * 1e3 for t in times], **backend_line(backend, look), **style)
    log_scale(right, x=False)
    right.set(ylabel="time per iteration [ms] (median)", title="Time per iteration")
    # beside the panel, not over it: the lines of every backend fill it from h = 1 to 50
    right.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    for ax in (left, right):
        log_scale(ax, y=False)
        ax.set_xticks(sweep["sizes"], [str(h) for h in sweep["sizes"]])
        ax.set_xlabel("hidden units h")
        ax.grid(True, **GRID)


@_figure("course-train-times", size=(13.0, 5.0))
def _figure_times(fig: Figure, results: dict, look: Style, found: dict) -> None:
    """Median time to train per experiment and backend; whiskers over the interquartile
    range, as the benchmark figures band it."""
    ax, judged = fig.subplots(), found["judged"]
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
    labels = [tick_label(results, name) for name in names]
    ax.set_xticks(np.arange(len(names)), labels, fontsize="small")
    ax.set_ylabel("time to train [ms]")
    # the runs per experiment differ (the network's long runs fewer): the table says how many
    ax.set_title("Time to train (median and interquartile range of the timed runs)")
    ax.grid(True, axis="y", **GRID)
    ax.legend(fontsize="small")


@styled
def _draw(draw: Drawing, results: dict, look: Style, found: dict, size) -> Figure:
    figure = new_figure(*size)
    draw(figure, results, look, found)
    return figure


def draw_figures(
    results: dict, figures_dir: Path, look: Style, found: dict, say: Say | None = None
) -> None:
    """Draw every figure of the section the file has the experiments for into
    ``figures_dir`` (PNG and SVG), from ``found``, the section's findings; each backend as
    ``look`` (the run's style) shows it."""
    figures_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        (name, functools.partial(_draw, draw, results, look, found, size))
        for name, (draw, size, needs) in FIGURES.items()
        if needs in results["experiments"]
    ]
    save_all(jobs, figures_dir, say, "course figures")
