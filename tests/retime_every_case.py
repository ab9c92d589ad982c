"""A pytest plugin for ``tests/test_bench_pipeline.py``: every case counts as unsure and
the smoke ladder gets time for second attempts, so that a run takes them
(``bench/conftest.py``, ``retime_unsure``)."""

from bench import sampling

sampling.RETIME_S = {**sampling.RETIME_S, "smoke": 60.0}
sampling.unsure = lambda times: True
