"""The roofline's readings, from a table whose numbers are known: the share of the peak
at the top of the h sweep, and the h where the lead over NumPy changes hands."""

from __future__ import annotations

import types

import pandas as pd
import pytest

from reports import style
from reports.roofline import roofline_findings, roofline_section, sweep

PEAK = {"1": 50.0, "2": 100.0}
READ = {"1": 10.0, "2": 20.0}


def _row(op, backend, threads, h, median_s, m=2000, n=784):
    flops = 4 * m * n * h
    nbytes = 8 * (m * n + m + 2 * (n * h + 2 * h))
    return {
        "op": op,
        "backend": backend,
        "dtype": "float64",
        "threads": threads,
        "m": m,
        "n": n,
        "h": h,
        "size": m * n * h,
        "status": "ok",
        "median_s": median_s,
        "flops": flops,
        "bytes": nbytes,
        "gflop_per_s": flops / median_s / 1e9,
    }


@pytest.fixture
def table():
    style.use({"backends": {"numpy": {"role": "reference"}}, "ops": {}})
    rows = []
    for h in (1, 4, 64, 1024):
        flops = 4 * 2000 * 784 * h
        # NumPy: slow at small h (temporaries), 80% of the 2-thread peak at the top
        rows.append(_row("mlp_gradient", "numpy", 2, h, max(flops / 80e9, 2e-3)))
        # a fused loop: 1 ms at small h, 20 GFLOP/s at large h
        rows.append(_row("mlp_gradient", "numba_parallel", 2, h, max(flops / 20e9, 1e-3)))
    rows.append(_row("mlp_gradient", "numba_parallel", 2, 1024, 99.0, m=10))  # another m
    frame = pd.DataFrame(rows)
    frame["h"] = frame["h"].astype("Int64")
    return frame


def test_the_sweep_is_the_largest_samples_and_features(table):
    op, rows = sweep(table)
    assert op == "mlp_gradient"
    assert set(rows["m"]) == {2000}
    assert list(rows[rows["backend"] == "numpy"]["h"]) == [1, 4, 64, 1024]


def test_findings_state_the_share_of_the_peak_and_where_the_lead_changes(table):
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    found = roofline_findings(table, run)
    shares = {share["label"]: share["raw_share"] for share in found["shares"]}
    assert shares[style.series_label("numpy", 2)] == pytest.approx(0.8)
    assert shares[style.series_label("numba_parallel", 2)] == pytest.approx(0.2)
    (change,) = found["changes"]
    # at h = 1 and 4 the loop's 1 ms beats NumPy's 2 ms; at h = 64 NumPy's 5 ms beats 20 ms
    assert (change["first"], change["h"]) == ("leads", 64)
    text = roofline_section(table, run, {"roofline"})
    assert "80% of the peak" in text
    assert "changes hands at h = 64" in text


def test_no_section_without_the_figure(table):
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    assert roofline_section(table, run, set()) == ""
