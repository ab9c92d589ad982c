"""The benchmark options that need a check, written once for ``python -m bench.run``
(which refuses a bad value before starting pytest) and for the pytest plugin
(``bench/conftest.py``), and for ``python -m bench.beyond_memory``'s ``--scheduler``."""

from __future__ import annotations

import argparse
import math
import re

# A scheduler's address as dask.distributed takes it: tcp://HOST:PORT (or tls://, ucx://,
# inproc://…), or HOST:PORT.
_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://[^\s/]+|[^\s/:]+:\d+)$")
SCHEDULERS = ("threads", "local")


def dask_scheduler(text: str) -> str:
    """``threads``, ``local`` or a scheduler's address; anything else (a typo such as
    ``thread``) is refused before anything connects."""
    if text in SCHEDULERS or _ADDRESS.match(text):
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither threads, local nor a scheduler's address (tcp://HOST:PORT)"
    )


def budget_seconds(text: str) -> float:
    """A time budget: a finite number of seconds above zero (NaN and infinity would be
    written into the result file as JSON no strict parser reads; zero or less would
    skip every case)."""
    return _finite_above_zero(text, "number of seconds")


def positive_number(text: str) -> float:
    """A finite number above zero (a size, a limit, a rate)."""
    return _finite_above_zero(text, "number")


def _finite_above_zero(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a {what}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite {what} > 0, got {text}")
    return value


def positive_integer(text: str) -> int:
    """A whole number above zero (epochs, features, threads)."""
    return _whole_number(text, minimum=1)


def non_negative_integer(text: str) -> int:
    """A whole number, zero or above (a seed)."""
    return _whole_number(text, minimum=0)


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        bound = "> 0" if minimum == 1 else f">= {minimum}"
        raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
    return value
