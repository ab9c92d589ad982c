"""The roofline's readings, from a table whose numbers are known: the share of the peak
at the top of the h sweep, and the h where the lead over NumPy changes hands."""

from __future__ import annotations

import itertools
import types
from pathlib import Path

import pandas as pd
import pytest

from reports.load import newest_result, read_results
from reports.roofline import ladder, roof_findings, roofline_findings, roofline_section, sweep
from reports.roofline_figure import _spread, roofline_figure
from reports.style import Style
from reports.table import measured, tidy_table

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
        "ci_low_s": median_s * 0.98,  # the median's 95% interval, ±2%
        "ci_high_s": median_s * 1.02,
        "flops": flops,
        "bytes": nbytes,
        "gflop_per_s": flops / median_s / 1e9,
        "flags": "",
        "served_from": "memory",
    }


LOOK = Style.of({"backends": {"numpy": {"role": "reference", "label": "NumPy"}}, "ops": {}})


@pytest.fixture
def table():
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
    op, rows = sweep(table, LOOK)
    assert op == "mlp_gradient"
    assert set(rows["m"]) == {2000}
    assert list(rows[rows["backend"] == "numpy"]["h"]) == [1, 4, 64, 1024]


def test_findings_state_the_share_of_the_peak_and_where_the_lead_changes(table):
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    found = roofline_findings(table, run, LOOK)
    shares = {share["label"]: share["raw_share"] for share in found["shares"]}
    assert shares[LOOK.series_label("numpy", 2)] == pytest.approx(0.8)
    assert shares[LOOK.series_label("numba_parallel", 2)] == pytest.approx(0.2)
    (change,) = found["changes"]
    # at h = 1 and 4 the loop's 1 ms beats NumPy's 2 ms; at h = 64 NumPy's 5 ms beats 20 ms
    assert (change["first"], change["h"]) == ("leads", 64)
    text = roofline_section(table, run, {"roofline"}, LOOK)
    assert "80% of the peak" in text
    assert "changes hands between h = 4 and h = 64" in " ".join(text.split())


def test_a_one_thread_backend_is_set_against_numpy_on_one_thread(table):
    """Numba's loop runs on one thread: its lead is over NumPy on one thread (as the
    summary sets them), not over NumPy on all cores, which beats it at every h here."""
    rows = []
    for h in (1, 4, 64, 1024):
        flops = 4 * 2000 * 784 * h
        rows.append(_row("mlp_gradient", "numpy", 1, h, max(flops / 40e9, 4e-3)))
        rows.append(_row("mlp_gradient", "numba", 1, h, max(flops / 20e9, 3e-3)))
    both = pd.concat([table, pd.DataFrame(rows)], ignore_index=True)
    both["h"] = both["h"].astype("Int64")
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    changes = {c["label"]: c for c in roofline_findings(both, run, LOOK)["changes"]}
    numba = changes[LOOK.label("numba")]
    # 3 ms against NumPy's 4 ms on one thread at h = 1 and 4 (its 2 ms on two would win);
    # at h = 64, 20 ms against 10 ms
    assert (numba["threads"], numba["first"], numba["before_h"], numba["h"]) == (1, "leads", 4, 64)
    text = " ".join(roofline_section(both, run, {"roofline"}, LOOK).split())
    assert "leads NumPy on 1 thread at h = 1" in text


def test_a_lead_changes_hands_only_by_the_comparison_rule(table):
    """A ratio past 1× is not a lead: the page's rule decides each h (faster, slower or
    level), so a backend that ends within ±5% of NumPy has taken nothing; one that leads
    and trails in turn takes the lead "for good" after its last place behind."""
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    numpy = {row.h: row.median_s for row in table[table["backend"] == "numpy"].itertuples()}
    rows = [  # NumPy's speed × these ratios
        _row("mlp_gradient", backend, 2, h, numpy[h] / ratio)
        for backend, ratios in (("jax", (0.5, 1.5, 0.7, 0.988)), ("dask", (0.5, 1.5, 0.7, 1.3)))
        for h, ratio in zip((1, 4, 64, 1024), ratios, strict=True)
    ]
    both = pd.concat([table, pd.DataFrame(rows)], ignore_index=True)
    both["h"] = both["h"].astype("Int64")
    changes = {c["label"]: c for c in roofline_findings(both, run, LOOK)["changes"]}
    assert "jax" not in changes  # 0.988× at the top: level, no lead taken
    dask = changes["dask"]
    assert (dask["first"], dask["before_h"], dask["h"], dask["traded"]) == (
        "trails",
        64,
        1024,
        True,
    )
    text = " ".join(roofline_section(both, run, {"roofline"}, LOOK).split())
    assert "for good, after the two trade places, between h = 64 and h = 1024" in text
    assert "jax trails" not in text


def test_the_roofs_bound_the_points_from_memory_and_the_cache_passes_them(table):
    """A point whose data come from the cache may pass the slanted roof (read bandwidth
    from memory × intensity); one from memory only by the noise, which is said."""
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    n = 10**7
    extra = []
    for op, gflops, served in (("dot", 4.0, "cache"), ("logistic_cost", 2.625, "memory")):
        row = {**_row(op, "numpy", 2, 1, 1.0), "h": None, "m": n, "n": n, "size": n}
        # 1/8 FLOP per byte: under a 20 GB/s roof, 2.5 GFLOP/s
        row.update(flops=2 * n, bytes=16 * n, served_from=served)
        row.update(median_s=2 * n / gflops / 1e9, gflop_per_s=gflops)
        extra.append(row)
    table = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
    found = roof_findings(table, run, LOOK)
    assert (found["cached"], found["near"], found["near_share"]) == (1, 1, "5.0%")
    assert found["ops"] == ["`dot`", "`logistic_cost`"]  # left of the ridge, 5 FLOPs a byte
    assert (found["low"], found["high"], found["ridge"]) == ("0.12", "0.12", "5")
    text = " ".join(roofline_section(table, run, {"roofline"}, LOOK).split())
    assert "1 of the points, served from the cache, sits above the slanted roof" in text
    assert "1 more point reading from memory passes it by at most 5.0%" in text
    assert "no call whose data come from memory outruns it" not in text  # one did


def test_an_op_is_placed_by_its_points_at_its_largest_size(table):
    """The Python loop's shallow network, timed only at h = 1 (its larger sizes over the
    time budget), sits left of the ridge; the op, timed at h = 1024 by the others, is not
    memory-bound for it."""
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    loop = _row("mlp_gradient", "python", 1, 1, 5.0)
    assert loop["flops"] / loop["bytes"] < 5  # left of the ridge
    found = roof_findings(pd.concat([table, pd.DataFrame([loop])], ignore_index=True), run, LOOK)
    assert found["ops"] == []


def test_memory_bound_ops_end_level_only_where_the_rule_says_so(table):
    """The page says how far each memory-bound op's fastest backend gets under the
    slanted roof, and names the ops whose two fastest end level by the rule, no others."""
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    n = 10**7
    extra = []
    # 1/8 FLOP per byte under a 20 GB/s roof: 2.5 GFLOP/s at most; dot's two fastest 2%
    # apart (level), logistic_cost's best 3x ahead of the next
    for op, backend, gflops in (
        ("dot", "numba_parallel", 2.0), ("dot", "numpy", 1.96),
        ("logistic_cost", "numba_parallel", 1.5), ("logistic_cost", "numpy", 0.5),
    ):  # fmt: skip
        row = {**_row(op, backend, 2, 1, 2 * n / gflops / 1e9), "h": None, "m": n, "n": n}
        row.update(size=n, flops=2 * n, bytes=16 * n, gflop_per_s=gflops)
        extra.append(row)
    table = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
    found = roof_findings(table, run, LOOK)
    assert found["level"] == ["`dot`"]
    assert (found["reached_low"], found["reached_high"]) == ("60%", "80%")
    text = " ".join(roofline_section(table, run, {"roofline"}, LOOK).split())
    assert "Reading from memory, the fastest backend of each reaches 60% to 80% of it" in text
    assert (found["near"], found["far"]) == (0, 0)
    assert "times the intensity: no call whose data come from memory outruns it." in text
    # a fastest point served from the cache may pass the memory roof: it is not a share
    cached = table.assign(served_from="cache")
    assert (roof_findings(cached, run, LOOK)["reached_low"], "`dot`") == ("", "`dot`")
    assert "Reading from memory" not in roofline_section(cached, run, {"roofline"}, LOOK)
    assert "they end level: `dot`." in text
    assert "winners end level" not in text
    # a fastest point past the roof, reading from memory, is counted, never a share > 100%
    faster = table.copy()
    faster.loc[(faster["op"] == "dot") & (faster["backend"] == "numba_parallel"), "median_s"] /= 2
    faster["gflop_per_s"] = faster["flops"] / faster["median_s"] / 1e9
    found = roof_findings(faster, run, LOOK)
    assert (found["reached_low"], found["reached_high"], found["reached_past"]) == ("60%", "60%", 1)
    text = " ".join(roofline_section(faster, run, {"roofline"}, LOOK).split())
    assert "the fastest backend of each reaches 60% of it (1 more reaches it and passes it" in text
    assert "160%" not in text


def test_no_section_without_the_figure(table):
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    assert roofline_section(table, run, set(), LOOK) == ""


STEPS = ("numba_blocked", "numba_tiled", "numba_packed")


LADDER_LOOK = Style.of(
    {
        "backends": {
            "numba": {"label": "Numba", "role": "compiled"},
            "numpy": {"role": "reference"},
            **{
                name: {"label": name, "how": f"what {name} removes", "in_lesson": False}
                | {"role": "variant", "variant_of": "numba"}
                for name in STEPS
            },
        },
        "ops": {},
    }
)


@pytest.fixture
def with_ladder(table):
    """The h sweep, and the BLAS ladder on one thread at h = 1024 (and at h = 64, where
    the packed step was not timed): 10, 12, 15, 18 GFLOP/s, NumPy 40."""
    flops = 4 * 2000 * 784 * 1024
    rates = {"numba": 10, "numba_blocked": 12, "numba_tiled": 15, "numba_packed": 18, "numpy": 40}
    rows = [_row("mlp_gradient", b, 1, 1024, flops / (r * 1e9)) for b, r in rates.items()]
    rows += [_row("mlp_gradient", b, 1, 64, 1.0) for b in ("numba", *STEPS[:2], "numpy")]
    frame = pd.concat([table, pd.DataFrame(rows)], ignore_index=True)
    frame["h"] = frame["h"].astype("Int64")
    return frame


def test_the_ladder_runs_from_the_loop_through_the_steps_to_blas(with_ladder):
    steps = ladder(with_ladder, LADDER_LOOK)
    assert list(steps["backend"]) == ["numba", *STEPS, "numpy"]
    assert set(steps["h"]) == {1024}  # the largest h every rung was timed at
    assert list(steps["gflop_per_s"].round(6)) == [10, 12, 15, 18, 40]
    # the roofline itself keeps the lesson's backends: the steps have their own panel
    _, swept = sweep(with_ladder, LADDER_LOOK)
    assert not set(swept["backend"]) & set(STEPS)


def test_the_section_names_each_step_what_it_removes_and_the_gap_to_blas(with_ladder):
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    text = roofline_section(with_ladder, run, {"roofline"}, LADDER_LOOK)
    assert "- numba_packed, 18 GFLOP/s (36% of the peak): what numba_packed removes." in text
    assert "- Numba, 10 GFLOP/s (20% of the peak)." in text
    assert "The best loop, numba_packed, ends 2.22× behind BLAS." in text
    figure = roofline_figure(with_ladder, run, LADDER_LOOK)
    assert len(figure.axes) == 2  # the roofline and the ladder's panel


def test_no_ladder_without_its_steps(table):
    assert ladder(table, LOOK) is None
    run = types.SimpleNamespace(suite={"limits": {"read_GBps": READ, "peak_GFLOPs": PEAK}})
    assert "How BLAS gets its speed" not in roofline_section(table, run, {"roofline"}, LOOK)


# the committed full run, whatever its name
COMMITTED_RUN = newest_result(Path(__file__).parent.parent / "reports" / "results")


def test_the_committed_runs_roofline_has_a_slides_legend_and_names_every_backend():
    """At most 12 legend entries (it had 31), and every backend of the roofline still
    named: in the legend, beside its line, or in the ladder's panel."""
    run = read_results([COMMITTED_RUN])
    table = tidy_table(run)
    look = Style.of(run.catalogue)
    figure = roofline_figure(table, run, look)
    entries = [text.get_text() for legend in figure.legends for text in legend.get_texts()]
    assert 0 < len(entries) <= 12
    beside = [child.get_text() for ax in figure.axes for child in ax.texts]
    ladder_names = [tick.get_text() for ax in figure.axes[1:] for tick in ax.get_yticklabels()]
    named = " | ".join(entries + beside + ladder_names)
    drawn = set(measured(table[table["dtype"] == "float64"])["backend"])
    assert drawn
    for backend in drawn:
        assert look.label(backend) in named, backend


def test_a_line_cut_short_is_labelled_at_its_end_not_across_the_others():
    """The Python loop's sweep stops at a small h: its label sits beside its last point,
    with no joint to the right edge; the lines that reach the edge keep theirs there."""
    run = read_results([COMMITTED_RUN])
    table = tidy_table(run)
    look = Style.of(run.catalogue)
    figure = roofline_figure(table, run, look)
    ax = figure.axes[0]
    labels = {child.get_text(): child for child in ax.texts if hasattr(child, "xyann")}
    (loop,) = [text for name, text in labels.items() if name.startswith("Python loop")]
    assert loop.anncoords == "offset points"
    assert loop.arrow_patch is None
    assert loop.xyann == (6, 0)  # just right of where its line ends
    edge = [text for name, text in labels.items() if not name.startswith("Python loop")]
    assert edge
    for text in edge:  # the column right of the axes, joined to each line's end
        assert text.xyann[0] == pytest.approx(1.02)
        assert text.arrow_patch is not None


def test_labels_too_close_are_spread_apart_by_the_gap():
    placed = _spread([1.0, 1.05, 3.0, 1.02], 0.1)
    order = sorted(range(4), key=placed.__getitem__)
    assert order == [0, 3, 1, 2]  # the labels keep the order of what they name
    gaps = [placed[b] - placed[a] for a, b in itertools.pairwise(order)]
    assert min(gaps) == pytest.approx(0.1)
    assert sum(placed) == pytest.approx(sum([1.0, 1.05, 3.0, 1.02]))  # centred on the wanted


def test_the_memory_bound_ops_are_worded_for_one_op_and_for_a_range():
    """One op, or ends that coincide, read "does 0.51 FLOPs per byte" and "reaches 37%",
    never "0.51 to 0.51"."""
    from reports.templating import render

    def worded(ops, low, high, reached_low, reached_high):
        roof = {
            "cached": 0, "near": 0, "far": 0, "ops": ops, "low": low, "high": high,
            "ridge": "1.6", "reached_low": reached_low, "reached_high": reached_high, "level": [],
            "reached_past": 0,
        }  # fmt: skip
        text = render("roofline.md.j2", image="", found=None, roof=roof, ladder=None, look=None)
        return " ".join(text.split())

    one = worded(["`dot`"], "0.51", "0.51", "37%", "37%")
    assert "The memory-bound op (`dot`) does 0.51 FLOPs per byte" in one
    assert "it sits under the slanted roof" in one
    assert "the fastest backend reaches 37% of it;" in one
    assert " to " not in one.split("FLOPs per byte")[0]
    many = worded(["`dot`", "`logistic_cost`"], "0.12", "0.75", "18%", "37%")
    assert "The memory-bound ops (`dot`, `logistic_cost`) do 0.12 to 0.75 FLOPs per byte" in many
    assert "they sit under" in many
    assert "the fastest backend of each reaches 18% to 37% of it;" in many
