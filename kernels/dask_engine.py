"""Backend ``dask``: the NumPy backend's expressions on arrays cut into blocks of rows.

The batch ops run ``kernels.numpy_vectorized``'s expressions on each block of rows and
return partial sums (``X_blockᵀ·errors``, Σ errors, Σ cross-entropy), which one task adds
and divides (the shape of work of ``numba_parallel``'s row blocks). The
per-sample rules cannot be cut: each update feeds the next sample. They walk the blocks
in row order as a chain of tasks, each running the compiled one-thread Numba kernel on
its block and handing ``(w, b)`` on to the next.

The native form is a Dask array cut along the samples into blocks of at most about
``CHUNK_BYTES``, in whole rounds of the cores, y and A cut at X's rows
(``to_dask_arguments``, outside the timed region; on a dask.distributed cluster the
workers hold the blocks, ``persist``).
The ops also take Dask arrays directly — the checking layer reads their shapes and
dtypes without computing them — so data that does not fit in memory can be passed.

An op returns Dask objects; ``wait`` computes them (one graph for all results of a
call, handed to the scheduler), inside the timed region. The scheduler is Dask's
default: threads in this process (on one thread, the synchronous scheduler), or a
``dask.distributed`` client once one is connected (``connect``).
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid

import dask
import dask.array as da
import dask.local
import dask.threaded
import numpy as np
from dask.array.core import normalize_chunks
from dask.base import get_scheduler
from dask.delayed import Delayed
from dask.highlevelgraph import HighLevelGraph

from kernels import numba_jit, numpy_vectorized, python_loops

CHUNK_BYTES = 16 * 2**20  # per block of rows: a few blocks per core at the largest sizes

_sgd_steps = numba_jit.jit(python_loops.adaline_sgd_steps)


def rows_per_chunk(shape: tuple, itemsize: int, chunk_bytes: int | None = None) -> int:
    """Rows per block: about ``chunk_bytes`` (``CHUNK_BYTES``) of the array each."""
    row_bytes = itemsize * math.prod(shape[1:])
    return max(1, (CHUNK_BYTES if chunk_bytes is None else chunk_bytes) // row_bytes)


def to_dask(value, chunk_bytes: int | None = None, rows: int | None = None):
    """NumPy arrays to Dask arrays in blocks of ``rows`` whole rows (by default, of about
    ``chunk_bytes``: ``rows_per_chunk``).

    On a dask.distributed cluster the blocks are sent to the workers once, here
    (``persist``), not with every op; the threaded scheduler reads them in place.
    The blocks are views of the array's rows (``in_blocks``), not a copy of it.
    """
    if not isinstance(value, np.ndarray):
        return value
    if rows is None:
        rows = rows_per_chunk(value.shape, value.itemsize, chunk_bytes)
    array = in_blocks(value, rows)
    if dask.config.get("scheduler", None) == "dask.distributed":
        array = array.persist()
    return array


def in_blocks(value: np.ndarray, rows: int) -> da.Array:
    """``value`` as a Dask array of blocks of ``rows`` whole rows (-1: one block), each
    block a view of its rows, the array named at random.

    ``da.from_array`` copies a NumPy array whole before it cuts it (Dask 2026.8 does):
    at the lesson's step out of a 480 MiB cache, a second GB of memory and 1-3 s a case,
    outside the timed region but in the run's time. The kernels never write to their
    inputs (``tests/test_kernels.py::test_inputs_are_unchanged``), so views are enough."""
    chunks = normalize_chunks((rows, *value.shape[1:]), value.shape, dtype=value.dtype)
    name = f"array-{uuid.uuid4().hex}"
    rest = (0,) * (value.ndim - 1)
    blocks, start = {}, 0
    for k, size in enumerate(chunks[0]):
        blocks[(name, k, *rest)] = value[start : start + size]
        start += size
    graph = HighLevelGraph.from_collections(name, blocks, dependencies=())
    return da.Array(graph, name, chunks, meta=value[:0])


# A block is not split for the cores below this size: a second task's scheduling (about
# 0.1 ms per task on the threaded scheduler) costs more than the half of the reading it
# saves (a MiB takes about 50 µs at 20 GB/s). The course's 400-point flower stays one
# block; the network's 1000 × 784 X (6 MB) is still one block per core.
MIN_SPLIT_BYTES = 1 << 20


def to_dask_arguments(op, values) -> tuple:
    """One call's arguments as Dask arrays, cut as the ops split the work: every array
    along the op's first size (the samples: X, y, A; both vectors of ``dot``) at the same
    rows, so that no op rechunks y to match X inside the timed region; every other array
    (w, W1: what each block multiplies) as one block.

    The blocks are at most ``rows_per_chunk`` of the widest of those arrays, and as many
    as a whole number of rounds of the cores, so that every core has as many blocks to
    work on: a problem smaller than one block is still cut into one block per core (each
    block's products get one BLAS thread, see ``BackendSpec.schedules_threads``), but
    not into blocks under ``MIN_SPLIT_BYTES``: a small problem stays one block, or a few
    of unequal sizes.
    """
    split = op.size_names[0]
    along = [  # (the values may end with the clip ε, beyond the op's parameters)
        value
        for param, value in zip(op.params, values, strict=False)
        if isinstance(value, np.ndarray) and param.axes[0] == split
    ]
    rows = None
    if along:
        samples = along[0].shape[0]
        widest = min(rows_per_chunk(a.shape, a.itemsize) for a in along)
        smallest = min(rows_per_chunk(a.shape, a.itemsize, MIN_SPLIT_BYTES) for a in along)
        cores = dask.system.CPU_COUNT
        blocks = cores * max(1, -(-samples // (widest * cores)))  # whole rounds of the cores
        rows = max(1, min(widest, max(-(-samples // blocks), smallest)))
    return tuple(
        to_dask(value, rows=rows if any(value is a for a in along) else -1)
        if isinstance(value, np.ndarray)
        else value
        for value in values
    )


def wait(results):
    """Compute the lazy results of one op (a Dask object, or a tuple of them and plain
    values) in one graph, handed to the scheduler as it is.

    ``dask.compute`` first turns the objects into expressions, simplifies, tokenizes and
    optimizes them: about 1 ms a call on the 2-core machine, where ``dot`` at 10⁶ takes
    0.3-0.4 ms. The ops' graphs are written out task by task (``_layer``), every task
    needed; there is nothing for those passes to find. On one thread the tasks run in this
    thread (Dask's synchronous scheduler, what a one-worker pool does, without handing
    each task to a worker and its result back). Measured side by side, one BLAS thread:
    ``dot`` at 10⁶ 1.9-2.3 ms through ``dask.compute`` on one worker, 0.9-1.3 ms here.
    """
    items = results if isinstance(results, tuple) else (results,)
    lazy = [item for item in items if dask.is_dask_collection(item)]
    if not lazy:
        return results
    schedule = get_scheduler(collections=lazy)
    if schedule is dask.threaded.get and dask.config.get("num_workers", None) == 1:
        schedule = dask.local.get_sync
    keys = [item.__dask_keys__() for item in lazy]
    # only the tasks the results need: an op on a slice of a larger Dask array would
    # otherwise compute, and hold, every block of it (dask.compute culls; so does this)
    graph = HighLevelGraph.merge(*(item.__dask_graph__() for item in lazy))
    graph = graph.cull(set(dask.core.flatten(keys)))
    computed = iter(schedule(graph, keys))
    done = []
    for item in items:
        if dask.is_dask_collection(item):
            finalize, extra = item.__dask_postcompute__()
            item = finalize(next(computed), *extra)
        done.append(item)
    return tuple(done) if isinstance(results, tuple) else done[0]


# --- alignment: any Dask arrays in, blocks that match out --------------------------------


def _whole(vector):
    """A vector (or matrix) of weights as one block (what every row block multiplies)."""
    return vector.rechunk(-1) if isinstance(vector, da.Array) else vector


def _rows(X, *vectors):
    """X in blocks of whole rows, and the per-sample vectors cut at the same rows."""
    X = da.asarray(X)
    X = X.rechunk({1: -1}) if X.ndim > 1 and X.numblocks[1] > 1 else X
    return (X, *(da.asarray(v).rechunk((X.chunks[0],)) for v in vectors))


# --- the batch ops: NumPy's expressions on each block, partial sums added -----------------
#
# Each block runs numpy_vectorized's expressions on its rows and returns partial sums;
# one task adds them and divides: one task per block and one more. The tasks are written
# down directly, as a layer of Dask's graph (``_layer``): a dict from each task's key to
# (function, its arguments), where an argument that is another task's key stands for that
# task's result. Built instead from ``dask.delayed`` calls, the graph of
# ``logistic_backward`` on 10 blocks took 4-10 ms to build, hashing every argument, where
# the work itself takes 14 ms; built from Dask's overloaded operators, it took some
# twenty element-wise steps, each inferring its output's type.


def _key(value):
    """The key of a one-block Dask array or a Delayed (it stands for the value), or the
    value itself."""
    if dask.is_dask_collection(value):
        (key,) = dask.core.flatten(value.__dask_keys__())
        return key
    return value


def _layer(name, tasks, *inputs) -> HighLevelGraph:
    """The graph of ``tasks`` (key → (function, *arguments)) on top of the graphs of the
    Dask objects among ``inputs``, whose results the tasks name by their keys."""
    lazy = [value for value in inputs if dask.is_dask_collection(value)]
    return HighLevelGraph.from_collections(name, tasks, dependencies=lazy)


def _per_block(block, X, vectors, before=(), after=()):
    """One task per block of rows: ``block(*before, X_block, *vector_blocks, *after)``.

    Returns the layer's name, its tasks, and the arrays they read (X and the vectors cut
    at the same rows, ``before`` as one block each)."""
    X, *vectors = _rows(X, *vectors)
    before = tuple(_whole(value) for value in before)
    name = f"{block.__name__.strip('_')}-{uuid.uuid4().hex}"
    row_keys = zip(*(dask.core.flatten(a.__dask_keys__()) for a in (X, *vectors)), strict=True)
    tasks = {
        (name, i): (block, *map(_key, before), *keys, *after) for i, keys in enumerate(row_keys)
    }
    return name, tasks, (X, *vectors, *before)


def _added(partials):
    """Element-wise sums of the blocks' tuples of partial results."""
    return tuple(sum(parts[1:], start=parts[0]) for parts in zip(*partials, strict=True))


def _summed(block, X, vectors, finish, before=(), after=(), finish_after=()):
    """One task per block, then one ``finish([each block's tuple of partial sums],
    *finish_after)``, which adds them (``_added``): a Delayed of its result."""
    name, tasks, inputs = _per_block(block, X, vectors, before, after)
    total = f"total-{name}"
    tasks[total] = (finish, list(tasks), *map(_key, finish_after))
    return Delayed(total, _layer(total, tasks, *inputs, *finish_after))


def _stacked(block, X, before, dtype):
    """One vector entry per row of X, computed block by block: a Dask array."""
    name, tasks, inputs = _per_block(block, X, (), before)
    X = inputs[0]
    return da.Array(_layer(name, tasks, *inputs), name, (X.chunks[0],), meta=np.empty(0, dtype))


# Xᵀ·errors is written np.dot(X.T, errors): NumPy's ``@`` holds the GIL while it
# multiplies a transposed matrix by a vector (NumPy 2.4), so two of Dask's threads took
# their blocks one after the other: 12 blocks of a 200 000 × 100 X took 16.8 ms on two
# threads against 13.6 ms on one, and 7.7-9.7 ms with np.dot. ``X @ w`` and a matrix
# times a matrix (``X.T @ dZ1``) let go of it: 1.6-2× as fast on two threads, measured.


def _dot_block(a, b):
    return (np.dot(a, b),)


def _cost_block(A, y, eps):
    return (np.sum(numpy_vectorized.cross_entropy(A, y, eps)),)


def _backward_block(X, A, y):
    errors = A - y
    return np.dot(X.T, errors), np.sum(errors)


def _gradient_block(w, b, X, y):
    A, log_A, log_1m_A = numpy_vectorized.sigmoid_and_log_probabilities(X @ w + b)
    errors = A - y
    return -np.sum(y * log_A + (1 - y) * log_1m_A), np.dot(X.T, errors), np.sum(errors)


def _gd_block(w, b, X, y):
    errors = y - (X @ w + b)
    return np.dot(X.T, errors), np.sum(errors), errors @ errors


def _squared_errors_block(w, b, X, y):
    errors = y - (X @ w + b)
    return (errors @ errors,)


def _network_block(W1, b1, W2, b2, X, y):
    H = np.tanh(X @ W1 + b1)
    A, log_A, log_1m_A = numpy_vectorized.sigmoid_and_log_probabilities(H @ W2 + b2)
    dz2 = A - y
    dZ1 = np.outer(dz2, W2) * (1 - H * H)
    cost = -np.sum(y * log_A + (1 - y) * log_1m_A)
    return cost, X.T @ dZ1, dZ1.sum(axis=0), np.dot(H.T, dz2), np.sum(dz2)


def _divided(partials, m):
    return tuple(total / m for total in _added(partials))


def _mean(partials, m):
    """The blocks' one partial sum added, divided by m (1: the sum itself)."""
    return _divided(partials, m)[0]


def _updated(partials, w, b, eta):
    gradient, error_sum, squared_sum = _added(partials)
    return w + eta * gradient, b + eta * error_sum, squared_sum / 2


def dot(a, b):
    """a · b: a partial dot product per block, then their sum."""
    return _summed(_dot_block, a, (b,), _mean, finish_after=(1,))


def logistic_forward(w, b, X):
    """A = σ(Xw + b), block by block: a Dask array of the activations."""
    return _stacked(numpy_vectorized.logistic_forward, X, (w, b), X.dtype)


def logistic_cost(A, y, eps):
    return _summed(_cost_block, A, (y,), _mean, after=(eps,), finish_after=(len(y),))


def logistic_backward(X, A, y):
    return _summed(_backward_block, X, (A, y), _divided, finish_after=(len(y),))


def logistic_gradient(w, b, X, y):
    return _summed(_gradient_block, X, (y,), _divided, (w, b), finish_after=(len(y),))


def adaline_gd_epoch(w, b, X, y, eta):
    w = _whole(w)
    return _summed(_gd_block, X, (y,), _updated, (w, b), finish_after=(w, b, eta))


def mlp_forward(W1, b1, W2, b2, X):
    """A = σ(tanh(X W1 + b1) W2 + b2), block by block: a Dask array of the activations."""
    return _stacked(numpy_vectorized.mlp_forward, X, (W1, b1, W2, b2), X.dtype)


def mlp_gradient(W1, b1, W2, b2, X, y):
    """Each block's forward pass, cost and backpropagated sums; then added and divided."""
    return _summed(_network_block, X, (y,), _divided, (W1, b1, W2, b2), finish_after=(len(y),))


# --- the per-sample rules: a chain of tasks over the blocks, in row order ----------------


def _walk(kernel, w, b, X, y, eta, *carried):
    """Run ``kernel`` on each block in row order, handing on (w, b, *carried): one task
    per block, each taking what the block before it returned. A Delayed of the last."""
    w = _whole(w)
    name, tasks, inputs = _per_block(_walk_step, X, (y,), after=(kernel, eta))
    state = [_key(w), b, *carried]  # (a list: Dask puts the value of w's key in its place)
    for key, task in tasks.items():
        tasks[key] = (*task, state)
        state = key
    return Delayed(state, _layer(name, tasks, *inputs, w), layer=name)


def _walk_step(X, y, kernel, eta, state):
    """One block's step of the walk. The Numba kernel gets C-contiguous blocks, as the
    numba backend's own calls do (``to_contiguous``): each other memory layout of w, X
    and y would compile a specialization of its own (22 more per kernel, 0.4-0.5 s each),
    for the same machine code on a copy. A block of rows of a C-contiguous X, as in every
    benchmark, is C-contiguous already and is not copied."""
    w, b, *carried = state
    w, X, y = (np.ascontiguousarray(value) for value in (w, X, y))
    return kernel(w, b, X, y, eta, *carried)


def _sgd_block(w, b, X, y, eta):
    return _sgd_steps(w, b, X, y, eta)


def _perceptron_block(w, b, X, y, eta, errors):
    w, b, block_errors = numba_jit.perceptron_epoch(w, b, X, y, eta)
    return w, b, errors + block_errors


def adaline_sgd_epoch(w, b, X, y, eta):
    """The delta rule block by block; the cost with the final weights, blockwise."""
    final = _walk(_sgd_block, w, b, X, y, eta)
    w_final, b_final = final[0], final[1]
    cost = _summed(_squared_errors_block, X, (y,), _mean, (w_final, b_final), finish_after=(2,))
    return w_final, b_final, cost


def perceptron_epoch(w, b, X, y, eta):
    """Rosenblatt's rule block by block, counting the updates along the chain."""
    return _walk(_perceptron_block, w, b, X, y, eta, 0)


# --- schedulers --------------------------------------------------------------------------


def connect(scheduler: str = "threads", **cluster_options):
    """Make ``scheduler`` Dask's default for this process and say what it is.

    "threads": Dask's threaded scheduler in this process (no set-up);
    "local": a ``dask.distributed`` cluster on this machine (``LocalCluster``);
    anything else: the address of a running scheduler (``tcp://HOST:8786``).
    Returns (client or None, description); close the client to go back to threads.
    """
    if scheduler == "threads":
        import os

        threads = dask.config.get("num_workers", None) or os.cpu_count()
        return None, {
            "scheduler": "threads",
            "workers": 1,
            "threads": threads,
            "note": "the benchmarks set num_workers to each case's threads; on one thread "
            "the tasks run on the synchronous scheduler (wait)",
        }
    from distributed import Client, LocalCluster

    if scheduler == "local":
        # Its dashboard on a free port: the default, 8787, may be taken (by another
        # cluster, another test run), and then the cluster fails to start.
        cluster_options.setdefault("dashboard_address", ":0")
        client = Client(LocalCluster(**cluster_options))
    else:
        client = _client_of(scheduler)
    workers = client.scheduler_info()["workers"]
    return client, {
        "scheduler": "distributed-local" if scheduler == "local" else scheduler,
        "workers": len(workers),
        "threads": sum(worker["nthreads"] for worker in workers.values()),
    }


# How long to wait for a scheduler to answer, then for its first worker: a scheduler
# that is not there, or that has no worker, would otherwise hang the first dask case.
CONNECT_TIMEOUT_S = 10.0
WORKERS_TIMEOUT_S = 30.0


def _client_of(address: str):
    """A client of the scheduler at ``address`` with at least one worker, or one line of
    ``OSError``/``TimeoutError`` saying which of the two did not come, and after how long."""
    from distributed import Client

    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise OSError(
            f"no scheduler answered within {CONNECT_TIMEOUT_S:g} s ({reason[:120]})"
        ) from None
    start = time.monotonic()
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except TimeoutError:
        client.close()
        waited = time.monotonic() - start
        raise TimeoutError(
            f"the scheduler has no worker; waited {waited:.0f} s for one (start one with "
            f"`dask worker {address}`)"
        ) from None
    return client


@contextlib.contextmanager
def scheduler(name: str = "threads", **cluster_options):
    """``connect`` for the duration of a block; the client and its cluster closed after."""
    client, description = connect(name, **cluster_options)
    try:
        yield description
    finally:
        if client is not None:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()
