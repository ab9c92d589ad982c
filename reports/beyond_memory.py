"""The section "When the data outgrows the machine", from the ``bench.beyond_memory``
record named on the command line (``--beyond-memory RECORD``), never one found by looking
around; without one it says how to make one. An unreadable record stops the builder with
one line naming the file and the field, as a malformed result file does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reports import rules
from reports.markup import md_table
from reports.templating import render
from vbschema import BeyondMemory

COMMAND = "python -m bench.beyond_memory --gigabytes 8 --epochs 3"


def _gb(count: float) -> str:
    return f"{count / 1e9:.3g} GB"


def findings(record: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """What the section says, decided here; the wording is the template's."""
    data, memory, training = record["data"], record["memory"], record["training"]
    throughput, scheduler, check = record["throughput"], record["scheduler"], record["check"]
    workers = memory.get("workers_peak_rss_bytes") or {}
    held = max([memory["peak_rss_bytes"], *workers.values()])
    rows = [
        ["size of X", f"{_gb(data['X_bytes'])}: {data['rows']:,} × {data['features']} float64"
         f" (and y, {_gb(data['y_bytes'])}), {data['source']}"],
        ["blocks", f"{data['blocks']:,} of {data['block_bytes'] / 2**20:.3g} MiB"],
        ["memory limit", _gb(memory["limit_bytes"])],
        ["peak resident memory", f"{_gb(memory['peak_rss_bytes'])} (this process, "
         f"{memory['peak_rss_bytes'] / data['X_bytes']:.1%} of X)"],
    ]  # fmt: skip
    if workers:
        peaks = ", ".join(_gb(value) for value in workers.values())
        rows.append(["peak resident memory of the workers", peaks])
    seconds = ", ".join(f"{value:.3g} s" for value in training["epoch_seconds"])
    rows.append(["time per epoch", f"{training['median_epoch_s']:.3g} s median ({seconds})"])
    rows.append(["throughput", f"{throughput['GBps']:.3g} GB/s of X and y per epoch"])
    if throughput.get("read_GBps"):
        read = (
            f"{throughput['read_GBps']:.3g} GB/s with {throughput['read_GBps_threads']} "
            f"threads ({throughput.get('read_GBps_source')}): the run reached "
            f"{throughput['share_of_read']:.1%} of it"
        )
        rows.append(["measured read bandwidth", read])
    blas = scheduler.get("blas_threads_per_task", "?")
    rows.append(
        [
            "scheduler",
            f"{scheduler['scheduler']}: {scheduler['workers']} worker(s), "
            f"{scheduler['threads']} threads, BLAS at {blas} thread per task",
        ]
    )
    rows.append(["cost per epoch", ", ".join(f"{cost:.4f}" for cost in training["costs"])])
    load = (record.get("system") or {}).get("load_average")
    others = (record.get("system") or {}).get("running_others")
    if load:
        rows.append(["load average at the start", ", ".join(f"{value:g}" for value in load)])
    if others is not None:
        rows.append(["other threads running at the start (mean)", f"{others:g}"])
    return {
        # More runnable programs than the run's threads: others competed for the cores,
        # unless, counted when it started, none ran then (the load of a program just ended)
        "busy": bool(load)
        and load[0] >= scheduler["threads"]
        and (others is None or others >= rules.RUNNING_OTHERS_BUSY),
        "load": f"{load[0]:g}" if load else None,
        "threads": scheduler["threads"],
        "source": path.name,
        "generated": data["source"] == "generated",
        "x": _gb(data["X_bytes"]),
        "limit": _gb(memory["limit_bytes"]),
        "held": _gb(held),
        "within_limit": held < memory["limit_bytes"],
        "times_smaller": data["X_bytes"] / held,
        "epochs": training["epochs"],
        "blocks": f"{data['blocks']:,}",
        "block": f"{data['block_bytes'] / 2**20:.3g} MiB",
        "cost_decreased": bool(training.get("cost_decreased")),
        "check": check,
        "difference": f"{check['max_relative_difference']:.2g}",
        "rtol": f"{check['rtol']:.2g}",
        "share": throughput.get("share_of_read"),
        "table": md_table(["", ""], rows),
        "command": " ".join(record.get("command") or [COMMAND]),
    }


def beyond_memory_section(path: Path | None) -> str:
    """The section, from the record at ``path``, or how to make one (``path`` None)."""
    if path is None:
        return render("beyond_memory.md.j2", run=None, command=COMMAND)
    record = BeyondMemory.load(path).record
    return render("beyond_memory.md.j2", run=findings(record, path), command=COMMAND)
