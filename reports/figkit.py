"""What every figure of the report is drawn with: one style, one way to save (PNG, and SVG
for slides, both reproducible byte for byte), and the axes the figures share. Figures are
``matplotlib.figure.Figure``s on an Agg canvas, never ``pyplot``: no global state, no display.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from reports import style
from reports.formatting import format_bytes, format_time
from reports.style import Style

DPI = 150
_PNG = {"format": "png", "dpi": DPI, "metadata": {"Software": None}}
STYLE = {
    "svg.hashsalt": "vectorbench",  # the same figure gives the same SVG file
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}
BAND_ALPHA = 0.18
MARKERS = "osD^v<>pXh*P"  # one per op, where an op is a marker
GRID = {"which": "major", "color": "#dddddd", "linewidth": 0.6}


def stem(kind: str, op: str | None = None) -> str:
    """A figure's file name without extension: ``stem("time", op)`` → ``"time-<op>"``."""
    return kind if op is None else f"{kind}-{op}"


def new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


# The figures put on slides get an SVG beside their PNG; the others (one per op and kind)
# are read on the page, and an SVG of each would double the report's size.
SLIDE_FIGURES = ("headline", "roofline", "summary", "course-")
# The summary of every backend at every thread count, variants included: too wide for a
# slide, it is the op-by-op page's.
EVERY_SPEEDUP = "every-speedup"


def on_slides(name: str) -> bool:
    return name.startswith(SLIDE_FIGURES)


def _write_png(figure: Figure, path: Path):
    """A PNG of at most 256 colours, a third of a full-colour one's size (a full run's
    figures: 10 → 3 MB; Pillow comes with Matplotlib). Drawn once, not twice as by
    ``savefig(bbox_inches="tight")``: constrained layout keeps everything inside the
    figure, so the canvas is cropped to what the drawing covers; only a figure whose text
    reaches past its edge (a wide legend) goes through savefig, told that area. Returns
    that area (inches)."""
    dpi = figure.dpi
    figure.set_dpi(DPI)
    try:
        canvas = figure.canvas
        canvas.draw()
        covered = figure.get_tightbbox(canvas.get_renderer())  # inches
        width, height = figure.get_size_inches()
        if covered.x0 < 0 or covered.y0 < 0 or covered.x1 > width or covered.y1 > height:
            rendered = io.BytesIO()
            with _laid_out(figure):
                figure.savefig(rendered, **_PNG, bbox_inches=_padded(covered))
            image = Image.open(rendered)
        else:
            image = _cropped(Image.fromarray(np.asarray(canvas.buffer_rgba())), covered)
    finally:
        figure.set_dpi(dpi)
    with image:
        palette = image.convert("RGB").quantize(
            256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    palette.save(path, format="PNG")
    return covered


def _padded(covered):
    """``covered`` with the margin ``bbox_inches="tight"`` gives it."""
    return covered.padded(mpl.rcParams["savefig.pad_inches"])


@contextlib.contextmanager
def _laid_out(figure: Figure):
    """Keep the layout the last draw settled, so that savefig, told the area, draws once."""
    engine = figure.get_layout_engine()
    figure.set_layout_engine("none")
    try:
        yield
    finally:
        figure.set_layout_engine(engine)


def _cropped(canvas: Image.Image, covered) -> Image.Image:
    """The part of ``canvas`` that ``covered`` (inches, from the bottom left) spans, padded
    with white as ``bbox_inches="tight"`` would have drawn it."""
    area = _padded(covered)
    left, right = round(area.x0 * DPI), round(area.x1 * DPI)
    top, bottom = round(canvas.height - area.y1 * DPI), round(canvas.height - area.y0 * DPI)
    result = Image.new("RGBA", (right - left, bottom - top), "white")
    inside = (max(left, 0), max(top, 0), min(right, canvas.width), min(bottom, canvas.height))
    result.paste(canvas.crop(inside), (inside[0] - left, inside[1] - top))
    return result


def save(figure: Figure, directory: Path, name: str) -> str:
    """Write ``name.png`` into ``directory``, and ``name.svg`` for a slide figure (in the
    layout and area the PNG's draw settled); returns ``name``."""
    with mpl.rc_context(STYLE):
        covered = _write_png(figure, directory / f"{name}.png")
        if on_slides(name):
            with _laid_out(figure):
                figure.savefig(directory / f"{name}.svg", format="svg",
                               metadata={"Date": None}, bbox_inches=_padded(covered))  # fmt: skip
    return name


# --- many figures at once ---------------------------------------------------------------

Job = tuple[str, Callable[[], Figure | None]]  # a figure's name, and what draws it (or None)
_JOBS: list[tuple[Job, Path]] = []  # the jobs of the pool running now, read by its workers


def _run(index: int) -> str | None:
    (name, draw), directory = _JOBS[index]
    figure = draw()
    return None if figure is None else save(figure, directory, name)


def _worker_start() -> None:
    """A worker leaves Ctrl-C to the build, which stops the pool (``Pool.terminate``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _may_fork() -> bool:
    """A fork copies only the calling thread: safe with no other thread and no kernels
    loaded (their engines start threads; JAX and PyTorch warn of deadlocks), as in the
    report's command. Elsewhere (a test process) the figures are drawn one at a time."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and "kernels" not in sys.modules
    )


Say = Callable[[str], None]  # where a build's progress lines go
PROGRESS_EVERY_S = 5.0


def save_all(
    jobs: Sequence[Job], directory: Path, say: Say | None = None, what: str = "figures"
) -> list[str]:
    """Draw and save every job's figure into ``directory`` on every core this process may
    use (a full run's 47 took 34 s on one core); returns the names written, in order. The
    workers are forked, so the jobs need not be picklable. ``say``: a line before, one
    every ``PROGRESS_EVERY_S`` seconds with the count drawn, and one at the end."""
    global _JOBS
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    workers = min(len(jobs), cores)
    forking = workers >= 2 and _may_fork()
    if say is not None and jobs:
        cores_used = workers if forking else 1
        say(f"drawing {len(jobs)} {what} on {cores_used} core{'s' if cores_used > 1 else ''} ...")
    start = last = time.monotonic()
    names: list[str | None] = []
    _JOBS = [(job, directory) for job in jobs]
    try:
        with contextlib.ExitStack() as stack:
            if forking:  # the pool's exit terminates it
                context = multiprocessing.get_context("fork")
                pool = stack.enter_context(context.Pool(workers, initializer=_worker_start))
                drawn = pool.imap(_run, range(len(jobs)), chunksize=1)
            else:
                drawn = map(_run, range(len(jobs)))
            for name in drawn:
                names.append(name)
                now = time.monotonic()
                if say is not None and now - last >= PROGRESS_EVERY_S and len(names) < len(jobs):
                    say(f"{len(names)}/{len(jobs)} {what} drawn")
                    last = now
    finally:
        _JOBS = []
    if say is not None and jobs:
        say(f"{len(jobs)} {what} drawn in {time.monotonic() - start:.0f} s")
    return [name for name in names if name is not None]


# A decorator: runs a drawing function in the report's style.
styled = mpl.rc_context(STYLE)


# --- axes ---------------------------------------------------------------------------


def seconds_axis(axis) -> None:
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: format_time(value)))
    axis.set_minor_formatter(ticker.NullFormatter())


_RATIO_TICKS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0)


def ratio_axis(axis, values=None) -> None:
    """A log axis of ratios labelled ``0.1×``, ``1×``, ``10×``; at 0.5×, 0.6× … 2× when the
    ``values`` drawn span less than a decade, so the axis still has labels."""
    if values is not None:
        finite = np.asarray(values, dtype=float)
        finite = finite[np.isfinite(finite) & (finite > 0)]
        if finite.size and finite.max() / finite.min() < 10 and finite.min() >= 0.3:
            axis.set_major_locator(ticker.FixedLocator(_RATIO_TICKS))
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: ratio_tick(value)))
    axis.set_minor_formatter(ticker.NullFormatter())


def ratio_tick(value: float) -> str:
    return f"{value:g}×" if value < 10 else f"{value:,.0f}×"


def bytes_axis(axis, values) -> None:
    """Ticks at powers of 32 bytes: 32 B, 1 KiB, 32 KiB, 1 MiB, … (caches come in KiB, MiB);
    at powers of 2 when the data spans too little for that."""
    values = np.asarray(values, dtype=float)
    wide = values.size and values.max() / values.min() >= 32.0**3
    axis.set_major_locator(ticker.LogLocator(base=32.0 if wide else 2.0, numticks=10))
    axis.set_minor_locator(ticker.NullLocator())
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: format_bytes(value)))


def log_scale(ax, *, x: bool = True, y: bool = True) -> None:
    """Log axes with minor ticks at 2× and 5× each power of ten: Matplotlib's eight a
    decade doubled every figure's drawing time, for marks the eye does not read."""
    for wanted, axis, set_scale in ((x, ax.xaxis, ax.set_xscale), (y, ax.yaxis, ax.set_yscale)):
        if wanted:
            set_scale("log")
            axis.set_minor_locator(ticker.LogLocator(subs=(2.0, 5.0)))


def log_axes(ax, x_label: str, y_label: str) -> None:
    log_scale(ax)
    ax.set(xlabel=x_label, ylabel=y_label)
    ax.grid(True, **GRID)


def empty_panel(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set(xticks=[], yticks=[])


def line_style(backend: str, threads: int, counts: dict[str, frozenset[int]], look: Style) -> dict:
    linestyle = style.linestyle(threads, counts.get(backend, frozenset({threads})))
    return {
        "color": look.colour(backend),
        "linestyle": linestyle,
        "label": look.series_label(backend, threads),
        # dashed lines on top, so a series equal to the solid one still shows
        "zorder": 2.2 if linestyle != style.SOLID else 2.0,
    }


def legend_below(figure: Figure, axes, extra: list | None = None, *, look: Style) -> None:
    """One legend for the whole figure, below the axes (it covers no data), the backends'
    entries in ``look``'s order."""
    found: dict[str, object] = {}
    for ax in axes:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            found.setdefault(text, handle)
    handles = {text: found[text] for text in sorted(found, key=lambda t: _legend_rank(t, look))}
    for handle in extra or []:
        handles.setdefault(handle.get_label(), handle)
    if handles:
        columns = max(1, min(4, len(handles), int(figure.get_figwidth() / 2.8)))
        figure.legend(handles.values(), handles.keys(), loc="outside lower center", ncols=columns)


def _legend_rank(text: str, look: Style) -> tuple:
    """Backends in their usual order, then everything else (limits, markers) as drawn."""
    for backend in sorted(look.backends, key=lambda b: -len(look.label(b))):
        if text.startswith(look.label(backend) + ","):
            return (0, look.backend_rank(backend), text)
    return (1, (0, ""), "")


def backend_line(backend: str, look: Style) -> dict:
    """Colour and legend label of a backend, as every figure draws it."""
    return {"color": look.colour(backend), "label": look.label(backend)}
