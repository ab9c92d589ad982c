"""The tidy table: one row per op × backend × dtype × threads × size, with what follows from it.

Throughput is the case's recorded FLOPs and compulsory bytes over its median time; the
bandwidth share divides by the read bandwidth measured at its thread count (``load``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from reports import rules
from reports.load import Run
from reports.style import Style, dtype_rank
from vbschema.run import CEILINGS

COLUMNS = [
    "op", "backend", "dtype", "threads", "m", "n", "h", "size", "status",
    "median_s", "iqr_s", "q1_s", "q3_s", "ci_low_s", "ci_high_s", "min_s", "mean_s", "stddev_s",
    "rounds", "iterations", "gb_per_s", "gflop_per_s", "bandwidth_GBps", "bandwidth_share",
    "served_from", "peak_alloc_bytes", "attempts", "beside", "flops", "bytes", "iqr_rel",
    "interval_rel", "stddev_rel", "flags", "reason", "predicted_s", "shape", "name", "source",
]  # fmt: skip


def tidy_table(run: Run) -> pd.DataFrame:
    """The run's cases with throughput, bandwidth share and stability flags, in report order."""
    table = run.cases.copy()
    ok = table["status"] == "ok"
    median = table["median_s"].where(ok)
    table["gb_per_s"] = table["bytes"].astype("float64") / median / 1e9
    table["gflop_per_s"] = table["flops"].astype("float64") / median / 1e9
    table["bandwidth_share"] = table["gb_per_s"] / table["bandwidth_GBps"]
    table["iqr_rel"] = table["iqr_s"] / median
    table["interval_rel"] = (table["ci_high_s"] - table["ci_low_s"]) / 2 / median
    table["stddev_rel"] = table["stddev_s"] / table["mean_s"].where(ok)
    table["flags"] = _flags(table, rules.disturbances(run.suite))
    look = Style.of(run.catalogue)
    table = table.sort_values(
        ["op", "backend", "dtype", "threads", "size", "shape"],
        key=lambda column: report_order(column, look),
        ignore_index=True,
    )
    return table[COLUMNS]


def report_order(column: pd.Series, look: Style) -> pd.Series:
    """The run's own order of ops and backends (its catalogue's), float64 first."""
    rank = {"op": look.op_rank, "backend": look.backend_rank, "dtype": dtype_rank}.get(column.name)
    if rank is None:
        return column
    return column.map(lambda value: "{:03d}{}".format(*rank(value)))


def _flags(table: pd.DataFrame, disturbed: list[dict]) -> pd.Series:
    loaded = any(d["kind"] == "load" for d in disturbed)
    # the memory levels whose probe contradicted itself: their cases' ceilings are suspect
    suspect = {
        CEILINGS[d["limit"]] for d in disturbed if d["kind"] == "probe" and d["limit"] in CEILINGS
    }
    round_times = table["median_s"] * table["iterations"].astype("float64")
    flags = []
    for case, round_s, twin_high in zip(
        table.itertuples(), round_times, _one_thread_high(table), strict=True
    ):
        if case.status != "ok":
            flags.append("")
            continue
        raised = rules.flags(case.interval_rel, round_s, case.timer_resolution_s, case.rounds)
        if loaded or case.served_from in suspect:
            raised.append(rules.FLAG_DISTURBED)
        if case.threads > 1 and rules.waited(twin_high, case.ci_low_s):
            raised.append(rules.FLAG_WAITED)
        flags.append("; ".join(raised))
    return pd.Series(flags, index=table.index, dtype="object")


def _one_thread_high(table: pd.DataFrame) -> pd.Series:
    """Each row's one-thread twin's ``ci_high_s`` (same op, backend, dtype, shape), or NaN."""
    twin = ["op", "backend", "dtype", "shape"]
    one = table[(table["status"] == "ok") & (table["threads"] == 1)][[*twin, "ci_high_s"]]
    merged = table[twin].merge(one.drop_duplicates(twin), on=twin, how="left")
    return pd.Series(merged["ci_high_s"].to_numpy(), index=table.index)


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


# --- jit.csv -------------------------------------------------------------------------

# A break-even count from a difference within the noise would be meaningless: say so.
NEVER_LEVEL = "never (level within noise)"


def jit_table(costs: pd.DataFrame) -> pd.DataFrame:
    """The JIT costs for ``jit.csv``: break-even counts as integers, "never" or ``NEVER_LEVEL``."""
    table = costs.copy()
    for column in [name for name in costs if name.startswith("calls_vs_")]:
        against_numpy = column.startswith("calls_vs_numpy")
        table[column] = [
            _calls_text(calls, against_numpy and level)
            for calls, level in zip(costs[column], costs["numpy_level"], strict=True)
        ]
    return table


def _calls_text(calls: float, level: bool) -> str:
    if math.isnan(calls):
        return ""
    if level:
        return NEVER_LEVEL
    return "never" if math.isinf(calls) else str(int(calls))
