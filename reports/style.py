"""How backends and ops look in every figure and table: names, colours, line styles, order.

They come from the catalogue a result file carries, as a ``Style`` built per run
(``Style.of``): no list of ops or backends is kept here, so a file from a future version is
drawn with its new backends' own labels and colours, and runs read side by side each keep theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

# The schema's names, re-exported for the report's modules that style by them.
from vbschema.run import DTYPES as DTYPES
from vbschema.run import ROLES as ROLES
from vbschema.run import threads_label as threads_label

# Spare tab10 colours for backends that bring none, picked by the name's letters (``hash``
# changes per process).
_SPARE_COLOURS = ("#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")

# A backend's part in the lesson: the report finds backends by role and names none itself.
LOOP, REFERENCE, COMPILED, COMPILED_PARALLEL, ENGINE, VARIANT = ROLES


def limit_threads_label(key: str) -> str:
    """A measured limit's thread key (``"1"``, ``"2"``, ``"<all>"``) in words."""
    return threads_label(int(key)) if key.isdigit() else key.strip("<>")


@dataclass(frozen=True, eq=False)
class Style:
    """One catalogue's ops and backends, name → description (label, colour, role, …), in order."""

    ops: Mapping[str, Mapping[str, Any]]
    backends: Mapping[str, Mapping[str, Any]]

    @classmethod
    def of(cls, catalogue: Mapping[str, Mapping[str, dict]]) -> Style:
        """The style of ``catalogue`` (``{"ops": …, "backends": …}``, a run's own)."""
        return cls(
            MappingProxyType(dict(catalogue.get("ops", {}))),
            MappingProxyType(dict(catalogue.get("backends", {}))),
        )

    def field(self, backend: str, name: str, default: Any = None) -> Any:
        """A field of ``backend``'s description (``how``, ``variant_of``, …)."""
        return self.backends.get(backend, {}).get(name, default)

    def role(self, backend: str) -> str:
        """``backend``'s part in the lesson; one the catalogue does not know is an engine."""
        return self.field(backend, "role", ENGINE)

    def with_role(self, part: str) -> list[str]:
        """The backends of ``part``, in the catalogue's order."""
        return [name for name in self.backends if self.role(name) == part]

    def the(self, part: str) -> str:
        """The first backend of ``part``, or "": a name no case has, so none is found."""
        return next(iter(self.with_role(part)), "")

    def name(self, part: str) -> str:
        """The label of ``part``'s first backend: what the page calls the loop, the reference…"""
        return self.label(self.the(part))

    def lesson_op(self) -> str:
        """The slides' first example, which the report opens with, or "" if none is marked."""
        return next((name for name, op in self.ops.items() if op.get("lesson")), "")

    def colour(self, backend: str) -> str:
        spare = _SPARE_COLOURS[sum(map(ord, backend)) % len(_SPARE_COLOURS)]
        return self.field(backend, "colour") or spare

    def label(self, backend: str) -> str:
        return self.field(backend, "label") or backend

    def series_label(self, backend: str, threads: int) -> str:
        return f"{self.label(backend)}, {threads_label(threads)}"

    def in_lesson(self, backend: str) -> bool:
        """Whether the lesson's run times ``backend`` (the BLAS ladder's steps it does not)."""
        return self.field(backend, "in_lesson", True) is not False

    def implements(self, backend: str, op: str) -> bool:
        """Whether ``backend`` has a kernel of ``op``: every op, unless it lists its ``"ops"``."""
        ops = self.field(backend, "ops")
        return ops is None or op in ops

    def op_rank(self, op: str) -> tuple[int, str]:
        return _rank(self.ops, op)

    def backend_rank(self, backend: str) -> tuple[int, str]:
        return _rank(self.backends, backend)


SOLID, DASHED, DOTTED = "-", "--", ":"


def linestyle(threads: int, thread_counts: set[int] | frozenset[int]) -> str:
    """Solid at the backend's most threads, dashed at one, dotted between."""
    if threads == max(thread_counts):
        return SOLID
    return DASHED if threads == 1 else DOTTED


def _rank(order, name: str) -> tuple[int, str]:
    order = list(order)
    return (order.index(name), "") if name in order else (len(order), name)


def dtype_rank(dtype: str) -> tuple[int, str]:
    return _rank(DTYPES, dtype)
