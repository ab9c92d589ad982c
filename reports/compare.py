"""Two runs side by side: two machines, or one machine before and after a change.

For each case measured in both, the new run is compared with the old one by the report's
one rule (``reports.rules.Comparison``, the old run as the reference): faster, slower or
level. The page and the CSV show the ratio new ÷ old of the median times (below 1: the
new run is faster) with its interval from the quartiles of both runs; the verdict is the
rule's.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from matplotlib.lines import Line2D

from reports import analysis, rules, style
from reports.figkit import (
    GRID,
    legend_below,
    log_scale,
    new_figure,
    ratio_axis,
    save,
    styled,
)
from reports.formatting import format_ratio, format_shape, format_time, shape_of, size_axis_name
from reports.load import CASE_KEY, ResultFileError, Run, ladder_of, merged_catalogue
from reports.markup import md_table
from reports.style import Style
from reports.table import measured, not_run, tidy_table, write_csv
from reports.templating import render

FASTER, SLOWER, LEVEL = rules.FASTER, rules.SLOWER, rules.LEVEL
ONLY_OLD, ONLY_NEW = "only in old run", "only in new run"

COLUMNS = [
    *CASE_KEY[:-1],
    "m",
    "n",
    "h",
    "size",
    "old_median_s",
    "new_median_s",
    "ratio",
    "ratio_low",
    "ratio_high",
    "verdict",
    "old_flags",
    "new_flags",
    "shape",
]


def side_by_side(old: Run, new: Run) -> Style:
    """How the comparison shows ops and backends: as the new run's catalogue describes
    them, or the old run's for those only it knows; a backend the two runs label
    differently carries both labels, so each file is shown with its own catalogue."""
    merged = merged_catalogue([new, old])
    before, after = Style.of(old.catalogue), Style.of(new.catalogue)
    backends = dict(merged["backends"])
    for name, entry in backends.items():
        in_both = name in old.catalogue["backends"] and name in new.catalogue["backends"]
        if in_both and before.label(name) != after.label(name):
            backends[name] = {**entry, "label": f"{after.label(name)} (old: {before.label(name)})"}
    return Style.of({"ops": merged["ops"], "backends": backends})


def compare_runs(old: Run, new: Run, look: Style) -> pd.DataFrame:
    """One row per case in either run: the time ratio new ÷ old and its verdict, in
    ``look``'s order."""
    columns = [*CASE_KEY, "m", "n", "h", "size", "median_s", "ci_low_s", "ci_high_s", "flags"]
    before = measured(tidy_table(old))[columns]
    after = measured(tidy_table(new))[columns]
    both = before.merge(after, on=CASE_KEY, how="outer", suffixes=("_old", "_new"))
    for name in ("m", "n", "h", "size"):
        both[name] = both[f"{name}_new"].fillna(both[f"{name}_old"])
    both["old_median_s"] = both["median_s_old"]
    both["new_median_s"] = both["median_s_new"]
    # The new run against the old one as the reference: a speedup above 1 is a faster
    # new run. The table shows its inverse, the time ratio new ÷ old, and that band.
    comparisons = [
        rules.Comparison.of(old_band, new_band)
        for old_band, new_band in zip(
            both[["ci_low_s_old", "median_s_old", "ci_high_s_old"]].itertuples(index=False),
            both[["ci_low_s_new", "median_s_new", "ci_high_s_new"]].itertuples(index=False),
            strict=True,
        )
    ]
    both["ratio"] = [1 / c.speedup for c in comparisons]
    both["ratio_low"] = [1 / c.high for c in comparisons]
    both["ratio_high"] = [1 / c.low for c in comparisons]
    both["verdict"] = [
        ONLY_NEW
        if math.isnan(before_s)
        else ONLY_OLD
        if math.isnan(after_s)
        else comparison.verdict
        for before_s, after_s, comparison in zip(
            both["old_median_s"], both["new_median_s"], comparisons, strict=True
        )
    ]
    both["old_flags"] = both["flags_old"].fillna("")
    both["new_flags"] = both["flags_new"].fillna("")
    both["size"] = both["size"].astype("int64")
    both = both.sort_values(
        ["op", "backend", "dtype", "threads", "size"],
        key=lambda column: (
            column.map(look.op_rank).map(str)
            if column.name == "op"
            else column.map(look.backend_rank).map(str)
            if column.name == "backend"
            else column
        ),
        ignore_index=True,
    )
    return both[COLUMNS]


# --- the figure -------------------------------------------------------------------------

_MARKERS = {"float64": "o", "float32": "s"}


@styled
def comparison_figure(table: pd.DataFrame, old_name: str, new_name: str, look: Style):
    """Per op: ratio new ÷ old against size; filled markers where the change is real."""
    both = table[table["verdict"].isin([FASTER, SLOWER, LEVEL])]
    ops = sorted(both["op"].unique(), key=look.op_rank)
    columns = min(3, max(1, len(ops)))
    rows_count = max(1, math.ceil(len(ops) / columns))
    figure = new_figure(0.8 + 3.9 * columns, 0.9 + 3.2 * rows_count)
    grid = figure.subplots(rows_count, columns, squeeze=False, sharey=True)
    for ax in grid.ravel()[len(ops) :]:
        ax.set_visible(False)
    counts: dict[str, set[int]] = {}
    for backend, threads in both[["backend", "threads"]].itertuples(index=False):
        counts.setdefault(backend, set()).add(int(threads))
    for ax, op in zip(grid.ravel(), ops, strict=False):
        rows = both[both["op"] == op]
        for (backend, dtype, threads), series in rows.groupby(["backend", "dtype", "threads"]):
            series = series.sort_values("size")
            colour = look.colour(backend)
            marker = _MARKERS.get(dtype, "D")
            ax.plot(
                series["size"],
                series["ratio"],
                color=colour,
                linestyle=style.linestyle(int(threads), counts[backend]),
                linewidth=1.0,
                label=look.series_label(backend, int(threads)),
            )
            real = series["verdict"] != LEVEL
            ax.errorbar(
                series["size"],
                series["ratio"],
                yerr=[
                    series["ratio"] - series["ratio_low"],
                    series["ratio_high"] - series["ratio"],
                ],
                fmt="none",
                ecolor=colour,
                elinewidth=0.8,
                alpha=0.6,
            )
            ax.scatter(
                series["size"][real],
                series["ratio"][real],
                color=colour,
                marker=marker,
                s=26,
                zorder=3,
            )
            ax.scatter(
                series["size"][~real],
                series["ratio"][~real],
                facecolors="white",
                edgecolors=colour,
                marker=marker,
                s=26,
                zorder=3,
            )
        ax.axhline(1.0, color="black", linewidth=0.9)
        floor = 1 + rules.MIN_CHANGE  # changes smaller than this are never called real
        ax.axhspan(1 / floor, floor, color="0.85", alpha=0.5, linewidth=0)
        log_scale(ax)
        ax.set_xlabel(size_axis_name(analysis.size_names(table, op)))
        if ax in grid[:, 0]:
            ax.set_ylabel("time ratio new ÷ old\n(below 1×: new is faster)")
        ax.set_title(op)
        ax.grid(True, **GRID)
    ratio_axis(grid[0, 0].yaxis, both[["ratio_low", "ratio_high"]].to_numpy())
    extra = [
        Line2D([], [], color="0.3", marker=marker, linestyle="", label=dtype)
        for dtype, marker in _MARKERS.items()
        if dtype in set(both["dtype"])
    ]
    extra += [
        Line2D([], [], color="0.3", marker="o", linestyle="", label="a real change (filled)"),
        Line2D(
            [], [], color="0.3", marker="o", markerfacecolor="white", linestyle="",
            label="level (hollow)",
        ),
    ]  # fmt: skip
    legend_below(figure, grid.ravel()[: len(ops)], extra, look=look)
    figure.suptitle(
        f"{new_name} against {old_name}: time ratio per case (grey band: ±{rules.MIN_CHANGE:.0%})"
    )
    return figure


# --- the page ---------------------------------------------------------------------------


def _machine_facts(run: Run) -> dict[str, str]:
    suite = run.suite
    cpu = suite.get("cpu") or {}
    git = suite.get("git") or {}
    versions = suite.get("versions") or {}
    facts = {
        "file": ", ".join(path.name for path in run.sources),
        "date": run.datetime[:19].replace("T", " "),
        "host": str(run.machine.get("node", "?")),
        "CPU": str(cpu.get("brand", "?")),
        "logical cores": str(cpu.get("logical_cores", "?")),
        "code": str(git.get("commit") or "?") + (" (dirty)" if git.get("dirty") else ""),
        "ladder": ladder_of(suite),
    }
    facts.update({name: str(value) for name, value in versions.items()})
    return facts


def _row(row: pd.Series, look: Style) -> list[str]:
    return [
        f"`{row['op']}`",
        look.series_label(row["backend"], int(row["threads"])),
        row["dtype"],
        format_shape(shape_of(row["shape"])),
        format_time(row["old_median_s"]),
        format_time(row["new_median_s"]),
        format_ratio(row["ratio"]) if math.isfinite(row["ratio"]) else "—",
        row["verdict"],
    ]


SHOWN = 50  # the page's table of changes lists at most this many; compare.csv has all


def significant(table: pd.DataFrame) -> pd.DataFrame:
    """The real changes (faster or slower by the rule), the largest first: how far the
    ratio lies from 1×, either way. The level cases are what the page leaves out."""
    changed = table[table["verdict"].isin([FASTER, SLOWER])]
    distance = changed["ratio"].map(lambda ratio: abs(math.log(ratio)))
    return changed.loc[distance.sort_values(ascending=False, kind="stable").index]


def _in_one_run(table: pd.DataFrame, verdict: str, look: Style) -> str:
    """The series (op, backend) measured in one run only, named, e.g. "`dot` on Numba"."""
    rows = table[table["verdict"] == verdict][["op", "backend"]].drop_duplicates()
    return ", ".join(f"`{op}` on {look.label(backend)}" for op, backend in rows.to_numpy())


def render_comparison(
    table: pd.DataFrame, old: Run, new: Run, figure: str | None, look: Style
) -> str:
    counts = table["verdict"].value_counts()
    header = ["op", "backend", "dtype", "size", "old", "new", "new ÷ old", "verdict"]
    changes = significant(table)
    shown = changes.head(SHOWN)
    rows = [_row(row, look) for _, row in shown.iterrows()]
    before, after = _machine_facts(old), _machine_facts(new)
    facts = []
    for key in dict.fromkeys([*before, *after]):
        a, b = before.get(key, "—"), after.get(key, "—")
        facts.append([key, a, f"**{b}**" if a != b and key not in ("file", "date") else b])
    return (
        render(
            "compare.md.j2",
            old_name=old.sources[0].name,
            new_name=new.sources[0].name,
            cases=len(table),
            counts={
                "faster": counts.get(FASTER, 0),
                "slower": counts.get(SLOWER, 0),
                "level": counts.get(LEVEL, 0),
                "only_old": counts.get(ONLY_OLD, 0),
                "only_new": counts.get(ONLY_NEW, 0),
            },
            rule=rules.comparison_rule("the new run", "the old one"),
            figure=figure,
            changes=md_table(header, rows) if rows else "",
            shown=len(shown),
            beyond=len(changes) - len(shown),
            only_old=_in_one_run(table, ONLY_OLD, look),
            only_new=_in_one_run(table, ONLY_NEW, look),
            runs_table=md_table(["", "old", "new (differences in bold)"], facts),
            skipped_old=len(not_run(tidy_table(old))),
            skipped_new=len(not_run(tidy_table(new))),
        )
        + "\n"
    )


def directory_name(old_path: Path, new_path: Path) -> str:
    return f"compare-{old_path.stem}-vs-{new_path.stem}"


def comparable(old: Run, new: Run) -> pd.DataFrame:
    """The comparison of two runs, or ``ResultFileError`` if they have no case in common."""
    table = compare_runs(old, new, side_by_side(old, new))
    if not table["verdict"].isin([FASTER, SLOWER, LEVEL]).any():
        raise ResultFileError(
            new.sources[0],
            f"no case was measured both here and in {old.sources[0]}: nothing to compare",
        )
    return table


def write_comparison(table: pd.DataFrame, old: Run, new: Run, directory: Path) -> None:
    """Table, figure and page of the comparison into ``directory`` (a staging directory)."""
    look = side_by_side(old, new)
    write_csv(table, directory / "compare.csv")
    drawing = comparison_figure(table, old.sources[0].name, new.sources[0].name, look)
    figure = save(drawing, directory, "compare")
    text = render_comparison(table, old, new, figure, look)
    (directory / "README.md").write_text(text, encoding="utf-8")
