"""Train logistic regression on an X larger than a memory limit: ``python -m bench.beyond_memory``.

    python -m bench.beyond_memory --gigabytes 8 --epochs 3              # generated blocks
    python -m bench.beyond_memory --gigabytes 2 --memory-limit 1 --from-files DIR
    python -m bench.beyond_memory --scheduler local                     # a cluster here
    python -m bench.beyond_memory --scheduler tcp://HOST:8786           # a running cluster

X (float64, ``--features`` columns) is made block by block from a seed, or read block by
block from ``.npy`` files (``bench.out_of_core``): it never exists whole. Training is
``kernels.train.logistic_regression`` on the dask backend, one trainer call per epoch
(one ``logistic_gradient`` op: every block of X made or read, its partial gradient
computed, the partial gradients added), so each epoch is timed on its own. Before it, the
same training runs on a small problem twice — lazily on the same scheduler and in memory
with the NumPy backend — and the two must agree within ``kernels.train.agreement_rtol``.

Measured: the peak resident memory of this process (``getrusage``: the most it ever held)
and, on a ``dask.distributed`` cluster, of each worker; the time of each epoch; the
throughput (bytes of X and y per epoch over the median epoch time) against the machine's
read bandwidth, from the newest benchmark result file of this machine
(``machine_info.vectorbench.limits``) or, without one, measured now by ``bench.limits``
in a separate process. The run passes when the peak stays under ``--memory-limit``, the
cost falls every epoch and the small check agrees; the record is written either way, to
``reports/results/beyond-memory-<machine>-<YYYYmmdd-HHMMSS>.json`` (written under a
hidden name, then linked to its final name, never over another run's file).

BLAS runs one thread per task: Dask's threads (or the workers' processes) are the
parallelism, and a multithreaded BLAS inside each of them would oversubscribe the cores
(measured on the 2-core machine: an epoch took 7× as long).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import dask
import numpy as np
from threadpoolctl import threadpool_limits

from bench import options as bench_options
from bench import out_of_core
from bench.machine import git_state, machine_slug, system_state, versions
from bench.run import RESULTS, partial_file, publish, remove_stale_partials
from kernels import dask_engine, train
from reports.cli import OneLineParser
from vbschema.beyond_memory import KIND, PREFIX, SCHEMA

# Records: PREFIX + <machine>-<YYYYmmdd-HHMMSS>.json, checked by vbschema.BeyondMemory.
GB = 1e9

CHECK_ROWS = 20_000  # the small problem trained in memory too: 16 MB of X at 100 features
CHECK_BLOCKS = 4


# --- memory ----------------------------------------------------------------------------------


def current_rss() -> int | None:
    """Bytes of this process resident in memory now (Linux), or None."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def peak_rss() -> int:
    """The most bytes this process has held resident since it started: getrusage's high-
    water mark, or the resident size now if that is larger (Linux sums its counters per
    CPU, and the mark was seen 64 pages below the resident size read a moment earlier)."""
    kilobytes_or_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    mark = kilobytes_or_bytes if sys.platform == "darwin" else kilobytes_or_bytes * 1024
    return max(mark, current_rss() or 0)


# --- the machine's read bandwidth ---------------------------------------------------------


def read_bandwidth(results: Path) -> dict | None:
    """The read bandwidth stored by the newest benchmark run of this machine in
    ``results``: {"GBps": {threads: GB/s}, "source": file name}, or None."""
    prefix = f"{machine_slug()}-"
    runs = sorted(
        path
        for path in results.glob(f"{prefix}*.json")
        if not path.name.startswith((".", PREFIX, "course-"))
    )
    for path in reversed(runs):  # the stamp in the name sorts by time
        try:
            suite = json.loads(path.read_text())["machine_info"]["vectorbench"]
            measured = suite["limits"]["read_GBps"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if measured:
            return {"GBps": measured, "source": path.name}
    return None


def probe_read_bandwidth() -> dict:
    """``bench.limits`` in a process of its own: its gigabyte arrays never count in this
    process's peak memory."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.limits"], capture_output=True, text=True, check=True
    ).stdout
    return {"GBps": json.loads(output)["read_GBps"], "source": "measured now by bench.limits"}


def bandwidth_at(bandwidth: dict | None, threads: int) -> tuple[float | None, str | None]:
    """The read bandwidth measured at ``threads`` threads, or at the most measured."""
    if not bandwidth or not bandwidth.get("GBps"):
        return None, None
    measured = {int(key): value for key, value in bandwidth["GBps"].items()}
    key = threads if threads in measured else max(measured)
    return measured[key], str(key)


# --- training ------------------------------------------------------------------------------


def train_by_epochs(X, y, *, eta: float, epochs: int, report=None) -> dict:
    """Logistic regression on the dask backend, one trainer call (one epoch) at a time."""
    w, b, costs, seconds = None, 0.0, [], []
    for epoch in range(epochs):
        start = time.perf_counter()
        result = train.logistic_regression(
            X, y, eta=eta, iterations=1, backend="dask", w_init=w, b_init=b
        )
        seconds.append(time.perf_counter() - start)
        w, b = result.w, result.b
        costs.append(float(result.history[0]))
        if report:
            report(f"epoch {epoch + 1}: cost {costs[-1]:.6f} in {seconds[-1]:.2f} s")
    return {"w": w, "b": b, "costs": costs, "epoch_seconds": seconds}


def check_in_memory(problem: out_of_core.Problem, *, eta: float, epochs: int) -> dict:
    """The same training on a small problem, lazily (dask, this scheduler) and in memory
    (NumPy): the final weights, bias and costs agree within ``agreement_rtol``."""
    X, y = out_of_core.generated(problem)
    lazy = train.logistic_regression(X, y, eta=eta, iterations=epochs, backend="dask")
    X_memory, y_memory = dask.compute(X, y)
    memory = train.logistic_regression(
        X_memory, y_memory, eta=eta, iterations=epochs, backend="numpy"
    )
    scale = max(float(np.max(np.abs(memory.w))), abs(memory.b), 1e-300)
    difference = max(
        float(np.max(np.abs(lazy.w - memory.w))) / scale,
        abs(lazy.b - memory.b) / scale,
        float(np.max(np.abs(lazy.history - memory.history) / np.abs(memory.history))),
    )
    rtol = train.agreement_rtol(problem.rows, problem.features, epochs)
    return {
        "rows": problem.rows,
        "features": problem.features,
        "blocks": problem.blocks,
        "epochs": epochs,
        "max_relative_difference": difference,
        "rtol": rtol,
        "agrees": difference <= rtol,
    }


def _worker_peak_rss() -> int:  # run on each worker by client.run
    return peak_rss()


# --- one run ---------------------------------------------------------------------------------


def run(
    problem: out_of_core.Problem,
    *,
    epochs: int,
    eta: float,
    memory_limit: int,
    scheduler: str = "threads",
    threads: int | None = None,
    files: Path | None = None,
    bandwidth: dict | None = None,
    report=print,
) -> dict:
    """Train on ``problem`` (generated, or from ``files``) and return the run's record."""
    report = report or (lambda line: None)
    threads = threads or os.cpu_count() or 1
    system = system_state()  # the load average before the run: other programs on the cores
    cluster_options = {"n_workers": threads, "threads_per_worker": 1}
    # Each worker of a local cluster may hold memory_limit: its nanny restarts it above.
    cluster_options["memory_limit"] = memory_limit
    wrote_s = None
    if files is not None:
        stored = out_of_core.stored_problem(files)
        if stored is None:
            size = f"{problem.x_bytes / GB:.2f} GB"
            report(f"writing {problem.blocks} blocks of X ({size}) to {files}")
            start = time.perf_counter()
            out_of_core.write_files(problem, files)
            wrote_s = time.perf_counter() - start
        elif stored != problem:
            report(f"{files} holds {stored}; training on it")
        problem, X, y = out_of_core.read_files(files)
    else:
        X, y = out_of_core.generated(problem)

    with (
        threadpool_limits(1, user_api="blas"),
        dask.config.set(num_workers=threads),
        dask_engine.scheduler(scheduler, **cluster_options) as described,
    ):
        client = _client() if scheduler != "threads" else None
        check_problem = out_of_core.Problem(
            CHECK_ROWS, problem.features, CHECK_ROWS // CHECK_BLOCKS, problem.seed
        )
        report(f"checking against in-memory training on {check_problem.rows} rows")
        check = check_in_memory(check_problem, eta=eta, epochs=epochs)
        rss_before, peak_before = current_rss(), peak_rss()
        report(
            f"training on X of {problem.x_bytes / GB:.2f} GB ({problem.rows} × "
            f"{problem.features}, {problem.blocks} blocks of {problem.block_bytes / 2**20:.1f} "
            f"MiB) on {described['scheduler']}, {described['threads']} threads"
        )
        trained = train_by_epochs(X, y, eta=eta, epochs=epochs, report=report)
        peak = peak_rss()
        workers = client.run(_worker_peak_rss) if client is not None else None

    w_true, b_true = problem.true_weights()
    epoch_s = statistics.median(trained["epoch_seconds"])
    bytes_per_epoch = problem.x_bytes + problem.y_bytes
    local = scheduler in ("threads", "local")
    # A remote cluster's machines are not this one: their bandwidth was not measured.
    read_GBps, read_threads = bandwidth_at(bandwidth if local else None, described["threads"])
    throughput = bytes_per_epoch / epoch_s / GB
    costs = trained["costs"]
    held = max([peak, *(workers or {}).values()])
    return {
        "kind": KIND,
        "schema": SCHEMA,
        "datetime": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "command": None,  # main() fills it in
        "git": git_state(),
        "versions": versions(),
        "system": system,
        "data": {
            "source": "files" if files is not None else "generated",
            "directory": str(files) if files is not None else None,
            "written_s": wrote_s,
            **{key: getattr(problem, key) for key in ("rows", "features", "block_rows", "seed")},
            "blocks": problem.blocks,
            "dtype": "float64",
            "X_bytes": problem.x_bytes,
            "y_bytes": problem.y_bytes,
            "block_bytes": problem.block_bytes,
        },
        "scheduler": {**described, "blas_threads_per_task": 1},
        "memory": {
            "limit_bytes": memory_limit,
            "rss_before_training_bytes": rss_before,
            "peak_rss_before_training_bytes": peak_before,
            "peak_rss_bytes": peak,
            "workers_peak_rss_bytes": workers,
            "within_limit": held < memory_limit,
        },
        "training": {
            "trainer": "kernels.train.logistic_regression",
            "backend": "dask",
            "eta": eta,
            "epochs": epochs,
            "epoch_seconds": trained["epoch_seconds"],
            "median_epoch_s": epoch_s,
            "costs": costs,
            "cost_decreased": all(b < a for a, b in itertools.pairwise(costs)),
            "cosine_to_true_weights": float(
                trained["w"] @ w_true / (np.linalg.norm(trained["w"]) * np.linalg.norm(w_true))
            ),
            "w_true_norm": float(np.linalg.norm(w_true)),
            "b": trained["b"],
            "b_true": b_true,
        },
        "throughput": {
            "bytes_per_epoch": bytes_per_epoch,
            "GBps": throughput,
            "read_GBps": read_GBps,
            "read_GBps_threads": read_threads,
            "read_GBps_source": (bandwidth or {}).get("source") if local else None,
            "share_of_read": throughput / read_GBps if read_GBps else None,
        },
        "check": check,
    }


def _client():
    from distributed import get_client

    return get_client()


def passed(record: dict) -> bool:
    return (
        record["memory"]["within_limit"]
        and record["check"]["agrees"]
        and (record["training"]["cost_decreased"] or record["training"]["epochs"] < 2)
    )


def write_record(record: dict, directory: Path) -> Path:
    """``directory/beyond-memory-<machine>-<stamp>.json``, written whole or not at all."""
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(directory)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    stem = f"{PREFIX}{machine_slug()}-{stamp}"
    partial = partial_file(directory, stem)
    try:
        partial.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        return publish(partial, stem)
    finally:
        partial.unlink(missing_ok=True)


def summary(record: dict) -> str:
    memory, data, throughput = record["memory"], record["data"], record["throughput"]
    training, check = record["training"], record["check"]
    lines = [
        f"X: {data['X_bytes'] / GB:.2f} GB ({data['source']}), memory limit "
        f"{memory['limit_bytes'] / GB:.2f} GB, peak resident memory "
        f"{memory['peak_rss_bytes'] / GB:.3f} GB (this process)",
        f"epochs: {', '.join(f'{s:.2f}' for s in training['epoch_seconds'])} s; "
        f"{throughput['GBps']:.2f} GB/s"
        + (
            f", {throughput['share_of_read']:.0%} of the {throughput['read_GBps']:.1f} GB/s "
            "read bandwidth"
            if throughput["share_of_read"]
            else ""
        ),
        f"costs: {', '.join(f'{c:.5f}' for c in training['costs'])}; cosine to the true "
        f"weights {training['cosine_to_true_weights']:.4f}",
        f"in-memory check: relative difference {check['max_relative_difference']:.2g} "
        f"(tolerance {check['rtol']:.2g})",
    ]
    if memory["workers_peak_rss_bytes"]:
        peaks = ", ".join(f"{v / GB:.3f}" for v in memory["workers_peak_rss_bytes"].values())
        lines.insert(1, f"workers' peak resident memory: {peaks} GB")
    return "\n".join(lines)


# --- the command -------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m bench.beyond_memory",
        description="Train logistic regression (dask backend) on an X larger than a memory "
        "limit, generated or read block by block; store peak memory and time per epoch.",
    )
    parser.add_argument(
        "--gigabytes", type=bench_options.positive_number, default=8.0, help="size of X (default 8)"
    )
    parser.add_argument(
        "--epochs",
        type=bench_options.positive_integer,
        default=3,
        help="epochs of gradient descent",
    )
    parser.add_argument(
        "--memory-limit", type=bench_options.positive_number, default=2.0, metavar="GB",
        help="the peak resident memory allowed, per process (default 2); X must be larger",
    )  # fmt: skip
    parser.add_argument(
        "--features",
        type=bench_options.positive_integer,
        default=100,
        help="columns of X (default 100)",
    )
    parser.add_argument(
        "--block-mb", type=bench_options.positive_number, default=dask_engine.CHUNK_BYTES / 2**20,
        help=f"MiB per block of rows (default {dask_engine.CHUNK_BYTES / 2**20:g})",
    )  # fmt: skip
    parser.add_argument(
        "--eta", type=bench_options.positive_number, default=1.0, help="learning rate (default 1)"
    )
    parser.add_argument("--seed", type=bench_options.non_negative_integer, default=0)
    parser.add_argument(
        "--scheduler", default="threads", type=bench_options.dask_scheduler,
        help="threads (default), local (a dask.distributed cluster here) or tcp://HOST:8786",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=bench_options.positive_integer, default=None,
        help="threads of the threaded scheduler, or workers of a local cluster "
        "(default: all cores)",
    )  # fmt: skip
    parser.add_argument(
        "--from-files", type=Path, default=None, metavar="DIR",
        help="read X and y from .npy blocks in DIR, writing them there first if DIR has none",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the record goes")
    return parser


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    source = options.from_files
    if source is not None and source.exists() and not source.is_dir():  # before training
        print(f"beyond_memory: --from-files {source}: is a file, not a directory",
              file=sys.stderr)  # fmt: skip
        return 2
    limit = round(options.memory_limit * GB)
    problem = out_of_core.Problem.of_size(
        options.gigabytes * GB, options.features, round(options.block_mb * 2**20), options.seed
    )
    stored = out_of_core.stored_problem(options.from_files) if options.from_files else None
    x_bytes = (stored or problem).x_bytes
    if x_bytes <= limit:
        print(
            f"beyond_memory: X of {x_bytes / GB:.2f} GB is not larger than the memory limit "
            f"of {limit / GB:.2f} GB; raise --gigabytes or lower --memory-limit",
            file=sys.stderr,
        )
        return 2
    try:  # before an hour of training, not after it
        options.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        why = "is a file, not a directory" if options.out.is_file() else error.strerror
        print(f"beyond_memory: --out {options.out}: {why}", file=sys.stderr)
        return 2
    bandwidth = read_bandwidth(RESULTS)
    if bandwidth is None and options.scheduler in ("threads", "local"):
        print("beyond_memory: no benchmark result of this machine; measuring its bandwidth")
        bandwidth = probe_read_bandwidth()
    try:
        record = run(
            problem,
            epochs=options.epochs,
            eta=options.eta,
            memory_limit=limit,
            scheduler=options.scheduler,
            threads=options.threads,
            files=options.from_files,
            bandwidth=bandwidth,
        )
    except OSError as error:  # a file of --from-files, or a scheduler that never answered
        where = error.filename or f"--scheduler {options.scheduler}"
        print(f"beyond_memory: {where}: {error.strerror or error}", file=sys.stderr)
        return 2
    record["command"] = ["python", "-m", "bench.beyond_memory", *(argv or sys.argv[1:])]
    try:
        path = write_record(record, options.out)
    except OSError as error:  # the disk filled, or the directory went, while it trained
        print(f"beyond_memory: --out {options.out}: {error.strerror or error}; the record "
              "was not stored", file=sys.stderr)  # fmt: skip
        return 2
    print(summary(record))
    print(f"beyond_memory: stored {path}; a report shows it when it is named: "
          f"python -m reports RUN --beyond-memory {path}")  # fmt: skip
    if not passed(record):
        print("beyond_memory: FAILED (memory over the limit, cost not falling, or the "
              "in-memory check disagrees)", file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
