"""The tidy table: one row per op × backend × dtype × threads × size, with what follows from it.

Throughput comes from the cost model the benchmark recorded with each case (FLOPs and
compulsory bytes of one call) and the median time; the bandwidth share divides by the
read bandwidth measured on the same machine at the same thread count (or the closest one
measured). Stability flags follow pyperf's advice: don't print a number with more
confidence than its measurement supports.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reports.load import Run
from reports.style import backend_rank, dtype_rank, op_rank

# A number is flagged when ...
SPREAD_LIMIT = 0.10  # ... its IQR exceeds 10% of the median (robust to rare outliers);
TIMER_FACTOR = 1000  # ... one timed round lasts less than 1000 timer ticks;
MIN_ROUNDS = 5  # ... or it rests on fewer than 5 rounds.

FLAG_SPREAD = "spread"
FLAG_TIMER = "timer resolution"
FLAG_ROUNDS = "few rounds"

COLUMNS = [
    "op",
    "backend",
    "dtype",
    "threads",
    "m",
    "n",
    "size",
    "status",
    "median_s",
    "iqr_s",
    "q1_s",
    "q3_s",
    "min_s",
    "mean_s",
    "stddev_s",
    "rounds",
    "iterations",
    "gb_per_s",
    "gflop_per_s",
    "bandwidth_GBps",
    "bandwidth_share",
    "flops",
    "bytes",
    "iqr_rel",
    "stddev_rel",
    "flags",
    "reason",
    "predicted_s",
    "shape",
    "name",
    "source",
]


def tidy_table(run: Run) -> pd.DataFrame:
    """The run's cases with throughput, bandwidth share and stability flags, in report order."""
    table = run.cases.copy()
    ok = table["status"] == "ok"
    median = table["median_s"].where(ok)
    table["gb_per_s"] = table["bytes"].astype("float64") / median / 1e9
    table["gflop_per_s"] = table["flops"].astype("float64") / median / 1e9
    table["bandwidth_share"] = table["gb_per_s"] / table["bandwidth_GBps"]
    table["iqr_rel"] = table["iqr_s"] / median
    table["stddev_rel"] = table["stddev_s"] / table["mean_s"].where(ok)
    table["flags"] = _flags(table)
    table = table.sort_values(
        ["op", "backend", "dtype", "threads", "size", "shape"],
        key=_report_order,
        ignore_index=True,
    )
    return table[COLUMNS]


def _report_order(column: pd.Series) -> pd.Series:
    rank = {"op": op_rank, "backend": backend_rank, "dtype": dtype_rank}.get(column.name)
    if rank is None:
        return column
    return column.map(lambda value: "{:03d}{}".format(*rank(value)))


def _flags(table: pd.DataFrame) -> pd.Series:
    spread = table["iqr_rel"] > SPREAD_LIMIT
    round_time = table["median_s"] * table["iterations"].astype("float64")
    timer = round_time < TIMER_FACTOR * table["timer_resolution_s"]
    rounds = (table["rounds"] < MIN_ROUNDS).fillna(False).astype(bool)
    flags = [
        "; ".join(
            name for name, raised in ((FLAG_SPREAD, s), (FLAG_TIMER, t), (FLAG_ROUNDS, r)) if raised
        )
        for s, t, r in zip(spread, timer, rounds, strict=True)
    ]
    return pd.Series(flags, index=table.index, dtype="object")


def measured(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["status"] == "ok"]


def not_run(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["status"] != "ok"]


def flagged(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["status"] == "ok") & (table["flags"] != "")]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, na_rep="", lineterminator="\n")


def thread_counts(table: pd.DataFrame) -> dict[str, frozenset[int]]:
    """The thread counts each backend was measured with."""
    return {
        backend: frozenset(int(t) for t in group["threads"])
        for backend, group in measured(table).groupby("backend")
    }
