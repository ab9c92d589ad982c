"""A Numba on-disk cache that heals instead of breaking the kernels.

Numba loads a function's cache index (``.nbi``) and compiled code (``.nbc``) with
pickle and lets any failure escape: one truncated or corrupted file makes every later
call of that function raise ``EOFError`` or ``UnpicklingError``, in every later
process, until someone deletes the folder by hand. A cache is only a shortcut, so here
any failure to read or write it drops that function's cache files (even an index that
is a directory), says so once on stderr, and lets Numba compile afresh (and save a sound
entry). An entry that loads is also checked against the argument types it was asked for:
one compiled for others is dropped like a damaged one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from pathlib import Path

from numba import config, njit
from numba.core import sigutils
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
            loaded = super().load_overload(sig, target_context)
            if loaded is not None:
                _check_claims(loaded, sig)
            return loaded
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
        """Remove the function's index and data files, whatever stands at their paths (a
        directory too); one that cannot be removed is left, and the cache stays unused."""
        index = Path(self._cache_file._index_path)
        damaged = [index, *index.parent.glob(f"{self._impl.filename_base}.*.nbc")]
        for path in damaged:
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
        log.warning(
            "kernels: Numba's cache of %s was unreadable (%s); dropped %s and recompiled",
            self._py_func.__qualname__,
            type(error).__name__,
            index.parent / f"{self._impl.filename_base}.*",
        )


class MismatchedEntry(Exception):
    """A cache entry that loads, but was compiled for other argument types."""


def _check_claims(loaded, sig) -> None:
    """Raise ``MismatchedEntry`` unless the entry was compiled for ``sig``'s argument
    types: a data file holding another signature's code (copied, or written by a race)
    would otherwise load and fail at every call with "can't unbox array"."""
    asked, _ = sigutils.normalize_signature(sig)
    claimed = tuple(loaded.signature.args)
    if claimed != tuple(asked):
        raise MismatchedEntry(f"compiled for {claimed}, asked for {tuple(asked)}")


def cached_njit(function=None, **options):
    """``numba.njit(cache=True, **options)``, with a cache that heals itself."""

    def decorate(function):
        dispatcher = njit(cache=True, **options)(function)
        dispatcher._cache = HealingCache(dispatcher.py_func)
        return dispatcher

    return decorate if function is None else decorate(function)
