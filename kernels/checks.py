"""The one checking layer in front of every backend.

``check_arguments`` turns what a caller passed into what every kernel expects — arrays
of one floating dtype whose shapes agree, plus plain Python scalars — or raises the same
``ValueError``/``TypeError`` with the same message whichever backend was asked. It costs
O(1) per call: shapes and dtypes only (a Dask array is not computed). NaN and inf in the
data are *not* scanned for (that would double the cost of a dot product); they propagate
through every backend.
"""

from __future__ import annotations

import math
import numbers

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


def _as_array(op: Op, name: str, value) -> np.ndarray:
    # A lazy array is checked by its shape and dtype only: asarray would compute it.
    array = value if is_lazy(value) else np.asarray(value)
    is_real = array.dtype.kind in "iub" or array.dtype in (np.float16, np.float32, np.float64)
    if not is_real:
        raise TypeError(
            f"{op.name}: {name} has dtype {array.dtype}; "
            "expected real numbers (float32, float64, integer or bool)"
        )
    return array


def _check_scalar(op: Op, name: str, kind: str, value) -> float:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op.name}: {name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if kind == "rate" and not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{op.name}: {name} must be finite and >= 0, got {value!r}")
    return value


def _check_shapes(op: Op, arrays: dict[str, np.ndarray]) -> None:
    """Equal axis names must have equal lengths; every axis must be non-empty."""
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
                what = {"m": "zero samples", "n": "zero features"}[axis]
                raise ValueError(f"{op.name}: {param.name} has {what} (shape {array.shape})")
            if axis in bound and bound[axis][1] != length:
                other = bound[axis][0]
                raise ValueError(
                    f"{op.name}: {param.name} has shape {array.shape} but {other} has "
                    f"shape {arrays[other].shape}; their '{axis}' lengths differ"
                )
            bound.setdefault(axis, (param.name, length))


def check_arguments(op_name: str, args: tuple, kwargs: dict) -> tuple[tuple, np.dtype]:
    """Validate and normalise the arguments of ``op_name``.

    Returns the kernel's arguments (arrays in one floating dtype, scalars as floats,
    and for the cross-entropy ops the clip ``eps`` as a last argument) and that dtype.
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

    arrays = {p.name: _as_array(op, p.name, values[p.name]) for p in op.params if p.is_array}
    _check_shapes(op, arrays)
    dtype = computation_dtype(list(arrays.values()))
    checked = []
    for param in op.params:
        if param.is_array:
            array = arrays[param.name]
            if is_lazy(array):
                checked.append(array if array.dtype == dtype else array.astype(dtype))
            else:
                checked.append(np.asarray(array, dtype=dtype))
        else:
            checked.append(_check_scalar(op, param.name, param.kind, values[param.name]))
    if op.needs_clip:
        checked.append(clip_for(dtype))
    return tuple(checked), dtype


def clip_for(dtype) -> float:
    """Probabilities are clipped to [eps, 1 - eps] before the logarithms of the
    cross-entropy, with eps the gap below 1.0 in the computation dtype: 1 - eps is the
    largest number below 1, so the cost stays finite (at most -log(eps): 36.7 in
    float64, 16.6 in float32) even where A reaches exactly 0 or 1."""
    return float(np.finfo(dtype).epsneg)
