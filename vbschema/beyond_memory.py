"""The record of ``python -m bench.beyond_memory``: training on data larger than a memory
limit, stored as ``beyond-memory-<machine>-<YYYYmmdd-HHMMSS>.json`` and named to the report
(``python -m reports --beyond-memory FILE``). ``BeyondMemory.load`` is its check."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vbschema.fields import FromFile, ResultFileError

KIND = "vectorbench-beyond-memory"  # the record's "kind"
SCHEMA = 1
PREFIX = "beyond-memory-"  # its file name's start: not a benchmark run

# Every number the report states of the record, by its place in it.
NUMBERS = (
    "data.X_bytes", "data.y_bytes", "data.rows", "data.features", "data.blocks",
    "data.block_bytes", "memory.limit_bytes", "memory.peak_rss_bytes",
    "training.median_epoch_s", "throughput.GBps", "scheduler.threads",
    "scheduler.workers", "check.rtol", "check.max_relative_difference",
)  # fmt: skip
LISTS = ("training.epoch_seconds", "training.costs")
SOURCES = ("generated", "files")  # where the blocks of X came from


@dataclass(frozen=True)
class BeyondMemory(FromFile):
    """A beyond-memory record, checked: ``record`` as ``bench/beyond_memory.py`` wrote it."""

    path: Path
    record: Mapping[str, Any]

    @classmethod
    def parse(cls, path: Path, record: Any) -> BeyondMemory:
        if not isinstance(record, dict) or record.get("kind") != KIND:
            raise ResultFileError(path, f"is not a beyond-memory record (kind {KIND!r})")
        if record.get("schema") != SCHEMA:
            raise ResultFileError(
                path, f"schema {record.get('schema')!r}; this builder reads {SCHEMA}"
            )
        for place in NUMBERS:
            value = _field(record, place, path)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ResultFileError(path, f"{place} is not a number")
            if not (math.isfinite(value) and value >= 0):
                raise ResultFileError(path, f"{place} is {value!r}, not a finite number >= 0")
        for place in LISTS:
            values = _field(record, place, path)
            if not isinstance(values, list) or not values:
                raise ResultFileError(path, f"{place} is not a list of numbers")
        if record["data"].get("source") not in SOURCES:
            raise ResultFileError(path, "data.source is neither generated nor files")
        return cls(path, record)

    def dump(self) -> dict[str, Any]:
        return dict(self.record)


def _field(record: dict, place: str, path: Path) -> Any:
    value: Any = record
    for key in place.split("."):
        if not isinstance(value, dict) or key not in value:
            raise ResultFileError(path, f"{place} is missing")
        value = value[key]
    return value
