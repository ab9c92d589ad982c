"""What a class page knows of each machine, read from its result file: an identity that
tells the same machine handed in twice from two machines of one model, and the widest SIMD
vectors it has."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# The widest vector registers each SIMD extension brings, in bits (bench/machine.py's
# SIMD_FLAGS, as py-cpuinfo names them).
SIMD_BITS = {
    "sse2": 128, "sse4_1": 128, "sse4_2": 128, "neon": 128, "asimd": 128,
    "avx": 256, "avx2": 256, "fma": 256,
    "avx512f": 512, "avx512dq": 512, "avx512bw": 512, "avx512vl": 512, "avx512_vnni": 512,
}  # fmt: skip
# SVE's width is the hardware's choice (128 to 2048 bits): py-cpuinfo does not say it.


def simd_bits(cpu: dict[str, Any]) -> int | None:
    """The widest SIMD vectors of the CPU's recorded extensions, in bits, or None."""
    widths = [SIMD_BITS[flag] for flag in cpu.get("simd") or [] if flag in SIMD_BITS]
    return max(widths) if widths else None


def machine_key(node: str | None, suite: dict[str, Any]) -> str:
    """A digest of the host name and the machine facts that do not change between runs:
    equal for two runs of one machine, different for two machines of one model (their
    host names differ). The host name cannot be read back from it, though a guessed name
    can be checked against it."""
    cpu = suite.get("cpu") or {}
    memory = (suite.get("system") or {}).get("memory") or {}
    facts = {
        "node": node or "",
        "brand": cpu.get("brand"),
        "arch": cpu.get("arch"),
        "logical_cores": cpu.get("logical_cores"),
        "physical_cores": cpu.get("physical_cores"),
        "caches": [cpu.get(key) for key in ("l1d_bytes", "l2_bytes", "l3_bytes")],
        "simd": sorted(cpu.get("simd") or []),
        "memory_bytes": memory.get("total_bytes"),
    }
    text = json.dumps(facts, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
