"""Small pieces of wording shared by the report's sections: case names, "X is N× faster
than Y", the series and quartiles a sentence reads."""

from __future__ import annotations

import pandas as pd

from reports import analysis
from reports.formatting import format_ratio, format_shape, format_time, shape_of
from reports.style import Style


def shape_text(row) -> str:
    return format_shape(shape_of(row["shape"] if isinstance(row, pd.Series) else row.shape))


def case_name(backend: str, threads: int, *, look: Style) -> str:
    return look.series_label(backend, int(threads))


def faster_than(ratio: float, subject: str, other: str) -> str:
    """``"NumPy is 312× faster than the loop"`` or the reverse, for any ratio."""
    if ratio >= 1:
        return f"{subject} is {format_ratio(ratio)} faster than {other}"
    return f"{other} is {format_ratio(1 / ratio)} faster than {subject}"


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def relative(ratio: float) -> str:
    """``239.4`` → ``"239× faster"``; ``0.95`` → ``"1.05× slower"``."""
    return f"{format_ratio(ratio)} faster" if ratio >= 1 else f"{format_ratio(1 / ratio)} slower"


def primary_dtype(table: pd.DataFrame, op: str) -> str:
    return analysis.dtypes(table, op)[0]


def per_element(row: pd.Series) -> str:
    return format_time(row["median_s"] / row["size"])


def band(row: pd.Series) -> tuple[float, float, float]:
    """A measurement's median and its 95% interval, as the comparison rule takes them."""
    return row["ci_low_s"], row["median_s"], row["ci_high_s"]


def headline_title(head: analysis.Headline) -> str:
    """The case a headline shows: "logistic_gradient at m × n = 10⁴ × 100, float64"."""
    op = head.rows["op"].iloc[0]
    return f"{op} at {format_shape(shape_of(head.rows['shape'].iloc[0]))}, {head.dtype}"
