"""The sizes of this machine's data caches, which the blocked loops size their blocks
by (``kernels/numba_ladder.py``, ``kernels/jax_onepass.py``) and a run records
(``bench/machine.py``)."""

from __future__ import annotations

import re
from pathlib import Path

# Assumed where the machine does not say (no /sys): a small L1 and L2 of today's cores.
DEFAULT_CACHES = {"l1d": 32 * 2**10, "l2": 512 * 2**10}


def cache_sizes() -> dict[str, int]:
    """The data caches' sizes in bytes from Linux's /sys, keyed l1d, l2, l3 (what is
    found; empty elsewhere)."""
    sizes: dict[str, int] = {}
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            text = (index / "size").read_text().strip()
        except OSError:
            continue
        match = re.fullmatch(r"(\d+)([KMG]?)", text)
        if not match or kind == "Instruction":
            continue
        value = int(match[1]) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[match[2]]
        sizes["l1d" if level == "1" else f"l{level}"] = value
    return sizes


def cache_sizes_or_defaults() -> dict[str, int]:
    """``cache_sizes``, with ``DEFAULT_CACHES`` for the levels it does not find."""
    return {**DEFAULT_CACHES, **cache_sizes()}
