"""Writing a report only once all of it has been built.

Everything is built in a fresh directory inside the target (``<target>/.tmp-…``, ignored
by git) and moved into place only when all of it exists; one left behind by a build that
was killed is removed by the next build. The move is not one atomic
step: the figures directory is swapped in whole (renamed over the old one), then the
files are replaced one by one with ``os.replace``, ``README.md`` last, so the page never
points at figures that are not there yet — though for a moment the new figures may sit
beside the old tables. If anything fails before the move, the staging directory is
removed and the previous report is untouched.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_LAST = "README.md"
_STAGE_PREFIX = ".tmp-report-"
# A staging directory names the process building it, so a later build can tell one in
# use from one left by a build killed before it could clean up (SIGKILL, power loss).
_BUILDER = re.compile(r"^\.tmp-report-pid(\d+)-")
_UNNAMED_BUILDER_STALE_S = 3600  # staging directories of older versions carry no pid


@contextmanager
def staged_output(target: Path) -> Iterator[Path]:
    """Yield an empty staging directory; on success move its entries into ``target``.

    An ``OSError`` about the output names ``target``, the directory the user gave,
    never the staging directory inside it.
    """
    try:
        target.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file (or a link to one) stands where the directory should
        raise NotADirectoryError(errno.ENOTDIR, "is a file, not a directory", str(target)) from None
    except OSError as error:
        raise _about(target, "cannot create the output directory", error) from None
    remove_stale_stages(target)
    try:
        stage = Path(tempfile.mkdtemp(prefix=f"{_STAGE_PREFIX}pid{os.getpid()}-", dir=target))
    except OSError as error:
        raise _about(target, "cannot write the report here", error) from None
    try:
        yield stage
        _move_into_place(stage, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _about(target: Path, what: str, error: OSError) -> OSError:
    return type(error)(error.errno, f"{what}: {error.strerror}", str(target))


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def is_stale(path: Path, owner: re.Pattern, unnamed_after_s: float) -> bool:
    """Whether a temporary file or directory was left by a writer that is gone: the one
    whose process id ``owner`` finds in its name, or, in names without one (older
    versions), whatever was last touched more than ``unnamed_after_s`` seconds ago."""
    match = owner.search(path.name)
    if match:
        return not _is_alive(int(match.group(1)))
    try:
        return time.time() - path.stat().st_mtime > unnamed_after_s
    except OSError:
        return False


def remove_stale_stages(target: Path) -> None:
    """Remove staging directories whose builder is gone."""
    try:
        stages = [path for path in target.iterdir() if path.name.startswith(_STAGE_PREFIX)]
    except OSError:
        return
    for stage in stages:
        if is_stale(stage, _BUILDER, _UNNAMED_BUILDER_STALE_S):
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
