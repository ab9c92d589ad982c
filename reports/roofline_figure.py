"""The roofline's figure: the points and sweeps ``reports.roofline`` chose, under the
run's two measured roofs, and the BLAS ladder's panel beside it when the run has one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports import style
from reports.figkit import GRID, MARKERS, legend_below, log_scale, new_figure, styled
from reports.roofline import DTYPE, ladder, measured_limits, roofline_points, sweep
from reports.style import Style

_POINT = {"s": 34, "edgecolors": "white", "linewidths": 0.4, "zorder": 3}
# Direct labels are set at least this far apart (in points), so two never overlap.
_LABEL_GAP_PT = 11.0
_LINE_END = {"fontsize": 8.5, "va": "center", "annotation_clip": False}
# A line ending left of this share of the (logarithmic) x axis is labelled where it ends.
_SHORT_LINE = 0.7


def _draw_ladder(ax, steps: pd.DataFrame, peak: float | None, look: Style) -> None:
    """The ladder as horizontal bars, top to bottom, each labelled with its GFLOP/s."""
    positions = list(range(len(steps)))[::-1]
    rates = steps["gflop_per_s"].to_numpy(dtype=float)
    ax.barh(positions, rates, color=[look.colour(b) for b in steps["backend"]])
    for position, rate in zip(positions, rates, strict=True):
        ax.text(rate, position, f" {rate:.3g}", va="center", fontsize=8.5)
    if peak:
        ax.axvline(peak, color="0.2", linestyle="--", linewidth=1.1)
        ax.text(peak, len(steps) - 0.45, "peak ", ha="right", va="bottom", fontsize=8)
    ax.set_yticks(positions, [look.label(b) for b in steps["backend"]])
    ax.set_xlim(0, max([*rates, peak or 0.0]) * 1.25)
    ax.set_xlabel("GFLOP/s, 1 thread")
    first = steps.iloc[0]
    title = f"How BLAS gets its speed\n{first['op']}, h = {int(first['h'])}, 1 thread"
    ax.set_title(title, fontsize="medium")
    ax.grid(axis="x", **GRID)


def _spread(wanted: list[float], gap: float) -> list[float]:
    """Positions as near ``wanted`` as can be, in the same order, at least ``gap`` apart:
    a column of direct labels that do not overlap."""
    placed: dict[int, float] = {}
    highest = -math.inf
    for index in sorted(range(len(wanted)), key=wanted.__getitem__):
        highest = placed[index] = max(wanted[index], highest + gap)
    # centre the column on what was wanted, so the pushing is shared up and down
    shift = (sum(wanted) - sum(placed.values())) / max(1, len(wanted))
    return [placed[i] + shift for i in range(len(wanted))]


def _label_line_ends(ax, ends: list[tuple[str, float, float, str]], figure: Figure) -> None:
    """Each (text, x, y, colour) of ``ends`` right of the axes, level with its line's last
    point (x, y) and joined to it: the lines need no legend. A line that stops short of the
    right edge (the Python loop's, cut at a small h) is labelled at its end instead: a
    joint from there to the edge would cross every other line."""
    left, right = (math.log10(limit) for limit in ax.get_xlim())
    short = [end for end in ends if math.log10(end[1]) < left + _SHORT_LINE * (right - left)]
    for text, x, y, colour in short:
        ax.annotate(text, (x, y), xytext=(6, 0), textcoords="offset points", color=colour,
                    **_LINE_END)  # fmt: skip
    ends = [end for end in ends if end not in short]
    if not ends:
        return
    figure.draw_without_rendering()  # the layout, so the axes' height in points is known
    low, high = (math.log10(limit) for limit in ax.get_ylim())
    per_decade = ax.get_window_extent().height * 72 / figure.dpi / (high - low)
    placed = _spread([math.log10(y) for _, _, y, _ in ends], _LABEL_GAP_PT / per_decade)
    for (text, x, y, colour), at in zip(ends, placed, strict=True):
        joint = {"arrowstyle": "-", "color": colour, "linewidth": 0.6, "alpha": 0.7}
        where = {"xy": (x, y), "xytext": (1.02, 10**at), "textcoords": ("axes fraction", "data")}
        ax.annotate(text, **where, color=colour, arrowprops=joint, **_LINE_END)


def _draw_roofs(ax, x: np.ndarray, read: dict[int, float], peak: dict[int, float]) -> None:
    """Each thread count's roofs (dashed: one thread), labelled at the left, where no point is."""
    for count in sorted(read):
        roof = np.minimum(read[count] * x, peak[count])
        ax.plot(x, roof, color="0.2", linestyle="--" if count == 1 else "-", linewidth=1.3)
        label = f"{style.threads_label(count)}: {read[count]:.3g} GB/s, {peak[count]:.3g} GFLOP/s"
        ax.text(x[0] * 1.15, peak[count] * 1.08, label, fontsize=8.5, color="0.2", va="bottom")


@styled
def roofline_figure(table: pd.DataFrame, run, look: Style) -> Figure | None:
    """The roofline, readable on a slide: the roofs and the h sweep's lines are labelled where
    drawn, the legend holds the ops' markers and the backends with no line to name them."""
    read, peak = measured_limits(run)
    points = roofline_points(table, look)
    threads = sorted(set(read) & set(peak))
    if points.empty or not threads:
        return None
    swept = sweep(table, look)
    steps = ladder(table, look)
    if steps is None:
        figure = new_figure(9.0, 6.4)
        ax = figure.add_subplot()
    else:  # the ladder in a panel of its own: the roofline keeps its room
        figure = new_figure(13.0, 6.4)
        ax, side = figure.subplots(1, 2, width_ratios=(2.2, 1))
        _draw_ladder(side, steps, peak.get(1), look)
    intensities = points["intensity"]
    if swept is not None:
        intensities = pd.concat([intensities, swept[1]["intensity"]])
    x = np.logspace(math.log10(intensities.min() / 3), math.log10(intensities.max() * 3), 200)
    _draw_roofs(ax, x, {c: read[c] for c in threads}, {c: peak[c] for c in threads})
    ops = sorted(points["op"].unique(), key=look.op_rank)
    for index, op in enumerate(ops):
        here = points[points["op"] == op]
        marker = MARKERS[index % len(MARKERS)]
        colours = [look.colour(b) for b in here["backend"]]
        ax.scatter(here["intensity"], here["gflop_per_s"], marker=marker, color=colours, **_POINT)
        ax.scatter([], [], marker=marker, color="0.45", label=op)
    ends, lined = [], set()
    title = f"Roofline ({DTYPE}): each op × backend at its largest size"
    if swept is not None:
        op, rows = swept
        lined = set(rows["backend"])
        top = int(rows["h"].max())
        for backend in sorted(rows["backend"].unique(), key=look.backend_rank):
            line = rows[rows["backend"] == backend]
            colour = look.colour(backend)
            ax.plot(line["intensity"], line["gflop_per_s"], color=colour, linewidth=1.4, alpha=0.85)
            last = line.iloc[-1]
            short = f" (h ≤ {int(last['h'])})" if int(last["h"]) < top else ""
            name = look.label(backend) + short
            ends.append((name, last["intensity"], last["gflop_per_s"], colour))
        title += f"; lines: {op} as its hidden units grow, h = {int(rows['h'].min())} to {top}"
    for backend in sorted(points["backend"].unique(), key=look.backend_rank):
        if backend not in lined:  # no line to carry its name
            ax.plot([], [], linewidth=5, color=look.colour(backend), label=look.label(backend))
    log_scale(ax)
    ax.grid(**GRID)
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel("arithmetic intensity (FLOP per byte moved, from each op's cost model)")
    ax.set_ylabel("achieved GFLOP/s (log scale)")
    figure.suptitle(
        f"{title}\nroofs: the measured read bandwidth × intensity, at most the measured peak "
        "(dashed: 1 thread)"
    )
    legend_below(figure, [ax], look=look)
    _label_line_ends(ax, ends, figure)  # last: the labels' spacing needs the final layout
    return figure
