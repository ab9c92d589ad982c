"""Run the benchmark suite and store its results safely: ``python -m bench.run [--quick]``.

pytest-benchmark writes its JSON to a hidden partial file in ``reports/results``; only
a run that finished is renamed to ``<machine>-<YYYYmmdd-HHMMSS>.json`` (the rename is
atomic, and an existing file is never replaced), so an interrupted run leaves nothing
half-written and no earlier result is lost. The course experiments are timed in the
same session and stored in the same file. Then the report is rebuilt from it. Other
arguments (``-k dot``, ``--budget 2``) go to pytest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from bench.machine import machine_slug

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "reports" / "results"

# pytest-benchmark's timing settings per ladder: at least 5 rounds, and about this many
# seconds of rounds per case (more rounds for fast kernels, never fewer than 5).
MAX_TIME_S = {"full": 0.25, "quick": 0.05}


def unique_path(directory: Path, stem: str) -> Path:
    """``stem.json`` in ``directory``, or ``stem-2.json`` … if that is taken."""
    candidate = directory / f"{stem}.json"
    counter = 2
    while candidate.exists():
        candidate = directory / f"{stem}-{counter}.json"
        counter += 1
    return candidate


def publish(partial: Path, final_stem: str) -> Path:
    """Move a finished partial file to its final, never-overwriting name."""
    target = unique_path(partial.parent, final_stem)
    # os.link fails if the target appeared meanwhile, so nothing is ever overwritten.
    os.link(partial, target)
    partial.unlink()
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced ladder: a few minutes")
    parser.add_argument("--no-report", action="store_true", help="only store the results")
    options, pytest_args = parser.parse_known_args(argv)  # the rest goes to pytest
    ladder = "quick" if options.quick else "full"

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    stem = f"{machine_slug()}-{stamp}"
    partial = RESULTS / f".partial-{stem}.json"
    command = [
        sys.executable, "-m", "pytest", "bench",
        f"--ladder={ladder}",
        f"--benchmark-json={partial}",
        "--benchmark-min-rounds=5",
        # A round of a sub-microsecond kernel loops it until the round lasts 100 µs:
        # over 1000 ticks of the timer, so its resolution does not distort the median.
        "--benchmark-min-time=0.0001",
        f"--benchmark-max-time={MAX_TIME_S[ladder]}",
        "--benchmark-sort=fullname",
        "--benchmark-columns=min,median,iqr,rounds",
        "-p", "no:cacheprovider",
        *pytest_args,
    ]  # fmt: skip
    print(f"bench: timing the {ladder} ladder; results go to {RESULTS.relative_to(ROOT)}/")
    try:
        status = subprocess.call(command, cwd=ROOT)
    except KeyboardInterrupt:
        status = 130
    if status != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        print(f"bench: pytest exited with {status}; no result file was written", file=sys.stderr)
        return status or 1
    result = publish(partial, stem)
    print(f"bench: results stored in {result.relative_to(ROOT)}")

    if options.no_report:
        return 0
    return subprocess.call([sys.executable, "-m", "reports", str(result)], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
