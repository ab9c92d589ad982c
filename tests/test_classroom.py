"""The share file (bench.share) and the class page (python -m reports --class).

Synthetic machines are made from a real share file (the committed example's AMD EPYC
8 MiB run): each gets its own identity, bandwidth, SIMD width, cores and clock, and its
times scaled as those facts would scale them, so the page's relations have something
real to find.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import run
from bench.share import write_share
from reports import atomic
from reports.__main__ import main as reports_main
from reports.classroom import build_class
from reports.classroom.findings import read_class
from reports.load import newest_result, read_result

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_RUNS = ROOT / "reports" / "class" / "runs"
BASE_SHARE = EXAMPLE_RUNS / "share-AMD-EPYC-8-MiB-L3-20261204-031806.json.gz"
# the committed full run: the newest result file of the tree (bench.run keeps one)
FULL_RUN = newest_result(ROOT / "reports" / "results")
SHARE_LIMIT_BYTES = 500_000
TIME_KEYS = ("min", "max", "mean", "stddev", "median", "iqr", "q1", "q3")
SIMD = {128: ["sse2", "sse4_2"], 256: ["sse2", "avx", "avx2", "fma"], 512: ["avx2", "avx512f"]}


@pytest.fixture
def no_figures(monkeypatch):
    """Class pages built without their figures, for a test that reads only the page's
    words (about a second of Matplotlib a page); the figures have their own test,
    ``test_the_relations_are_found_in_synthetic_machines``."""
    import reports.classroom

    monkeypatch.setattr(reports.classroom, "draw_class", lambda findings, directory: set())


@pytest.fixture(scope="module")
def base() -> dict:
    return json.loads(gzip.decompress(BASE_SHARE.read_bytes()))


def _scale_times(entry: dict, factor: float) -> None:
    for key in TIME_KEYS:
        entry["stats"][key] *= factor
    if entry["extra_info"].get("median_ci"):
        entry["extra_info"]["median_ci"] = [v * factor for v in entry["extra_info"]["median_ci"]]


def synthetic(base: dict, index: int, bandwidth: float, simd: int, cores: int) -> dict:
    """A machine ``bandwidth`` times the base's read bandwidth, with ``simd``-bit vectors
    and ``cores`` cores, and a clock that makes its Python loop 1 + index % 3 / 4 slower:
    the compiled backends' times divided by the bandwidth, the loop's multiplied by that."""
    data = copy.deepcopy(base)
    suite = data["machine_info"]["vectorbench"]
    for name in ("read_GBps", "cache_read_GBps", "triad_GBps"):
        suite["limits"][name] = {
            threads: value * bandwidth for threads, value in suite["limits"][name].items()
        }
    suite["cpu"]["simd"] = SIMD[simd]
    suite["cpu"]["logical_cores"] = suite["cpu"]["physical_cores"] = cores
    suite["threads"]["all_cores"] = cores
    slower_loop = 1 + (index % 3) / 4
    suite["system"]["max_frequency_khz"] = str(round(3_000_000 / slower_loop))
    for entry in data["benchmarks"]:
        python = entry["extra_info"].get("backend") == "python"
        _scale_times(entry, slower_loop if python else 1 / bandwidth)
    data["datetime"] = f"2026-12-{1 + index % 28:02d}T10:{index % 60:02d}:00+00:00"
    share = data["vectorbench_share"]
    share["machine_key"] = f"synthetic-{index:06d}"
    share["name"] = f"student {index:04d}"
    return data


def write(directory: Path, name: str, data: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def snapshot(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def class_of(base: dict, directory: Path, count: int) -> None:
    for index in range(count):
        data = synthetic(
            base, index, bandwidth=0.5 + index % 7 / 2, simd=(128, 256, 512)[index % 3],
            cores=(2, 4, 8)[index % 3],
        )  # fmt: skip
        write(directory, f"upload-{index:04d}.json", data)


# --- the share file --------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_run(tmp_path_factory) -> Path:
    """The committed full run, with a host, a user's folder and a path in it."""
    data = json.loads(FULL_RUN.read_text(encoding="utf-8"))
    data["machine_info"]["node"] = "lab-pc-alice-42"
    data["commit_info"]["project"] = "alice-checkout"
    data["machine_info"]["vectorbench"]["threads"]["environment"] = {
        "XLA_FLAGS": "--xla_dump_to=/home/alice/dump",
        "OMP_NUM_THREADS": "2",
    }
    data["vectorbench_course"]["machine"]["name"] = "lab-pc-alice-42"
    return write(tmp_path_factory.mktemp("full"), "lab-pc-alice-42-20261204-223916.json", data)


def test_share_file_is_small_and_names_no_host_or_user(full_run: Path, tmp_path: Path) -> None:
    share = write_share(full_run, out=tmp_path)
    text = share.read_text(encoding="utf-8")
    assert share.stat().st_size <= SHARE_LIMIT_BYTES
    for private in ("alice", "lab-pc", "/home"):
        assert private not in text
        assert private not in share.name
    run = read_result(share)
    assert run.share["name"] is None
    assert run.share["course"]["perceptron"]["disagree"] == []
    assert run.suite["threads"]["environment"] == {"OMP_NUM_THREADS": "2"}
    # the lesson's dot product is there with its interval
    dot = run.cases[(run.cases["op"] == "dot") & (run.cases["n"] == 10**6)]
    numpy = dot[(dot["backend"] == "numpy") & (dot["threads"] == 1)].iloc[0]
    assert numpy["ci_low_s"] <= numpy["median_s"] <= numpy["ci_high_s"]


def test_share_file_carries_the_chosen_name_only(full_run: Path, tmp_path: Path) -> None:
    share = write_share(full_run, name="Team 7", out=tmp_path)
    assert share.name.startswith("share-Team-7-")
    assert read_result(share).share["name"] == "Team 7"
    assert "alice" not in share.read_text(encoding="utf-8")


def test_pytest_benchmark_still_reads_the_full_file(full_run: Path, tmp_path: Path) -> None:
    before = full_run.read_bytes()
    write_share(full_run, out=tmp_path)
    assert full_run.read_bytes() == before
    done = subprocess.run(
        # pytest-benchmark's own command (its console script's entry point)
        [sys.executable, "-c", "from pytest_benchmark.cli import main; main()",
         "compare", str(full_run), "--columns=median"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "test_op[dot-numpy-float64-t1-n1000000]" in done.stdout


def test_the_lesson_run_writes_the_share_file_beside_its_result(
    base: dict, tmp_path: Path, monkeypatch
) -> None:
    """bench.run with its pytest child replaced by one that stores a real result."""

    def child(command, *args, **kwargs):
        target = next(arg for arg in command if arg.startswith("--benchmark-json="))
        Path(target.split("=", 1)[1]).write_text(json.dumps(base), encoding="utf-8")
        return 0

    monkeypatch.setattr(run, "run_child", child)
    monkeypatch.setattr(run, "machine_slug", lambda: "lab-pc-alice-42")
    monkeypatch.setattr(run, "RESULTS", tmp_path)
    assert run.main(["--no-report", "--share-name", "Ada L."]) == 0
    (result,) = tmp_path.glob("lab-pc-alice-42-*.json")
    (share,) = tmp_path.glob("share-Ada-L-*.json")
    assert read_result(share).share["name"] == "Ada L."
    assert read_result(result).share is not None  # the fake result was itself a share
    assert "alice" not in share.read_text(encoding="utf-8")


def test_a_course_the_report_leaves_out_is_not_shared(tmp_path: Path) -> None:
    """`-k numpy` trains the course on one backend, which the report leaves out: the
    run's share file is written all the same, without it (it failed, and bench.run with
    it)."""
    from tests.test_reports import make_result

    data = make_result(ops=["dot"])
    data["vectorbench_course"] = {"backends": ["numpy"], "experiments": {}}
    result = tmp_path / "vm-20260101-000000.json"
    result.write_text(json.dumps(data), encoding="utf-8")
    share = write_share(result, out=tmp_path / "shared")
    assert read_result(share).share["course"] is None


def test_a_share_file_is_never_taken_for_the_newest_run(base: dict, tmp_path: Path) -> None:
    write(tmp_path, "box-20261204-031806.json", base)
    write(tmp_path, "share-20261205-000000.json", base)  # written after it, newer stamp
    assert newest_result(tmp_path).name == "box-20261204-031806.json"


# --- the class page --------------------------------------------------------------------


def test_each_unusable_file_is_named_and_the_page_built_from_the_rest(
    base: dict, tmp_path: Path, no_figures
) -> None:
    uploads = tmp_path / "uploads"
    first = synthetic(base, 1, bandwidth=1.0, simd=256, cores=2)
    write(uploads, "a.json", first)
    write(uploads, "b.json", synthetic(base, 2, bandwidth=2.0, simd=512, cores=4))
    older = copy.deepcopy(first)
    older["datetime"] = "2026-11-01T09:00:00+00:00"
    write(uploads, "z-again.json", older)  # the same machine, an older run
    schema1 = copy.deepcopy(first)
    schema1["machine_info"]["vectorbench"]["schema"] = 1
    write(uploads, "old-format.json", schema1)
    schema3 = copy.deepcopy(first)
    schema3["machine_info"]["vectorbench"]["schema"] = 3
    write(uploads, "future.json", schema3)
    text = json.dumps(synthetic(base, 3, bandwidth=1.0, simd=128, cores=2))
    (uploads / "cut.json").write_text(text[: len(text) // 2], encoding="utf-8")
    packed = gzip.compress(text.encode("utf-8"), mtime=0)
    (uploads / "cut.json.gz").write_bytes(packed[: len(packed) // 2])
    no_dot = synthetic(base, 4, bandwidth=1.0, simd=128, cores=2)
    no_dot["benchmarks"] = [e for e in no_dot["benchmarks"] if e["extra_info"].get("op") != "dot"]
    write(uploads, "no-dot.json", no_dot)
    cupy = synthetic(base, 5, bandwidth=1.5, simd=256, cores=2)
    catalogue = cupy["machine_info"]["vectorbench"]["catalogue"]["backends"]
    catalogue["cupy"] = {"label": "CuPy (GPU)", "colour": "#123456"}
    extra = copy.deepcopy(next(e for e in cupy["benchmarks"] if e["extra_info"].get("op") == "dot"))
    extra["extra_info"]["backend"] = "cupy"
    cupy["benchmarks"].append(extra)
    write(uploads, "cupy.json", cupy)
    before = snapshot(uploads)

    page = build_class([uploads], tmp_path / "class").read_text(encoding="utf-8")

    assert snapshot(uploads) == before
    reasons = page.split("## Files not used")[1]
    assert "`z-again.json`: the same machine as a.json" in reasons
    assert "`old-format.json`: is in the first result format (schema 1)" in reasons
    assert "`future.json`: machine_info.vectorbench.schema is 3" in reasons
    assert "`cut.json`: ends in the middle of the JSON (truncated?)" in reasons
    assert "`no-dot.json`: holds none of the lesson's cases" in reasons
    assert "`cut.json.gz`: is a gzip file that ends early or is damaged" in reasons
    assert "cupy.json" not in reasons
    assert "3 machines ran the lesson (9 files read, 6 set aside" in page
    assert "CuPy (GPU) on 1 of 3 (student 0005)" in page
    rows = page.split("## One row per machine")[1].split("\n\n")[1].splitlines()
    assert [row.split(" | ")[0] for row in rows[2:]] == [
        "| student 0001",
        "| student 0002",
        "| student 0005",
    ]


def test_share_and_full_files_mix_and_a_run_handed_in_twice_is_seen(tmp_path: Path) -> None:
    """The committed full run beside the example's share files: one machine a file, the
    full run's file read whole, whichever machine made it. A share file of an earlier run
    of the full run's machine is set aside, by its machine facts, for the newer run; a
    share file made from the very run it is handed in beside is the same run, once."""
    shares = sorted(EXAMPLE_RUNS.glob("share-*.json.gz"))
    machines, rejected = read_class([FULL_RUN, EXAMPLE_RUNS])
    assert len(machines) + len(rejected) == len(shares) + 1
    assert FULL_RUN.name in {m.source for m in machines}
    assert {m.run.share is None for m in machines} == {True, False}
    assert all("the same machine as" in r.reason for r in rejected)
    # an earlier run of the same machine: its share file, a day older
    earlier = json.loads(write_share(FULL_RUN, out=tmp_path / "made").read_text(encoding="utf-8"))
    started = dt.datetime.fromisoformat(earlier["datetime"])
    earlier["datetime"] = (started - dt.timedelta(days=1)).isoformat()
    older = tmp_path / "earlier" / "share-earlier.json"
    older.parent.mkdir()
    older.write_text(json.dumps(earlier), encoding="utf-8")
    machines, rejected = read_class([FULL_RUN, older])
    assert [m.source for m in machines] == [FULL_RUN.name]
    assert [r.path for r in rejected] == [older]
    assert "the same machine as" in rejected[0].reason
    assert f"the newer run, {FULL_RUN.name}, is used" in rejected[0].reason
    # a share file made from the very run it is handed in beside: the same run, once
    share = write_share(FULL_RUN, out=tmp_path)
    machines, rejected = read_class([FULL_RUN, share])
    assert len(machines) == 1
    assert [r.path for r in rejected] == [share]
    assert "the same run" in rejected[0].reason


def test_the_relations_are_found_in_synthetic_machines(base: dict, tmp_path: Path) -> None:
    class_of(base, tmp_path / "uploads", 12)
    page = build_class([tmp_path / "uploads"], tmp_path / "class").read_text(encoding="utf-8")
    # times divided by the bandwidth: every machine reaches the base's share of it
    assert "**The bandwidth explains most of the spread**" in page
    assert "the clock explains most of the spread" in page
    for fact in ("128-bit", "512-bit", "8 cores"):
        assert fact in page
    roofline = atomic.report_files(tmp_path / "class") / "figures" / "class-roofline.png"
    assert roofline.stat().st_size > 0


def test_the_ratios_are_titled_by_the_class_catalogues_labels(
    base: dict, tmp_path: Path, no_figures
) -> None:
    """The headline ratios are found by role and named by each run's catalogue: relabel
    the reference and the compiled loop, and the titles, columns and prose follow."""
    for index in range(3):
        data = synthetic(base, index, bandwidth=1.0, simd=256, cores=2)
        backends = data["machine_info"]["vectorbench"]["catalogue"]["backends"]
        backends["numpy"]["label"] = "Vectorized"
        backends["numba"]["label"] = "Compiled loop"
        write(tmp_path / "uploads", f"{index}.json", data)
    page = build_class([tmp_path / "uploads"], tmp_path / "class").read_text(encoding="utf-8")
    for title in ("Python loop → Vectorized", "Python loop → Compiled loop", "Vectorized → JAX"):
        assert f"**{title}**: median" in page
        assert f"| {title} |" in page
    assert "### Compiled loop, the SIMD width and the cores" in page
    assert "Python loop → Compiled loop by the widest SIMD vectors" in page
    for old in ("loop → np.dot", "NumPy → ", "Loop → Numba", "loop → Numba", "### Numba,"):
        assert old not in page


def test_a_machine_whose_backends_disagree_is_named(base: dict, tmp_path: Path, no_figures) -> None:
    write(tmp_path / "uploads", "a.json", synthetic(base, 1, bandwidth=1.0, simd=256, cores=2))
    odd = synthetic(base, 2, bandwidth=1.0, simd=256, cores=2)
    odd["vectorbench_share"]["course"]["perceptron"]["disagree"] = ["jax"]
    odd["vectorbench_share"]["course"]["adaline_sgd"]["final_history"] *= 1.01
    write(tmp_path / "uploads", "b.json", odd)
    write(tmp_path / "uploads", "c.json", synthetic(base, 3, bandwidth=1.0, simd=256, cores=2))
    page = build_class([tmp_path / "uploads"], tmp_path / "class").read_text(encoding="utf-8")
    assert "**Backends disagree on student 0002**" in page
    assert "| student 0002 | 17 | perceptron: jax | adaline_sgd |" in page
    assert "**Outcomes that differ from the class's**: student 0002." in page


def test_a_final_cost_rounded_by_an_older_file_is_the_same_outcome(
    base: dict, tmp_path: Path, no_figures
) -> None:
    """Files before 7 December 2026 kept a history's last entry to 7 digits (2.464156),
    the others whole (2.4641557589880807): a machine is not said to differ for that,
    while a final weight that moves beyond the tolerance still makes it differ."""
    write(tmp_path / "uploads", "a.json", synthetic(base, 1, bandwidth=1.0, simd=256, cores=2))
    older = synthetic(base, 2, bandwidth=1.0, simd=256, cores=2)
    for outcome in older["vectorbench_share"]["course"].values():
        outcome["final_history"] = float(f"{outcome['final_history']:.7g}")
    assert any(
        outcome["final_history"] != base_outcome["final_history"]
        for outcome, base_outcome in zip(
            older["vectorbench_share"]["course"].values(),
            synthetic(base, 1, bandwidth=1.0, simd=256, cores=2)["vectorbench_share"][
                "course"
            ].values(),
            strict=True,
        )
    )  # the rounding changed something, or the test compares nothing
    write(tmp_path / "uploads", "b.json", older)
    moved = synthetic(base, 3, bandwidth=1.0, simd=256, cores=2)
    moved["vectorbench_share"]["course"]["adaline_sgd"]["final_weights"][0] *= 1 + 1e-6
    write(tmp_path / "uploads", "c.json", moved)
    page = build_class([tmp_path / "uploads"], tmp_path / "class").read_text(encoding="utf-8")
    assert "**Outcomes that differ from the class's**: student 0003." in page


def test_which_side_of_the_loop_ratio_moves_it_is_said_only_when_it_is_clear() -> None:
    """The loop's time over np.dot's: the side whose times spread more across the
    machines moves the ratio; spreads of 2.41× and 2.41× (as a student's class page
    showed, concluding "the loop") move it about as much."""
    import types

    from reports.classroom.findings import drivers
    from reports.style import LOOP, REFERENCE

    def machines(loops, dots):
        return [
            types.SimpleNamespace(
                label=f"m{i}",
                times={LOOP: {"time_s": a, "predicted": False}, REFERENCE: {"time_s": b}},
            )
            for i, (a, b) in enumerate(zip(loops, dots, strict=True))
        ]

    assert drivers(machines([0.05, 0.1206], [1e-4, 2.407e-4]))["driver"] == "both"
    assert drivers(machines([0.05, 0.15], [1e-4, 1.2e-4]))["driver"] == "loop"
    assert drivers(machines([0.05, 0.06], [1e-4, 3e-4]))["driver"] == "reference"


def test_a_machine_with_an_empty_course_is_not_said_to_agree(
    base: dict, tmp_path: Path, no_figures
) -> None:
    """A share file whose course record is empty: no experiment ran there, so nothing
    agreed (the page once crashed on it, then said "all agree")."""
    write(tmp_path / "uploads", "a.json", synthetic(base, 1, bandwidth=1.0, simd=256, cores=2))
    empty = synthetic(base, 2, bandwidth=1.0, simd=256, cores=2)
    empty["vectorbench_share"]["course"] = {}
    write(tmp_path / "uploads", "b.json", empty)
    page = build_class([tmp_path / "uploads"], tmp_path / "class").read_text(encoding="utf-8")
    row = next(line for line in page.splitlines() if line.startswith("| student 0002 |"))
    assert "all agree" not in row
    assert "the run has no course experiments" in page


def test_fifty_share_files_make_one_page(base: dict, tmp_path: Path, no_figures) -> None:
    """A class of fifty machines builds one page that counts them all. How long that
    takes is measured, not asserted here (a shared machine's load would decide it): the
    README quotes 10, 25 and 103 s for 50, 200 and 1,000 files on the 2-core machine."""
    class_of(base, tmp_path / "uploads", 50)
    build_class([tmp_path / "uploads"], tmp_path / "class")
    page = (tmp_path / "class" / "README.md").read_text(encoding="utf-8")
    assert "50 machines ran the lesson (50 files read)" in page


# --- the command line ---------------------------------------------------------------------


def test_command_line_errors_are_one_line(tmp_path: Path, capsys) -> None:
    assert reports_main(["--class", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("reports: ")
    assert "\n" not in error
    (tmp_path / "empty").mkdir()
    assert reports_main(["--class", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "holds no result files" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        reports_main(["--class", str(tmp_path / "empty"), "--out", str(tmp_path / "empty" / "x")])
    assert "inside the input directory" in capsys.readouterr().err


def test_command_line_builds_the_page(tmp_path: Path, capsys) -> None:
    runs = tmp_path / "runs"
    shutil.copytree(EXAMPLE_RUNS, runs)
    assert reports_main(["--class", str(runs), "--out", str(tmp_path / "class")]) == 0
    assert "reports: wrote" in capsys.readouterr().out
    page = (tmp_path / "class" / "README.md").read_text(encoding="utf-8")
    assert "3 machines ran the lesson (3 files read)" in page
