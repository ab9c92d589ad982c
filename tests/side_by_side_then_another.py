"""A pytest plugin for ``tests/test_bench_pipeline.py``: at first only Numba's one-thread
loop counts as slower than the reference; once NumPy's case has been timed again, Dask's
does too, as when the reference's new attempt is faster (``bench/conftest.py``,
``retime_side_by_side``)."""

from bench import conftest, sampling

sampling.SIDE_BY_SIDE_S = {**sampling.SIDE_BY_SIDE_S, "smoke": 60.0}
sampling.slower_apart = lambda times, reference: True
sampling.surprising = lambda info: True
_found_by = conftest.side_by_side_groups
_calls = []


def _groups(cases):
    _calls.append(None)
    keep = ("numba",) if len(_calls) == 1 else ("numba", "dask")
    found = [
        (base, [case for case in slower if case.extra_info["backend"] in keep])
        for base, slower in _found_by(cases)
    ]
    return [(base, slower) for base, slower in found if slower]


conftest.side_by_side_groups = _groups
