"""A pytest plugin for ``tests/test_bench_pipeline.py``: the load average is low until the
run's cases are collected and high after, as when a run's own threads load the cores."""

import os

QUIET, BUSY = (0.25, 0.5, 0.75), (9.0, 9.0, 9.0)
_collected = False


def getloadavg() -> tuple[float, float, float]:
    return BUSY if _collected else QUIET


os.getloadavg = getloadavg


def pytest_collection_finish(session) -> None:
    global _collected
    _collected = True
