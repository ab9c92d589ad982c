"""Adding a backend or an op is one registration: the tests, the benchmarks and the report
all follow. A throw-away backend and op (``tests/throwaway_catalogue.py``) are registered
through ``kernels.register_backend`` and ``kernels.register_op`` only, and each stage of
the suite is run on them in a fresh process."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import RUN_BY_TESTS, TESTED_BACKENDS, whole_report
from throwaway_catalogue import BACKEND, NOT_INSTALLED, OP

import kernels
from reports.atomic import report_files
from reports.leads import summary_section
from reports.load import read_results
from reports.readings import op_readings
from reports.style import Style
from reports.table import tidy_table

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ["-p", "throwaway_catalogue"]


def _run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    done = subprocess.run(
        [sys.executable, *command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_the_correctness_tests_include_a_registered_backend_and_op(tmp_path):
    report = tmp_path / "junit.xml"
    _run(
        "-m", "pytest", *PLUGIN, "tests/test_kernels.py", "tests/test_checks.py",
        "tests/test_numerics.py", "tests/test_generated.py", "-k", f"{BACKEND} or {OP}",
        "-q", "-p", "no:cacheprovider",
        f"--junitxml={report}",
    )  # fmt: skip
    cases = list(ET.parse(report).getroot().iter("testcase"))
    # the backends whose libraries are missing (the plugin's own, PyTorch perhaps): each
    # of their tests is skipped, saying which library
    missing = {NOT_INSTALLED: "vectorbench_absent_library"}
    missing.update(
        {name: " and ".join(s.missing) for name, s in kernels.BACKENDS.items() if s.missing}
    )
    absent = []
    for case in cases:
        parameters = re.split(r"[\[\]-]", case.get("name", ""))
        for backend in set(parameters) & set(missing):
            (skipped,) = list(case)
            assert skipped.tag == "skipped"
            assert skipped.get("message") == f"{missing[backend]} not installed"
            absent.append(case)
    assert any(NOT_INSTALLED in case.get("name", "") for case in absent)
    # A run of the optional backends only (nox -s tests_torch) leaves out the throw-away
    # backend, which needs no library, and the tests of no optional backend: nox -s
    # tests runs them.
    absent += [case for case in cases if RUN_BY_TESTS in ET.tostring(case, encoding="unicode")]
    for name in (BACKEND, OP) if TESTED_BACKENDS == "all" else (OP,):
        mine = [case for case in cases if name in case.get("name", "") and case not in absent]
        assert len(mine) >= 5, f"only {len(mine)} tests of {name} ran"
        for case in mine:  # passed: neither failed, errored nor skipped
            assert not list(case), f"{case.get('name')}: {[child.tag for child in case]}"
    # the generated tests run every backend inside each op's test
    generated = [case for case in cases if "generated" in case.get("classname", "")]
    assert any(OP in case.get("name", "") for case in generated)


@pytest.fixture(scope="module")
def result_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "result.json"
    _run(
        "-m", "pytest", *PLUGIN, "bench", "--ladder=smoke",
        "-k", f"test_op and (({BACKEND} and dot) or {OP})",
        f"--benchmark-json={path}", "--benchmark-min-rounds=3", "--benchmark-max-time=0.001",
        "-q", "-p", "no:cacheprovider",
    )  # fmt: skip
    return path


def test_the_benchmarks_time_a_registered_backend_and_op(result_file):
    data = json.loads(result_file.read_text())
    timed = {(b["extra_info"]["op"], b["extra_info"]["backend"]) for b in data["benchmarks"]}
    assert ("dot", BACKEND) in timed
    assert {(OP, backend) for backend in ("python", "numpy", "numba", BACKEND)} <= timed
    catalogue = data["machine_info"]["vectorbench"]["catalogue"]
    assert catalogue["backends"][BACKEND]["label"] == "NumPy twin"
    # every backend is in the catalogue, saying whether it could run here
    assert catalogue["backends"][NOT_INSTALLED]["installed"] is False
    assert NOT_INSTALLED not in {backend for _, backend in timed}
    for name, spec in kernels.BACKENDS.items():
        assert catalogue["backends"][name]["installed"] is spec.installed
    assert catalogue["ops"][OP]["formula"] == "‖a‖² = Σᵢ aᵢ²"


def test_the_report_shows_a_registered_backend_and_op(result_file, tmp_path):
    # The report builder runs without the plugin: it knows both from the result file alone.
    out = tmp_path / "report"
    built = _run("-m", "reports", str(result_file), "--out", str(out))
    assert "wrote" in built.stdout
    with (report_files(out) / "table.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert {("dot", BACKEND), (OP, BACKEND), (OP, "numba")} <= {
        (row["op"], row["backend"]) for row in rows
    }
    assert (report_files(out) / "figures" / f"time-{OP}.png").exists()
    page = whole_report(out)
    assert "NumPy twin" in page
    assert OP in page
    assert f"| Absent engine | `{NOT_INSTALLED}` | a module that needs a library" in page
    assert "| not installed |" in page
    assert f"| NumPy twin | `{BACKEND}` | NumPy's module registered a second time" in page


def test_the_readings_and_the_summary_speak_of_a_registered_backend(result_file):
    """Every backend of the run is spoken of, not only the fastest: the registered one
    has its clause in its op's readings and its line in the summary."""
    run = read_results([result_file])  # without the plugin: from the file alone
    table = tidy_table(run)
    look = Style.of(run.catalogue)
    readings = op_readings(table, run, OP, look=look)
    (against,) = [text for text in readings if text.startswith("Against ")]
    assert against.startswith("Against NumPy at n = ")
    assert "NumPy twin, 1 thread" in against
    assert "Numba, 1 thread" in against  # and every other backend beside it
    assert "**NumPy twin, 1 thread** at the largest sizes" in summary_section(
        table, set(), look=look
    )
