"""How backends and ops look in every figure and table: names, colours, line styles, order.

One place, so a backend has the same colour in every figure and the same name in every
sentence. It also names every op, backend and dtype this builder knows: ``reports.load``
refuses a result file with any other (a typo or a newer suite would otherwise be drawn
and described with nothing known about it).
"""

from __future__ import annotations

OPS = (
    "dot",
    "logistic_forward",
    "logistic_cost",
    "logistic_backward",
    "logistic_gradient",
    "adaline_gd_epoch",
    "adaline_sgd_epoch",
    "perceptron_epoch",
)
BACKENDS = ("python", "numpy", "numba", "numba_parallel")
DTYPES = ("float64", "float32")

COLOURS = {
    "python": "#d62728",
    "numpy": "#1f77b4",
    "numba": "#2ca02c",
    "numba_parallel": "#9467bd",
}
# For backends not in COLOURS: further tab10 colours, none of them already taken.
_SPARE_COLOURS = ("#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")

LABELS = {
    "python": "Python loop",
    "numpy": "NumPy",
    "numba": "Numba",
    "numba_parallel": "Numba parallel",
}

# Solid: the backend at its largest thread count (all cores); dashed: one thread;
# dotted: anything in between.
SOLID, DASHED, DOTTED = "-", "--", ":"


def colour(backend: str) -> str:
    if backend in COLOURS:
        return COLOURS[backend]
    return _SPARE_COLOURS[sum(map(ord, backend)) % len(_SPARE_COLOURS)]


def label(backend: str) -> str:
    return LABELS.get(backend, backend)


def threads_label(threads: int) -> str:
    return f"{threads} thread" if threads == 1 else f"{threads} threads"


def series_label(backend: str, threads: int) -> str:
    return f"{label(backend)}, {threads_label(threads)}"


def linestyle(threads: int, thread_counts: set[int] | frozenset[int]) -> str:
    """Line style of one backend's series, given the thread counts that backend ran with."""
    if threads == max(thread_counts):
        return SOLID
    return DASHED if threads == 1 else DOTTED


def _rank(order: tuple[str, ...], name: str) -> tuple[int, str]:
    return (order.index(name), "") if name in order else (len(order), name)


def op_rank(op: str) -> tuple[int, str]:
    return _rank(OPS, op)


def backend_rank(backend: str) -> tuple[int, str]:
    return _rank(BACKENDS, backend)


def dtype_rank(dtype: str) -> tuple[int, str]:
    return _rank(DTYPES, dtype)
