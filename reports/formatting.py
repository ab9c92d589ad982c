"""Numbers as a student reads them: times with units, ratios with ×, sizes as powers of ten.

Three significant digits everywhere: enough to compare, not so many that noise looks
like information.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from vbschema.run import shape_key as shape_key  # re-exported for bench.yours

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_TIME_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"), (1e-12, "ps"))


def _sig(x: float) -> str:
    """Three significant digits, and never an exponent: 999.5 and up in full, with commas
    (a time of 0.0009995 s is 999.5 µs by the float's rounding: "1,000 µs", not "1e+03")."""
    return f"{x:,.0f}" if abs(x) >= 999.5 else f"{x:.3g}"


def format_time(seconds: float) -> str:
    """``0.0821`` → ``"82.1 ms"``; one unit per number, chosen so the mantissa is ≥ 1."""
    if not math.isfinite(seconds):
        return "—"
    found = (pair for pair in _TIME_UNITS if seconds >= pair[0] * 0.9995)
    scale, unit = next(found, _TIME_UNITS[-1])
    return f"{_sig(seconds / scale)} {unit}"


def format_ratio(ratio: float) -> str:
    """``312.4`` → ``"312×"``; ``0.4123`` → ``"0.412×"``."""
    if not math.isfinite(ratio):
        return "—"
    return f"{_sig(ratio)}×"


def format_count(count: float) -> str:
    return f"{count:,.0f}"


def format_percent(share: float) -> str:
    if not math.isfinite(share):
        return "—"
    return f"{share:.0%}" if share >= 0.095 else f"{share:.1%}"


def format_rate(value: float, unit: str) -> str:
    """``12.345, "GB/s"`` → ``"12.3 GB/s"``."""
    if not math.isfinite(value):
        return "—"
    return f"{_sig(value)} {unit}"


def format_bytes(count: float) -> str:
    """``33554432`` → ``"32 MiB"`` (binary units, as caches are sized)."""
    for power, unit in ((3, "GiB"), (2, "MiB"), (1, "KiB")):
        if count >= 1024**power:
            return f"{_sig(count / 1024**power)} {unit}"
    return f"{count:.0f} B"


def format_size(n: float) -> str:
    """``1_000_000`` → ``"10⁶"``; ``300_000`` → ``"3·10⁵"``; ``1500`` → ``"1,500"``: a single
    digit times a power of ten ≥ 10³ as a power, any other size in full."""
    if n >= 1000 and n == int(n):
        exponent = math.floor(math.log10(n))
        mantissa, remainder = divmod(int(n), 10**exponent)
        if remainder == 0:
            return _times_power(mantissa, exponent)
    return f"{n:,.0f}"


def _times_power(mantissa: float, exponent: int) -> str:
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return power if mantissa == 1 else f"{mantissa:g}·{power}"


def format_shape(sizes: Mapping[str, int]) -> str:
    """``{"m": 10000, "n": 100}`` → ``"m × n = 10⁴ × 100"``; ``{"n": 10**6}`` → ``"n = 10⁶"``;
    the shallow network's ``"m × n × h = 2000 × 784 × 64"``."""
    names = sorted(sizes, key=_size_order)
    values = [format_size(sizes[name]) for name in names]
    return f"{' × '.join(names)} = {' × '.join(values)}"


def _size_order(name: str) -> tuple[int, str]:
    """Samples, features, hidden units, then any other size name alphabetically."""
    return ("mnh".index(name) if name in ("m", "n", "h") else 3, name)


_AXIS_NAMES = {
    frozenset("n"): "n (vector length)",
    frozenset("m"): "m (samples)",
    frozenset("mn"): "m·n (elements of X)",
    frozenset("mnh"): "m·n·h (elements of X × hidden units)",
}


def size_axis_name(size_names: frozenset[str] | set[str]) -> str:
    """What the size of an op counts, for axis labels: ``"m·n (elements of X)"``."""
    return _AXIS_NAMES.get(frozenset(size_names), size_symbol(size_names) + " (elements)")


def shape_of(shape_key: str) -> dict[str, int]:
    """The sizes encoded in a table's ``shape`` column (``"m=100 n=10"``)."""
    return {k: int(v) for k, v in (part.split("=") for part in shape_key.split())}


def format_approx_size(size: float) -> str:
    """An estimated size to two significant digits: ``31622.8`` → ``"3.2·10⁴"``."""
    rounded = float(f"{size:.2g}")
    if rounded < 10_000:
        return f"{rounded:,.0f}"
    exponent = math.floor(math.log10(rounded))
    return _times_power(rounded / 10**exponent, exponent)


def size_symbol(size_names: frozenset[str] | set[str]) -> str:
    """The letter(s) a size is written with in the text: ``n``, ``m`` or ``m·n``."""
    return "·".join(sorted(size_names))


# --- numbers in sentences about the course experiments ---------------------------------

FLOAT64_EPS = 2.0**-52  # float64's machine epsilon


def format_number(x: float) -> str:
    """Three significant digits, a proper minus, powers of ten for the very large or small:
    ``-0.6789`` → ``"−0.679"``; ``123456`` → ``"1.23·10⁵"``."""
    if x != 0 and not 1e-3 <= abs(x) < 1e5:
        mantissa, exponent = f"{x:.2e}".split("e")
        text = f"{mantissa}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    else:
        text = f"{x:.3g}"
    return text.replace("-", "−")


def format_vector(values) -> str:
    """``[1, -2.5]`` → ``"(1, −2.5)"``."""
    return "(" + ", ".join(format_number(v) for v in values) + ")"


def format_linear(w, b: float, names) -> str:
    """``w·x + b`` written out: ``−0.68·sepal length + 1.82·petal length − 0.4``."""
    text = f"{format_number(w[0])}·{names[0]}"
    for value, name in ((w[1], names[1]), (b, None)):
        sign = "−" if value < 0 else "+"
        term = format_number(abs(value)) + (f"·{name}" if name else "")
        text += f" {sign} {term}"
    return text


def format_eps(x: float) -> str:
    """A relative difference in units of float64's machine epsilon: ``"3.5 ε"``."""
    return "0" if x == 0 else f"{x / FLOAT64_EPS:.2g} ε"
