"""The one checking layer in front of every backend.

``check_arguments`` turns what a caller passed into what every kernel expects — arrays
of one floating dtype whose shapes agree, plus plain Python scalars — or raises the same
``ValueError``/``TypeError`` with the same message whichever backend was asked. It costs
O(1) per call: shapes and dtypes only (a Dask array is not computed). NaN and inf in the
data are *not* scanned for (that would double the cost of a dot product); they propagate
through every backend.

Foreign arrays get one contract, whichever backend was asked:

* anything NumPy reads as a real array (lists, pandas, np.matrix, JAX and CPU PyTorch
  arrays, other byte orders and strides) is converted; anything else (complex, object,
  strings, a tensor that requires grad) is refused naming the argument;
* a masked array with masked values is refused naming the argument (``np.asarray`` would
  silently use the values under the mask);
* a Dask array is kept lazy for the dask backend; any other backend needs its values in
  memory, so it is computed here if it holds at most ``LAZY_COMPUTE_LIMIT`` bytes, and
  refused, naming the argument and the dask backend, if larger; one of unknown length
  (after boolean indexing) cannot be checked against the others, and is refused by every
  backend;
* the inputs a backend must copy (another dtype, not C-contiguous, a zero-stride
  ``np.broadcast_to`` view) and the op's intermediates (``Op.workspace``) must fit in the
  memory available, or the call is refused, naming the argument, before any allocation.
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

from kernels.ops import OPS, Op


def computation_dtype(arrays: list[np.ndarray]) -> np.dtype:
    """float64, unless every floating array is float32 (or float16), then float32.

    Integer and boolean arrays (the slides pass integer labels) take the dtype of the
    floating arrays beside them, or float64 when there are none: ±1 and 0/1 are exact
    in either.
    """
    floating = [a.dtype for a in arrays if a.dtype.kind == "f"]
    if not floating:
        return np.dtype(np.float64)
    return np.promote_types(np.result_type(*floating), np.float32)


def is_lazy(value) -> bool:
    """A Dask collection: its shape and dtype are known, its values not yet computed."""
    return hasattr(value, "__dask_graph__") and hasattr(value, "dtype")


# A Dask array given to another backend is computed if it is at most this large; beyond,
# the dask backend, which works through it block by block, is the one to use.
LAZY_COMPUTE_LIMIT = 256 * 2**20


def _as_array(op: Op, name: str, value, *, keep_lazy: bool) -> np.ndarray:
    if is_lazy(value):  # checked by its shape and dtype only: asarray would compute it
        if any(math.isnan(length) for length in value.shape):  # e.g. after x[x > 0]
            raise ValueError(
                f"{op.name}: {name} is a Dask array of unknown length (shape {value.shape}), "
                "which cannot be checked against the other arguments; call its "
                "compute_chunk_sizes() first"
            )
        array = value if keep_lazy else _computed(op, name, value)
    elif isinstance(value, np.ma.MaskedArray) and np.ma.is_masked(value):
        raise ValueError(
            f"{op.name}: {name} is a masked array with {np.ma.count_masked(value)} masked "
            "values, which would be used as if unmasked; fill them (np.ma.filled) or drop "
            "them first"
        )
    else:
        try:
            array = np.asarray(value)
        except ValueError as error:  # a ragged nested list: NumPy's message names no argument
            raise ValueError(
                f"{op.name}: {name} is a nested sequence whose rows differ in length; "
                "expected a rectangular array"
            ) from error
        except (TypeError, RuntimeError) as error:  # e.g. a tensor that requires grad
            reason = (str(error).strip().splitlines() or [""])[0]
            raise TypeError(
                f"{op.name}: {name} ({type(value).__name__}) cannot be read as a NumPy "
                f"array: {reason}"
            ) from error
    # Any byte order: '>f8' is a float64 too, and the conversion below makes it native.
    is_real = array.dtype.kind in "iub" or (array.dtype.kind == "f" and array.dtype.itemsize <= 8)
    if not is_real:
        raise TypeError(
            f"{op.name}: {name} has dtype {array.dtype}; "
            "expected real numbers (float32, float64, integer or bool)"
        )
    return array


def _computed(op: Op, name: str, value) -> np.ndarray:
    """A Dask array's values, for a backend other than dask, if it is small enough."""
    size = math.prod(value.shape) * value.dtype.itemsize
    if size > LAZY_COMPUTE_LIMIT:
        raise ValueError(
            f"{op.name}: {name} is a Dask array of {size / 2**20:,.0f} MiB; backends other "
            f"than dask compute one only up to {LAZY_COMPUTE_LIMIT // 2**20} MiB: use the "
            "dask backend (kernels.get('dask')), or compute it first"
        )
    return np.asarray(value.compute())


def check_scalar(owner: str, name: str, kind: str, value, dtype: np.dtype) -> float:
    """The scalar as a Python float holding a value of the computation dtype.

    b and eta are used in that dtype (as NumPy does with a Python float beside a float32
    array), so every backend sees the same rounded value; a finite number that does not
    fit in it — an integer like 10**400, or 1e300 for float32 — is refused here rather
    than turning into inf in some backends and an OverflowError in others.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__}")
    try:
        wide = float(value)
    except OverflowError:  # an int or Fraction beyond every float
        wide = math.inf
    with np.errstate(over="ignore"):
        converted = float(dtype.type(wide))
    # np.isinf, not math.isinf: a long double of 1e400 is finite, though float() makes it inf.
    if math.isinf(converted) and not (isinstance(value, float | np.floating) and np.isinf(value)):
        shown = f" ({wide!r})" if math.isfinite(wide) else ""
        raise ValueError(
            f"{owner}: {name}{shown} is too large for {dtype}, the computation dtype "
            f"(max {np.finfo(dtype).max:.3g})"
        )
    if kind == "rate" and not (math.isfinite(converted) and converted >= 0.0):
        raise ValueError(f"{owner}: {name} must be finite and >= 0, got {converted!r}")
    return converted


def _check_shapes(op: Op, arrays: dict[str, np.ndarray]) -> dict[str, int]:
    """Equal axis names must have equal lengths; every axis must be non-empty. Returns
    the length of every axis."""
    bound: dict[str, tuple[str, int]] = {}  # axis name -> (first array naming it, length)
    for param in op.params:
        if not param.is_array:
            continue
        array = arrays[param.name]
        if array.ndim != len(param.axes):
            expected = f"{len(param.axes)}-D array of shape ({', '.join(param.axes)})"
            raise ValueError(
                f"{op.name}: {param.name} has shape {array.shape}; expected a {expected}"
            )
        for axis, length in zip(param.axes, array.shape, strict=True):
            if length == 0:
                what = {"m": "zero samples", "n": "zero features", "h": "zero hidden units"}[axis]
                raise ValueError(f"{op.name}: {param.name} has {what} (shape {array.shape})")
            if axis in bound and bound[axis][1] != length:
                other = bound[axis][0]
                raise ValueError(
                    f"{op.name}: {param.name} has shape {array.shape} but {other} has "
                    f"shape {arrays[other].shape}; their '{axis}' lengths differ"
                )
            bound.setdefault(axis, (param.name, length))
    return {axis: length for axis, (_, length) in bound.items()}


def _needs_copy(array, dtype: np.dtype) -> bool:
    """Whether a backend may have to copy ``array`` whole: a NumPy array of another dtype,
    or one not laid out contiguously (a strided view, a zero-stride broadcast)."""
    if is_lazy(array):
        return False  # the dask backend works through it block by block
    return array.dtype != dtype or not array.flags.c_contiguous


def _check_fits(op: Op, arrays: dict[str, np.ndarray], sizes: dict, dtype: np.dtype) -> None:
    """Refuse a call whose copies of inputs and intermediates cannot fit in memory."""
    item = dtype.itemsize
    needs = {
        f"{name} (shape {array.shape}, copied as {dtype})": array.size * item
        for name, array in arrays.items()
        if _needs_copy(array, dtype)
    }
    # each length named with the argument it comes from (the first that has the axis)
    lengths = ", ".join(
        f"{axis}={length:,} (from {next(p.name for p in op.params if axis in p.axes)})"
        for axis, length in sizes.items()
    )
    needs[f"its intermediates and results for {lengths}"] = op.workspace(sizes) * item
    check_fits(op.name, needs)


def check_fits(owner: str, needs: dict[str, int]) -> None:
    """Refuse, with one line naming the largest, allocations (a description each, and
    their bytes) whose sum exceeds the memory available."""
    needed = sum(needs.values())
    if needed < _CHECK_MEMORY_ABOVE:
        return
    available = available_memory()
    if available is not None and needed > available:
        largest = max(needs, key=needs.__getitem__)
        raise MemoryError(
            f"{owner}: {largest} needs {needs[largest] / 2**30:,.1f} GiB, and the call "
            f"{needed / 2**30:,.1f} GiB in all, more than the {available / 2**30:.1f} GiB "
            "of memory available"
        )


def check_arguments(
    op_name: str, args: tuple, kwargs: dict, *, keep_lazy: bool = True
) -> tuple[tuple, np.dtype]:
    """Validate and normalise the arguments of ``op_name``.

    Returns the kernel's arguments (arrays in one floating dtype, scalars as floats,
    and for the cross-entropy ops the clip ``eps`` as a last argument) and that dtype.
    ``keep_lazy=False`` computes a small Dask array and refuses a large one (for every
    backend but dask, see the module's docstring).
    """
    op = OPS[op_name]
    names = op.arg_names
    if len(args) > len(names):
        raise TypeError(f"{op.name}() takes {len(names)} arguments ({', '.join(names)})")
    values = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names or key in values:
            raise TypeError(f"{op.name}() got an unexpected or repeated argument {key!r}")
        values[key] = value
    missing = [n for n in names if n not in values]
    if missing:
        raise TypeError(f"{op.name}() is missing argument(s) {', '.join(missing)}")

    arrays = {
        p.name: _as_array(op, p.name, values[p.name], keep_lazy=keep_lazy)
        for p in op.params
        if p.is_array
    }
    sizes = _check_shapes(op, arrays)
    dtype = computation_dtype(list(arrays.values()))
    _check_fits(op, arrays, sizes, dtype)
    checked = []
    for param in op.params:
        if param.is_array:
            array = arrays[param.name]
            if is_lazy(array):
                checked.append(array if array.dtype == dtype else array.astype(dtype))
            else:
                checked.append(np.asarray(array, dtype=dtype))
        else:
            checked.append(check_scalar(op.name, param.name, param.kind, values[param.name], dtype))
    if op.needs_clip:
        checked.append(clip_for(dtype))
    return tuple(checked), dtype


def clip_for(dtype) -> float:
    """Probabilities are clipped to [eps, 1 - eps] before the logarithms of the
    cross-entropy, with eps the gap below 1.0 in the computation dtype: 1 - eps is the
    largest number below 1, so the cost stays finite (at most -log(eps): 36.7 in
    float64, 16.6 in float32) even where A reaches exactly 0 or 1."""
    return float(np.finfo(dtype).epsneg)


# The python backend's lists: a float is a 24-byte object behind an 8-byte pointer, and
# each row of X is a list of its own (56-byte header). A 5·10⁷-element dot needs about
# 3.2 GB of lists against NumPy's 0.8 GB of arrays; asking for more than the machine has
# would swap or be killed by the OS instead of failing with a message.
LIST_BYTES_PER_ELEMENT = 32
LIST_BYTES_PER_ROW = 64
_CHECK_MEMORY_ABOVE = 64 * 2**20  # below this, lists always fit: skip reading /proc


def available_memory() -> int | None:
    """Bytes of memory the system can still give (MemAvailable on Linux), or None."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_fits_as_lists(array: np.ndarray) -> None:
    """Refuse, with one line, an array whose Python lists would not fit in memory."""
    rows = array.shape[0] if array.ndim == 2 else 0
    needed = array.size * LIST_BYTES_PER_ELEMENT + rows * LIST_BYTES_PER_ROW
    if needed < _CHECK_MEMORY_ABOVE:
        return
    available = available_memory()
    if available is not None and needed > available:
        raise MemoryError(
            f"python backend: an array of shape {array.shape} would take "
            f"{needed / 2**30:.1f} GiB as Python lists, more than the "
            f"{available / 2**30:.1f} GiB of memory available; use a smaller input or "
            "another backend"
        )
