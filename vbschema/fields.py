"""Reading JSON and checking its values, each with its place in the file.

A value that is wrong raises ``ResultFileError`` with one line: the file, the place of the
value in it (``benchmarks[3] (test_dot[numba])``, ``vectorbench_jit[0]``) and what is wrong.
The schema's dataclasses are built through ``Where``: building one is checking it.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

GZIP_MAGIC = b"\x1f\x8b"
# Sizes, FLOPs and byte counts: exact in float64 (the figures' axes) and in int64 (the
# table's columns). 2**53 elements is 72 PB of float64: no run measures more.
MAX_COUNT = 2**53
_LARGEST_FLOAT = int(sys.float_info.max)


class ResultFileError(Exception):
    """A file the report cannot be built from; ``str(error)`` is the one-line message."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


def magnitude(value: int) -> str:
    """A huge integer, shown without converting it to a float (which would overflow)."""
    if abs(value) <= _LARGEST_FLOAT:
        return f"{float(value):.3g}"
    return f"about 2^{value.bit_length()}"


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Where:
    """A place in a file: ``fail`` names both; the other methods check one value there."""

    path: Path
    place: str

    def at(self, place: str) -> Where:
        return Where(self.path, place)

    def fail(self, problem: str) -> NoReturn:
        raise ResultFileError(self.path, f"{self.place}: {problem}" if self.place else problem)

    def object(self, value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(f"{what} must be an object, not {kind(value)}")
        return value

    def list(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            self.fail(f"must be a list, not {kind(value)}")
        return value

    def string(self, obj: dict[str, Any], key: str) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or not value:
            self.fail(f"{key!r} must be a non-empty string, not {kind(value)}")
        return value

    def integer(self, obj: dict[str, Any], key: str, minimum: int) -> int:
        value = obj.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{key!r} must be an integer, not {kind(value)}")
        if value < minimum:
            self.fail(f"{key!r} must be at least {minimum}, not {value}")
        if value > MAX_COUNT:  # the table holds counts as int64, figures as float64
            self.fail(f"{key!r} is {magnitude(value)}, more than the largest count {MAX_COUNT}")
        return value

    def number(self, obj: dict[str, Any], key: str, *, positive: bool = False) -> float:
        value = obj.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{key!r} must be a number, not {kind(value)}")
        if isinstance(value, int) and abs(value) > _LARGEST_FLOAT:  # JSON integers have no limit
            self.fail(f"{key!r} is {magnitude(value)}, beyond the range of a float")
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            need = "positive" if positive else "finite and non-negative"
            self.fail(f"{key!r} must be {need}, not {value}")
        return float(value)

    def optional_number(self, obj: dict[str, Any], key: str) -> float | None:
        return None if obj.get(key) is None else self.number(obj, key, positive=True)

    def known(self, obj: dict[str, Any], key: str, names: tuple[str, ...]) -> str:
        value = self.string(obj, key)
        if value not in names:
            self.fail(f"{key!r} is {value!r}, not one of {', '.join(names)}")
        return value

    def sizes(self, obj: dict[str, Any]) -> dict[str, int]:
        sizes = obj.get("sizes")
        if not isinstance(sizes, dict) or not sizes:
            self.fail(f"'sizes' must be an object such as {{'n': 1000}}, not {kind(sizes)}")
        for name in sizes:
            self.integer(sizes, name, minimum=1)
        elements = math.prod(int(value) for value in sizes.values())
        if elements > MAX_COUNT:
            self.fail(f"'sizes' make {magnitude(elements)} elements, more than {MAX_COUNT}")
        return {name: int(value) for name, value in sizes.items()}

    def ordered(self, stats: dict[str, float]) -> None:
        """min <= q1 <= median <= q3 <= max, and the mean within [min, max]."""
        for low, high in itertools.pairwise(("min", "q1", "median", "q3", "max")):
            if stats[low] > stats[high]:
                self.fail(
                    f"'stats': {low!r} ({stats[low]:.6g}) is above {high!r} ({stats[high]:.6g})"
                )
        if not stats["min"] <= stats["mean"] <= stats["max"]:
            self.fail(f"'stats': 'mean' ({stats['mean']:.6g}) is outside ['min', 'max']")


class FromFile:
    """A kind of file: ``load(path)`` reads its JSON and builds it with ``parse``."""

    @classmethod
    def load(cls, path: Path | str) -> Any:
        path = Path(path)
        return cls.parse(path, read_json(path))  # type: ignore[attr-defined]


def read_json(path: Path) -> Any:
    """The JSON document in ``path`` (gzip-compressed or not), or one line saying why not."""
    if path.exists() and not (path.is_file() or path.is_dir()):
        # a named pipe would wait for a writer forever, /dev/zero never ends
        raise ResultFileError(path, "is not a regular file (a device, pipe or socket)")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ResultFileError(path, "no such file") from None
    except IsADirectoryError:
        raise ResultFileError(path, "is a directory, not a result file") from None
    except OSError as error:
        raise ResultFileError(path, f"cannot be read: {error.strerror}") from None
    if raw[:2] == GZIP_MAGIC:  # a result file stored compressed (``gzip -n FILE``)
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error):
            raise ResultFileError(path, "is a gzip file that ends early or is damaged") from None
    if not raw.strip():
        raise ResultFileError(path, "is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ResultFileError(path, "is not text (not UTF-8): not a JSON result file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        document = text.strip()
        unclosed = document[:1] in "{[" and document[-1:] not in "}]"
        truncated = unclosed or error.pos >= len(document) - 1
        what = "ends in the middle of the JSON (truncated?)" if truncated else "is not valid JSON"
        place = f"line {error.lineno} column {error.colno}"
        raise ResultFileError(path, f"{what}: {error.msg} at {place}") from None
