"""A pytest plugin for ``tests/test_bench_pipeline.py``: every compiled loop and engine
counts as slower than the reference, surprisingly, and the smoke ladder gets time to
retime them side by side (``bench/conftest.py``, ``retime_side_by_side``)."""

from bench import sampling

sampling.SIDE_BY_SIDE_S = {**sampling.SIDE_BY_SIDE_S, "smoke": 60.0}
sampling.slower_apart = lambda times, reference: True
sampling.surprising = lambda info: True
