"""The class page's figures, drawn from its findings (plain data): the spread of each
headline ratio over the machines, np.dot's time against the measured bandwidth, and every
machine's roofline on one set of axes. PNG only: the page is not put on slides."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps, ticker

from reports.figkit import GRID, MARKERS, new_figure, ratio_axis, save, styled
from reports.formatting import format_ratio

# Up to this many machines every point carries its label; beyond it only the lowest and
# the highest do (thirty names on one line are unreadable).
LABEL_ALL_UP_TO = 30
_POINT = {"s": 26, "zorder": 3, "edgecolors": "white", "linewidths": 0.4}


def _colours(count: int) -> list:
    cmap = colormaps["tab10" if count <= 10 else "viridis"]
    return [cmap(i if count <= 10 else i / max(count - 1, 1)) for i in range(count)]


def _machines(ax, labels: list[str], xs, ys, size: float, ends=()) -> None:
    """One point per machine, each labelled, or only the ``ends`` past LABEL_ALL_UP_TO."""
    shown = labels if len(labels) <= LABEL_ALL_UP_TO else ends
    ax.scatter(xs, ys, s=size, color="#1f77b4", edgecolors="white", linewidths=0.5, zorder=3)
    for label, x, y in zip(labels, xs, ys, strict=True):
        if label in shown:
            ax.annotate(label, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7.5)


def _log_log(ax, directory: Path, name: str, xlabel: str, ylabel: str, **legend) -> str:
    ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel=ylabel)
    ax.grid(**GRID)
    ax.legend(**legend)
    return save(ax.figure, directory, name)


@styled
def draw_ratios(findings: dict[str, Any], directory: Path) -> str | None:
    """One strip per headline ratio: each machine a labelled point, the median a bar."""
    ratios = [r for r in findings["ratios"] if r["spread"]]
    if not ratios:
        return None
    machines = findings["machines"]
    figure = new_figure(9.0, 1.0 + 1.25 * len(ratios))
    axes = figure.subplots(len(ratios), 1, squeeze=False)[:, 0]
    rng = np.random.default_rng(0)  # the same jitter every build: reproducible files
    for ax, ratio in zip(axes, ratios, strict=True):
        key = ratio["key"]
        values = {m["label"]: m["ratios"][key] for m in machines if key in m["ratios"]}
        labels = list(values)
        xs = np.array(list(values.values()))
        spread = ratio["spread"]
        ends = (spread["low_label"], spread["high_label"])
        _machines(ax, labels, xs, rng.uniform(-0.25, 0.25, len(xs)), 28, ends)
        ax.axvline(spread["median"], color="0.3", linewidth=1.0, linestyle="--", zorder=2)
        ax.set_xscale("log")
        ratio_axis(ax.xaxis)
        ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1, 2, 5)))
        low, high = xs.min(), xs.max()
        ax.set(xlim=(low / 1.6, high * 2.2), ylim=(-0.6, 0.6), yticks=[])
        ax.spines["left"].set_visible(False)
        ax.grid(axis="x", **GRID)
        ax.set_title(
            f"{ratio['title']}: median {format_ratio(spread['median'])}, "
            f"{format_ratio(low)} to {format_ratio(high)} over {len(values)} machines",
            loc="left",
        )
    return save(figure, directory, "class-ratios")


@styled
def draw_bandwidth(findings: dict[str, Any], directory: Path) -> str | None:
    """np.dot's time at 10⁶ against the bandwidth of the level its inputs come from."""
    rows = findings["bandwidth"]["rows"]
    if not rows:
        return None
    ax = new_figure(6.4, 4.4).add_subplot()
    x = np.array([r["bandwidth_GBps"] for r in rows])
    y = np.array([r["time_s"] * 1e3 for r in rows])
    labels = [r["label"] for r in rows]
    _machines(ax, labels, x, y, 30)
    # The time each machine would take at its full bandwidth: 16 MB / bandwidth.
    grid = np.geomspace(x.min() / 1.5, x.max() * 1.5, 50)
    bytes_read = rows[0]["rate_GBps"] * rows[0]["time_s"] * 1e9
    ideal = bytes_read / (grid * 1e9) * 1e3
    ax.plot(grid, ideal, "--", color="0.4", linewidth=1.0, label="16 MB at the measured bandwidth")
    xlabel = "measured read bandwidth of the level the inputs come from (GB/s)"
    ylabel = "np.dot at n = 10⁶, float64 (ms)"
    return _log_log(ax, directory, "class-bandwidth", xlabel, ylabel, loc="upper right", fontsize=8)


@styled
def draw_rooflines(findings: dict[str, Any], directory: Path) -> str | None:
    """Every machine's roofs (read bandwidth × intensity, capped by the BLAS peak, at all
    cores) and its best point per op, one colour per machine."""
    measured = ("read_GBps", "peak_GFLOPs")
    roofs = [r for r in findings["machines"] if all(math.isfinite(r[key]) for key in measured)]
    if not roofs:
        return None
    ax = new_figure(9.0, 6.0).add_subplot()
    colours = _colours(len(roofs))
    points = pd.DataFrame(
        [{**p, "colour": c} for r, c in zip(roofs, colours, strict=True) for p in r["points"]],
        columns=["op", "intensity", "gflops", "colour"],
    )
    intensities = list(points["intensity"]) or [0.1, 100.0]
    x = np.geomspace(min(intensities) / 3, max(intensities) * 3, 200)
    show_labels = len(roofs) <= LABEL_ALL_UP_TO
    for roof, colour in zip(roofs, colours, strict=True):
        read, peak = roof["read_GBps"], roof["peak_GFLOPs"]
        label = f"{roof['label']}: {read:.3g} GB/s, {peak:.3g} GFLOP/s" if show_labels else None
        ax.plot(x, np.minimum(read * x, peak), color=colour, linewidth=1.2, label=label)
    # One scatter per op, every machine's point in its colour: a call per point would
    # take most of the page's time for a large class.
    for index, (op, at) in enumerate(points.groupby("op")):
        marker = MARKERS[index % len(MARKERS)]
        ax.scatter(at["intensity"], at["gflops"], c=list(at["colour"]), marker=marker, **_POINT)
        ax.scatter([], [], marker=marker, color="0.45", label=op)
    xlabel = "arithmetic intensity (FLOP per byte)"
    ylabel = "GFLOP/s (float64, each op's largest size, best backend)"
    legend = {"loc": "upper left", "fontsize": 7, "ncols": 2}
    return _log_log(ax, directory, "class-roofline", xlabel, ylabel, **legend)


def draw_class(findings: dict[str, Any], directory: Path) -> set[str]:
    """Every figure of the class page into ``directory``; the names of those drawn."""
    drawn = (draw(findings, directory) for draw in (draw_ratios, draw_bandwidth, draw_rooflines))
    return {name for name in drawn if name}
