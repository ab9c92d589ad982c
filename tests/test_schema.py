"""The result schema (``vbschema``): building its objects is checking the file, and
``dump`` gives the file back as it was read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reports.load import newest_result
from vbschema import SCHEMA, BeyondMemory, ResultFileError, RunFile

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = newest_result(ROOT / "reports" / "results")  # the committed full run


def test_the_committed_run_is_dumped_as_it_was_read():
    data = json.loads(COMMITTED.read_text())
    run = RunFile.load(COMMITTED)
    assert run.dump() == data
    assert run.suite.record["schema"] == SCHEMA
    measured = [e for e in data["benchmarks"] if e["extra_info"].get("kind", "steady") == "steady"]
    assert len(run.cases) == len(measured)
    assert len(run.not_run) == len(data["vectorbench_not_run"])
    assert len(run.jit) == len(data["vectorbench_jit"])
    first = run.cases[0]
    assert dict(first.sizes) == measured[0]["extra_info"]["sizes"]  # sizes stay structured
    assert first.stats.median == measured[0]["stats"]["median"]
    assert run.course is not None
    assert run.course.missing == ()


def test_a_run_of_the_dump_is_the_same_run(tmp_path):
    run = RunFile.load(COMMITTED)
    again = tmp_path / COMMITTED.name
    again.write_text(json.dumps(run.dump()), encoding="utf-8")
    assert RunFile.load(again).dump() == run.dump()


def test_the_schema_needs_the_standard_library_only():
    """The report's session installs no NumPy, Numba or JAX: the schema imports none."""
    code = (
        "import sys, vbschema, vbschema.run, vbschema.course, vbschema.beyond_memory; "
        "print(sorted(m for m in ('numpy', 'pandas', 'numba', 'jax', 'reports', 'bench') "
        "if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"


def test_a_bad_jit_entry_names_its_place(tmp_path):
    data = json.loads(COMMITTED.read_text())
    data["vectorbench_jit"][1]["warm_s"] = -1.0
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ResultFileError) as error:
        RunFile.load(path)
    assert str(error.value) == f"{path}: vectorbench_jit[1]: 'warm_s' must be positive, not -1.0"


def test_a_beyond_memory_record_that_is_not_json_is_one_line(tmp_path):
    path = tmp_path / "beyond-memory-vm-20260101-000000.json"
    path.write_text('{"kind": "vectorbench-beyond-memory", ', encoding="utf-8")
    with pytest.raises(ResultFileError) as error:
        BeyondMemory.load(path)
    assert str(error.value).startswith(f"{path}: ends in the middle of the JSON (truncated?)")


@pytest.mark.parametrize("kind", ["a named pipe", "/dev/zero"])
def test_a_file_that_is_not_a_regular_file_is_one_line_not_a_wait(kind, tmp_path):
    """Reading a named pipe waits for a writer forever, and /dev/zero never ends:
    refused from what the path is, before it is opened."""
    if kind == "a named pipe":
        path = tmp_path / "run.json"
        os.mkfifo(path)
    else:
        path = Path(kind)
    with pytest.raises(ResultFileError) as error:
        RunFile.load(path)
    assert str(error.value) == f"{path}: is not a regular file (a device, pipe or socket)"
