"""Two runs side by side: two machines, or one machine before and after a change.

Each case measured in both is judged by the report's one rule (``reports.rules.Comparison``,
the old run as the reference): faster, slower or level. The page and the CSV show the ratio
new ÷ old of the median times (below 1: the new run is faster) and its band.

This module decides; ``reports.figures.comparison_figure`` draws, ``reports.page`` words,
``reports.build`` writes.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from reports import rules
from reports.load import CASE_KEY, ResultFileError, Run, merged_catalogue
from reports.style import Style
from reports.table import measured, report_order, tidy_table

ONLY_OLD, ONLY_NEW = "only in old run", "only in new run"

COLUMNS = [
    *CASE_KEY[:-1], "m", "n", "h", "size", "old_median_s", "new_median_s", "ratio",
    "ratio_low", "ratio_high", "verdict", "old_flags", "new_flags", "shape",
]  # fmt: skip


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
    for side in ("old", "new"):
        both[f"{side}_median_s"] = both[f"median_s_{side}"]
        both[f"{side}_flags"] = both[f"flags_{side}"].fillna("")
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
    both["verdict"] = [comparison.verdict for comparison in comparisons]
    both.loc[both["new_median_s"].isna(), "verdict"] = ONLY_OLD
    both.loc[both["old_median_s"].isna(), "verdict"] = ONLY_NEW
    both["size"] = both["size"].astype("int64")
    both = both.sort_values(
        ["op", "backend", "dtype", "threads", "size"],
        key=lambda column: report_order(column, look),
        ignore_index=True,
    )
    return both[COLUMNS]


SHOWN = 50  # the page's table of changes lists at most this many; compare.csv has all


def significant(table: pd.DataFrame) -> pd.DataFrame:
    """The real changes (faster or slower by the rule), the largest first: how far the
    ratio lies from 1×, either way. The level cases are what the page leaves out."""
    changed = table[table["verdict"].isin([rules.FASTER, rules.SLOWER])]
    distance = changed["ratio"].map(lambda ratio: abs(math.log(ratio)))
    return changed.loc[distance.sort_values(ascending=False, kind="stable").index]


def directory_name(old_path: Path, new_path: Path) -> str:
    return f"compare-{old_path.stem}-vs-{new_path.stem}"


def comparable(old: Run, new: Run) -> pd.DataFrame:
    """The comparison of two runs, or ``ResultFileError`` if they have no case in common."""
    table = compare_runs(old, new, side_by_side(old, new))
    if not table["verdict"].isin([rules.FASTER, rules.SLOWER, rules.LEVEL]).any():
        raise ResultFileError(
            new.sources[0],
            f"no case was measured both here and in {old.sources[0]}: nothing to compare",
        )
    return table
