"""A Numba on-disk cache that heals instead of breaking the kernels.

Numba loads a function's cache index (``.nbi``) and compiled code (``.nbc``) with
pickle and lets any failure escape: one truncated or corrupted file makes every later
call of that function raise ``EOFError`` or ``UnpicklingError``, in every later
process, until someone deletes the folder by hand. A cache is only a shortcut, so here
any failure to read or write it drops that function's cache files, says so once on
stderr, and lets Numba compile afresh (and save a sound entry).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from numba import config, njit
from numba.core.caching import FunctionCache

log = logging.getLogger(__name__)


def allow_512_bit_vectors() -> str:
    """Let Numba's loops use the vector width the processor and NumPy's BLAS use.

    On processors with AVX-512, LLVM prefers 256-bit vectors by default (512-bit
    instructions once lowered the clock of some Intel parts), while OpenBLAS's kernels
    for those processors use 512-bit registers. Measured on a Xeon with AVX-512 (one
    thread, X out of the cache): the compiled Xᵀe loop was 0.88-0.92× NumPy's with
    256-bit vectors and 0.98-1.01× with 512-bit, a dot product 0.94× and 0.99×. So the
    compiled loops get the same width as the library they are compared with. A user's
    own ``NUMBA_CPU_FEATURES`` is left as it is. Returns the features in use ("" for
    LLVM's own choice); must run before Numba compiles anything in this process, and
    is exported so that child processes (Dask workers) compile alike.
    """
    if config.CPU_FEATURES is None:
        from llvmlite import binding

        host = binding.get_host_cpu_features()
        if host.get("avx512f"):
            config.CPU_FEATURES = host.flatten() + ",-prefer-256-bit"
            os.environ["NUMBA_CPU_FEATURES"] = config.CPU_FEATURES
    return config.CPU_FEATURES or ""


allow_512_bit_vectors()


class HealingCache(FunctionCache):
    """Numba's per-function cache, with damaged entries dropped rather than raised."""

    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception as error:  # unpickling damaged bytes can raise almost anything
            self._drop(error)
            return None  # Numba compiles, then saves a fresh entry

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
        except Exception as error:  # e.g. an index damaged since it was loaded
            self._drop(error)
            with contextlib.suppress(Exception):  # a cache that cannot be written stays empty
                super().save_overload(sig, data)

    def _drop(self, error: Exception) -> None:
        index = Path(self._cache_file._index_path)
        damaged = [index, *index.parent.glob(f"{self._impl.filename_base}.*.nbc")]
        for path in damaged:
            path.unlink(missing_ok=True)
        log.warning(
            "kernels: Numba's cache of %s was unreadable (%s); dropped %s and recompiled",
            self._py_func.__qualname__,
            type(error).__name__,
            index.parent / f"{self._impl.filename_base}.*",
        )


def cached_njit(function=None, **options):
    """``numba.njit(cache=True, **options)``, with a cache that heals itself."""

    def decorate(function):
        dispatcher = njit(cache=True, **options)(function)
        dispatcher._cache = HealingCache(dispatcher.py_func)
        return dispatcher

    return decorate if function is None else decorate(function)
