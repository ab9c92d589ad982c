"""How backends and ops look in every figure and table: names, colours, line styles, order.

The names, labels, colours and order come from the catalogue a result file carries
(``machine_info.vectorbench.catalogue``, written from ``kernels.OPS`` and
``kernels.BACKENDS``): ``reports.load`` reads it and calls ``use``, so this module keeps
no list of ops or backends of its own, and a result file from a future version with more
backends is drawn with their own labels and colours. One place, so a backend has the
same colour in every figure and the same name in every sentence.
"""

from __future__ import annotations

from collections.abc import Mapping

from vbschema.run import DTYPES, ROLES, threads_label

__all__ = ["DTYPES", "ROLES", "threads_label"]

# The catalogue in use: op name → its description, backend name → its description
# (label, colour, ...), in the catalogue's order. Iterating either gives the names.
OPS: dict[str, dict] = {}
BACKENDS: dict[str, dict] = {}

# For backends that bring no colour: further tab10 colours, none of them already taken.
_SPARE_COLOURS = ("#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")


def use(catalogue: Mapping[str, Mapping[str, dict]]) -> None:
    """Describe ops and backends as ``catalogue`` does (``{"ops": …, "backends": …}``)."""
    OPS.clear()
    OPS.update(catalogue["ops"])
    BACKENDS.clear()
    BACKENDS.update(catalogue["backends"])


use({"ops": {}, "backends": {}})  # until a result file is read


# A backend's part in the lesson, as the catalogue says (``vbschema.run.ROLES``): the
# report finds the loop, the reference and the others by role, and names no backend itself.
LOOP, REFERENCE, COMPILED, COMPILED_PARALLEL, ENGINE, VARIANT = ROLES


Catalogue = Mapping[str, Mapping[str, dict]]


def role(backend: str, catalogue: Catalogue | None = None) -> str:
    """``backend``'s role in ``catalogue`` (a run's own), or in the catalogue in use."""
    return (catalogue or {"backends": BACKENDS})["backends"].get(backend, {}).get("role", ENGINE)


def with_role(part: str, catalogue: Catalogue | None = None) -> list[str]:
    """The backends of ``part``, in the catalogue's order."""
    backends = (catalogue or {"backends": BACKENDS})["backends"]
    return [name for name in backends if role(name, catalogue) == part]


def the(part: str, catalogue: Catalogue | None = None) -> str:
    """The first backend of ``part`` ("the loop", "the reference"), or "" if the catalogue
    has none: a name no case has, so its cases are simply not found."""
    return next(iter(with_role(part, catalogue)), "")


def lesson_op(catalogue: Catalogue | None = None) -> str:
    """The slides' first example, which the report opens with, or "" if none is marked."""
    ops = (catalogue or {"ops": OPS})["ops"]
    return next((name for name, op in ops.items() if op.get("lesson")), "")


def colour(backend: str) -> str:
    given = BACKENDS.get(backend, {}).get("colour")
    if given:
        return given
    return _SPARE_COLOURS[sum(map(ord, backend)) % len(_SPARE_COLOURS)]


def label(backend: str) -> str:
    return BACKENDS.get(backend, {}).get("label") or backend


def in_lesson(backend: str) -> bool:
    """Whether the lesson's run times ``backend`` (not so the BLAS ladder's steps, which
    only the full run times: ``in_lesson`` false in the catalogue)."""
    return BACKENDS.get(backend, {}).get("in_lesson", True) is not False


def implements(backend: str, op: str) -> bool:
    """Whether the catalogue's ``backend`` has a kernel of ``op``: a backend of a few ops
    (``"ops"``, the BLAS ladder's steps) does not have the others; files written before
    the field have every backend implement every op."""
    ops = BACKENDS.get(backend, {}).get("ops")
    return ops is None or op in ops


# Solid: the backend at its largest thread count (all cores); dashed: one thread;
# dotted: anything in between.
SOLID, DASHED, DOTTED = "-", "--", ":"


def series_label(backend: str, threads: int) -> str:
    return f"{label(backend)}, {threads_label(threads)}"


def linestyle(threads: int, thread_counts: set[int] | frozenset[int]) -> str:
    """Line style of one backend's series, given the thread counts that backend ran with."""
    if threads == max(thread_counts):
        return SOLID
    return DASHED if threads == 1 else DOTTED


def _rank(order, name: str) -> tuple[int, str]:
    order = list(order)
    return (order.index(name), "") if name in order else (len(order), name)


def op_rank(op: str) -> tuple[int, str]:
    return _rank(OPS, op)


def backend_rank(backend: str) -> tuple[int, str]:
    return _rank(BACKENDS, backend)


def dtype_rank(dtype: str) -> tuple[int, str]:
    return _rank(DTYPES, dtype)
