"""Writing a report only once all of it is built, and switching to it in one step.

The build writes into a fresh staging directory inside the target (``.tmp-report-…``,
ignored by git). Then the files the page links to move into a versioned directory,
``<target>/report-<time>-<random>/``, the page's links point there (relative, so the page
works in a checkout, on GitHub and in ``reports/local/``), and one ``os.replace`` of
``README.md`` is the switch: a reader sees the old report or the new one, never a mix.
Earlier versioned directories are removed only after the switch; builds finishing at once
take turns on a lock of the target.

A build holds a lock on a file in its staging directory while it lives, so a later build
removes only the staging directories of killed builds (SIGKILL, power loss); process ids
are not used, as a build in another PID namespace (a container sharing the directory)
would reuse them. A failure before the switch removes the stage and leaves the old report.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PAGE = "README.md"
_STAGE_PREFIX = ".tmp-report-"
_STAGE_LOCK = ".lock"  # held by the live build, inside its staging directory
# Staging directories of older versions name a process id and hold no lock file: they are
# judged as before, by that process, or by age when they name none.
_BUILDER = re.compile(r"^\.tmp-report-pid(\d+)-")
_UNNAMED_BUILDER_STALE_S = 3600
VERSION = re.compile(r"^report-\d{8}-\d{6}-[0-9a-f]{8}$")
# A link of the page to a file beside it: ](target) or ](target#anchor), not a URL.
_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#|/)([^)#\s]+)")


@contextlib.contextmanager
def staged_output(target: Path) -> Iterator[Path]:
    """Yield an empty staging directory, to be written as if it were ``target``; on success
    switch ``target`` over to it. An ``OSError`` names ``target``, never the stage."""
    try:
        target.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file (or a link to one) stands where the directory should
        raise NotADirectoryError(errno.ENOTDIR, "is a file, not a directory", str(target)) from None
    except OSError as error:
        raise _about(target, "cannot create the output directory", error) from None
    remove_stale_stages(target)
    try:
        stage = Path(tempfile.mkdtemp(prefix=_STAGE_PREFIX, dir=target))
    except OSError as error:
        raise _about(target, "cannot write the report here", error) from None
    try:
        with locked(stage / _STAGE_LOCK, create=True):
            yield stage
            _switch(stage, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _about(target: Path, what: str, error: OSError) -> OSError:
    return type(error)(error.errno, f"{what}: {error.strerror}", str(target))


@contextlib.contextmanager
def locked(path: Path, *, create: bool = False, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (a file, or a directory to lock it whole).

    Without ``wait``, raise ``BlockingIOError`` if another holds it. With ``create``, a
    missing ``path`` appears already locked (locked under another name, then linked), so
    no other process finds it unlocked in between and judges its owner gone."""
    descriptor = _created_locked(path) if create else os.open(path, os.O_RDONLY)
    try:
        if not create:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _created_locked(path: Path) -> int:
    """A descriptor of ``path`` with an exclusive lock on it, the file created if missing."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o644)  # mkstemp's 0600 would keep other users from testing it
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            os.link(temporary, path)
        except FileExistsError:  # someone else's: wait for its lock, as without create
            os.close(descriptor)
            descriptor = -1  # closed: not closed again below if the open fails
            descriptor = os.open(path, os.O_RDONLY)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        if descriptor >= 0:
            os.close(descriptor)
        raise
    finally:
        os.unlink(temporary)
    return descriptor


def is_stale(path: Path, owner: re.Pattern, unnamed_after_s: float) -> bool:
    """Whether a temporary file or directory was left by a writer that is gone: the one
    whose process id ``owner`` finds in its name, or, in names without one (older
    versions), whatever was last touched more than ``unnamed_after_s`` seconds ago."""
    match = owner.search(path.name)
    try:
        if match:
            os.kill(int(match.group(1)), 0)
            return False
        return time.time() - path.stat().st_mtime > unnamed_after_s
    except ProcessLookupError:  # no such process
        return True
    except OSError:  # PermissionError: someone else's process, alive; or the path is gone
        return False


def remove_stale_stages(target: Path) -> None:
    """Remove staging directories whose builder is gone."""
    try:
        stages = [path for path in target.iterdir() if path.name.startswith(_STAGE_PREFIX)]
    except OSError:
        return
    for stage in stages:
        lock = stage / _STAGE_LOCK
        if not lock.is_file():  # an older version's, or one a moment old, not locked yet
            if is_stale(stage, _BUILDER, _UNNAMED_BUILDER_STALE_S):
                shutil.rmtree(stage, ignore_errors=True)
            continue
        # BlockingIOError: its build is alive; another OSError: it is gone already
        with contextlib.suppress(OSError), locked(lock, wait=False):
            shutil.rmtree(stage, ignore_errors=True)


def _switch(stage: Path, target: Path) -> None:
    """Move the staged report into ``target``; replacing ``README.md`` is the switch."""
    linked = [path for path in stage.iterdir() if path.name not in (PAGE, _STAGE_LOCK)]
    page = stage / PAGE
    version = None
    if linked:
        version = f"report-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{os.urandom(4).hex()}"
        (stage / version).mkdir()
        for path in linked:
            path.rename(stage / version / path.name)
        for detail in (stage / version).glob("*.md"):  # pages linking back to the page
            detail.write_text(_up_to_page(detail.read_text(encoding="utf-8")), "utf-8")
        if page.exists():
            page.write_text(_relinked(page.read_text(encoding="utf-8"), stage, version), "utf-8")
    with locked(target):
        if version is not None:
            (stage / version).rename(target / version)
        if page.exists():
            os.replace(page, target / PAGE)
        _remove_superseded(target, version, [path.name for path in linked])


def _up_to_page(text: str) -> str:
    """A page moved into the versioned directory, its links to ``README.md`` one level up."""
    return re.sub(rf"\]\({re.escape(PAGE)}(?=[#)])", f"](../{PAGE}", text)


def _relinked(text: str, stage: Path, version: str) -> str:
    """The page with its links to the report's own files pointed into ``version/``."""

    def relink(match: re.Match) -> str:
        link = match.group(1)
        inside = ".." not in link.split("/") and (stage / version / link).exists()
        return f"]({version}/{link}" if inside else match.group(0)

    return _LINK.sub(relink, text)


def _remove_superseded(target: Path, version: str | None, names: list[str]) -> None:
    """Remove earlier reports' versioned directories, and the files an older layout kept
    beside the page (``figures/``, ``table.csv``, …) under the names now versioned."""
    for path in target.iterdir():
        if (VERSION.match(path.name) and path.name != version) or path.name in names:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def report_files(target: Path) -> Path:
    """The directory of the files the page in ``target`` links to: the versioned directory
    its links name, or ``target`` for a report of the older layout."""
    page = (target / PAGE).read_text(encoding="utf-8")
    for link in _LINK.findall(page):
        head = link.split("/", 1)[0]
        if VERSION.match(head):
            return target / head
    versions = [path for path in target.iterdir() if VERSION.match(path.name)]
    return versions[0] if len(versions) == 1 else target
