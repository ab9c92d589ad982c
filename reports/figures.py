"""The report's figures, drawn from the tidy table with the figure kit (``reports.figkit``).

A backend's largest thread count is a solid line, one thread a dashed one. Sizes span
decades, so size, time, speedup and throughput axes are logarithmic.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.transforms import blended_transform_factory

from reports import analysis, figkit, formatting, rules, style
from reports.load import Run
from reports.phrases import headline_title
from reports.roofline_figure import roofline_figure
from reports.style import Style
from reports.table import measured, not_run, thread_counts
from reports.yours import mine_of


def _series(rows: pd.DataFrame, look: Style) -> Iterable[tuple[str, int, pd.DataFrame]]:
    """(backend, threads, rows sorted by size) in report order."""
    groups = sorted(
        rows.groupby(["backend", "threads"]),
        key=lambda group: (look.backend_rank(group[0][0]), group[0][1]),
    )
    for (backend, threads), series in groups:
        yield backend, int(threads), series.sort_values(["size", "shape"])


def _lines(ax, rows, y: str, counts, look: Style, band=(), x: str = "size") -> None:
    """One line per backend and thread count, its interval (``band``: low, high) a band."""
    for backend, threads, series in _series(rows, look):
        line = figkit.line_style(backend, threads, counts, look)
        ax.plot(series[x], series[y], marker="o", markersize=3.5, **line)
        if band:
            shade = {"color": line["color"], "alpha": figkit.BAND_ALPHA, "linewidth": 0}
            ax.fill_between(series[x], *(series[column] for column in band), **shade)


def _grid(count: int, columns: int, panel, margin, min_width: float = 0.0, **shared):
    """A figure of ``count`` panels, ``columns`` to a row (the spare ones hidden), each
    ``panel`` (width, height) inches, plus ``margin``; its panels, row by row."""
    rows = max(1, math.ceil(count / columns))
    width = max(min_width, margin[0] + panel[0] * columns)
    figure = figkit.new_figure(width, margin[1] + panel[1] * rows)
    axes = figure.subplots(rows, columns, squeeze=False, **shared).ravel()
    for ax in axes[count:]:
        ax.set_visible(False)
    return figure, axes


def _key(label: str, marker: str, colour: str = "0.3", **looks) -> Line2D:
    """A legend entry for a kind of marker, in grey: it stands for every backend's."""
    return Line2D([], [], color=colour, linestyle="", marker=marker, label=label, **looks)


# --- per op: time per call ------------------------------------------------------------

_PREDICTED = {"marker": "x", "s": 36, "linewidths": 1.4, "zorder": 4}
_NO_PREDICTION = {
    "marker": "^", "s": 40, "facecolors": "none", "linewidths": 1.2, "zorder": 4, "clip_on": False,
}  # fmt: skip


@figkit.styled
def time_figure(table: pd.DataFrame, op: str, look: Style) -> Figure | None:
    """Time per call against size, one line per backend and thread count; cases not run
    marked at their predicted time, or on the size axis. ``None`` if nothing to draw."""
    rows = table[table["op"] == op]
    plotted = rows[(rows["status"] == "ok") | rows["predicted_s"].notna()]
    dtypes = analysis.dtypes(plotted, op)
    if not dtypes:
        return None
    counts = thread_counts(table)
    figure, axes = _one_row(len(dtypes))
    extra = []
    for ax, dtype in zip(axes, dtypes, strict=True):
        here = rows[rows["dtype"] == dtype]
        _lines(ax, measured(here), "median_s", counts, look, ("ci_low_s", "ci_high_s"))
        skipped = not_run(here)
        predicted = skipped[skipped["predicted_s"].notna()]
        unpredicted = skipped[skipped["predicted_s"].isna()]
        if len(predicted):
            colours = [look.colour(b) for b in predicted["backend"]]
            ax.scatter(predicted["size"], predicted["predicted_s"], color=colours, **_PREDICTED)
            extra.append(_key("not run: predicted time", "x"))
        if len(unpredicted):
            colours = [look.colour(b) for b in unpredicted["backend"]]
            on_axis = {"transform": blended_transform_factory(ax.transData, ax.transAxes)}
            low = np.full(len(unpredicted), 0.03)  # just above the size axis
            ax.scatter(unpredicted["size"], low, edgecolors=colours, **on_axis, **_NO_PREDICTION)
            label = "not run (no prediction): size marked on the axis"
            extra.append(_key(label, "^", markerfacecolor="none"))
        figkit.log_axes(ax, formatting.size_axis_name(analysis.size_names(table, op)), "")
        figkit.seconds_axis(ax.yaxis)
        ax.set_title(dtype)
    axes[0].set_ylabel("time per call (median, log scale)")
    figure.suptitle(f"{op}: time per call — lower is faster (band: interquartile range)")
    figkit.legend_below(figure, axes, extra, look=look)
    return figure


# --- per op: speedups -----------------------------------------------------------------


@figkit.styled
def speedup_figure(table: pd.DataFrame, op: str, look: Style) -> Figure | None:
    """Speedup over the Python loop (left) and over NumPy (right), a row per dtype; ``None``
    if neither was measured alongside another backend."""
    rows = measured(table[table["op"] == op])
    loop, vectorized = look.the(style.LOOP), look.the(style.REFERENCE)
    references = ((loop, f"the {look.label(loop)}"), (vectorized, look.label(vectorized)))
    paired = [analysis.versus(rows, reference) for reference, _ in references]
    dtypes = analysis.dtypes(pd.concat(paired), op) if any(len(p) for p in paired) else []
    if not dtypes:
        return None
    counts = thread_counts(table)
    figure = figkit.new_figure(10.0, 0.6 + 3.8 * len(dtypes))
    grid = figure.subplots(len(dtypes), 2, squeeze=False)
    x_label = formatting.size_axis_name(analysis.size_names(table, op))
    for row_axes, dtype in zip(grid, dtypes, strict=True):
        here = rows[rows["dtype"] == dtype]
        for ax, (reference, name) in zip(row_axes, references, strict=True):
            paired = analysis.versus(here, reference)
            # every line against the reference on as many threads: the reference's own
            # lines (each against itself on the other thread count) would mix the two
            paired = paired[paired["backend"] != reference]
            if paired.empty:
                figkit.empty_panel(ax, f"{name} not measured alongside others ({dtype})")
                ax.set_title(f"over {name} ({dtype})")
                continue
            _lines(ax, paired, "speedup", counts, look, ("speedup_low", "speedup_high"))
            ax.axhline(1.0, color="black", linewidth=0.9)
            figkit.log_axes(ax, x_label, f"speedup over {name} (×)")
            figkit.ratio_axis(ax.yaxis)
            ax.set_title(f"over {name} ({dtype}): above 1× is faster")
    figure.suptitle(
        f"{op}: how many times faster than {references[0][1]} and than {references[1][1]}"
    )
    figkit.legend_below(figure, grid.ravel(), look=look)
    return figure


# --- per op: memory throughput against data size ----------------------------------------

_CACHES = (("l1d_bytes", "L1d"), ("l2_bytes", "L2"), ("l3_bytes", "L3"))
_CACHE_LABEL = {
    "rotation": 90, "va": "bottom", "ha": "right", "fontsize": 8, "color": "0.35",
    "bbox": {"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.0},
}  # fmt: skip


@figkit.styled
def memory_throughput_figure(table: pd.DataFrame, op: str, run: Run, look: Style) -> Figure | None:
    """Achieved GB/s against data moved per call, under the measured bandwidth, with caches."""
    rows = measured(table[table["op"] == op])
    rows = rows[rows["bytes"] > 0]
    dtypes = analysis.dtypes(rows, op)
    if not dtypes:
        return None
    counts = thread_counts(table)
    figure, axes = _one_row(len(dtypes))
    read = (run.suite.get("limits") or {}).get("read_GBps") or {}
    cpu = run.suite.get("cpu") or {}
    for ax, dtype in zip(axes, dtypes, strict=True):
        here = rows[rows["dtype"] == dtype]
        _lines(ax, here, "gb_per_s", counts, look, x="bytes")
        figkit.log_axes(ax, "data moved per call (log scale)", "")
        figkit.bytes_axis(ax.xaxis, rows["bytes"])
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        for threads, value in sorted(read.items()):
            dashes = "--" if threads == "1" else "-"
            label = f"measured read bandwidth, {style.limit_threads_label(threads)}"
            ax.axhline(value, color="0.25", linestyle=dashes, linewidth=1.0, label=label)
        _draw_caches(ax, cpu, here["bytes"])
        ax.set_title(dtype)
    axes[0].set_ylabel("achieved throughput (GB/s, log scale)")
    figure.suptitle(f"{op}: memory throughput against data size (grey: the machine's limits)")
    figkit.legend_below(figure, axes, look=look)
    return figure


def _one_row(count: int):
    """One panel per dtype, side by side, sharing their y axis."""
    return _grid(count, count, (4.6, 4.6), (1.0, 0.0), min_width=8.5, sharey=True)


def _draw_caches(ax, cpu: dict, data_bytes: pd.Series) -> None:
    bottom = blended_transform_factory(ax.transData, ax.transAxes)
    low, high = data_bytes.min() / 2, data_bytes.max() * 2
    for key, name in _CACHES:
        size = cpu.get(key)
        if isinstance(size, int) and low <= size <= high:
            ax.axvline(size, color="0.55", linestyle=":", linewidth=1.0)
            text = f"{name} {formatting.format_bytes(size)} "
            ax.text(size, 0.03, text, transform=bottom, **_CACHE_LABEL)


# --- summary: heatmap of speedups over NumPy ------------------------------------------


@figkit.styled
def summary_figure(summary: pd.DataFrame, look: Style) -> Figure:
    """(op, dtype) × (backend, threads): speedup over NumPy at the largest size, centred on 1."""
    columns = list(dict.fromkeys(zip(summary["backend"], summary["threads"], strict=True)))
    rows = sorted(
        dict.fromkeys(zip(summary["op"], summary["dtype"], strict=True)),
        key=lambda row: (style.dtype_rank(row[1]), look.op_rank(row[0])),
    )
    cells = summary.set_index(["op", "dtype", "backend", "threads"])
    reference = look.name(style.REFERENCE)
    logs = np.log10(summary["speedup"].dropna().to_numpy())
    limit = max(math.log10(2.0), float(np.abs(logs).max()) if logs.size else 0.0)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    cmap = mpl.colormaps["RdBu"]
    figure = figkit.new_figure(3.2 + 1.35 * len(columns), 1.4 + 0.55 * len(rows))
    ax = figure.subplots()
    values = np.full((len(rows), len(columns)), np.nan)
    for i, (op, dtype) in enumerate(rows):
        for j, (backend, threads) in enumerate(columns):
            key = (op, dtype, backend, threads)
            status = cells.loc[key, "status"] if key in cells.index else "not measured"
            if status == "ok":
                values[i, j] = math.log10(cells.loc[key, "speedup"])
                _heat_text(ax, i, j, cells.loc[key], cmap(norm(values[i, j])), reference)
            else:  # the cells are drawn over the image, whatever order they are added in
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, **_NOT_OK))
                ax.text(j, i, status, ha="center", va="center", fontsize=8, color="0.3")
    image = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto")
    ax.set_xticks(
        range(len(columns)), [f"{look.label(b)}\n{style.threads_label(t)}" for b, t in columns]
    )
    ax.xaxis.tick_top()
    labels = [_op_at_size(summary, op, dtype, dtype != rows[0][1]) for op, dtype in rows]
    ax.set_yticks(range(len(rows)), labels)
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    bar = figure.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
    ticks = [t for t in range(-6, 7) if -limit <= t <= limit] or [0]
    bar.set_ticks(ticks, labels=[figkit.ratio_tick(10.0**t) for t in ticks])
    bar.set_label(f"speedup over {reference} (blue: faster, red: slower)")
    first_dtype = rows[0][1] if rows else ""
    figure.suptitle(
        f"Speedup over {reference} at each op's largest size "
        f"({first_dtype} unless marked; {reference} at the same thread count)"
    )
    return figure


def _op_at_size(summary: pd.DataFrame, op: str, dtype: str, show_dtype: bool) -> str:
    rows = summary[(summary["op"] == op) & (summary["dtype"] == dtype)]
    name = f"{op} ({dtype})" if show_dtype else op
    return f"{name}\n{formatting.format_shape(formatting.shape_of(rows['shape'].iloc[0]))}"


_NOT_OK = {"facecolor": "0.94", "hatch": "///", "edgecolor": "0.8", "linewidth": 0}


def _heat_text(ax, i, j, cell: pd.Series, background, reference: str) -> None:
    """A cell's speedup, in black on a light colour and in white on a dark one; "≈" the
    ``reference`` where the two are level."""
    light = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2] > 0.55
    text = formatting.format_ratio(cell["speedup"])
    if cell["verdict"] == rules.LEVEL:
        text += f"\n(≈ {reference})"
    colour = "black" if light else "white"
    ax.text(j, i, text, ha="center", va="center", fontsize=11, color=colour)


# --- the JIT's price ------------------------------------------------------------------

# A JIT's first call, and how its line is drawn: it compiles, or it loads the disk cache.
_FIRST_CALLS = (("cold_s", "-", "compiles"), ("warm_s", "--", "loads the cache"))


@figkit.styled
def jit_figure(costs: pd.DataFrame, look: Style) -> Figure:
    """Total time after k calls: Numba (compile first, cached or not) against NumPy and loops."""
    chosen = _jit_panels(costs, look)
    ops = list(chosen)
    figure, axes = _grid(len(ops), min(4, len(ops)), (3.3, 3.0), (0.6, 0.9), min_width=8.5)
    for ax, op in zip(axes, ops, strict=False):
        entries = chosen[op]
        first = entries.iloc[0]
        paid_after = entries[["calls_vs_numpy_cold", "calls_vs_python_cold"]].to_numpy().ravel()
        finite = [v for v in paid_after if math.isfinite(v)]
        k_max = min(1e9, max(1e3, 30 * max(finite, default=1)))
        calls = np.unique(np.geomspace(1, k_max, 200).round())
        if math.isfinite(first["python_s"]):
            loop = figkit.backend_line(look.the(style.LOOP), look)
            ax.plot(calls, calls * first["python_s"], **loop)
        if math.isfinite(first["numpy_s"]):
            reference = look.the(style.REFERENCE)
            line = figkit.backend_line(reference, look)
            if not pd.isna(first["numpy_threads"]):  # the run recorded its thread count
                line["label"] = look.series_label(reference, int(first["numpy_threads"]))
            ax.plot(calls, calls * first["numpy_s"], **line)
        for index, entry in enumerate(entries.itertuples(index=False)):
            colour = look.colour(entry.backend)
            name = look.label(entry.backend)
            for first_s, dashes, what in _FIRST_CALLS:
                total = getattr(entry, first_s) + (calls - 1) * entry.steady_s
                label = f"{name}: first call {what}"
                ax.plot(calls, total, color=colour, linestyle=dashes, label=label)
            k = entry.calls_vs_numpy_cold
            if math.isfinite(k):  # where compiling has paid for itself against NumPy
                at = (k, entry.cold_s + (k - 1) * entry.steady_s)
                ax.plot(*at, "o", color=colour, markersize=5, markeredgecolor="black", zorder=5)
                text = f"{formatting.format_count(k)} calls"
                ax.annotate(
                    text, at, xytext=(7, -13 if index % 2 == 0 else 6),
                    textcoords="offset points", fontsize=7.5, color=colour,
                )  # fmt: skip
        figkit.log_axes(ax, "number of calls", "total time")
        figkit.seconds_axis(ax.yaxis)
        shape = formatting.format_shape(formatting.shape_of(first["shape"]))
        ax.set_title(f"{op}\n{first['dtype']}, {shape}", fontsize=9)
    figure.suptitle("The price of compiling: total time after k calls (lower is better)")
    reference = look.name(style.REFERENCE)
    paid = f"compiling has paid for itself against {reference} (after that many calls)"
    paid = _key(paid, "o", "0.5", markeredgecolor="black")
    figkit.legend_below(figure, axes[: len(ops)], [paid], look=look)
    return figure


def _jit_panels(costs: pd.DataFrame, look: Style) -> dict[str, pd.DataFrame]:
    """Per op, the JIT entries of one dtype (float64 first) at their largest size."""
    panels = {}
    for op in sorted(costs["op"].unique(), key=look.op_rank):
        rows = costs[costs["op"] == op]
        dtype = sorted(rows["dtype"].unique(), key=style.dtype_rank)[0]
        rows = rows[rows["dtype"] == dtype]
        rows = rows[rows["size"] == rows["size"].max()]
        panels[op] = rows.sort_values("backend", key=lambda c: c.map(look.backend_rank))
    return panels


# --- the headline -------------------------------------------------------------------


@figkit.styled
def headline_figure(head: analysis.Headline, look: Style, title: str | None = None) -> Figure:
    """The slides' dot product (or the case ``title`` names): one bar per backend and
    thread count, time per call."""
    bars = []  # (label, seconds, colour, predicted, whether the loop)
    for backend in sorted(head.rows["backend"].unique(), key=look.backend_rank):
        is_loop = look.role(backend) == style.LOOP
        for row in head.rows[head.rows["backend"] == backend].sort_values("threads").itertuples():
            name = look.series_label(backend, int(row.threads))
            if row.status == "ok":
                bars.append((name, row.median_s, look.colour(backend), False, is_loop))
            elif math.isfinite(row.predicted_s):
                name += "\n(not run: predicted)"
                bars.append((name, row.predicted_s, look.colour(backend), True, is_loop))
    figure = figkit.new_figure(8.0, 0.9 + 0.55 * len(bars))
    ax = figure.subplots()
    loop = next((bar[1] for bar in bars if bar[4]), None)
    for y, (_, seconds, colour, predicted, is_loop) in enumerate(bars):
        shade = {"alpha": 0.45, "hatch": "//"} if predicted else {"alpha": 0.9, "hatch": None}
        ax.barh(y, seconds, color=colour, edgecolor=colour, **shade)
        text = f" {formatting.format_time(seconds)}"
        if loop is not None and not is_loop:
            text += f"  ({formatting.format_ratio(loop / seconds)} faster than the loop)"
        ax.text(seconds, y, text, va="center", fontsize=9)
    ax.set_yticks(range(len(bars)), [bar[0] for bar in bars])
    ax.invert_yaxis()
    figkit.log_scale(ax, y=False)
    figkit.seconds_axis(ax.xaxis)
    ax.set_xlim(min(bar[1] for bar in bars) / 3, max(bar[1] for bar in bars) * 60)
    ax.set_xlabel("time per call (median, log scale): shorter is faster")
    ax.grid(True, axis="x", **figkit.GRID)
    n = formatting.format_size(head.n)
    figure.suptitle(title or f"Dot product of two vectors of n = {n} {head.dtype} numbers")
    return figure


# --- memory allocated per call --------------------------------------------------------


@figkit.styled
def memory_per_call_figure(table: pd.DataFrame, look: Style) -> Figure | None:
    """Bytes one call allocates at its peak (its temporaries and results) against size,
    one panel per op, one line per backend (its one-thread series; float64 where the op
    ran in it). ``None`` if no case recorded it."""
    rows = measured(table)
    rows = rows[rows["peak_alloc_bytes"].notna() & (rows["peak_alloc_bytes"] > 0)]
    ops = [op for op in analysis.ops(table, look=look) if (rows["op"] == op).any()]
    if not ops:
        return None
    columns = min(4, len(ops))
    figure, axes = _grid(len(ops), columns, (3.4, 3.0), (0.6, 1.4))
    for ax, op in zip(axes, ops, strict=False):
        here = rows[rows["op"] == op]
        dtype = analysis.dtypes(here, op)[0]
        here = here[(here["dtype"] == dtype) & (here["threads"] == 1)]
        for backend, _, series in _series(here, look):
            peak = series["peak_alloc_bytes"].astype(float)
            line = figkit.backend_line(backend, look)
            ax.plot(series["size"], peak, marker="o", markersize=3, **line)
        figkit.log_axes(ax, formatting.size_axis_name(analysis.size_names(table, op)), "")
        figkit.bytes_axis(ax.yaxis, here["peak_alloc_bytes"].astype(float))
        ax.set_title(f"{op} ({dtype})", fontsize="medium")
    for ax in axes[::columns]:
        ax.set_ylabel("bytes allocated per call")
    figure.suptitle(
        "Memory one call allocates at its peak (temporaries and results; inputs not counted)"
    )
    figkit.legend_below(figure, axes[: len(ops)], look=look)
    return figure


# --- two runs compared (reports.compare) -----------------------------------------------

_DTYPE_MARKERS = {"float64": "o", "float32": "s"}


@figkit.styled
def comparison_figure(table: pd.DataFrame, old_name: str, new_name: str, look: Style):
    """Per op: ratio new ÷ old against size; filled markers where the change is real."""
    both = table[table["verdict"].isin([rules.FASTER, rules.SLOWER, rules.LEVEL])]
    ops = sorted(both["op"].unique(), key=look.op_rank)
    columns = min(3, max(1, len(ops)))
    figure, axes = _grid(len(ops), columns, (3.9, 3.2), (0.8, 0.9), sharey=True)
    counts = {
        backend: set(threads.astype(int)) for backend, threads in both.groupby("backend")["threads"]
    }
    for ax, op in zip(axes, ops, strict=False):
        rows = both[both["op"] == op]
        for (backend, dtype, threads), series in rows.groupby(["backend", "dtype", "threads"]):
            series = series.sort_values("size")
            x, y, colour = series["size"], series["ratio"], look.colour(backend)
            dashes = style.linestyle(int(threads), counts[backend])
            label = look.series_label(backend, int(threads))
            ax.plot(x, y, color=colour, linestyle=dashes, linewidth=1.0, label=label)
            interval = [y - series["ratio_low"], series["ratio_high"] - y]
            ax.errorbar(x, y, yerr=interval, fmt="none", ecolor=colour, elinewidth=0.8, alpha=0.6)
            real = series["verdict"] != rules.LEVEL
            dot = {"marker": _DTYPE_MARKERS.get(dtype, "D"), "s": 26, "zorder": 3}
            ax.scatter(x[real], y[real], color=colour, **dot)
            ax.scatter(x[~real], y[~real], facecolors="white", edgecolors=colour, **dot)
        ax.axhline(1.0, color="black", linewidth=0.9)
        floor = 1 + rules.MIN_CHANGE  # changes smaller than this are never called real
        ax.axhspan(1 / floor, floor, color="0.85", alpha=0.5, linewidth=0)
        figkit.log_scale(ax)
        ax.set_xlabel(formatting.size_axis_name(analysis.size_names(table, op)))
        if ax in axes[::columns]:
            ax.set_ylabel("time ratio new ÷ old\n(below 1×: new is faster)")
        ax.set_title(op)
        ax.grid(True, **figkit.GRID)
    figkit.ratio_axis(axes[0].yaxis, both[["ratio_low", "ratio_high"]].to_numpy())
    dtypes = set(both["dtype"])
    extra = [_key(dtype, marker) for dtype, marker in _DTYPE_MARKERS.items() if dtype in dtypes]
    extra += [_key("a real change (filled)", "o")]
    extra += [_key("level (hollow)", "o", markerfacecolor="white")]
    figkit.legend_below(figure, axes[: len(ops)], extra, look=look)
    figure.suptitle(
        f"{new_name} against {old_name}: time ratio per case (grey band: ±{rules.MIN_CHANGE:.0%})"
    )
    return figure


# --- everything ---------------------------------------------------------------------


def draw_report(
    table: pd.DataFrame,
    run: Run,
    costs: pd.DataFrame,
    directory: Path,
    say: figkit.Say | None = None,
) -> set[str]:
    """Every figure of the report into ``directory``; returns the stems written. ``say``:
    where the progress lines go (``figkit.save_all``)."""
    look = Style.of(run.catalogue)
    mine = mine_of(run)  # a run with a student's function opens with its op
    head = analysis.headline(table, mine["op"] if mine else None, look=look)
    jobs: list[figkit.Job] = []
    if head is not None and not head.rows.empty:
        title = headline_title(head) if mine else None
        jobs.append(("headline", lambda: headline_figure(head, look, title)))
    if not measured(table).empty:  # a selection of the slides, the course or the JIT probe alone
        jobs.append(("roofline", lambda: roofline_figure(table, run, look)))
        summary = analysis.at_largest_size(table, look=look)
        if not summary.empty:
            slide = analysis.on_the_slide(summary, look=look)
            jobs.append(("summary", lambda: summary_figure(slide, look)))
            if len(slide) < len(summary):
                jobs.append((figkit.EVERY_SPEEDUP, lambda: summary_figure(summary, look)))
        for op in analysis.ops(table, look=look):
            jobs.append((figkit.stem("time", op), functools.partial(time_figure, table, op, look)))
            speedup = functools.partial(speedup_figure, table, op, look)
            jobs.append((figkit.stem("speedup", op), speedup))
            throughput = functools.partial(memory_throughput_figure, table, op, run, look)
            jobs.append((figkit.stem("memory-throughput", op), throughput))
        jobs.append(("memory-per-call", lambda: memory_per_call_figure(table, look)))
    if not costs.empty:
        jobs.append(("jit", lambda: jit_figure(costs, look)))
    return set(figkit.save_all(jobs, directory, say))
