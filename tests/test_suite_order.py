"""The order pytest-xdist's workers are handed the test files in (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from conftest import LONGEST_FIRST, pytest_collection_modifyitems

ROOT = Path(__file__).resolve().parent.parent


def test_the_longest_files_named_exist():
    # a file renamed or removed would silently lose its place at the front
    assert [name for name in LONGEST_FIRST if not (ROOT / name).is_file()] == []
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)


def test_workers_get_the_longest_files_first_each_in_its_own_order():
    names = [
        "tests/test_a.py::one", "tests/test_generated.py::x", "tests/test_a.py::two",
        "tests/test_reports.py::y", "tests/test_generated.py::z",
    ]  # fmt: skip
    items = [SimpleNamespace(nodeid=name, callspec=None) for name in names]
    worker = SimpleNamespace(workerinput={"workerid": "gw0"})
    pytest_collection_modifyitems(worker, items)
    assert [item.nodeid for item in items] == [
        "tests/test_generated.py::x", "tests/test_generated.py::z",
        "tests/test_reports.py::y", "tests/test_a.py::one", "tests/test_a.py::two",
    ]  # fmt: skip
    # without xdist (one process), the files keep pytest's order
    items = [SimpleNamespace(nodeid=name, callspec=None) for name in names]
    pytest_collection_modifyitems(SimpleNamespace(), items)
    assert [item.nodeid for item in items] == names
