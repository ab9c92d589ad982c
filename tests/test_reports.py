"""The report builder, on small result files made here: well-formed, malformed, and pairs.

The files follow the suite's schema (pytest-benchmark's JSON plus ``vectorbench``
additions). Times come from a simple cost model — a fixed cost per call plus a cost per
element — so the expected numbers (throughput, headline ratio, who wins where) can be
computed by hand from the file itself.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import whole_report

from bench import records
from reports import analysis, atomic, build, compare, course, figures, load, readings, rules, style
from reports.__main__ import main
from reports.build import build_report
from reports.formatting import format_bytes, format_ratio, format_size, format_time
from reports.leads import describe_lead
from reports.load import ResultFileError, limit_at, newest_result, read_result, read_results
from reports.page import _machine_facts as page_machine_facts
from reports.page import anchor as rendered_anchor
from reports.page import backends_section, render_report
from reports.rules import MARK
from reports.table import tidy_table
from vbschema import COURSE_SCHEMA, Course

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_figures(monkeypatch):
    """Reports built without drawing their figures, for a test that reads only the page's
    words and tables (each figure is most of a second of Matplotlib; the figures have
    their own tests)."""
    monkeypatch.setattr(build, "draw_report", lambda *args: set())


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
READ_GBPS = {"1": 10.0, "2": 16.0}
RESOLUTION_S = 1e-9

# --- making result files ------------------------------------------------------------------

SIZES = {
    "dot": [{"n": 10}, {"n": 1_000}, {"n": 100_000}, {"n": 1_000_000}, {"n": 10_000_000}],
    "logistic_forward": [
        {"m": 1, "n": 1},
        {"m": 10, "n": 10},
        {"m": 1_000, "n": 100},
        {"m": 100_000, "n": 100},
    ],
    "logistic_cost": [{"m": 10}, {"m": 10_000}, {"m": 1_000_000}],
}
DTYPES = {
    "dot": ("float64", "float32"),
    "logistic_forward": ("float64",),
    "logistic_cost": ("float64",),
}
THREADS = {"python": (1,), "numpy": (1, 2), "numba": (1,), "numba_parallel": (1, 2)}
# Deliberately skipped: (op, backend, sizes) → predicted seconds per call, or None.
NOT_RUN = {
    ("dot", "python", (("n", 10_000_000),)): 0.6,
    ("logistic_forward", "python", (("m", 100_000), ("n", 100))): None,
}


def elements(sizes: dict[str, int]) -> int:
    return math.prod(sizes.values())


def model_time(op: str, backend: str, threads: int, sizes: dict[str, int]) -> float:
    """Seconds per call: a fixed cost plus a cost per element, roughly like a laptop."""
    n = elements(sizes)
    if backend == "python":
        return 3e-7 + 6e-8 * n
    if backend == "numpy":
        per_element = 2.5e-10 if op == "dot" else 6e-10
        if op == "dot" and threads > 1:
            per_element /= 1.6
        return 1.5e-6 + per_element * n
    if backend == "numba":
        return 3e-7 + 3.5e-10 * n
    return (4e-6 if threads == 1 else 9e-6) + 3.5e-10 * n / threads**0.8


def stats_for(median: float, *, spread: float = 0.035, rounds: int | None = None) -> dict:
    q1, q3 = median * (1 - spread / 2), median * (1 + spread / 2)
    rounds = rounds or max(5, min(20_000, int(0.5 / median)))
    iterations = max(1, int(2e-5 / median))
    return {
        "min": min(median * 0.97, q1),  # as in any real run: min <= q1 <= q3 <= max
        "max": median * 1.6,
        "mean": median * 1.01,
        "stddev": median * spread / 1.35,
        "rounds": rounds,
        "median": median,
        "iqr": q3 - q1,
        "q1": q1,
        "q3": q3,
        "iqr_outliers": 3,
        "stddev_outliers": 2,
        "outliers": "2;3",
        "ld15iqr": min(median * 0.97, q1),
        "hd15iqr": median * 1.05,
        "ops": 1 / median,
        "total": median * rounds * iterations,
        "iterations": iterations,
    }


def benchmark_entry(op, backend, dtype, threads, sizes, median, **stats_options) -> dict:
    itemsize = 4 if dtype == "float32" else 8
    shape = "x".join(f"{k}{v}" for k, v in sizes.items())
    name = f"test_{op}[{op}-{backend}-{dtype}-t{threads}-{shape}]"
    return {
        "group": f"{op} {dtype}",
        "name": name,
        "fullname": f"bench/test_ops.py::{name}",
        "params": {"op": op, "backend": backend, "dtype": dtype, "threads": threads, **sizes},
        "param": f"{op}-{backend}-{dtype}-t{threads}-{shape}",
        "extra_info": {
            "op": op,
            "backend": backend,
            "dtype": dtype,
            "threads": threads,
            "sizes": dict(sizes),
            "flops": 2 * elements(sizes),
            "bytes": 2 * elements(sizes) * itemsize,
            "kind": "steady",
        },
        "options": {"disable_gc": False, "timer": "perf_counter", "min_rounds": 5},
        "stats": stats_for(median, **stats_options),
    }


def machine_info(node: str = "vm", brand: str = "Example CPU 9000") -> dict:
    return {
        "node": node,
        "processor": "",
        "machine": "x86_64",
        "python_implementation": "CPython",
        "python_version": "3.11.7",
        "system": "Linux",
        "release": "6.1.0",
        "cpu": {"brand_raw": brand, "count": 2},
        "vectorbench": {
            "schema": 2,
            "catalogue": records.catalogue(),  # as the benchmark session writes it
            "quick": False,
            "cpu": {
                "brand": brand,
                "arch": "x86_64",
                "logical_cores": 2,
                "physical_cores": 1,
                "l1d_bytes": 48 * 1024,
                "l2_bytes": 1024 * 1024,
                "l3_bytes": 32 * 1024 * 1024,
                "simd": ["sse4_2", "avx2", "fma"],
            },
            "threads": {
                "all_cores": 2,
                "numba_threading_layer": "omp",
                "blas": [
                    {
                        "internal_api": "openblas",
                        "version": "0.3.27",
                        "num_threads": 2,
                        "architecture": "Zen",
                    }
                ],
            },
            "versions": {
                "python": "3.11.7",
                "numpy": "2.4.6",
                "numba": "0.68.1",
                "llvmlite": "0.46.0",
                "pytest_benchmark": "5.2.3",
            },
            "git": {"commit": "0123456789abcdef", "dirty": False},
            "timer": {"name": "perf_counter", "resolution_s": RESOLUTION_S},
            "limits": {
                "read_GBps": dict(READ_GBPS),
                "triad_GBps": {"1": 8.0, "2": 12.0},
                "peak_GFLOPs": {"1": 40.0, "2": 80.0},
                "method": "numpy sum over 256 MiB; matmul 2000×2000",
            },
        },
    }


def make_result(*, model=model_time, node="vm", when="2026-01-01T12:00:00", ops=None) -> dict:
    """A complete, well-formed result file of the model machine."""
    benchmarks, not_run = [], []
    for op in ops or SIZES:
        for sizes in SIZES[op]:
            for dtype in DTYPES[op]:
                for backend, counts in THREADS.items():
                    for threads in counts:
                        key = (op, backend, tuple(sizes.items()))
                        if key in NOT_RUN:
                            predicted = NOT_RUN[key]
                            not_run.append(
                                {
                                    "op": op,
                                    "backend": backend,
                                    "dtype": dtype,
                                    "threads": threads,
                                    "sizes": sizes,
                                    "reason": "predicted over the 0.5 s budget",
                                    "predicted_s": predicted,
                                }
                            )
                            continue
                        median = model(op, backend, threads, sizes)
                        benchmarks.append(
                            benchmark_entry(op, backend, dtype, threads, sizes, median)
                        )
    jit = [
        {
            "op": op,
            "backend": backend,
            "dtype": "float64",
            "sizes": SIZES[op][2],
            "cold_s": 0.4,
            "warm_s": 0.01,
            "steady_s": model(op, backend, 1, SIZES[op][2]),
        }
        for op in ops or SIZES
        for backend in ("numba", "numba_parallel")
    ]
    return {
        "machine_info": machine_info(node),
        "commit_info": {"id": "0123456789abcdef", "dirty": False, "branch": "main"},
        "benchmarks": benchmarks,
        "datetime": when,
        "version": "5.2.3",
        "vectorbench_not_run": not_run,
        "vectorbench_jit": jit,
    }


def write(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def find(data: dict, op, backend, dtype, threads, sizes) -> dict:
    for entry in data["benchmarks"]:
        extra = entry["extra_info"]
        if (extra["op"], extra["backend"], extra["dtype"], extra["threads"], extra["sizes"]) == (
            op,
            backend,
            dtype,
            threads,
            sizes,
        ):
            return entry
    raise KeyError((op, backend, dtype, threads, sizes))


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its content."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def assert_valid_image(path: Path) -> None:
    assert path.is_file(), path
    content = path.read_bytes()
    assert len(content) > 1000, path
    if path.suffix == ".png":
        assert content.startswith(PNG_SIGNATURE), path
    else:
        root = ET.fromstring(content)
        assert root.tag.endswith("svg"), path


# --- one report, built once --------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A well-formed result file with a few unstable cases, and the report built from it."""
    base = tmp_path_factory.mktemp("report")
    data = make_result()
    noisy = find(data, "dot", "numba_parallel", "float64", 2, {"n": 10})
    noisy["stats"] = stats_for(noisy["stats"]["median"], spread=0.3)
    few = find(data, "logistic_cost", "python", "float64", 1, {"m": 1_000_000})
    few["stats"] = stats_for(few["stats"]["median"], rounds=3)
    tiny = find(data, "dot", "numba", "float32", 1, {"n": 10})
    tiny["stats"]["iterations"] = 1  # one 300 ns call per round: 300 ticks of a 1 ns timer
    source = write(base / "vm-20260101-120000.json", data)
    out = base / "out"
    assert main([str(source), "--out", str(out)]) == 0
    return types.SimpleNamespace(data=data, source=source, out=out)


EXPECTED_FIGURES = {
    "headline",
    "roofline",
    "summary",
    "every-speedup",
    "jit",
    *(f"{kind}-{op}" for kind in ("time", "speedup", "memory-throughput") for op in SIZES),
}


def with_svg(name: str) -> bool:
    """The slide figures: the headline, the roofline, the summary and the course's."""
    return name in ("headline", "roofline", "summary") or name.startswith("course-")


def test_every_figure_is_a_valid_png_and_the_slide_ones_an_svg_too(built):
    figures = atomic.report_files(built.out) / "figures"
    stems = {path.stem for path in figures.iterdir()}
    assert stems == EXPECTED_FIGURES
    for name in EXPECTED_FIGURES:
        assert_valid_image(figures / f"{name}.png")
        svg = figures / f"{name}.svg"
        if with_svg(name):
            assert_valid_image(svg)
        else:
            assert not svg.exists(), name  # drawn once, at one size: the PNG


def test_readme_links_only_figures_that_exist(built):
    # the lesson links into the versioned directory; the detail pages, inside it, beside them
    files = atomic.report_files(built.out).name
    linked = set(re.findall(r"\]\((?:" + files + r"/)?figures/([^)]+)\)", whole_report(built.out)))
    assert linked == {f"{name}.png" for name in EXPECTED_FIGURES} | {
        f"{name}.svg" for name in EXPECTED_FIGURES if with_svg(name)
    }


def test_templates_hold_no_logic_beyond_loops_and_conditionals():
    """Lists and sentences are built by the findings, not by appending in a template."""
    templates = sorted((ROOT / "reports" / "templates").glob("*.j2"))
    assert templates
    for template in templates:
        text = template.read_text("utf-8")
        assert ".append(" not in text, template.name
        assert not re.search(r"{%-?\s*set\s+_\s*=", text), template.name


def test_every_link_of_every_page_finds_its_file_and_heading(built):
    """The lesson, and each detail page in the versioned directory beside its figures:
    every relative link names a file that exists, and an anchor a heading of that file."""
    pages = [built.out / "README.md", *atomic.report_files(built.out).glob("*.md")]
    checked = 0
    for page in pages:
        for target in re.findall(r"\]\((?![a-z]+:)([^)\s]+)\)", page.read_text("utf-8")):
            path, _, heading = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.is_file(), f"{page.name}: {target}"
            if heading and linked.suffix == ".md":
                headings = re.findall(r"^#{1,6} (.+?)\s*$", linked.read_text("utf-8"), re.M)
                assert heading in {rendered_anchor(h) for h in headings}, f"{page.name}: {target}"
            checked += 1
    assert len(pages) > 1
    assert checked > len(pages)


def test_table_numbers_are_the_input_numbers(built):
    table = pd.read_csv(atomic.report_files(built.out) / "table.csv")
    measured = table[table["status"] == "ok"]
    assert len(measured) == len(built.data["benchmarks"])
    assert len(table) == len(built.data["benchmarks"]) + len(built.data["vectorbench_not_run"])
    for entry in built.data["benchmarks"]:
        extra, stats = entry["extra_info"], entry["stats"]
        sizes = extra["sizes"]
        row = measured[
            (measured["op"] == extra["op"])
            & (measured["backend"] == extra["backend"])
            & (measured["dtype"] == extra["dtype"])
            & (measured["threads"] == extra["threads"])
            & (measured["size"] == elements(sizes))
        ]
        assert len(row) == 1, extra
        row = row.iloc[0]
        assert row["median_s"] == pytest.approx(stats["median"], rel=1e-12)
        assert row["iqr_s"] == pytest.approx(stats["iqr"], rel=1e-12)
        assert row["min_s"] == pytest.approx(stats["min"], rel=1e-12)
        assert row["rounds"] == stats["rounds"]
        if "m" in sizes:
            assert row["m"] == sizes["m"]
        if "n" in sizes:
            assert row["n"] == sizes["n"]
        gb_per_s = extra["bytes"] / stats["median"] / 1e9
        assert row["gb_per_s"] == pytest.approx(gb_per_s, rel=1e-12)
        assert row["gflop_per_s"] == pytest.approx(extra["flops"] / stats["median"] / 1e9)
        bandwidth = READ_GBPS[str(extra["threads"])]
        assert row["bandwidth_share"] == pytest.approx(gb_per_s / bandwidth, rel=1e-12)


def test_dot_size_is_n_and_matrix_size_is_m_times_n(built):
    table = pd.read_csv(atomic.report_files(built.out) / "table.csv")
    dot = table[table["op"] == "dot"]
    assert (dot["size"] == dot["n"]).all()
    forward = table[table["op"] == "logistic_forward"]
    assert (forward["size"] == forward["m"] * forward["n"]).all()
    cost = table[table["op"] == "logistic_cost"]
    assert (cost["size"] == cost["m"]).all()
    assert cost["n"].isna().all()


def test_unstable_numbers_are_flagged(built):
    table = pd.read_csv(atomic.report_files(built.out) / "table.csv", keep_default_na=False)
    flags = {
        (r.op, r.backend, r.dtype, r.threads, r.size): r.flags
        for r in table.itertuples()
        if r.flags
    }
    assert flags == {
        ("dot", "numba_parallel", "float64", 2, 10): "interval",
        ("logistic_cost", "python", "float64", 1, 1_000_000): "few rounds",
        ("dot", "numba", "float32", 1, 10): "timer resolution",
    }
    readme = whole_report(built.out)
    trust = readme.split("## Numbers not to trust")[1].split("\n## ")[0]
    # a file without rounds nor an interval: the quartiles stand in, ±15% of the median
    assert "the median's interval ±15%" in trust
    assert "only 3 rounds" in trust
    assert "under 1000× the timer's resolution" in trust


def test_not_run_cases_are_rows_and_listed(built):
    table = pd.read_csv(atomic.report_files(built.out) / "table.csv", keep_default_na=False)
    skipped = table[table["status"] == "not run"]
    assert set(zip(skipped["op"], skipped["backend"], skipped["size"], strict=True)) == {
        ("dot", "python", 10_000_000),
        ("logistic_forward", "python", 10_000_000),
    }
    assert (skipped["median_s"] == "").all()
    predicted = skipped[skipped["op"] == "dot"]["predicted_s"].astype(float)
    assert (predicted == 0.6).all()
    readme = whole_report(built.out)
    not_run = readme.split("### Not run")[1].split("\n## ")[0]
    assert "predicted over the 0.5 s budget" in not_run
    assert "n = 10⁷" in not_run
    assert "m × n = 10⁵ × 100" in not_run
    assert "600 ms" in not_run  # the prediction for the dot product


def test_readme_opens_with_the_headline_from_the_data(built):
    loop = find(built.data, "dot", "python", "float64", 1, {"n": 1_000_000})["stats"]["median"]
    numpy = find(built.data, "dot", "numpy", "float64", 1, {"n": 1_000_000})["stats"]["median"]
    readme = whole_report(built.out)
    opening = readme.split("## The slides' example on this machine")[1].split("\n## ")[0]
    assert readme.index("## The slides' example") < readme.index("## Op by op")
    ratio = f"{loop / numpy:.3g}×"  # 60.0003 ms / 251.5 µs
    assert ratio == "239×"
    assert f"NumPy is {ratio} faster than the loop" in opening
    assert format_time(loop) in opening
    assert format_time(numpy) in opening
    assert "1,000,000-element float64" in opening


def test_readings_are_computed_from_the_numbers(built):
    readme = whole_report(built.out)
    dot = readme.split("### `dot`")[1].split("\n### ")[0]
    loop = model_time("dot", "python", 1, {"n": 1_000_000})
    numpy = model_time("dot", "numpy", 1, {"n": 1_000_000})
    assert f"At n = 10⁶, NumPy is {format_ratio(loop / numpy)} faster than the Python loop" in dot
    # at n = 10 the loop (0.9 µs) beats NumPy (1.5 µs)
    small = model_time("dot", "numpy", 1, {"n": 10}) / model_time("dot", "python", 1, {"n": 10})
    assert f"the loop is {format_ratio(small)} faster than NumPy" in dot


def test_the_loop_is_quoted_at_its_largest_trusted_size(tmp_path):
    """The loop's largest sizes get few rounds, and a wide interval there flags them: the
    reading then quotes the largest size where neither the loop nor NumPy is flagged and
    NumPy's time per element is at most twice its time at the largest size; else the
    largest one, marked."""
    data = make_result(ops=["dot"])
    top = find(data, "dot", "python", "float64", 1, {"n": 1_000_000})
    top["stats"] = stats_for(top["stats"]["median"], spread=0.3)

    def loop_reading(data, name):
        run = read_results([write(tmp_path / name, data)])
        lines = readings.op_readings(
            tidy_table(run), run, "dot", look=style.Style.of(run.catalogue)
        )
        return lines[0]

    ratio = model_time("dot", "python", 1, {"n": 100_000}) / model_time(
        "dot", "numpy", 1, {"n": 100_000}
    )
    first = loop_reading(data, "vm-20260101-000000.json")
    assert first.startswith(
        f"At n = 10⁵, NumPy is {format_ratio(ratio)} faster than the Python loop ("
    )
    assert MARK not in first
    for entry in data["benchmarks"]:  # only n = 10 left unflagged, where NumPy's call costs
        extra = entry["extra_info"]  # 150 ns an element against 250 ps at n = 10⁶
        if extra["backend"] == "python" and extra["sizes"]["n"] > 10:
            entry["stats"] = stats_for(entry["stats"]["median"], spread=0.3)
    first = loop_reading(data, "vm-20260101-000001.json")
    assert first.startswith("At n = 10⁶, NumPy is ")
    assert MARK in first


def test_readings_name_each_role_by_its_catalogue_label(tmp_path):
    """The readings and the headline find the loop, the reference and the compiled loops
    by their roles and call them by the labels the run's catalogue gives them."""
    data = make_result(ops=["dot"])
    backends = data["machine_info"]["vectorbench"]["catalogue"]["backends"]
    labels = {
        "python": "Interpreted loop",
        "numpy": "Vectorized",
        "numba": "Compiled loop",
        "numba_parallel": "Threaded loop",
    }
    for backend, label in labels.items():
        backends[backend]["label"] = label
    readme = _readme(tmp_path, data)
    dot = _section(readme, "### `dot`")
    headline = readme.split("## The slides' example on this machine")[1].split("\n## ")[0]
    assert "Vectorized is " in dot
    assert "faster than the Interpreted loop" in dot
    assert "Compiled loop is " in dot or "Compiled loop and Vectorized are level" in dot
    assert "With 2 threads, Threaded loop is " in dot
    assert "Compiled loop's compiled loop takes" in headline
    # the figures' descriptions too
    run = read_result(tmp_path / "vm-20260101-120000.json")
    table = tidy_table(run)
    costs = analysis.jit_costs(run.jit, table, look=style.Style.of(run.catalogue))
    drawn = {"summary", "every-speedup", "speedup-dot"}
    pages = "".join(render_report(run, table, costs, drawn, "").values())
    assert "![dot: speedup over the Interpreted loop and over Vectorized]" in pages
    assert "![speedup over Vectorized at the largest size]" in pages
    assert "speedup over Vectorized at the largest size, every backend" in pages
    for old in ("Numba", "Python loop"):
        assert old not in dot
        assert old not in headline


def test_readings_change_when_the_data_does(tmp_path):
    def numpy_always_slow(op, backend, threads, sizes):
        if backend == "numpy":
            return 2 * model_time(op, "python", 1, sizes)
        return model_time(op, backend, threads, sizes)

    data = make_result(model=numpy_always_slow, ops=["dot"])
    readme = _pages(read_result(write(tmp_path / "odd-20260101-120000.json", data)))
    assert "The loop is 2× faster than NumPy.**" in readme  # the headline
    assert "At n = 10⁶, the Python loop is 2× faster than NumPy" in readme
    assert "NumPy is 2× faster" not in readme
    assert "Why the loop wins here" in readme
    row = next(line for line in readme.splitlines() if line.startswith("| `dot` (float64) |"))
    assert row.split(" | ")[1] == "slower at every size (n = 10 to 10⁶)"  # NumPy against the loop


def test_headline_calls_a_gap_under_the_floor_level_and_explains_nothing(tmp_path):
    def numpy_almost_the_loop(op, backend, threads, sizes):
        if backend == "numpy":  # 3% faster than the loop: inside the 5% floor
            return model_time(op, "python", 1, sizes) / 1.03
        return model_time(op, backend, threads, sizes)

    data = make_result(model=numpy_almost_the_loop, ops=["dot"])
    readme = _pages(read_result(write(tmp_path / "odd-20260101-120000.json", data)))
    opening = _section(readme, "## The slides' example on this machine")
    assert "NumPy and the loop are level (1.03×).**" in opening
    assert "faster than the loop" not in opening.split("**")[1]  # the bold sentence
    assert "Why" not in opening  # neither side's win is explained
    assert "At n = 10⁶, NumPy and the Python loop are level (1.03×)" in readme  # op by op
    assert "the loop wins" not in readme


def test_crossovers_are_reported(built):
    readme = whole_report(built.out)
    crossovers = readme.split("## Where the lead changes hands")[1].split("\n## ")[0]
    header = next(line for line in crossovers.splitlines() if line.startswith("| op |"))
    assert header.split(" | ")[1] == "NumPy, 1 thread faster than Python loop, 1 thread"
    row = next(line for line in crossovers.splitlines() if line.startswith("| `dot` (float64) |"))
    # NumPy (1.5 µs + 0.25 ns·n) overtakes the loop (0.3 µs + 60 ns·n) between n = 10 and 1000:
    # the log-log interpolation of the speedup between those two sizes crosses 1 at n ≈ 30
    loop = [model_time("dot", "python", 1, {"n": n}) for n in (10, 1000)]
    numpy = [model_time("dot", "numpy", 1, {"n": n}) for n in (10, 1000)]
    logs = [math.log(a / b) for a, b in zip(loop, numpy, strict=True)]
    estimate = math.exp(math.log(10) + logs[0] / (logs[0] - logs[1]) * math.log(100))
    assert row.split(" | ")[1] == f"slower up to n ≈ {estimate:.2g} (10 to 10³), faster above"


def test_jit_break_even_in_csv_and_readme(built):
    jit = pd.read_csv(atomic.report_files(built.out) / "jit.csv", keep_default_na=False)
    sizes = {"m": 1_000, "n": 100}
    row = jit[(jit["op"] == "logistic_forward") & (jit["backend"] == "numba")].iloc[0]
    steady = model_time("logistic_forward", "numba", 1, sizes)  # 35.3 µs
    numpy = model_time("logistic_forward", "numpy", 2, sizes)  # 61.5 µs, at default threads
    expected = math.ceil((0.4 - steady) / (numpy - steady))
    assert int(row["calls_vs_numpy_cold"]) == expected
    assert int(row["calls_vs_numpy_warm"]) == math.ceil((0.01 - steady) / (numpy - steady))
    assert row["numpy_threads"] == 2
    readme = whole_report(built.out)
    row = next(
        line for line in readme.splitlines() if line.startswith("| `logistic_forward` | Numba |")
    )
    assert f"| {expected:,} calls |" in row
    assert "against NumPy compiling never pays off" in readme  # the dot product, in words
    # NumPy's dot product on two threads (17.1 µs) beats Numba's loop (35.3 µs): never
    dot = jit[(jit["op"] == "dot") & (jit["backend"] == "numba")].iloc[0]
    assert dot["calls_vs_numpy_cold"] == "never"
    python = model_time("dot", "python", 1, {"n": 100_000})
    dot_steady = model_time("dot", "numba", 1, {"n": 100_000})
    assert int(dot["calls_vs_python_cold"]) == math.ceil((0.4 - dot_steady) / (python - dot_steady))


def test_course_section_says_not_run_without_a_course_file(built):
    readme = whole_report(built.out)
    assert "Course experiments: not run" in readme


def test_machine_and_environment_are_described(built):
    readme = whole_report(built.out)
    machine = readme.split("## The machine and its environment")[1].split("\n## ")[0]
    for fact in ("Example CPU 9000", "L3 32 MiB", "avx2", "10 GB/s with 1 thread", "openblas"):
        assert fact in machine
    assert "numpy 2.4.6" in machine


def test_the_speedup_panels_set_every_line_against_the_reference_on_as_many_threads():
    """In "over NumPy", no NumPy line: it would be NumPy against itself on the other
    thread count, where every other line is against NumPy on its own."""
    run = read_results([newest_result(ROOT / "reports" / "results")])
    look = style.Style.of(run.catalogue)
    figure = figures.speedup_figure(tidy_table(run), "dot", look)
    reference = look.label(look.the(style.REFERENCE))
    over_numpy = [ax for ax in figure.axes if ax.get_title().startswith(f"over {reference} ")]
    assert over_numpy
    for ax in over_numpy:
        labels = [
            line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")
        ]
        assert labels
        assert not [label for label in labels if label.startswith(reference + ",")]


def test_a_loop_faster_only_on_the_per_sample_rules_says_why():
    """At a glance, the Python loop beats NumPy only on the rules applied sample by sample
    (the committed run: 2 of 2 ops), because NumPy loops over the samples there too; a
    backend faster on other ops gets no such clause."""
    from reports.leads import summary_section

    run = read_results([newest_result(ROOT / "reports" / "results")])
    look = style.Style.of(run.catalogue)
    lines = summary_section(tidy_table(run), set(), look=look).splitlines()
    clause = "all of them rules applied sample by sample, which NumPy too runs as a loop"
    loop = [line for line in lines if line.startswith("- **Python loop")]
    assert loop
    assert clause in loop[0]
    compiled = [line for line in lines if line.startswith("- **Numba, 1 thread**")]
    assert compiled
    assert clause not in compiled[0]
    # a catalogue that does not mark its ops sequential (an older file's) gets no clause
    unmarked = style.Style.of({**run.catalogue, "ops": {op: {} for op in run.catalogue["ops"]}})
    assert clause not in summary_section(tidy_table(run), set(), look=unmarked)


def test_course_backends_that_agree_share_one_legend_entry():
    """Every backend's curve lies on the one before where they agree: one entry with
    every colour says so, instead of ten whose colour never shows (a slide's legend);
    where they do not agree, each has its own."""
    from matplotlib.figure import Figure

    from reports.course import figures as course_figures

    run = read_results([newest_result(ROOT / "reports" / "results")])
    results = build.load_course(run)
    look = style.Style.of(run.catalogue)
    experiment = results["experiments"]["logistic_regression"]
    assert experiment["agreement"]["within_tolerance"]

    def legend() -> list[str]:
        ax = Figure().subplots()
        course_figures.plot_history(ax, results, look, "logistic_regression", "cost")
        return [text.get_text() for text in ax.get_legend().get_texts()]

    count = len(experiment["runs"])
    assert count > 1
    assert legend() == [f"all {count} backends, one on another"]
    experiment["agreement"]["within_tolerance"] = False
    assert len(legend()) == count


def test_each_blas_library_is_named_by_the_package_that_shipped_it(tmp_path):
    """NumPy's OpenBLAS and SciPy's (which Numba loads) are two rows of the machine's
    table: each says whose it is; a file that does not say numbers them."""
    from bench.machine import _package

    assert _package({"filepath": "/h/u/site-packages/numpy.libs/libscipy_openblas64_.so"}) == (
        "numpy"
    )
    assert _package({"filepath": "/h/u/site-packages/torch/lib/libgomp.so.1"}) == "torch"
    assert _package({"filepath": "/h/u/site-packages/scipy/.dylibs/libopenblas.dylib"}) == ("scipy")
    for elsewhere in ("/home/alice/lib/libopenblas.so", "/opt/conda/envs/lab/lib/libblas.so", ""):
        assert _package({"filepath": elsewhere}) == ""  # never a user's or an env's name
    data = make_result(ops=["dot"])
    pools = data["machine_info"]["vectorbench"]["threads"]["blas"]
    pools.append({**pools[0], "version": "0.3.31"})
    run = load.read_results([write(tmp_path / "vm-20260101-000000.json", data)])
    unnamed = {row[0] for row in page_machine_facts(run) if row[0].startswith("BLAS")}
    assert unnamed == {"BLAS (1 of 2)", "BLAS (2 of 2)"}
    pools[0]["package"], pools[1]["package"] = "numpy", "scipy"
    run = load.read_results([write(tmp_path / "vm-20260101-000001.json", data)])
    named = {row[0] for row in page_machine_facts(run) if row[0].startswith("BLAS")}
    assert named == {"BLAS (numpy)", "BLAS (scipy)"}
    pools.reverse()  # as found on the 2-core machine: SciPy's (Numba's) first
    run = load.read_results([write(tmp_path / "vm-20260101-000002.json", data)])
    assert run.blas_name == "openblas 0.3.27"  # NumPy's, whose np.dot the headline times


def _nothing_run(data: dict) -> None:
    data["vectorbench_not_run"] += [
        {**{key: b["extra_info"][key] for key in ("op", "backend", "dtype", "threads", "sizes")},
         "reason": "the machine was busy", "predicted_s": None}
        for b in data["benchmarks"]
    ]  # fmt: skip
    data["benchmarks"] = []


def _no_machine_details(data: dict) -> None:
    suite = data["machine_info"]["vectorbench"]
    for key in ("limits", "timer", "threads"):
        del suite[key]
    suite["cpu"] = {}


def _only_numba(data: dict) -> None:
    data["benchmarks"] = [b for b in data["benchmarks"] if b["extra_info"]["backend"] == "numba"]


@pytest.mark.parametrize("change", [_no_machine_details, _only_numba])
def test_sparse_runs_still_make_a_report(change, tmp_path):
    data = make_result(ops=["logistic_cost"])
    change(data)
    source = write(tmp_path / "vm-20260101-000000.json", data)
    assert main([str(source), "--out", str(tmp_path / "out")]) == 0
    readme = whole_report(tmp_path / "out")
    assert "## The machine and its environment" in readme
    for figure in (atomic.report_files(tmp_path / "out") / "figures").iterdir():
        assert_valid_image(figure)
    table = pd.read_csv(atomic.report_files(tmp_path / "out") / "table.csv")
    assert len(table) == len(data["benchmarks"]) + len(data["vectorbench_not_run"])


# --- bad input: one line, exit code 2, previous report untouched --------------------------


def _foreign_pytest_benchmark() -> dict:
    data = make_result(ops=["dot"])
    del data["machine_info"]["vectorbench"]
    return data


def _wrong_schema() -> dict:
    data = make_result(ops=["dot"])
    data["machine_info"]["vectorbench"]["schema"] = 99
    return data


def _first_schema() -> dict:
    data = make_result(ops=["dot"])
    data["machine_info"]["vectorbench"]["schema"] = 1
    return data


def _catalogue_missing() -> dict:
    data = make_result(ops=["dot"])
    del data["machine_info"]["vectorbench"]["catalogue"]
    return data


def _bad_colour() -> dict:
    data = make_result(ops=["dot"])
    data["machine_info"]["vectorbench"]["catalogue"]["backends"]["numba"]["colour"] = "green"
    return data


def _unknown_side_by_side_role() -> dict:
    data = make_result(ops=["dot"])
    data["machine_info"]["vectorbench"]["side_by_side_roles"] = ["compiled", "engines"]
    return data


def _median_missing() -> dict:
    data = make_result(ops=["dot"])
    del data["benchmarks"][3]["stats"]["median"]
    return data


def _duplicate_case() -> dict:
    data = make_result(ops=["dot"])
    data["benchmarks"].append(copy.deepcopy(data["benchmarks"][0]))
    return data


def _bad_sizes() -> dict:
    data = make_result(ops=["dot"])
    data["benchmarks"][0]["extra_info"]["sizes"] = {"n": -3}
    return data


def _nothing_measured() -> dict:
    data = make_result(ops=["dot"])
    _nothing_run(data)
    data["vectorbench_jit"] = []
    return data


def _unknown(key: str, value: str):
    def change() -> dict:
        data = make_result(ops=["dot"])
        data["benchmarks"][2]["extra_info"][key] = value
        return data

    return change


def _no_benchmarks_at_all() -> dict:
    data = make_result(ops=["dot"])
    data["benchmarks"], data["vectorbench_not_run"], data["vectorbench_jit"] = [], [], []
    return data


def _stats_changed(**changes):
    def change() -> dict:
        data = make_result(ops=["dot"])
        data["benchmarks"][1]["stats"].update(changes)
        return data

    return change


def _huge_size() -> dict:
    data = make_result(ops=["dot"])
    data["benchmarks"][0]["extra_info"]["sizes"] = {"n": 10**30}
    return data


def _huge_matrix() -> dict:
    data = make_result(ops=["logistic_forward"])
    data["benchmarks"][0]["extra_info"]["sizes"] = {"m": 10**9, "n": 10**9}
    return data


def _integer_beyond_floats(place: str):
    def change() -> dict:
        data = make_result(ops=["dot"])
        entry = data["benchmarks"][1]
        if place == "median":
            entry["stats"]["median"] = 10**400  # JSON integers have no limit
        else:
            entry["extra_info"]["sizes"] = {"n": 10**400}
        return data

    return change


BAD_FILES = {
    "median beyond floats": (
        _integer_beyond_floats("median"),
        "'median' is about 2^1329, beyond the range of a float",
    ),
    "size beyond floats": (
        _integer_beyond_floats("sizes"),
        "'n' is about 2^1329, more than the largest count",
    ),
    "quartiles crossed": (_stats_changed(q1=2.0, q3=1.0), "'stats': 'q1' (2) is above"),
    "min above median": (_stats_changed(min=1.0), "'min' (1) is above 'q1'"),
    "mean outside": (_stats_changed(mean=1e3), "'stats': 'mean' (1000) is outside"),
    "huge size": (_huge_size, "'n' is 1e+30, more than the largest count"),
    "huge matrix": (_huge_matrix, "'sizes' make 1e+18 elements, more than"),
    "missing": (None, "no such file"),
    "empty": (b"", "is empty"),
    "blank": (b"  \n", "is empty"),
    "truncated": (lambda: json.dumps(make_result(ops=["dot"]))[:5000].encode(), "truncated"),
    "not json": (b"machine_info: yes\n", "is not valid JSON"),
    "not utf-8": (b"\xff\xfe\x00{", "not UTF-8"),
    "foreign": (b'{"hello": 1}', "not a pytest-benchmark result file"),
    "a list": (b"[1, 2, 3]", "holds a list"),
    "other suite": (_foreign_pytest_benchmark, "not from this suite"),
    "schema": (_wrong_schema, "schema 2"),
    "first schema": (_first_schema, "convert it with `python -m bench.upgrade"),
    "no catalogue": (_catalogue_missing, "catalogue: it must be an object, not null"),
    "bad colour": (_bad_colour, "backends.numba: 'colour' must be a colour"),
    "unknown role retimed": (
        _unknown_side_by_side_role,
        "side_by_side_roles[1]: is 'engines', not one of loop,",
    ),
    "median missing": (_median_missing, "'median' must be a number"),
    "duplicate": (_duplicate_case, "measured twice"),
    "bad sizes": (_bad_sizes, "'n' must be at least 1"),
    "empty benchmarks": (_no_benchmarks_at_all, "holds no results: no case, compile cost,"),
    "nothing measured": (_nothing_measured, "holds no results: nothing was measured"),
    "unknown op": (_unknown("op", "nope"), "'op' is 'nope', not one of dot,"),
    "unknown dtype": (_unknown("dtype", "int8"), "'dtype' is 'int8', not one of float64"),
    "unknown backend": (_unknown("backend", "cupy"), "'backend' is 'cupy', not one of"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_fails_in_one_line_and_leaves_the_report(kind, built, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(built.out, out)
    before = snapshot(out)
    content, problem = BAD_FILES[kind]
    path = tmp_path / "vm-20260102-120000.json"
    if callable(content):
        content = content()
    if isinstance(content, dict):
        content = json.dumps(content).encode()
    if content is not None:
        path.write_bytes(content)
    capsys.readouterr()

    assert main([str(path), "--out", str(out)]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"reports: {path}: "), err
    assert problem in err
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp")]


def test_a_failure_while_building_leaves_the_previous_report(built, tmp_path, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(built.out, out)
    before = snapshot(out)

    def half_drawn(table, run, costs, directory, *_):
        (directory / "time-dot.png").write_bytes(PNG_SIGNATURE)
        raise RuntimeError("the figures could not be drawn")

    monkeypatch.setattr(build, "draw_report", half_drawn)
    with pytest.raises(RuntimeError, match="could not be drawn"):
        build_report([built.source], out)
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp")]


def test_command_line_error_from_a_fresh_process(tmp_path):
    missing = tmp_path / "nowhere-20260101-000000.json"
    done = subprocess.run(
        [sys.executable, "-m", "reports", str(missing), "--out", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == f"reports: {missing}: no such file\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "arguments",
    [["MISSING"], ["--compare", "MISSING", "RUN"], ["--beyond-memory", "MISSING", "RUN"]],
)
def test_a_missing_file_is_said_before_pandas_and_matplotlib_are_imported(tmp_path, arguments):
    """Told at once (0.1 s), not after the 1.7 s of importing what a build needs."""
    missing = tmp_path / "nowhere.json"
    run = next((ROOT / "reports" / "results").glob("vm-*.json"))
    names = {"MISSING": str(missing), "RUN": str(run)}
    argv = [names.get(a, a) for a in arguments] + ["--out", str(tmp_path / "out")]
    probe = (
        "import sys; from reports.__main__ import main; "
        f"code = main({argv!r}); "
        "print(code, sorted({'pandas', 'matplotlib'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout == "2 []\n", done.stderr
    assert done.stderr == f"reports: {missing}: no such file\n"


# --- finding and merging files ------------------------------------------------------------


def test_newest_result_skips_course_beyond_memory_and_partial_files(tmp_path):
    for name in (
        "vm-20250101-000000.json",
        "vm-20260101-000000.json",
        "other-host-20251231-235959.json",
        "course-20270101-000000.json",
        "beyond-memory-vm-20270101-000000.json",
        ".partial-vm-20280101-000000.json",
    ):
        (tmp_path / name).write_text("{}")
    assert newest_result(tmp_path).name == "vm-20260101-000000.json"


def test_a_second_run_in_the_same_second_is_the_newer(tmp_path):
    for name in ("vm-20260101-000000.json", "vm-20260101-000000-2.json"):
        (tmp_path / name).write_text("{}")
        os.utime(tmp_path / name, (0, 0))  # the name decides, not when the file was touched
    assert newest_result(tmp_path).name == "vm-20260101-000000-2.json"


def test_no_result_files_is_an_error(tmp_path, capsys):
    assert main(["--results", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"reports: {tmp_path}: holds no result files")
    assert err.count("\n") == 1


def test_files_of_one_machine_merge_and_of_two_machines_do_not(tmp_path):
    dots = write(tmp_path / "vm-20260101-000000.json", make_result(ops=["dot"]))
    costs = write(
        tmp_path / "vm-20260101-010000.json",
        make_result(ops=["logistic_cost"], when="2026-01-01T13:00:00"),
    )
    run = read_results([dots, costs])
    assert set(run.cases["op"]) == {"dot", "logistic_cost"}
    assert len(run.jit) == 4
    elsewhere = write(
        tmp_path / "big-20260101-000000.json", make_result(ops=["logistic_cost"], node="big")
    )
    with pytest.raises(ResultFileError, match="another machine"):
        read_results([dots, elsewhere])
    with pytest.raises(ResultFileError, match="also measured in"):
        read_results([dots, write(tmp_path / "vm-20260102-000000.json", make_result(ops=["dot"]))])


def test_bandwidth_comes_from_the_closest_thread_count():
    assert limit_at({"1": 10.0, "2": 16.0}, 1, 2) == 10.0
    assert limit_at({"1": 10.0, "2": 16.0}, 8, 2) == 16.0
    assert limit_at({"1": 10.0, "<all>": 16.0}, 2, 2) == 16.0
    assert math.isnan(limit_at({}, 1, 2))


# --- the course section ----------------------------------------------------------------


def with_course(data: dict, course) -> dict:
    data["vectorbench_course"] = course
    return data


def committed_course() -> dict:
    """The course section of the committed full run: one the schema accepts."""
    committed = json.loads(newest_result(ROOT / "reports" / "results").read_text())
    return committed["vectorbench_course"]


def test_course_section_comes_from_the_run_file(tmp_path, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    section = committed_course()
    for key in ("cpu", "threads"):
        del section["machine"][key]
    del section["git"]
    write(
        results / "vm-20260101-000000.json",
        with_course(make_result(ops=["logistic_cost"]), section),
    )
    calls = {}

    def render(loaded, figures_dir, link_prefix, look, say=None):
        calls["render"] = (loaded, link_prefix)
        (figures_dir / "course-iris.png").write_bytes(PNG_SIGNATURE + b"\0" * 2000)
        return f"## Course experiments\n\n![iris]({link_prefix}course-iris.png) from the file"

    monkeypatch.setattr(course, "render", render)
    monkeypatch.setattr(build, "draw_report", lambda *args: set())  # figures tested elsewhere

    out = tmp_path / "out"
    assert main(["--results", str(results), "--out", str(out)]) == 0

    loaded, prefix = calls["render"]
    assert prefix == "figures/"
    assert loaded["experiments"] == section["experiments"]
    # the run's conditions fill in what the course record does not name
    assert loaded["machine"]["cpu"]["brand"] == "Example CPU 9000"
    assert loaded["git"]["commit"] == "0123456789abcdef"
    readme = whole_report(out)
    files = atomic.report_files(out).name
    assert f"![iris]({files}/figures/course-iris.png) from the file" in readme
    iris = atomic.report_files(out) / "figures" / "course-iris.png"
    assert iris.read_bytes().startswith(PNG_SIGNATURE)


def test_the_course_counts_parallel_faster_by_the_comparison_rule():
    """Numba parallel 1.047× Numba with overlapping quartiles is level, not "faster": the
    course section counts by the page's one comparison rule, not by the ratio above 1."""
    from reports.course.findings import times_findings, timings
    from reports.style import Style

    results = committed_course()
    committed = json.loads(newest_result(ROOT / "reports" / "results").read_text())
    look = Style.of(committed["machine_info"]["vectorbench"]["catalogue"])
    for index, experiment in enumerate(results["experiments"].values()):
        runs = experiment["runs"]
        if not {"numba", "numba_parallel"} <= set(runs):
            continue
        # the first experiment a clear 2x win; the rest 1.047x within a shared spread
        base = [1.0e-3 * (1 + 0.02 * k) for k in range(9)]
        factor = 2.0 if index == 0 else 1.047
        runs["numba"]["time"]["times_s"] = base
        runs["numba_parallel"]["time"]["times_s"] = [t / factor for t in base]
    found = times_findings(results, timings(results), look)
    assert min(found["parallel_gains"]) == pytest.approx(1.047)
    assert found["parallel_faster"] == 1
    assert found["parallel_slower"] == 0


def test_a_bad_course_section_is_a_file_error(tmp_path, capsys):
    results = tmp_path / "results"
    results.mkdir()
    section = committed_course()
    section["experiments"]["perceptron"]["runs"]["numpy"]["b"] = "0.5"
    path = write(
        results / "vm-20260101-000000.json",
        with_course(make_result(ops=["logistic_cost"]), section),
    )
    assert main(["--results", str(results), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"reports: {path}: vectorbench_course: "
        "experiments.perceptron.runs.numpy.b is missing or not a finite number\n"
    )
    assert not (tmp_path / "out" / "README.md").exists()


@pytest.mark.parametrize(
    ("kept", "left_out"),
    [
        # -k perceptron: one experiment; -k "course and numpy": each on one backend, so
        # bench/course.py kept none (nothing to compare them with)
        (["perceptron"], "adaline_raw_large_eta"),
        ([], "perceptron"),
    ],
    ids=["-k perceptron", "-k course and numpy"],
)
def test_a_selection_of_some_course_experiments_says_which_are_left_out(kept, left_out):
    section = {"schema": COURSE_SCHEMA, "experiments": {name: {} for name in kept}}
    course = Course.parse(Path("vm.json"), section)
    run = types.SimpleNamespace(course=course, sources=(Path("vm.json"),), suite={})
    reason = build.load_course(run)  # a reason, not a ResultFileError
    assert isinstance(reason, str)
    assert left_out in reason
    assert not any(name in reason.split("left out")[1].split(";")[0] for name in kept)
    no_style = style.Style.of({"ops": {}, "backends": {}})  # a reason names no backend
    assert build.course_section(reason, Path(), no_style).startswith("## Course experiments")


# --- the data beyond memory: a record of bench.beyond_memory beside the results ------------


def beyond_memory_record(**changes) -> dict:
    """A record as ``python -m bench.beyond_memory`` writes it: 8 GB of X in 16 MiB blocks,
    1.2 GB/s against 16 GB/s of read bandwidth at 2 threads (7.5%)."""
    record = {
        "kind": "vectorbench-beyond-memory",
        "schema": 1,
        "datetime": "2026-01-01T13:00:00+00:00",
        "host": "vm",
        "command": ["python", "-m", "bench.beyond_memory", "--gigabytes", "8"],
        "system": {"load_average": [0.5, 0.25, 0.125]},
        "data": {
            "source": "generated", "rows": 10_000_000, "features": 100, "blocks": 477,
            "X_bytes": 8_000_000_000, "y_bytes": 80_000_000, "block_bytes": 16_776_000,
        },
        "scheduler": {"scheduler": "threads", "workers": 1, "threads": 2,
                      "blas_threads_per_task": 1},
        "memory": {"limit_bytes": 2_000_000_000, "peak_rss_bytes": 300_000_000,
                   "workers_peak_rss_bytes": None},
        "training": {"epochs": 3, "epoch_seconds": [7.0, 6.8, 6.9], "median_epoch_s": 6.9,
                     "costs": [0.6931, 0.6605, 0.6345], "cost_decreased": True},
        "throughput": {"GBps": 1.2, "read_GBps": 16.0, "read_GBps_threads": "2",
                       "read_GBps_source": "vm-20260101-000000.json", "share_of_read": 0.075},
        "check": {"rows": 20_000, "rtol": 4e-9, "max_relative_difference": 1.2e-15,
                  "agrees": True},
    }  # fmt: skip
    for place, value in changes.items():
        *parents, key = place.split(".")
        target = record
        for parent in parents:
            target = target[parent]
        target[key] = value
    return record


def _report_with_records(tmp_path, *records, named: str | None = "last") -> tuple[int, Path]:
    """The report of a run with ``records`` beside it; the last one named to it with
    ``--beyond-memory`` (``named``: another one's name, or None for none)."""
    results = tmp_path / "results"
    results.mkdir()
    write(results / "vm-20260101-000000.json", make_result(ops=["dot"]))
    for name, record in records:
        write(results / name, record)
    if named == "last":
        named = records[-1][0]
    record = ["--beyond-memory", str(results / named)] if named else []
    out = tmp_path / "out"
    return main(["--results", str(results), *record, "--out", str(out)]), out


def test_beyond_memory_section_comes_from_the_record_named(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "draw_report", lambda *args: set())  # figures tested elsewhere
    newer = beyond_memory_record(**{"data.X_bytes": 3_000_000_000})
    named = "beyond-memory-vm-20260101-110000.json"
    code, out = _report_with_records(
        tmp_path,
        (named, beyond_memory_record()),
        ("beyond-memory-vm-20260101-130000.json", newer),
        named=named,
    )
    assert code == 0
    section = _section(whole_report(out), "## When the data")
    assert f"`{named}`" in section
    assert "an X of **8 GB**, more than the memory limit of 2 GB" in section
    assert "was **0.3 GB** — X is 26.7× as large — inside the limit" in section
    assert "| peak resident memory | 0.3 GB (this process, 3.8% of X) |" in section
    assert "| time per epoch | 6.9 s median (7 s, 6.8 s, 6.9 s) |" in section
    assert "| throughput | 1.2 GB/s of X and y per epoch |" in section
    assert "16 GB/s with 2 threads (vm-20260101-000000.json): the run reached 7.5% of it" in section
    assert "| scheduler | threads: 1 worker(s), 2 threads" in section
    assert "generated each block again from its seed" in section
    assert "agreed to a relative 1.2e-15" in section
    assert "--scheduler tcp://HOST:8786" in section  # what changes on a cluster
    assert "X of **3 GB**" not in section  # the newer record, not named
    assert "Other programs were running" not in section  # load 0.5 on 2 threads


def test_beyond_memory_section_names_workers_and_files(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "draw_report", lambda *args: set())
    record = beyond_memory_record(
        **{
            "data.source": "files",
            "memory.workers_peak_rss_bytes": {"tcp://a:1": 400_000_000, "tcp://b:2": 2.5e9},
            "training.cost_decreased": False,
            "system.load_average": [3.5, 2.0, 1.0],
        }
    )
    code, out = _report_with_records(tmp_path, ("beyond-memory-vm-20260101-130000.json", record))
    assert code == 0
    section = _section(whole_report(out), "## When the data")
    assert "read each block again from its `.npy` file on disk" in section
    assert "| peak resident memory of the workers | 0.4 GB, 2.5 GB |" in section
    assert "was **2.5 GB** — **over the limit**" in section
    assert "The cost did **not** fall at every epoch" in section
    assert "the load average was 3.5 when the run started, with 2 threads" in section


def test_beyond_memory_load_left_by_a_program_that_has_ended_is_not_called_busy(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(build, "draw_report", lambda *args: set())
    record = beyond_memory_record(
        **{"system.load_average": [3.5, 2.0, 1.0], "system.running_others": 0.1}
    )
    code, out = _report_with_records(tmp_path, ("beyond-memory-vm-20260101-130000.json", record))
    assert code == 0
    section = _section(whole_report(out), "## When the data")
    assert "Other programs were running" not in section
    assert "| other threads running at the start (mean) | 0.1 |" in section


def test_beyond_memory_section_says_how_to_make_a_record(built):
    readme = whole_report(built.out)
    section = _section(readme, "## When the data outgrows the machine")
    assert "No beyond-memory record was named for this report" in section
    assert "`python -m bench.beyond_memory --gigabytes 8 --epochs 3`" in section
    assert "`python -m reports RUN --beyond-memory RECORD`" in section


def test_a_beyond_memory_record_beside_the_run_is_not_guessed(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "draw_report", lambda *args: set())
    name = "beyond-memory-vm-20260101-130000.json"
    code, out = _report_with_records(tmp_path, (name, beyond_memory_record()), named=None)
    assert code == 0
    section = _section(whole_report(out), "## When the data")
    assert "No beyond-memory record was named for this report" in section
    assert name not in section


def test_the_record_named_is_in_the_rebuild_command(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "draw_report", lambda *args: set())
    name = "beyond-memory-vm-20260101-130000.json"
    code, out = _report_with_records(tmp_path, (name, beyond_memory_record()))
    assert code == 0
    record = tmp_path / "results" / name
    assert f"--beyond-memory {record} --out" in (out / "README.md").read_text()


def test_a_missing_beyond_memory_record_is_one_line(tmp_path, capsys):
    code, out = _report_with_records(tmp_path, named="beyond-memory-vm-20260101-130000.json")
    assert code == 2
    missing = tmp_path / "results" / "beyond-memory-vm-20260101-130000.json"
    assert capsys.readouterr().err == f"reports: {missing}: no such file\n"
    assert not (out / "README.md").exists()


def test_beyond_memory_belongs_to_a_runs_report(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--compare", "a.json", "b.json", "--beyond-memory", "r.json"])
    assert exited.value.code == 2
    assert "--beyond-memory belongs to a run's report" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"kind": "other"}, "is not a beyond-memory record (kind 'vectorbench-beyond-memory')"),
        ({"schema": 2}, "schema 2; this builder reads 1"),
        ({"memory.peak_rss_bytes": "300 MB"}, "memory.peak_rss_bytes is not a number"),
        ({"throughput.GBps": -1.0}, "throughput.GBps is -1.0, not a finite number >= 0"),
        ({"training.costs": []}, "training.costs is not a list of numbers"),
    ],
)
def test_a_bad_beyond_memory_record_fails_in_one_line(changes, problem, tmp_path, capsys):
    name = "beyond-memory-vm-20260101-130000.json"
    code, out = _report_with_records(tmp_path, (name, beyond_memory_record(**changes)))
    assert code == 2
    err = capsys.readouterr().err
    assert err == f"reports: {tmp_path / 'results' / name}: {problem}\n"
    assert not (out / "README.md").exists()


def test_a_missing_field_of_a_beyond_memory_record_is_named(tmp_path, capsys):
    record = beyond_memory_record()
    del record["check"]["rtol"]
    code, _ = _report_with_records(tmp_path, ("beyond-memory-vm-20260101-130000.json", record))
    assert code == 2
    assert capsys.readouterr().err.endswith(": check.rtol is missing\n")


# --- comparing two runs ------------------------------------------------------------------


def test_comparison_labels_faster_slower_and_noise(tmp_path):
    def after_change(op, backend, threads, sizes):
        time = model_time(op, backend, threads, sizes)
        if backend == "numba":
            return time / 2  # much faster
        if backend == "python":
            return time * 1.3  # slower
        if backend == "numpy":
            return time * 1.01  # inside the spread: noise
        return time * 1.03  # numba_parallel: outside the spread, under the 5% floor

    old = write(tmp_path / "vm-20260101-000000.json", make_result(ops=["dot"]))
    new_data = make_result(model=after_change, ops=["dot"])
    new_data["benchmarks"] = [
        b
        for b in new_data["benchmarks"]
        if not (b["extra_info"]["backend"] == "numba" and b["extra_info"]["sizes"]["n"] == 10)
    ]
    for entry in new_data["benchmarks"]:  # tighter quartiles: 1.03 is outside the spread
        if entry["extra_info"]["backend"] == "numba_parallel":
            entry["stats"] = stats_for(entry["stats"]["median"], spread=0.01)
    new = write(tmp_path / "vm-20260201-000000.json", new_data)
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("the main report")

    assert main(["--compare", str(old), str(new), "--out", str(out)]) == 0

    folder = out / "compare-vm-20260101-000000-vs-vm-20260201-000000"
    files = atomic.report_files(folder)
    table = pd.read_csv(files / "compare.csv")
    verdicts = table.groupby("backend")["verdict"].agg(set)
    assert verdicts["numba"] == {"faster", "only in old run"}
    assert verdicts["python"] == {"slower"}
    assert verdicts["numpy"] == {"level"}
    assert verdicts["numba_parallel"] == {"level"}
    numba = table[(table["backend"] == "numba") & (table["verdict"] == "faster")]
    assert numba["ratio"].to_numpy() == pytest.approx(0.5)
    assert_valid_image(files / "compare.png")
    assert not (files / "compare.svg").exists()  # a page to read, not a slide
    page = (folder / "README.md").read_text(encoding="utf-8")
    assert "8 faster, 8 slower" in page
    # Only the real changes are listed, the largest first (Numba's halving): 16 rows.
    listed = [line for line in page.splitlines() if line.startswith("| `dot`")]
    assert len(listed) == 16
    assert "| Numba, 1 thread |" in listed[0]
    assert "| 0.5× | faster |" in listed[0]
    assert not any("| level |" in line for line in listed)
    assert "Hidden here: the 40 level cases;" in page
    assert (out / "README.md").read_text() == "the main report"


def test_comparison_page_lists_at_most_its_bound_of_changes(tmp_path):
    old = write(tmp_path / "vm-20260101-000000.json", make_result())
    slower = make_result(model=lambda *case: 2 * model_time(*case))
    new = write(tmp_path / "vm-20260201-000000.json", slower)
    out = tmp_path / "out"
    assert main(["--compare", str(old), str(new), "--out", str(out)]) == 0
    folder = out / "compare-vm-20260101-000000-vs-vm-20260201-000000"
    page = (folder / "README.md").read_text(encoding="utf-8")
    table = pd.read_csv(atomic.report_files(folder) / "compare.csv")
    assert (table["verdict"] == "slower").sum() > compare.SHOWN
    listed = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(listed) == compare.SHOWN
    hidden = (table["verdict"] == "slower").sum() - compare.SHOWN
    assert f"and {hidden} smaller changes" in page


def test_comparison_keeps_each_files_own_catalogue(tmp_path):
    """The old file's backend that the new one lacks keeps its own label and colour; a
    backend the two files label differently carries both labels, on the page and in the
    figure; each run keeps the catalogue it was read with."""
    old_data = make_result(ops=["dot"])
    backends = old_data["machine_info"]["vectorbench"]["catalogue"]["backends"]
    backends["numba"]["label"] = "Numba, as it was"
    backends["numba"]["colour"] = "#123456"

    def numpy_slower(op, backend, threads, sizes):
        return model_time(op, backend, threads, sizes) * (2 if backend == "numpy" else 1)

    new_data = make_result(model=numpy_slower, ops=["dot"], when="2026-02-01T12:00:00")
    for part in ("benchmarks", "vectorbench_jit"):
        new_data[part] = [b for b in new_data[part] if b.get("extra_info", b)["backend"] != "numba"]
    new_backends = new_data["machine_info"]["vectorbench"]["catalogue"]["backends"]
    for name in [n for n, b in new_backends.items() if "numba" in (n, b.get("variant_of"))]:
        del new_backends[name]  # numba, and its variants with it
    new_backends["numpy"]["label"] = "NumPy, renamed"
    old = write(tmp_path / "vm-20260101-000000.json", old_data)
    new = write(tmp_path / "vm-20260201-000000.json", new_data)
    out = tmp_path / "out"
    assert main(["--compare", str(old), str(new), "--out", str(out)]) == 0
    page = (out / compare.directory_name(old, new) / "README.md").read_text(encoding="utf-8")
    assert "Only in the old run: `dot` on Numba, as it was." in page
    assert "| NumPy, renamed (old: NumPy), 1 thread |" in page
    before, after = read_result(old), read_result(new)
    assert before.catalogue["backends"]["numpy"]["label"] == "NumPy"
    assert after.catalogue["backends"]["numpy"]["label"] == "NumPy, renamed"
    # what the figure is drawn with, whichever file was read last
    read_result(old)
    look = compare.side_by_side(before, after)
    assert look.label("numba") == "Numba, as it was"
    assert look.colour("numba") == "#123456"
    assert look.label("numpy") == "NumPy, renamed (old: NumPy)"
    table = compare.comparable(before, after)
    figure = figures.comparison_figure(table, old.name, new.name, look)
    legend = {text.get_text() for text in figure.legends[0].get_texts()}
    assert "NumPy, renamed (old: NumPy), 1 thread" in legend
    assert not any(text.startswith("NumPy, 1") for text in legend)


@pytest.mark.parametrize(
    ("ratio", "low", "high", "expected"),
    [
        (0.5, 0.45, 0.55, rules.FASTER),
        (2.0, 1.8, 2.2, rules.SLOWER),
        (0.9, 0.8, 1.02, rules.LEVEL),  # the spread reaches 1
        (1.03, 1.01, 1.05, rules.LEVEL),  # outside the spread, but under the floor
        (0.94, 0.93, 0.95, rules.FASTER),
    ],
)
def test_run_comparison_is_the_one_rule_with_the_old_run_as_reference(ratio, low, high, expected):
    # the old run a steady 1 s; the new run's quartiles are the time ratio new ÷ old
    comparison = rules.Comparison.of((1.0, 1.0, 1.0), (low, ratio, high))
    assert comparison.speedup == pytest.approx(1 / ratio)
    assert comparison.verdict == expected


@pytest.mark.parametrize(
    ("speedup", "low", "high", "expected"),
    [
        (2.0, 1.5, 2.5, rules.FASTER),
        (0.5, 0.4, 0.6, rules.SLOWER),
        (1.5, 0.99, 2.0, rules.LEVEL),  # the band reaches 1
        (1.04, 1.01, 1.07, rules.LEVEL),  # the band excludes 1, the change is under 5%
        (1.05, 1.01, 1.07, rules.FASTER),  # exactly at the floor
        (1 / 1.05, 0.93, 0.99, rules.SLOWER),  # the floor is the same ratio the other way
        (0.96, 0.93, 0.99, rules.LEVEL),  # 4% slower: under the floor
    ],
)
def test_verdict_needs_the_band_and_the_floor(speedup, low, high, expected):
    assert rules.verdict(speedup, low, high) == expected
    assert rules.Comparison(speedup, low, high).verdict == expected


def test_comparison_band_comes_from_both_quartiles_and_swaps_symmetrically():
    comparison = rules.Comparison.of((9.0, 10.0, 12.0), (4.0, 5.0, 6.0))
    assert comparison.speedup == 2.0
    assert comparison.low == 9.0 / 6.0
    assert comparison.high == 12.0 / 4.0
    assert comparison.verdict == rules.FASTER
    swapped = rules.Comparison.of((4.0, 5.0, 6.0), (9.0, 10.0, 12.0))
    assert swapped == comparison.reversed()
    assert swapped.verdict == rules.SLOWER
    # the floor is symmetric in ratio: swapping reference and contender flips the verdict
    for speedup in (1.04, 1.05, 1.06, 1 / 1.05, 1.3):
        there = rules.Comparison(speedup, speedup * 0.99, speedup * 1.01)
        back = {rules.FASTER: rules.SLOWER, rules.SLOWER: rules.FASTER, rules.LEVEL: rules.LEVEL}
        assert there.reversed().verdict == back[there.verdict]


def test_clear_lead_needs_a_decided_verdict():
    assert rules.Comparison(1.3, 1.2, 1.4).clear_lead == rules.FASTER
    assert rules.Comparison(1.29, 1.2, 1.4).clear_lead == ""  # decided, but not clear
    assert rules.Comparison(2.0, 0.9, 4.0).clear_lead == ""  # large, but within the spread
    assert rules.Comparison(1 / 1.3, 0.7, 0.8).clear_lead == rules.SLOWER


def test_one_shot_timings_are_level_within_the_trusted_spread():
    assert rules.Comparison.one_shot(1.0, 0.95).verdict == rules.LEVEL  # 5% apart
    assert rules.Comparison.one_shot(1.0, 1.09).verdict == rules.LEVEL
    assert rules.Comparison.one_shot(1.0, 0.85).verdict == rules.FASTER  # 15% apart
    assert rules.Comparison.one_shot(1.0, 1.15).verdict == rules.SLOWER


def test_quartiles_are_pytest_benchmarks():
    from pytest_benchmark.stats import Stats

    rng = np.random.default_rng(8)
    for rounds in (1, 2, 3, 4, 5, 6, 7, 8, 15, 16):
        times = list(rng.lognormal(-9, 0.3, size=rounds))
        stats = Stats()
        for seconds in times:
            stats.update(seconds)
        quartiles = rules.Quartiles.of(times)
        assert (quartiles.q1, quartiles.median, quartiles.q3) == (
            stats.q1,
            stats.median,
            stats.q3,
        )
        assert quartiles.rounds == rounds
    with pytest.raises(ValueError, match="no timed rounds"):
        rules.Quartiles.of([])


def test_flag_rule_raises_each_flag_on_its_own():
    assert rules.flags(0.05, 1e-3, 1e-9, 5) == []  # at every limit: trusted
    assert rules.flags(0.051, 1e-3, 1e-9, 5) == [rules.FLAG_SPREAD]
    assert rules.flags(0.0, 0.99e-6, 1e-9, 5) == [rules.FLAG_TIMER]
    assert rules.flags(0.0, 1e-3, 1e-9, 4) == [rules.FLAG_ROUNDS]
    assert rules.flags(0.2, 1e-7, 1e-9, 1) == [
        rules.FLAG_SPREAD,
        rules.FLAG_TIMER,
        rules.FLAG_ROUNDS,
    ]


# --- the arithmetic behind the readings -------------------------------------------------


def test_crossing_is_interpolated_between_the_sizes_around_it():
    sizes = [1, 3, 30, 1000]
    loop = [1e-7 * n for n in sizes]
    numpy = [1e-6 + 1e-9 * n for n in sizes]
    speedups = pd.Series(loop).to_numpy() / pd.Series(numpy).to_numpy()  # 0.1, 0.3, 2.9, 50
    lead = analysis.lead_along_sizes(
        pd.Series(sizes).to_numpy(), speedups, speedups * 0.98, speedups * 1.02
    )
    (crossing,) = lead.crossings
    assert (crossing.below, crossing.above) == (3, 30)
    logs = [math.log(speedups[1]), math.log(speedups[2])]
    expected = math.exp(math.log(3) + logs[0] / (logs[0] - logs[1]) * math.log(10))
    assert crossing.estimate == pytest.approx(expected)
    assert crossing.contender_ahead_after
    assert lead.verdicts == ("slower", "slower", "faster", "faster")
    assert describe_lead(lead, "n") == f"slower up to n ≈ {expected:.2g} (3 to 30), faster above"


def _lead(speedups, band):
    """A lead along n = 1, 10, 100, ... with the given speedups and relative band half-width."""
    speedups = np.array(speedups, dtype=float)
    sizes = 10 ** np.arange(len(speedups))
    return analysis.lead_along_sizes(sizes, speedups, speedups * (1 - band), speedups * (1 + band))


def test_noise_is_never_a_crossing():
    # Numba parallel against Numba on a per-sample rule: 0.99× to 1.02×, all within noise
    flat = _lead([1.004, 1.009, 0.99, 1.016, 1.0, 0.993, 0.998], band=0.012)
    assert not flat.crossings
    assert describe_lead(flat, "m·n") == "level at every size (m·n = 1 to 10⁶)"
    # ahead by a shrinking margin, then level: no crossing, plainly described
    fading = _lead([3.1, 2.5, 1.3, 1.09, 1.02, 0.99], band=0.02)
    assert not fading.crossings
    assert describe_lead(fading, "n") == "faster up to n = 10³, level above"
    # a clear lead at every size, but a dip under 1 inside the band is not a crossing
    clear = _lead([3.0, 2.0, 1.5], band=0.05)
    assert describe_lead(clear, "n") == "faster at every size (n = 1 to 100)"
    # a win and a loss with a level size between: regions, no interpolated crossing
    gap = _lead([2.0, 1.01, 0.5], band=0.02)
    assert not gap.crossings
    assert describe_lead(gap, "n") == "faster up to n = 1, level at 10, slower at 100"
    # a lead whose band contains 1 is level even when the median says 1.3×
    wide = _lead([1.3, 1.3], band=0.3)
    assert wide.verdicts == ("level", "level")


def test_break_even_calls():
    assert analysis.calls_to_break_even(0.5, 1e-4, 2e-4) == 4999
    assert analysis.calls_to_break_even(1e-4, 1e-4, 2e-4) == 1  # nothing to pay back
    assert analysis.calls_to_break_even(0.5, 2e-4, 2e-4) == math.inf
    assert math.isnan(analysis.calls_to_break_even(0.5, 1e-4, math.nan))


def test_number_formats():
    assert format_time(0.0821) == "82.1 ms"
    assert format_time(4.1e-7) == "410 ns"
    assert format_time(1.0) == "1 s"
    assert format_time(0.0009995) == "1,000 µs"  # 999.5 µs by the float's rounding
    assert format_bytes(1_047_552) == "1,023 KiB"  # not "1.02e+03 KiB"
    assert format_ratio(312.4) == "312×"
    assert format_ratio(1234.0) == "1,234×"
    assert format_ratio(0.4123) == "0.412×"
    assert format_size(1_000_000) == "10⁶"
    assert format_size(300_000) == "3·10⁵"
    assert format_size(1_500) == "1,500"


def test_read_result_keeps_the_conditions_of_each_case(tmp_path):
    run = read_result(write(tmp_path / "vm-20260101-000000.json", make_result(ops=["dot"])))
    assert set(run.cases["timer_resolution_s"]) == {RESOLUTION_S}
    by_threads = run.cases.groupby("threads")["bandwidth_GBps"].unique()
    assert list(by_threads[1]) == [10.0]
    assert list(by_threads[2]) == [16.0]
    assert run.all_cores == 2


# --- the text says what the numbers support ----------------------------------------------


def _pages(run) -> str:
    """Every page of ``run``'s report, without figures or course, one after the other."""
    table = tidy_table(run)
    costs = analysis.jit_costs(run.jit, table, look=style.Style.of(run.catalogue))
    return "".join(render_report(run, table, costs, set(), "").values())


def _readme(tmp_path, data) -> str:
    return _pages(read_result(write(tmp_path / "vm-20260101-120000.json", data)))


def _section(readme: str, title: str) -> str:
    return readme.split(title)[1].split("\n### ")[0].split("\n## ")[0]


def test_flag_rule_is_described_as_applied(built):
    readme = whole_report(built.out)
    assert "standard deviation" not in readme
    assert "stddev" not in readme
    trust = _section(readme, "## Numbers not to trust")
    assert "within ±3% of the median, or its time is up" in trust
    assert "still reaches beyond ±5% of the median" in trust
    assert "shorter than 1000 ticks of the timer" in trust
    assert "fewer than 5 rounds" in trust


def test_the_rule_names_the_backends_the_run_timed_again_beside_the_reference(tmp_path, no_figures):
    """A run records which roles it timed again beside the reference when slower; the
    page says so. A run from before that record (7 December) timed the compiled loops."""
    data = make_result(ops=["dot"])
    (tmp_path / "before").mkdir()
    page, _, _ = built_from(data, tmp_path / "before")
    assert "(a compiled loop found slower than the vectorized reference" in page
    retimed = ["compiled", "compiled parallel", "engine", "variant"]
    data["machine_info"]["vectorbench"]["side_by_side_roles"] = retimed
    (tmp_path / "now").mkdir()
    page, _, _ = built_from(data, tmp_path / "now")
    assert "(a compiled loop or an engine found slower than the vectorized reference" in page


def test_comparison_rule_is_stated_once_as_applied(built):
    readme = whole_report(built.out)
    method = _section(readme, "## How these numbers were made")
    assert rules.comparison_rule() in method
    assert "at least 1.05×" in method
    assert "at most 1/1.05× (0.952×)" in method
    assert readme.count(rules.comparison_rule()) == 1  # other sections link to it
    crossovers = _section(readme, "## Where the lead changes hands")
    # on another page than the rule: the link names the page
    rule_link = "[How these numbers were made](machine.md#how-these-numbers-were-made)"
    assert f"by the rule of {rule_link}" in crossovers
    assert "within the measured spread" not in readme  # the old, looser wording


def test_the_lesson_is_short_and_reaches_every_figure_and_page(built):
    """The lesson page holds the headline, the roofline, the summary, a line per op, the
    course and the machine; every figure written is reachable from it, directly or
    through a page it links to, and every link to a section finds its page."""
    lesson = (built.out / "README.md").read_text(encoding="utf-8")
    assert len(lesson.splitlines()) <= 300
    for heading in ("## The slides' example", "## Every op in one line", "## The machine"):
        assert heading in lesson
    files = atomic.report_files(built.out)
    pages = {"README.md": lesson}
    for link in re.findall(r"\]\((?:report-[\w-]+/)?([\w-]+\.md)\)", lesson):
        pages[link] = (files / link).read_text(encoding="utf-8")
    assert len(pages) > 3
    linked = "\n".join(pages.values())
    for figure in (files / "figures").glob("*.png"):
        assert f"figures/{figure.name}" in linked, figure.name
    for page, text in pages.items():
        links = re.findall(r"\]\((?:\.\./|report-[\w-]+/)?([\w-]+\.md)?#([^)]+)\)", text)
        for target, anchor in links:
            headings = pages[target or page]
            assert any(
                anchor == rendered_anchor(h) for h in re.findall(r"^#+ (.+)$", headings, re.M)
            ), (page, target, anchor)
    for page, text in pages.items():
        if page != "README.md":  # a detail page links back to the lesson, one level up
            assert "](../README.md)" in text
            assert (files / "../README.md").resolve() == (built.out / "README.md").resolve()


def test_templates_keep_markdown_blocks_and_join_wrapped_sentences():
    from reports.templating import reflow

    text = (
        "A sentence wrapped\n  over two lines.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "- an item\n  continued\n- another\n\n![alt](f.png)\n<sub>[SVG](f.svg)</sub>\n\n"
        "> [!WARNING]\n> one\n>\n> two\n\n\n\n## Title"
    )
    assert reflow(text) == (
        "A sentence wrapped over two lines.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "- an item continued\n- another\n\n![alt](f.png)\n<sub>[SVG](f.svg)</sub>\n\n"
        "> [!WARNING]\n> one\n>\n> two\n\n## Title"
    )


def test_a_missing_finding_fails_instead_of_printing_nothing():
    import jinja2

    from reports import templating

    with pytest.raises(jinja2.UndefinedError, match="example"):
        templating.render("jit.md.j2", measured=True, figure="")


def test_per_element_cost_names_the_size_it_comes_from(built):
    dot = _section(whole_report(built.out), "### `dot`")
    # the loop ran up to n = 10⁶ only (10⁷ was not run): the per-element numbers are from 10⁶
    assert "per element against 252 ps at n = 10⁶:" in dot
    assert "at the largest size" not in dot


def test_above_the_measured_bandwidth_out_of_cache_is_a_lower_bound(built):
    readme = whole_report(built.out)
    dot = _section(readme, "### `dot`")
    # Numba parallel at n = 10⁷ moves 160 MB per call at 80 GB/s, over the 16 GB/s measured
    assert "do not fit in the 32 MiB L3 cache" in dot
    assert "take the measured ceiling as a lower bound" in dot
    assert "faster than the read bandwidth measured on this machine" in dot
    shares = [float(share) for share in re.findall(r"([\d.]+)% of the", readme)]
    assert shares
    assert max(shares) <= 100  # no share of a ceiling over 100%
    method = _section(readme, "## How these numbers were made")
    assert "means the data came from a cache" not in method
    assert "part of the data came from a closer cache, or that at this footprint" in method
    assert "(numpy sum over 256 MiB; matmul 2000×2000)" in method


def _share_and_gain(tmp_path, share: float, gain: float) -> str:
    """The dot product's readings when Numba parallel at n = 10⁷ on 2 threads runs at
    ``share`` of the read bandwidth and ``gain`` × as fast as on 1 thread."""

    def model(op, backend, threads, sizes):
        one = model_time(op, backend, 1, sizes)
        return one / gain if backend == "numba_parallel" and threads == 2 else one

    data = make_result(model=model, ops=["dot"])
    n = 10_000_000
    gb_per_s = 2 * n * 8 / model("dot", "numba_parallel", 2, {"n": n}) / 1e9
    data["machine_info"]["vectorbench"]["limits"]["read_GBps"]["2"] = gb_per_s / share
    return _section(_readme(tmp_path, data), "### `dot`")


def test_memory_bound_and_little_left_need_strong_evidence(tmp_path):
    dot = _share_and_gain(tmp_path, share=0.73, gain=1.56)
    assert "73% of the bandwidth measured reading from memory" in dot
    assert "memory, not arithmetic, sets the pace" not in dot
    assert "little left for them to gain" not in dot
    dot = _share_and_gain(tmp_path, share=0.9, gain=1.56)
    assert "memory, not arithmetic, sets the pace" in dot
    assert "little left for them to gain" not in dot  # a second thread still gave 1.56×
    dot = _share_and_gain(tmp_path, share=0.9, gain=1.1)
    assert "little left for them to gain" in dot


def test_thread_gain_is_against_the_same_kernel_and_bound_only_when_kept(tmp_path):
    dot = _share_and_gain(tmp_path, share=0.5, gain=1.7)
    assert "1.7× as fast as Numba parallel on 1 thread at n = 10⁷ (at most 2× is possible)" in dot
    dot = _share_and_gain(tmp_path, share=0.5, gain=2.03)
    assert "2.03× as fast as Numba parallel on 1 thread at n = 10⁷; more than the 2× that" in dot
    assert "each core brings its own L1 and L2 cache" in dot  # why it may pass 2×
    assert "at most" not in dot


def test_flagged_numbers_are_marked_where_cited(tmp_path):
    data = make_result(ops=["dot"])
    numpy = find(data, "dot", "numpy", "float64", 1, {"n": 1_000_000})
    numpy["stats"] = stats_for(numpy["stats"]["median"], spread=0.14)
    readme = _readme(tmp_path, data)
    opening = _section(readme, "## The slides' example on this machine")
    bold = opening.split("**")[1]
    assert "NumPy is 239× faster than the loop†." in bold
    assert f"`np.dot` takes {format_time(numpy['stats']['median'])}† (1 thread)" in bold
    assert "| NumPy, 1 thread | 252 µs† | 239× faster† |" in opening
    assert "| NumPy, 2 threads | 158 µs | 380× faster |" in opening  # not flagged: no mark
    assert "† rests on a flagged measurement: see [Numbers not to trust]" in opening
    unmarked = _readme(tmp_path, make_result(ops=["dot"]))
    assert "†" not in _section(unmarked, "## The slides' example on this machine")


def test_jit_break_even_is_never_when_level_with_numpy(tmp_path):
    data = make_result(ops=["logistic_forward"])
    entry = next(e for e in data["vectorbench_jit"] if e["backend"] == "numba")
    entry["numpy_s"] = entry["steady_s"] + 0.5e-6  # one-shot probe: 0.5 µs apart
    entry["python_s"] = 1e-3
    run = read_result(write(tmp_path / "vm-20260101-120000.json", data))
    table = tidy_table(run)
    costs = analysis.jit_costs(run.jit, table, look=style.Style.of(run.catalogue))
    numba = costs[costs["backend"] == "numba"].iloc[0]
    assert numba["numpy_level"]
    assert math.isinf(numba["calls_vs_numpy_cold"])
    assert (
        build.jit_table(costs).loc[numba.name, "calls_vs_numpy_cold"]
        == "never (level within noise)"
    )
    assert not costs[costs["backend"] == "numba_parallel"].iloc[0]["numpy_level"]
    readme = "".join(render_report(run, table, costs, set(), "").values())
    row = next(x for x in readme.splitlines() if x.startswith("| `logistic_forward` | Numba |"))
    assert "| never (level within noise) |" in row
    # 10% apart is enough for the probe, but the benchmarks say level: never, too
    entry["numpy_s"] = entry["steady_s"] * 1.2
    for b in data["benchmarks"]:
        extra = b["extra_info"]
        if extra["backend"] in ("numpy", "numba") and extra["sizes"] == entry["sizes"]:
            b["stats"] = stats_for(1e-4, spread=0.3)
    run = read_result(write(tmp_path / "vm-20260101-120000.json", data))
    costs = analysis.jit_costs(run.jit, tidy_table(run), look=style.Style.of(run.catalogue))
    assert costs[costs["backend"] == "numba"].iloc[0]["numpy_level"]


def test_an_unexpected_error_is_one_line_and_leaves_the_report(
    built, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "out"
    shutil.copytree(built.out, out)
    before = snapshot(out)

    def odd(table, run, costs, directory, *_):
        raise ValueError("cannot convert float NaN to integer\nsecond line")

    monkeypatch.setattr(build, "draw_report", odd)
    capsys.readouterr()
    assert main([str(built.source), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"reports: {built.source}: unexpected error: ValueError: "
        "cannot convert float NaN to integer\n"
    )
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp")]


# --- converting files of the first format ----------------------------------------------


def test_a_first_format_run_and_its_course_file_become_one_file(tmp_path, capsys):
    from bench import upgrade

    first = make_result(ops=["dot"])
    del first["machine_info"]["vectorbench"]["catalogue"]
    first["machine_info"]["vectorbench"]["schema"] = 1
    run_file = write(tmp_path / "vm-20260101-000000.json", first)
    times = [0.004, 0.001, 0.003, 0.002, 0.005]
    course = {
        "schema": "vectorbench-course/1",
        "experiments": {"perceptron": {"runs": {"python": {"time": {"times_s": times}}}}},
    }
    course_file = write(tmp_path / "course-vm-20260101-000001.json", course)
    out = tmp_path / "converted"
    assert upgrade.main([str(run_file), str(course_file), "--out", str(out)]) == 0
    converted = out / run_file.name
    assert capsys.readouterr().out == f"bench.upgrade: wrote {converted}\n"
    data = json.loads(converted.read_text())
    suite = data["machine_info"]["vectorbench"]
    assert suite["schema"] == 2
    assert list(suite["catalogue"]["backends"]) == list(upgrade.FIRST_BACKENDS)
    time = data["vectorbench_course"]["experiments"]["perceptron"]["runs"]["python"]["time"]
    # pytest-benchmark's quartiles of five values (its "method 3")
    assert (time["median_s"], time["q1_s"], time["q3_s"]) == pytest.approx(
        (0.003, 0.00175, 0.00425)
    )
    assert read_results([converted]).course.record == data["vectorbench_course"]
    # the originals are left as they were, and a second conversion never overwrites
    assert json.loads(run_file.read_text()) == first
    assert upgrade.main([str(run_file), "--out", str(out)]) == 0
    assert (out / f"{run_file.stem}-2.json").exists()
    assert upgrade.main([str(converted)]) == 2
    assert "not a schema-1 result file (schema 2)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("which", "shape"),
    [
        ("run", {"machine_info": []}),
        ("run", {"machine_info": {"vectorbench": {"schema": 1}}, "benchmarks": 5}),
        ("course", {"schema": "vectorbench-course/1", "experiments": []}),
        ("course", {"schema": "vectorbench-course/1", "experiments": {"p": {"runs": [1]}}}),
        ("course", {"schema": "vectorbench-course/1",
                    "experiments": {"p": {"runs": {"python": {"time": {"times_s": ["x"]}}}}}}),
    ],
)  # fmt: skip
def test_a_first_format_file_of_another_shape_is_one_line(which, shape, tmp_path, capsys):
    """A field of another type (a list for an object, a string for a time) is named in
    one line, exit 2, not an AttributeError or TypeError traceback."""
    from bench import upgrade

    first = make_result(ops=["dot"])
    first["machine_info"]["vectorbench"]["schema"] = 1
    course = {"schema": "vectorbench-course/1", "experiments": {}}
    files = {"run": first, "course": course}
    files[which] = shape
    run_file = write(tmp_path / "vm-20260101-000000.json", files["run"])
    course_file = write(tmp_path / "course-vm-20260101-000001.json", files["course"])
    capsys.readouterr()
    assert upgrade.main([str(run_file), str(course_file), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    named = run_file if which == "run" else course_file
    assert err.startswith(f"bench.upgrade: {named}: ")
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["bench.upgrade", "bench.share"])
def test_an_out_that_is_a_file_is_said_so(command, tmp_path, capsys):
    """Both write through ``bench.upgrade.write``: a file standing where --out's directory
    should be was "File exists"."""
    import importlib

    result = make_result(ops=["dot"])
    if command == "bench.upgrade":
        result["machine_info"]["vectorbench"]["schema"] = 1
    source = write(tmp_path / "vm-20260101-000000.json", result)
    afile = write(tmp_path / "afile", {})
    capsys.readouterr()
    assert importlib.import_module(command).main([str(source), "--out", str(afile)]) == 2
    assert capsys.readouterr().err == f"{command}: {afile}: is a file, not a directory\n"


# --- the output path, interruptions and leftovers --------------------------------------------


def test_out_naming_a_file_says_so(built, tmp_path, capsys):
    out = tmp_path / "a-file"
    out.write_text("not a directory")
    capsys.readouterr()
    assert main([str(built.source), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"reports: {out}: is a file, not a directory\n"


def test_an_unwritable_out_names_the_directory_given(built, tmp_path, monkeypatch, capsys):
    """Faked: the tests may run as root, who can write anywhere."""
    out = tmp_path / "read-only"

    def refuse(prefix, dir):  # what mkdtemp raises in a read-only directory
        raise PermissionError(13, "Permission denied", str(Path(dir) / f"{prefix}x1y2"))

    monkeypatch.setattr(atomic.tempfile, "mkdtemp", refuse)
    capsys.readouterr()
    assert main([str(built.source), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"reports: {out}: cannot write the report here: Permission denied\n"
    )


def test_an_unreadable_results_directory_is_not_an_empty_one(tmp_path, monkeypatch, capsys):
    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(load.os, "listdir", refuse)
    assert main(["--results", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"reports: {tmp_path}: cannot be read: Permission denied\n"


def test_comparing_runs_with_no_case_in_common_is_an_error(tmp_path, capsys):
    old = write(tmp_path / "vm-20260101-000000.json", make_result(ops=["dot"]))
    new = write(tmp_path / "vm-20260201-000000.json", make_result(ops=["logistic_cost"]))
    out = tmp_path / "out"
    assert main(["--compare", str(old), str(new), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"reports: {new}: no case was measured both here and in {old}: nothing to compare\n"
    )
    assert not out.exists() or not [path for path in out.iterdir() if path.name != "results"]


def test_staging_directories_of_killed_builds_are_removed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    killed = out / ".tmp-report-abc"  # its lock file is there, and nobody holds it
    (killed / "figures").mkdir(parents=True)
    (killed / ".lock").touch()
    old_style = out / ".tmp-report-xyz"  # an older version's: no lock, hours old
    (old_style / "figures").mkdir(parents=True)
    os.utime(old_style, (time.time() - 7200, time.time() - 7200))
    # A live build in another PID namespace: its process id means nothing here (this one
    # names a process that is gone), but it holds its lock.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    in_use = out / f".tmp-report-pid{gone.pid}-def"
    in_use.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(in_use / ".lock")], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline() == b"locked\n"
        with atomic.staged_output(out) as stage:  # what every build and comparison goes through
            (stage / "README.md").write_text("new")
        assert sorted(p.name for p in out.iterdir() if p.name.startswith(".tmp")) == [in_use.name]
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert (out / "README.md").read_text() == "new"
    atomic.remove_stale_stages(out)  # its build is gone now
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp")]


HOLD_LOCK = """
import fcntl, sys, time
lock = open(sys.argv[1], "w")
fcntl.flock(lock, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


def _stage_report(out: Path, tag: str) -> None:
    """A small report (a page, a figure, a table) whose every file names ``tag``."""
    with atomic.staged_output(out) as stage:
        (stage / "figures").mkdir()
        (stage / "figures" / f"{tag}.png").write_text(tag)
        (stage / "table.csv").write_text(tag)
        (stage / "README.md").write_text(f"![{tag}](figures/{tag}.png) [table](table.csv) {tag}")


def _whole(out: Path) -> bool:
    """Whether the page's links all resolve, to files of the page's own build."""
    page = (out / "README.md").read_text()
    tag = page.split()[-1]
    links = re.findall(r"\]\(([^)]+)\)", page)
    return all((out / link).read_text() == tag for link in links)


def test_a_reader_sees_the_old_report_or_the_new_one_whole(tmp_path, monkeypatch):
    """Every move slowed down, two builds switching at once, and a reader looking before
    and after each move: the page never links a missing file or one of the other build."""
    out = tmp_path / "out"
    _stage_report(out, "old")
    moves = {"os.replace": os.replace, "Path.rename": Path.rename}
    seen = []

    def slowed(name):
        def move(source, destination):
            seen.append(_whole(out))
            time.sleep(0.05)
            result = moves[name](source, destination)
            seen.append(_whole(out))
            return result

        return move

    monkeypatch.setattr(atomic.os, "replace", slowed("os.replace"))
    monkeypatch.setattr(Path, "rename", slowed("Path.rename"))
    builds = [threading.Thread(target=_stage_report, args=(out, tag)) for tag in ("a", "b")]
    for build_thread in builds:
        build_thread.start()
    for build_thread in builds:
        build_thread.join()
    assert seen
    assert all(seen)
    assert _whole(out)
    assert (out / "README.md").read_text().split()[-1] in ("a", "b")
    # one report left: the other build's files and the old ones are gone
    assert sorted(path.name for path in out.iterdir()) == [
        "README.md",
        atomic.report_files(out).name,
    ]


def test_a_new_lock_file_is_never_seen_unlocked(tmp_path, monkeypatch):
    """A build's lock file appears already locked: a build that found it unlocked, even
    for a moment, would judge the staging directory abandoned and remove it (seen once
    on CI, two builds at once)."""
    import fcntl

    link, checked = os.link, []

    def link_then_try(source, destination):
        link(source, destination)
        descriptor = os.open(destination, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            checked.append(destination)
        finally:
            os.close(descriptor)

    monkeypatch.setattr(atomic.os, "link", link_then_try)
    with atomic.locked(tmp_path / ".lock", create=True):
        assert checked == [tmp_path / ".lock"]
        assert sorted(path.name for path in tmp_path.iterdir()) == [".lock"]


def test_a_build_stopped_between_its_moves_leaves_a_whole_report(tmp_path, monkeypatch):
    """Stopped just before the switch, the old report is whole; just after, the new one."""
    out = tmp_path / "out"
    _stage_report(out, "old")

    def stopped(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", stopped)
    with pytest.raises(KeyboardInterrupt):
        _stage_report(out, "new")
    assert (out / "README.md").read_text().endswith("old")
    assert _whole(out)
    monkeypatch.undo()
    monkeypatch.setattr(atomic, "_remove_superseded", stopped)
    with pytest.raises(KeyboardInterrupt):
        _stage_report(out, "new")
    assert (out / "README.md").read_text().endswith("new")
    assert _whole(out)


def test_a_report_of_the_former_layout_is_replaced_whole(built, tmp_path, no_figures):
    """figures/, table.csv and jit.csv beside the page (as built before versioned
    directories) give way to the new report's own (its figures are not drawn: the
    page then links its detail pages only)."""
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "old.png").write_bytes(PNG_SIGNATURE)
    for name in ("table.csv", "jit.csv", "README.md"):
        (out / name).write_text("old")
    assert main([str(built.source), "--out", str(out)]) == 0
    assert sorted(path.name for path in out.iterdir()) == [
        "README.md",
        atomic.report_files(out).name,
    ]
    assert _links_resolve(out)


def _links_resolve(out: Path) -> bool:
    page = (out / "README.md").read_text(encoding="utf-8")
    links = [link for link in re.findall(r"\]\(([^)#]+)\)", page) if "://" not in link]
    return bool(links) and all((out / link).is_file() for link in links)


INTERRUPTED_BUILD = """
import os, signal, sys, time
from reports import build
from reports.__main__ import main

# Ctrl-C as in a terminal, whatever the test process hands down: a process started with
# SIGINT ignored (as a pytest-xdist worker's children may be) keeps ignoring it.
signal.signal(signal.SIGINT, signal.default_int_handler)

def stopped(*args):
    os.kill(os.getpid(), getattr(signal, sys.argv[1]))  # while the figures are drawn
    # Python runs a signal's handler at its next check, not always before kill returns:
    # wait here for it, or the build would go on with no figures and fail otherwise.
    time.sleep(60)

build.draw_report = stopped
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_an_interrupted_build_says_one_line_and_cleans_up(built, tmp_path, sig):
    out = tmp_path / "out"
    shutil.copytree(built.out, out)
    before = snapshot(out)
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_BUILD, sig, str(built.source), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 130
    assert done.stderr == "reports: interrupted; the previous report is as it was\n"
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp")]


# --- the slides' own code, memory per call, the cache or memory ceiling --------------------


SLIDES_LOOP_S, SLIDES_DOT_S = 0.18, 0.0003


def _slides_suite_way(data: dict) -> None:
    """The slides' demo timed the suite's way: its two pytest-benchmark entries."""
    for variant, median in (
        ("for loop over NumPy arrays", SLIDES_LOOP_S),
        ("np.dot", SLIDES_DOT_S),
    ):
        entry = benchmark_entry("dot", "numpy", "float64", 1, {"n": 1_000_000}, median)
        entry["extra_info"] = {"kind": "slides", "variant": variant, "n": 1_000_000}
        data["benchmarks"].append(entry)


def _slides_way(data: dict) -> None:
    """The slides' demo as a student runs it: one time.time() pair around each call."""
    data["vectorbench_slides"] = {
        "n": 1_000_000,
        "vectorized_ms": 6.0,
        "loop_ms": 250.0,
        "clock": {"name": "time.time", "resolution_s": 1e-9},
    }


def test_the_headline_shows_the_slides_own_loop(tmp_path, no_figures):
    data = make_result(ops=["dot"])
    loop_s, dot_s = SLIDES_LOOP_S, SLIDES_DOT_S
    _slides_suite_way(data)
    _slides_way(data)
    out = tmp_path / "out"
    assert main([str(write(tmp_path / "vm-20260101-000000.json", data)), "--out", str(out)]) == 0
    page = whole_report(out)
    section = page.split("### The slides' own code")[1].split("\n## ")[0]
    loop_over_lists = model_time("dot", "python", 1, {"n": 1_000_000})
    assert "that loop takes **180 ms**" in section
    assert f"{format_ratio(loop_s / loop_over_lists)} the time of the same loop over Python" in (
        " ".join(section.split())
    )
    assert "one `time.time()` pair gave 250 ms for the loop and 6 ms for `np.dot`" in (
        " ".join(section.split())
    )
    assert f"took {format_ratio(6e-3 / dot_s)} its steady time" in " ".join(section.split())
    assert "creates a new NumPy scalar object" in section
    # the headline, over lists, points to it: the terminal's first line showed its ratio
    headline = " ".join(page.split("### The slides' own code")[0].split())
    assert (
        "timed once as the slides do, and printed its ratio on the terminal "
        f"({format_ratio(250e-3 / 6e-3)}): [the slides' own code](#the-slides-own-code)"
    ) in headline
    assert _links_resolve(out)


def test_memory_per_call_is_shown_and_compared(tmp_path):
    data = make_result(ops=["logistic_cost"])
    for entry in data["benchmarks"]:
        info = entry["extra_info"]
        m = info["sizes"]["m"]
        info["peak_alloc_bytes"] = 40 * m if info["backend"] == "numpy" else 96
    out = tmp_path / "out"
    assert main([str(write(tmp_path / "vm-20260101-000000.json", data)), "--out", str(out)]) == 0
    page = whole_report(out)
    section = page.split("## Memory per call")[1].split("\n## ")[0]
    row = "| `logistic_cost` (float64), m = 10⁶ | 96 B (< 0.01 B/sample) | 38.1 MiB (40 B/sample) |"
    assert row in section
    text = " ".join(section.split())
    assert "NumPy allocates 38.1 MiB (40 bytes per sample), Python loop 96 B" in text
    figure = atomic.report_files(out) / "figures" / "memory-per-call.png"
    assert figure.read_bytes().startswith(PNG_SIGNATURE)
    with (atomic.report_files(out) / "table.csv").open(encoding="utf-8") as file:
        header = file.readline()
    assert "peak_alloc_bytes" in header
    assert "served_from" in header


def test_a_case_in_the_cache_is_read_against_the_cache_bandwidth(tmp_path):
    data = make_result(ops=["dot"])
    data["machine_info"]["vectorbench"]["limits"]["cache_read_GBps"] = {"1": 40.0, "2": 80.0}
    for entry in data["benchmarks"]:
        small = entry["extra_info"]["sizes"]["n"] <= 100_000
        entry["extra_info"]["ceiling"] = "cache_read_GBps" if small else "read_GBps"
    run = read_results([write(tmp_path / "vm-20260101-000000.json", data)])
    table = tidy_table(run)
    one = table[
        (table["backend"] == "numba") & (table["threads"] == 1) & (table["dtype"] == "float64")
    ]
    by_n = one.set_index("n")
    assert by_n.loc[1_000, "served_from"] == "cache"
    assert by_n.loc[1_000, "bandwidth_GBps"] == 40.0
    assert by_n.loc[10_000_000, "served_from"] == "memory"
    assert by_n.loc[10_000_000, "bandwidth_GBps"] == READ_GBPS["1"]
    bad = copy.deepcopy(data)
    bad["benchmarks"][0]["extra_info"]["ceiling"] = "l7_GBps"
    with pytest.raises(ResultFileError, match="'ceiling' is 'l7_GBps'"):
        read_result(write(tmp_path / "bad.json", bad))


def test_python_steps_explain_a_large_lead_only_where_numpy_loops_in_python(tmp_path):
    """The catalogue says where NumPy's backend loops in Python (the per-sample rules):
    only there does a large Numba lead earn the "Python steps" explanation."""

    def numba_ten_times_faster(op, backend, threads, sizes):
        time = model_time(op, backend, threads, sizes)
        return time / 10 if backend == "numba" and elements(sizes) >= 10_000 else time

    data = make_result(model=numba_ten_times_faster, ops=["logistic_cost"])
    run = read_results([write(tmp_path / "vm-20260101-000000.json", data)])
    assert not readings.numpy_interprets(run, "logistic_cost")
    text = " ".join(
        readings.op_readings(
            tidy_table(run), run, "logistic_cost", look=style.Style.of(run.catalogue)
        )
    )
    assert "At m = 10⁶, Numba is 17.2× faster than NumPy" in text  # over the 5× lead
    assert "Python steps" not in text
    assert "NumPy's temporaries" in text
    catalogue = data["machine_info"]["vectorbench"]["catalogue"]
    catalogue["ops"]["logistic_cost"]["sequential"] = True  # as if it were a per-sample rule
    run = read_results([write(tmp_path / "vm-20260101-000001.json", data)])
    assert readings.numpy_interprets(run, "logistic_cost")
    text = " ".join(
        readings.op_readings(
            tidy_table(run), run, "logistic_cost", look=style.Style.of(run.catalogue)
        )
    )
    assert "Python steps" in text


def test_the_backends_table_lists_every_backend_of_the_catalogue():
    """Timed, installed but not selected (a -k run), or not installed where the run was
    made; a file written before backends recorded it counts them installed."""
    look = style.Style.of(
        {
            "ops": {},
            "backends": {
                "numpy": {"label": "NumPy", "how": "whole arrays", "installed": True},
                "numba": {"label": "Numba", "how": "loops"},
                "torch": {"label": "PyTorch", "how": "tensors", "installed": False},
                "numba_tiled": {"label": "Tiled", "how": "tiles", "in_lesson": False},
            },
        }
    )
    section = backends_section(pd.DataFrame({"backend": ["numpy", "numpy"]}), look)
    assert "| NumPy | `numpy` | whole arrays | timed |" in section
    assert "| Numba | `numba` | loops | not selected in this run |" in section
    assert "| PyTorch | `torch` | tensors | not installed |" in section
    assert "| Tiled | `numba_tiled` | tiles | timed by the full run only |" in section


def test_a_backend_without_a_kernel_of_an_op_reads_not_implemented_there():
    """At each op's largest size, a backend of some ops (the BLAS ladder's steps) is
    "not implemented" for the others, not "not measured"; one that has the op and was not
    timed at that size stays "not measured"."""
    look = style.Style.of(
        {
            "ops": {},
            "backends": {
                "numpy": {"role": "reference"},
                "numba": {"role": "compiled"},
                "numba_tiled": {"ops": ["mlp_gradient"], "in_lesson": False}
                | {"role": "variant", "variant_of": "numba"},
            },
        }
    )
    rows = [
        ("dot", "numpy", 1e-3), ("dot", "numba", 1e-3),
        ("mlp_gradient", "numpy", 1e-2), ("mlp_gradient", "numba_tiled", 2e-2),
    ]  # fmt: skip
    table = pd.DataFrame(
        [
            {
                "op": op, "backend": backend, "dtype": "float64", "threads": 1,
                "shape": "m1000", "size": 1000, "status": "ok", "median_s": median,
                "ci_low_s": median, "ci_high_s": median, "flags": "",
            }
            for op, backend, median in rows
        ]
    )  # fmt: skip
    summary = analysis.at_largest_size(table, look=look).set_index(["op", "backend"])["status"]
    assert summary[("dot", "numba_tiled")] == "not implemented"
    assert summary[("mlp_gradient", "numba")] == "not measured"
    assert summary[("mlp_gradient", "numba_tiled")] == "ok"
    assert summary[("dot", "numba")] == "ok"


def test_the_headline_compares_with_the_loop_by_its_role_not_its_name():
    """The headline figure's "faster than the loop" is against the backend the catalogue
    calls the loop, whatever its label."""
    from reports.figures import headline_figure

    look = style.Style.of(
        {
            "ops": {},
            "backends": {
                "slow": {"role": "loop", "label": "Interpreter"},
                "fast": {"role": "reference", "label": "Vectorized"},
            },
        }
    )
    rows = pd.DataFrame(
        [
            {"backend": "slow", "threads": 1, "status": "ok", "median_s": 1.0},
            {"backend": "fast", "threads": 1, "status": "ok", "median_s": 0.01},
        ]
    ).assign(predicted_s=float("nan"))
    figure = headline_figure(analysis.Headline("float64", 10**6, rows), look)
    texts = [text.get_text() for text in figure.axes[0].texts]
    assert any("100× faster than the loop" in text for text in texts), texts
    assert sum("faster than the loop" in text for text in texts) == 1


def test_the_slide_summary_shows_each_backend_once_and_the_grid_every_case(built):
    """The lesson's heatmap holds what a slide can: each backend at the most threads it
    ran with, no variant; the op-by-op page's grid keeps every thread count and variant."""
    look = style.Style.of(
        {
            "ops": {},
            "backends": {
                "numpy": {"role": "reference"},
                "numba": {"role": "compiled"},
                "numba_parallel": {"role": "compiled parallel"},
                "numba_tiled": {"role": "variant", "variant_of": "numba"},
            },
        }
    )
    cases = [("numpy", 1), ("numpy", 2), ("numba", 1), ("numba_parallel", 1)]
    cases += [("numba_parallel", 2), ("numba_tiled", 1)]
    table = pd.DataFrame(
        [
            {
                "op": "mlp_gradient", "backend": backend, "dtype": "float64",
                "threads": threads, "shape": "m=1000", "size": 1000, "status": "ok",
                "median_s": 1e-2, "ci_low_s": 1e-2, "ci_high_s": 1e-2, "flags": "",
            }
            for backend, threads in cases
        ]
    )  # fmt: skip
    grid = analysis.at_largest_size(table, look=look)
    slide = analysis.on_the_slide(grid, look=look)
    assert list(zip(slide["backend"], slide["threads"], strict=True)) == [
        ("numba", 1),
        ("numba_parallel", 2),
    ]
    assert len(grid) == 4  # numba, numba_parallel at 1 and 2 threads, numba_tiled
    columns = figures.summary_figure(slide, look).axes[0].get_xticklabels()
    assert len(columns) == 2
    # a thread count never measured is no column: numba_parallel's 2 threads not run
    unmeasured = grid.assign(status=grid["status"].where(grid["threads"] == 1, "not run"))
    slide = analysis.on_the_slide(unmeasured, look=look)
    assert list(zip(slide["backend"], slide["threads"], strict=True)) == [
        ("numba", 1),
        ("numba_parallel", 1),
    ]
    # a run of variants alone keeps them: the slide is never empty
    variants = grid[grid["backend"] == "numba_tiled"]
    assert analysis.on_the_slide(variants, look=look).equals(variants)
    # the built report: the lesson's lines are the slide's, and it links the whole grid
    lesson = (built.out / "README.md").read_text("utf-8")
    glance = lesson.split("## At a glance")[1].split("\n## ")[0]
    assert "**Numba parallel, 2 threads** at the largest sizes" in glance
    assert "**Numba parallel, 1 thread**" not in glance
    assert "[the grid of the op-by-op page]" in glance
    ops_page = (atomic.report_files(built.out) / "ops.md").read_text("utf-8")
    assert "figures/every-speedup.png" in ops_page


# --- a disturbed machine: one warning at the top, the cases it touched flagged ------------


def built_from(data: dict, tmp_path: Path) -> tuple[str, str, pd.DataFrame]:
    """The page, its warnings above the first section, and the timed rows of table.csv."""
    out = tmp_path / "out"
    assert main([str(write(tmp_path / "vm-20260101-000000.json", data)), "--out", str(out)]) == 0
    page = whole_report(out)
    table = pd.read_csv(atomic.report_files(out) / "table.csv", keep_default_na=False)
    return page, page.split("\n## ")[0], table[table["status"] == "ok"]


def test_a_busy_machine_is_warned_of_once_and_flags_every_case(tmp_path, no_figures):
    data = make_result(ops=["dot"])
    data["machine_info"]["vectorbench"]["system"] = {"load_average": [2.4, 2.2, 2.0]}
    _page, top, timed = built_from(data, tmp_path)
    assert top.count("**The machine was busy**") == 1
    assert "load average was 2.4 when the run started, on 2 cores" in top
    assert len(timed) > 0
    assert timed["flags"].str.contains(rules.FLAG_DISTURBED).all()


def test_a_load_left_by_a_program_that_has_ended_is_no_busy_machine(tmp_path, no_figures):
    """The tests just run leave the load average at the cores: if no other thread ran when
    the run started, nothing is flagged; if some did, the warning says how many."""
    data = make_result(ops=["dot"])
    system = {"load_average": [2.3, 1.2, 0.5], "running_others": 0.2}
    data["machine_info"]["vectorbench"]["system"] = system
    page, top, timed = built_from(data, tmp_path)
    assert "**The machine was busy**" not in top
    assert not timed["flags"].str.contains(rules.FLAG_DISTURBED).any()
    assert "| other threads running at the start (mean) | 0.2 |" in page
    system["running_others"] = 1.5
    (tmp_path / "again").mkdir()
    _page, top, timed = built_from(data, tmp_path / "again")
    assert "load average was 2.3 when the run started, on 2 cores, with 1.5 other threads" in (
        " ".join(top.split())
    )
    assert timed["flags"].str.contains(rules.FLAG_DISTURBED).all()


def test_a_probe_that_contradicts_itself_is_warned_of_and_gives_no_share(tmp_path, no_figures):
    data = make_result(ops=["dot"])
    # the cache's read bandwidth on two threads, a hundredth of one thread's: the probe
    # lost a core (as seen on a loaded machine: 58.7 and 0.53 GB/s)
    data["machine_info"]["vectorbench"]["limits"]["cache_read_GBps"] = {"1": 58.7, "2": 0.53}
    for entry in data["benchmarks"]:  # the small ones, and the headline's 10⁶
        if entry["extra_info"]["sizes"]["n"] in (10, 100, 1_000, 10_000, 1_000_000):
            entry["extra_info"]["ceiling"] = "cache_read_GBps"
    page, top, timed = built_from(data, tmp_path)
    assert top.count("**The probe contradicts itself**") == 1
    assert "read bandwidth from the cache measured 58.7 GB/s on one thread and 0.53 GB/s on 2" in (
        " ".join(top.split())
    )
    # the headline's NumPy reads from the cache: no share of the contradicted ceiling
    assert "whose bandwidth probe contradicted itself: no share of it is given" in page
    assert "of the bandwidth measured reading from the cache" not in page
    from_cache = timed["served_from"] == "cache"
    assert from_cache.any()
    assert timed[from_cache]["flags"].str.contains(rules.FLAG_DISTURBED).all()
    assert not timed[~from_cache]["flags"].str.contains(rules.FLAG_DISTURBED).any()
    assert "no share of it is given" in page or not (timed["bandwidth_share"] > 1.05).any()


def test_waiting_for_a_core_is_a_multiple_and_a_tick_beyond_one_thread():
    assert rules.waited(30e-6, 3.5e-3)  # PyTorch on two threads, as seen: one tick
    assert rules.waited(0.21e-3, 7.99e-3)
    assert not rules.waited(1.4e-6, 3.3e-6)  # starting a thread: microseconds
    assert not rules.waited(2e-3, 3.9e-3)  # under twice
    assert not rules.waited(0.3e-3, 1.2e-3)  # twice, but under a millisecond beyond
    assert not rules.waited(float("nan"), 1.0)  # no one-thread twin


def test_a_case_whose_threads_waited_for_a_core_is_flagged(tmp_path, no_figures):
    waiting = {"n": 100_000}

    def model(op, backend, threads, sizes):
        if (backend, threads, sizes) == ("numba_parallel", 2, waiting):
            return 4e-3 + model_time(op, backend, 1, sizes)  # one scheduler tick at 250 Hz
        return model_time(op, backend, threads, sizes)

    page, _top, timed = built_from(make_result(model=model, ops=["dot"]), tmp_path)
    hit = timed[timed["flags"].str.contains(rules.FLAG_WAITED)]
    assert {(r.backend, r.threads, r.n) for r in hit.itertuples()} == {
        ("numba_parallel", 2, 100_000)
    }
    assert sorted(hit["dtype"]) == sorted(DTYPES["dot"])  # that case in each dtype, only
    trust = _section(page, "## Numbers not to trust")
    assert "its threads waited for a core" in trust
    assert "lies above 2× its one-thread twin's and at least 1 ms beyond it" in trust


def test_a_quiet_machine_raises_no_disturbance():
    quiet = machine_info("vm")["vectorbench"]
    quiet["system"] = {"load_average": [0.5, 0.25, 0.125]}
    assert rules.disturbances(quiet) == []


def test_a_selection_with_half_of_the_slides_demo_still_reports(tmp_path, no_figures):
    """`python -m bench.run -k dot` keeps the suite's np.dot of the slides' demo and
    leaves out the rest: the report is built, without the slides' part."""
    data = make_result(ops=["dot"])
    entry = benchmark_entry("dot", "numpy", "float64", 1, {"n": 1_000_000}, 0.0003)
    entry["extra_info"] = {"kind": "slides", "variant": "np.dot", "n": 1_000_000}
    data["benchmarks"].append(entry)
    assert "vectorbench_slides" not in data
    out = tmp_path / "out"
    assert main([str(write(tmp_path / "vm-20260101-000000.json", data)), "--out", str(out)]) == 0
    page = whole_report(out)
    assert "### The slides' own code" not in page
    assert "## The slides' example on this machine" in page


def _only(*parts):
    """A result file of a selection that measured ``parts`` and no op case."""

    def make() -> dict:
        data = make_result(ops=["dot"])
        data["benchmarks"], data["vectorbench_not_run"] = [], []
        if "jit" not in parts:
            data["vectorbench_jit"] = []
        if "suite way" in parts:
            _slides_suite_way(data)
        if "slides way" in parts:
            _slides_way(data)
        if "course" in parts:  # what bench/course.py stores from one backend: no experiment
            data["vectorbench_course"] = {"backends": ["numpy"], "experiments": {}}
        return data

    return make


ONE_PART_ALONE = {
    # -k slides: both ways
    "slides": (
        _only("suite way", "slides way"),
        ["left out the suite's dot-product cases", "that loop takes **180 ms**",
         "one `time.time()` pair gave 250 ms for the loop and 6 ms for `np.dot`",
         f"took {format_ratio(6e-3 / SLIDES_DOT_S)} its steady time"],
        ["the same loop over Python lists"],  # the selection timed no loop over lists
    ),
    # -k student: the slides' way alone
    "student": (
        _only("slides way"),
        ["one `time.time()` pair gave 250 ms for the loop and 6 ms for `np.dot`"],
        ["Timed the suite's way", "its steady time"],
    ),
    # -k suite_times_it: the suite's way alone
    "suite way": (
        _only("suite way"),
        [
            "that loop takes **180 ms**; `np.dot` on the same arrays takes 300 µs, on as many"
            " threads as BLAS starts by default, as on the slide."
        ],
        ["Run exactly as on the slide"],
    ),
    # -k jit_compile: the compile costs alone
    "jit": (
        _only("jit"),
        ["## The price of compiling", "| `dot` | Numba | float64 |",
         "was not measured with NumPy in this run"],
        ["### The slides' own code"],
    ),
    # -k "course and numpy": the course on one backend
    "course": (
        _only("course"),
        ["the run's selection trained the experiments on numpy alone; the section sets "
         "backends side by side, so it needs two"],
        ["### The slides' own code"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("part", sorted(ONE_PART_ALONE))
def test_a_selection_without_an_op_case_reports_what_it_measured(part, tmp_path, no_figures):
    """Any selection of a run gives a report of what it measured: `-k slides`, `-k
    student`, `-k jit_compile`, `-k "course and numpy"` time no op case; the sections
    with no data say so, or are left out (the op-by-op and not-to-trust pages)."""
    make, present, absent = ONE_PART_ALONE[part]
    out = tmp_path / "out"
    assert main([str(write(tmp_path / "vm-20260101-000000.json", make())), "--out", str(out)]) == 0
    page = " ".join(whole_report(out).split())
    for words in present:
        assert " ".join(words.split()) in page
    for words in absent:
        assert words not in page
    assert "0 cases timed, 0 not run" in page
    assert not (atomic.report_files(out) / "ops.md").exists()
    assert not (atomic.report_files(out) / "trust.md").exists()


def test_a_selection_without_an_op_case_draws_only_its_figures(tmp_path):
    out = tmp_path / "out"
    assert main([str(write(tmp_path / "vm-20260101-000000.json", _only("jit")())), "--out",
                 str(out)]) == 0  # fmt: skip
    assert {p.name for p in (atomic.report_files(out) / "figures").iterdir()} == {"jit.png"}


def test_a_selection_without_float64_reports_without_the_roofline(tmp_path):
    """`-k "numba and float32"`: the roofline is drawn from the float64 cases, and there
    are none; it is left out, and the rest is drawn."""
    data = make_result(ops=["dot"])
    data["benchmarks"] = [e for e in data["benchmarks"] if e["extra_info"]["dtype"] == "float32"]
    data["vectorbench_not_run"] = []
    assert data["benchmarks"]
    out = tmp_path / "out"
    assert main([str(write(tmp_path / "vm-20260101-000000.json", data)), "--out", str(out)]) == 0
    figures = {path.stem for path in (atomic.report_files(out) / "figures").iterdir()}
    assert "roofline" not in figures
    assert "time-dot" in figures


def test_results_naming_a_file_says_so(built, capsys):
    capsys.readouterr()
    assert main(["--results", str(built.source), "--out", str(built.source.parent / "x")]) == 2
    assert capsys.readouterr().err == (
        f"reports: {built.source}: is a file, not a directory of results; name it as FILE "
        "to report on it\n"
    )


SAVE_ALL = """
import sys
from pathlib import Path
from reports import figkit

def drawing(k):
    def draw():
        figure = figkit.new_figure(3, 2)
        figure.subplots().plot([0, 1], [0, k])
        return figure
    return draw

jobs = [(f"line{k}", drawing(k)) for k in range(4)] + [("nothing", lambda: None)]
assert figkit._may_fork()  # as in the report's command: no kernels, no engine threads
print(figkit.save_all(jobs, Path(sys.argv[1])))
"""


def test_figures_are_drawn_on_every_core_and_come_out_the_same(tmp_path, monkeypatch):
    """The report's command draws its figures in forked workers; a process that may not
    fork (pytest-xdist's threads, JAX loaded) draws them one at a time. The names come
    back in the jobs' order, and the files are the same byte for byte."""
    from reports import figkit

    forked, alone = tmp_path / "forked", tmp_path / "alone"
    forked.mkdir()
    alone.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", SAVE_ALL, str(forked)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    names = [f"line{k}" for k in range(4)]
    assert done.stdout.strip() == repr(names)
    namespace: dict = {}
    exec(SAVE_ALL.split("jobs =")[0], namespace)  # the same drawings, in this process
    jobs = [(name, namespace["drawing"](k)) for k, name in enumerate(names)]
    monkeypatch.setattr(figkit, "_may_fork", lambda: False)
    assert figkit.save_all(jobs, alone) == names
    assert sorted(p.name for p in forked.iterdir()) == sorted(p.name for p in alone.iterdir())
    for path in forked.iterdir():
        assert path.read_bytes() == (alone / path.name).read_bytes(), path.name


def test_tables_keep_the_catalogues_order_past_ten_backends():
    """The catalogue's order, not its ranks' text: the 11th backend comes after the 3rd
    (as strings, "(10, …)" sorted before "(2, …)"), and float64 before float32."""
    from reports.table import report_order

    look = style.Style.of({"ops": {"dot": {}}, "backends": {f"b{i}": {} for i in range(11)}})
    frame = pd.DataFrame(
        {
            "backend": ["b10", "b2", "b10", "b2"],
            "dtype": ["float32", "float64", "float64", "float32"],
        }
    )
    ordered = frame.sort_values(
        ["backend", "dtype"], key=lambda column: report_order(column, look), ignore_index=True
    )
    assert list(zip(ordered["backend"], ordered["dtype"], strict=True)) == [
        ("b2", "float64"), ("b2", "float32"), ("b10", "float64"), ("b10", "float32"),
    ]  # fmt: skip


def test_drawing_the_figures_says_how_far_it_is(tmp_path, monkeypatch):
    """The report's build is not silent for half a minute: a line before the figures,
    the count drawn every few seconds, and the time they took."""
    from reports import figkit

    namespace: dict = {}
    exec(SAVE_ALL.split("jobs =")[0], namespace)
    jobs = [(f"line{k}", namespace["drawing"](k)) for k in range(3)] + [("nothing", lambda: None)]
    monkeypatch.setattr(figkit, "_may_fork", lambda: False)
    monkeypatch.setattr(figkit, "PROGRESS_EVERY_S", 0.0)  # a line after every figure
    said: list[str] = []
    assert figkit.save_all(jobs, tmp_path, said.append, "course figures") == [
        "line0", "line1", "line2",
    ]  # fmt: skip
    assert said[0] == "drawing 4 course figures on 1 core ..."
    assert said[1:4] == [f"{k}/4 course figures drawn" for k in (1, 2, 3)]
    assert re.fullmatch(r"4 course figures drawn in \d+ s", said[4]), said
    assert len(said) == 5
    assert figkit.save_all([], tmp_path, said.append) == []
    assert len(said) == 5  # nothing to draw, nothing said
