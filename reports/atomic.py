"""Writing a report only once all of it has been built.

Everything is built in a fresh directory inside the target (``<target>/.tmp-…``, ignored
by git) and moved into place only when all of it exists. The move is not one atomic
step: the figures directory is swapped in whole (renamed over the old one), then the
files are replaced one by one with ``os.replace``, ``README.md`` last, so the page never
points at figures that are not there yet — though for a moment the new figures may sit
beside the old tables. If anything fails before the move, the staging directory is
removed and the previous report is untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_LAST = "README.md"


@contextmanager
def staged_output(target: Path) -> Iterator[Path]:
    """Yield an empty staging directory; on success move its entries into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".tmp-report-", dir=target))
    try:
        yield stage
        _move_into_place(stage, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _move_into_place(stage: Path, target: Path) -> None:
    entries = sorted(stage.iterdir(), key=lambda path: (path.name == _LAST, path.is_file()))
    for entry in entries:
        destination = target / entry.name
        if entry.is_dir() and destination.exists():
            previous = stage / f".previous-{entry.name}"
            destination.rename(previous)
            try:
                entry.rename(destination)
            except OSError:
                previous.rename(destination)
                raise
        else:
            os.replace(entry, destination)
