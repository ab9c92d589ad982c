"""What the numbers say: speedups, where the lead changes hands, the headline, JIT break-even.

Every comparison pairs two measurements of the same op, dtype and shape, with the band of
``rules.Comparison``, so "faster" is told apart from "within the measured spread". Nothing
here knows what an op computes; it only reads the table.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports import rules, style
from reports.formatting import shape_of
from reports.load import CASE_KEY, JIT_KEY
from reports.rules import FASTER, LEVEL, SLOWER, Comparison
from reports.style import Style, dtype_rank
from reports.table import measured, not_run, report_order

SAME_CASE = ["op", "dtype", "shape"]
BAND = ["ci_low_s", "median_s", "ci_high_s"]  # a median and its 95% interval

HEADLINE_DTYPE = "float64"
HEADLINE_N = 1_000_000


def versus(
    table: pd.DataFrame,
    reference: str,
    *,
    reference_threads: int | None = None,
    contenders: list[str] | None = None,
) -> pd.DataFrame:
    """Every measured case against ``reference`` at the same op, dtype and shape (``compared``).

    The reference is taken at the same thread count if measured there, else the closest
    (fewer on a tie), or at ``reference_threads`` if given; its columns are ``ref_``-prefixed.
    """
    cases = measured(table)
    ref = cases[cases["backend"] == reference]
    if reference_threads is not None:
        ref = ref[ref["threads"] == reference_threads]
    ref = ref[[*SAME_CASE, "threads", *BAND, "flags"]]
    ref = ref.rename(columns=lambda column: column if column in SAME_CASE else f"ref_{column}")
    others = cases if contenders is None else cases[cases["backend"].isin(contenders)]
    paired = others.merge(ref, on=SAME_CASE, how="inner")
    paired = paired[(paired["backend"] != reference) | (paired["threads"] != paired["ref_threads"])]
    paired = paired.assign(thread_gap=(paired["threads"] - paired["ref_threads"]).abs())
    paired = paired.sort_values([*CASE_KEY, "thread_gap", "ref_threads"]).drop_duplicates(
        subset=CASE_KEY, keep="first"
    )
    return compared(paired).sort_values(
        ["op", "backend", "dtype", "threads", "size"], ignore_index=True
    )


def compared(paired: pd.DataFrame) -> pd.DataFrame:
    """``paired`` with each row's ``speedup`` over its reference (the ``ref_`` columns), its
    band ``speedup_low`` to ``speedup_high``, and the ``verdict``."""
    references = paired[[f"ref_{column}" for column in BAND]].itertuples(index=False)
    bands = paired[BAND].itertuples(index=False)
    comparisons = [Comparison.of(*pair) for pair in zip(references, bands, strict=True)]
    paired["speedup"] = [c.speedup for c in comparisons]
    paired["speedup_low"] = [c.low for c in comparisons]
    paired["speedup_high"] = [c.high for c in comparisons]
    paired["verdict"] = [c.verdict for c in comparisons]
    return paired


def comparison(row: pd.Series) -> Comparison:
    """The comparison of one row of ``versus``."""
    return Comparison(row["speedup"], row["speedup_low"], row["speedup_high"])


# --- where the lead changes hands ------------------------------------------------------


@dataclass(frozen=True)
class Crossing:
    """The lead changes sign between two neighbouring measured sizes, both decided."""

    below: int
    above: int
    estimate: float  # where the two time curves cross, interpolated on log–log axes
    contender_ahead_after: bool


@dataclass(frozen=True)
class Region:
    """A run of neighbouring measured sizes with the same verdict."""

    verdict: str  # FASTER, SLOWER or LEVEL
    sizes: tuple[int, ...]


@dataclass(frozen=True)
class Lead:
    """Who is faster along the sizes measured, contender against reference."""

    sizes: tuple[int, ...]
    speedups: tuple[float, ...]  # reference time ÷ contender time, per size
    verdicts: tuple[str, ...]  # FASTER, SLOWER or LEVEL, per size
    crossings: tuple[Crossing, ...]

    @property
    def regions(self) -> tuple[Region, ...]:
        runs = itertools.groupby(zip(self.verdicts, self.sizes, strict=True), key=lambda p: p[0])
        return tuple(Region(verdict, tuple(size for _, size in run)) for verdict, run in runs)


def lead_along_sizes(
    sizes: np.ndarray, speedups: np.ndarray, lows: np.ndarray, highs: np.ndarray
) -> Lead:
    """Won, lost or level at each size (shapes of one size averaged geometrically), and the
    ``Crossing``s between neighbouring sizes with opposite decided verdicts."""
    frame = pd.DataFrame(
        {"size": sizes, "log": np.log(speedups), "low": np.log(lows), "high": np.log(highs)}
    )
    per_size = frame.groupby("size", sort=True)[["log", "low", "high"]].mean()
    xs = per_size.index.to_numpy(dtype=float)
    logs = per_size["log"].to_numpy()
    verdicts = [
        rules.verdict(math.exp(log), math.exp(low), math.exp(high))
        for log, low, high in zip(logs, per_size["low"], per_size["high"], strict=True)
    ]
    crossings = []
    for i in range(len(xs) - 1):
        if {verdicts[i], verdicts[i + 1]} == {FASTER, SLOWER}:
            fraction = logs[i] / (logs[i] - logs[i + 1])
            log_x = math.log(xs[i]) + fraction * (math.log(xs[i + 1]) - math.log(xs[i]))
            after = verdicts[i + 1] == FASTER
            crossings.append(Crossing(int(xs[i]), int(xs[i + 1]), math.exp(log_x), after))
    return Lead(
        sizes=tuple(int(x) for x in xs),
        speedups=tuple(float(math.exp(v)) for v in logs),
        verdicts=tuple(verdicts),
        crossings=tuple(crossings),
    )


# --- the slides' example -------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The dot product closest to the slides' n = 10⁶, on every backend measured there."""

    dtype: str
    n: int
    rows: pd.DataFrame  # the cases at that size, measured or not run, in report order

    def row(self, backend: str) -> pd.Series | None:
        """The case of ``backend`` at its fewest threads, if any."""
        rows = self.rows[self.rows["backend"] == backend]
        return None if rows.empty else rows.sort_values("threads").iloc[0]

    def measured(self, backend: str) -> pd.DataFrame:
        rows = self.rows[self.rows["backend"] == backend]
        return rows[rows["status"] == "ok"].sort_values("threads")


def headline(table: pd.DataFrame, op: str | None = None, *, look: Style) -> Headline | None:
    """The lesson's op (or ``op``) for the report's opening, or ``None`` if the reference
    never ran it: float64 if run, at the size closest to 10⁶ where both the loop and the
    reference were measured, else where the reference was."""
    dots = table[table["op"] == (op or look.lesson_op())]
    numpy_dots = measured(dots)[measured(dots)["backend"] == look.the(style.REFERENCE)]
    if numpy_dots.empty:
        return None
    dtypes = list(numpy_dots["dtype"].unique())
    dtype = HEADLINE_DTYPE if HEADLINE_DTYPE in dtypes else dtypes[0]
    dots = dots[dots["dtype"] == dtype]
    numpy_sizes = set(numpy_dots[numpy_dots["dtype"] == dtype]["size"])
    loop_sizes = set(measured(dots)[measured(dots)["backend"] == look.the(style.LOOP)]["size"])
    candidates = (numpy_sizes & loop_sizes) or numpy_sizes
    n = min(candidates, key=lambda size: (abs(math.log(size / HEADLINE_N)), -size))
    return Headline(dtype=dtype, n=int(n), rows=dots[dots["size"] == n])


# --- the summary at the largest size ------------------------------------------------


_COMPARED = ["speedup", "speedup_low", "speedup_high", "ref_threads", "verdict"]
SUMMARY_COLUMNS = [
    "op", "dtype", "shape", "size", "backend", "threads", "status", *_COMPARED, "flags",
    "ref_flags",
]  # fmt: skip


def at_largest_size(table: pd.DataFrame, *, look: Style) -> pd.DataFrame:
    """Per op and dtype, every (backend, threads) against the reference at its largest size;
    ``status`` is "ok", "not run", "not implemented" (no kernel) or "not measured"."""
    reference = look.the(style.REFERENCE)
    numpy_cases = measured(table)[measured(table)["backend"] == reference]
    series = (
        table.loc[table["backend"] != reference, ["backend", "threads"]]
        .drop_duplicates()
        .sort_values(["backend", "threads"], key=lambda column: report_order(column, look))
    )
    if numpy_cases.empty or series.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    largest = numpy_cases.loc[numpy_cases.groupby(["op", "dtype"])["size"].idxmax()]
    grid = largest[["op", "dtype", "shape", "size"]].merge(series, how="cross")
    paired = versus(table, reference)[[*CASE_KEY, *_COMPARED, "flags", "ref_flags"]]
    summary = grid.merge(paired, on=CASE_KEY, how="left", indicator=True)
    skipped = set(not_run(table)[CASE_KEY].itertuples(index=False, name=None))
    keys = summary[CASE_KEY].itertuples(index=False, name=None)
    summary["status"] = [
        _status(found == "both", key, skipped, look)
        for found, key in zip(summary["_merge"], keys, strict=True)
    ]
    summary["verdict"] = summary["verdict"].fillna("")
    return summary[SUMMARY_COLUMNS]


def on_the_slide(summary: pd.DataFrame, *, look: Style) -> pd.DataFrame:
    """The summary a slide can hold: each backend once, at the most threads it was measured
    with (every core for those that spread the work; one for the loops), and no variant
    (``at_largest_size`` keeps them all, for the op-by-op page)."""
    measured = summary[summary["status"] == "ok"].groupby("backend")["threads"].max()
    most = measured.combine_first(summary.groupby("backend")["threads"].max())
    kept = summary["threads"] == summary["backend"].map(most)
    slide = summary[kept & (summary["backend"].map(look.role) != style.VARIANT)]
    return slide if not slide.empty else summary  # a run of variants alone: all of it


def _status(paired: bool, key: tuple, skipped: set[tuple], look: Style) -> str:
    """A case's status in ``at_largest_size``; ``key`` is its ``CASE_KEY``."""
    op, backend = key[0], key[1]
    if paired:
        return "ok"
    if key in skipped:
        return "not run"
    return "not measured" if look.implements(backend, op) else "not implemented"


# --- Numba's compile cost ------------------------------------------------------------


def calls_to_break_even(first_call_s: float, steady_s: float, other_s: float) -> float:
    """The first k with ``first_call_s + (k − 1)·steady_s <= k·other_s``: after how many calls
    a JIT-compiled function has caught up; ``inf`` if never, ``nan`` if nothing to compare."""
    if not (math.isfinite(other_s) and math.isfinite(steady_s)):
        return math.nan
    if other_s <= steady_s:
        return math.inf
    return float(max(1, math.ceil((first_call_s - steady_s) / (other_s - steady_s))))


JIT_COLUMNS = [
    *["op", "backend", "dtype", "m", "n", "h", "size", "cold_s", "warm_s", "steady_s"],
    *["compile_s", "numpy_s", "numpy_threads", "numpy_level", "python_s"],
    *["calls_vs_numpy_cold", "calls_vs_numpy_warm"],
    *["calls_vs_python_cold", "calls_vs_python_warm"],
    "shape",
]


def jit_costs(jit: pd.DataFrame, table: pd.DataFrame, *, look: Style) -> pd.DataFrame:
    """The JIT's first-call costs against its steady state, and when compiling pays off.

    The reference's and the loop's times are the probe's on the same inputs, else the
    benchmarks' medians: the reference at its most threads (its defaults), the loop at one.
    Against the reference, compiling never pays off (``numpy_level``) when the two are level
    by ``Comparison.one_shot`` or by the benchmarks: a count from noise would mean nothing.
    """
    cases = measured(table)
    by_case = dict(list(cases.groupby(SAME_CASE)))
    reference, loop = look.the(style.REFERENCE), look.the(style.LOOP)
    against_numpy = dict(list(versus(table, reference).groupby(JIT_KEY)))
    rows = []
    for entry in jit.itertuples(index=False):
        same = by_case.get((entry.op, entry.dtype, entry.shape), cases.iloc[:0])
        numpy_rows = same[same["backend"] == reference].sort_values("threads")
        python_rows = same[same["backend"] == loop].sort_values("threads")
        row = entry._asdict() | {"compile_s": entry.cold_s - entry.steady_s, "numpy_threads": pd.NA}
        if not math.isfinite(entry.numpy_s) and len(numpy_rows):
            row["numpy_s"] = numpy_rows["median_s"].iloc[-1]
            row["numpy_threads"] = int(numpy_rows["threads"].iloc[-1])
        if not math.isfinite(entry.python_s) and len(python_rows):
            row["python_s"] = python_rows["median_s"].iloc[0]
        row["numpy_level"] = _level_with_numpy(entry, row["numpy_s"], against_numpy)
        for start in ("cold", "warm"):
            first_s = row[f"{start}_s"]
            vs_python = calls_to_break_even(first_s, entry.steady_s, row["python_s"])
            vs_numpy = calls_to_break_even(first_s, entry.steady_s, row["numpy_s"])
            row[f"calls_vs_python_{start}"] = vs_python
            row[f"calls_vs_numpy_{start}"] = math.inf if row["numpy_level"] else vs_numpy
        rows.append(row)
    frame = pd.DataFrame(rows, columns=JIT_COLUMNS)
    frame["numpy_threads"] = frame["numpy_threads"].astype("Int64")
    frame["numpy_level"] = frame["numpy_level"].astype(bool)
    return frame


def _level_with_numpy(entry, numpy_s: float, against_numpy: dict) -> bool:
    """Whether the compiled function and the reference are level per call (``jit_costs``)."""
    if not math.isfinite(numpy_s):
        return False
    if Comparison.one_shot(numpy_s, entry.steady_s).verdict == LEVEL:
        return True
    same = against_numpy.get((entry.op, entry.backend, entry.dtype, entry.shape))
    # the backend at its most threads: how the probe calls it, with the defaults
    return same is not None and same.sort_values("threads").iloc[-1]["verdict"] == LEVEL


# --- small helpers shared by the figures and the text -------------------------------


def size_names(table: pd.DataFrame, op: str) -> frozenset[str]:
    shapes = table[table["op"] == op]["shape"].unique()
    return frozenset(name for shape in shapes for name in shape_of(shape))


def dtypes(table: pd.DataFrame, op: str | None = None) -> list[str]:
    rows = table if op is None else table[table["op"] == op]
    return sorted(rows["dtype"].unique(), key=dtype_rank)


def ops(table: pd.DataFrame, *, look: Style) -> list[str]:
    return sorted(table["op"].unique(), key=look.op_rank)
