"""Data larger than memory: a logistic-regression problem as Dask arrays made block by block.

The problem can be learnt: features uniform on [-1, 1], and each label drawn as a coin
toss that comes up 1 with probability σ(x·w_true + b_true). The model is right; the
noise is the coin.

Block k of X (``block_rows`` rows, the last one shorter) is drawn from
``numpy.random.default_rng([seed, k])`` and its labels from
``default_rng([seed, k, 1])``, so any block can be made alone — on any thread or
worker, in any order — and is the same every time: the data are fixed by the seed and
the block size. Nothing holds X. The arrays' graphs hold a function and a block number
per block; a block exists while a task uses it, and every computation makes it anew
(Dask's threaded scheduler keeps no results between two ``compute`` calls, and a
cluster forgets them once the client has its result). That is what keeps memory bounded
by the blocks in flight, not by X: each epoch of training generates — or reads from
disk — all of X again.

``write_files`` stores the same blocks as ``.npy`` files (``X-00000.npy``,
``y-00000.npy`` … and ``problem.json``), and ``read_files`` reads them back block by
block. Each block's file is dropped from the operating system's page cache once it has
been written and again once it has been read (``posix_fadvise(DONTNEED)``), so every
epoch reads from the disk, as it must when the files are larger than the memory.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import dask.array as da
import numpy as np

PROBLEM_FILE = "problem.json"


@dataclass(frozen=True)
class Problem:
    """The size and seed of a generated problem: everything that fixes its data."""

    rows: int
    features: int
    block_rows: int
    seed: int = 0

    @classmethod
    def of_size(cls, x_bytes: float, features: int, block_bytes: int, seed: int = 0) -> Problem:
        """About ``x_bytes`` of float64 X, in blocks of about ``block_bytes``."""
        row_bytes = 8 * features
        rows = max(1, round(x_bytes / row_bytes))
        return cls(rows, features, max(1, min(rows, block_bytes // row_bytes)), seed)

    @property
    def blocks(self) -> int:
        return math.ceil(self.rows / self.block_rows)

    @property
    def row_chunks(self) -> tuple[int, ...]:
        full, last = divmod(self.rows, self.block_rows)
        return (self.block_rows,) * full + ((last,) if last else ())

    @property
    def x_bytes(self) -> int:
        return 8 * self.rows * self.features

    @property
    def y_bytes(self) -> int:
        return 8 * self.rows

    @property
    def block_bytes(self) -> int:
        return 8 * self.block_rows * self.features

    def true_weights(self) -> tuple[np.ndarray, float]:
        """w_true and b_true: the net input x·w_true + b_true has a standard deviation
        of about 2 (features of variance 1/3), so the labels are neither a fair coin
        nor certain."""
        w = np.random.default_rng(self.seed).standard_normal(self.features)
        return w * math.sqrt(12 / self.features), 0.5


# --- one block, made from the seed ---------------------------------------------------------


def features_block(problem: Problem, k: int) -> np.ndarray:
    """Block k of X: uniform on [-1, 1]."""
    rows = problem.row_chunks[k]
    X = np.random.default_rng([problem.seed, k]).random((rows, problem.features))
    X *= 2.0
    X -= 1.0
    return X


def labels_block(problem: Problem, k: int, X: np.ndarray) -> np.ndarray:
    """Block k of y: 1 with probability σ(x·w_true + b_true), else 0."""
    w_true, b_true = problem.true_weights()
    probability = 0.5 * (1.0 + np.tanh((X @ w_true + b_true) / 2))  # σ, without overflow
    toss = np.random.default_rng([problem.seed, k, 1]).random(len(X))
    return (toss < probability).astype(np.float64)


def _features(problem: Problem, block_id=None) -> np.ndarray:
    return features_block(problem, block_id[0])


def _labels(X: np.ndarray, problem: Problem, block_id=None) -> np.ndarray:
    return labels_block(problem, block_id[0], X)


def generated(problem: Problem) -> tuple[da.Array, da.Array]:
    """X and y as Dask arrays whose blocks are generated when computed.

    y's blocks are computed from X's, so an epoch makes each block of X once (the dask
    backend shares the task between X and y).
    """
    X = da.map_blocks(
        _features, problem, chunks=(problem.row_chunks, (problem.features,)),
        dtype=np.float64, meta=np.empty((0, 0)),
    )  # fmt: skip
    y = X.map_blocks(
        _labels, problem, drop_axis=1, dtype=np.float64, meta=np.empty((0,)),
    )  # fmt: skip
    return X, y


# --- the same blocks on disk ---------------------------------------------------------------


def _block_path(directory: Path, array: str, k: int) -> Path:
    return directory / f"{array}-{k:05d}.npy"


def _drop_from_page_cache(file) -> None:
    """Ask the OS to forget the file's pages: the next read comes from the disk.
    (Clean pages only: a written file is flushed to the disk first.)"""
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def write_files(problem: Problem, directory: Path) -> Path:
    """Store the problem's blocks in ``directory``, one block in memory at a time."""
    directory.mkdir(parents=True, exist_ok=True)
    for k in range(problem.blocks):
        X = features_block(problem, k)
        for array, values in (("X", X), ("y", labels_block(problem, k, X))):
            with open(_block_path(directory, array, k), "wb") as file:
                np.save(file, values)
                file.flush()
                os.fsync(file.fileno())
                _drop_from_page_cache(file)
    # Written last: a directory with problem.json holds every block.
    (directory / PROBLEM_FILE).write_text(json.dumps(asdict(problem), indent=1) + "\n")
    return directory


def stored_problem(directory: Path) -> Problem | None:
    """The problem whose blocks ``directory`` holds, or None if it holds none."""
    path = directory / PROBLEM_FILE
    return Problem(**json.loads(path.read_text())) if path.is_file() else None


def _read_block(directory: str, array: str, block_id=None) -> np.ndarray:
    with open(_block_path(Path(directory), array, block_id[0]), "rb") as file:
        values = np.lib.format.read_array(file)
        _drop_from_page_cache(file)
    return values


def read_files(directory: Path) -> tuple[Problem, da.Array, da.Array]:
    """The problem stored in ``directory`` and its X and y, read block by block when
    computed. On a cluster, every worker must see ``directory`` at the same path."""
    problem = stored_problem(directory)
    if problem is None:
        raise FileNotFoundError(f"{directory}: no {PROBLEM_FILE}; write the blocks first")
    where = str(directory.resolve())
    X = da.map_blocks(
        _read_block, where, "X", chunks=(problem.row_chunks, (problem.features,)),
        dtype=np.float64, meta=np.empty((0, 0)),
    )  # fmt: skip
    y = da.map_blocks(
        _read_block, where, "y", chunks=(problem.row_chunks,),
        dtype=np.float64, meta=np.empty((0,)),
    )  # fmt: skip
    return problem, X, y
