"""The section "Where the compiled loops still lose to NumPy", from a table whose numbers are known:
which comparisons count (10⁶ elements up, same threads, not the network's), and what the
section says about the slower ones."""

from __future__ import annotations

import pandas as pd
import pytest

from reports.losses import loss_findings, losses_section
from reports.style import Style

LOOP = {"compiles": True, "compiles_per_shape": False, "interprets": "none", "role": "compiled"}


def _row(op, backend, threads, m, median_s, share=None, h=None):
    n = 100
    return {
        "op": op, "backend": backend, "dtype": "float64", "threads": threads,
        "m": m, "n": n, "h": h, "size": m * n * (h or 1), "shape": f"m={m} n={n}",
        "status": "ok", "median_s": median_s, "q1_s": 0.99 * median_s,
        "q3_s": 1.01 * median_s, "ci_low_s": 0.99 * median_s, "ci_high_s": 1.01 * median_s,
        "flags": "", "served_from": "memory",
        "bandwidth_share": share,
    }  # fmt: skip


@pytest.fixture
def look():
    return Style.of(
        {
            "backends": {
                "numpy": {"label": "NumPy", "interprets": "sequential", "role": "reference"},
                "numba": {"label": "Numba", **LOOP},
                "jax": {"label": "JAX", "compiles": True, "role": "engine"},
            },
            "ops": {},
        }
    )


@pytest.fixture
def table():
    rows = [
        _row("dot", "numpy", 1, 10**3, 1.0),  # 10⁵ elements: below the sizes compared
        _row("dot", "numba", 1, 10**3, 2.0),
        _row("logistic_backward", "numpy", 1, 10**4, 1.0, share=0.95),
        _row("logistic_backward", "numba", 1, 10**4, 1.2, share=0.79),  # slower
        _row("logistic_backward", "numpy", 2, 10**4, 1.0, share=0.95),
        _row("logistic_backward", "numba", 2, 10**4, 1.0, share=0.95),  # level
        _row("logistic_gradient", "numpy", 1, 10**5, 2.0, share=0.3),
        _row("logistic_gradient", "numba", 1, 10**5, 1.0, share=0.6),  # faster
        _row("logistic_gradient", "jax", 1, 10**5, 9.0),  # not a compiled loop
        _row("mlp_gradient", "numpy", 1, 10**4, 1.0, h=64),  # the network's: roofline
        _row("mlp_gradient", "numba", 1, 10**4, 4.0, h=64),
    ]
    frame = pd.DataFrame(rows)
    frame["h"] = frame["h"].astype("Int64")
    return frame


def test_only_compiled_loops_from_a_million_elements_count(table, look):
    found = loss_findings(table, look=look)
    assert found["loops"] == ["Numba"]
    assert (found["compared"], found["faster"], found["level"]) == (3, 1, 1)
    [slower] = found["slower"]
    assert (slower["op"], slower["dtype"], slower["streaming"]) == (
        "logistic_backward", "float64", True,
    )  # fmt: skip
    assert slower["speedup"] == "0.833×"


def test_the_section_lists_each_loss_with_what_held_numpy(table, look):
    text = losses_section(table, look=look)
    assert "faster in 1, level in 1 and slower in 1" in text
    assert "| `logistic_backward` | Numba, 1 thread | float64 |" in text
    assert "| 95% | 79% |" in text
    assert "In 1 of these NumPy already reads at 85%" in text  # rules.MEMORY_BOUND


def test_no_loss_says_so(table, look):
    kept = table[~((table["op"] == "logistic_backward") & (table["threads"] == 1))]
    text = losses_section(kept, look=look)
    assert "None is slower" in text


def test_a_share_above_the_ceiling_is_not_printed_as_a_fact():
    """A share over the measured ceiling says the probe read less than the kernel, not
    that the kernel beat the hardware."""
    from reports.losses import _share

    assert _share(0.5) == "50%"
    assert _share(1.09) == "above the probe's ceiling (109%)"
    assert _share(float("nan")) == "—"
