"""Helpers that Numba compiles once per argument types, not once per kind of caller.

``numba.extending.register_jitable`` teaches Numba to compile a plain Python function
when compiled code calls it: the kernels' helpers (``python_loops``' walks, the vector
math, the parallel kernels' block arithmetic). Numba keeps what it compiled for a helper
keyed by the argument types *and by every compiler flag of the caller*
(``_OverloadFunctionTemplate._get_impl`` in ``numba/core/typing/templates.py``). The
one-thread kernels and the parallel ones differ by their ``parallel`` flag, so each
parallel kernel compiled every helper a second time, for nothing: a helper inherits
only four of its caller's flags (``nrt``, ``fastmath``, ``error_model`` and
``forceinline``, in ``CPUTargetOptions.finalize`` of ``numba/core/cpu.py``), and its
machine code depends on no other.

``compiled_once`` is ``register_jitable`` keyed by the argument types and those four
flags only. Measured in one process, fresh cache, every kernel of ``numba`` and
``numba_parallel`` in both dtypes, alternating runs on the 2-core machine: 77.4 and
80.8 s of CPU with ``register_jitable``, 62.0 and 60.9 s so. The machine code of 38 of
the 40 kernels is the same; ``numba``'s ``mlp_gradient`` makes 6 fewer reference-count
calls, its run time unchanged within the spread (``tests/test_compile_once.py`` checks
that a helper compiles once).
If a Numba release renames what this relies on, the helpers are simply registered as
``register_jitable`` does: slower to compile, never wrong.
"""

from __future__ import annotations

from numba.core import targetconfig, types
from numba.core.typing import templates
from numba.extending import register_jitable

# The caller's flags a helper's compilation inherits (CPUTargetOptions.finalize).
INHERITED_FLAGS = ("nrt", "fastmath", "error_model", "forceinline")


def _inherited(flags) -> tuple | None:
    """What a helper compiled under ``flags`` inherits from them, hashable."""
    if flags is None:
        return None
    values = []
    for name in INHERITED_FLAGS:
        value = getattr(flags, name)
        values.append(frozenset(value.flags) if hasattr(value, "flags") else value)
    return tuple(values)


def _get_impl_once(self, args, kws):
    """``_OverloadFunctionTemplate._get_impl``, keyed by the inherited flags only."""
    cache_key = (
        self.context,
        tuple(args),
        tuple(kws.items()),
        _inherited(targetconfig.ConfigStack.top_or_none()),
    )
    if cache_key in self._impl_cache:
        return self._impl_cache[cache_key]
    return self._build_impl(cache_key, args, kws)


def _templates_of(function):
    """The typing templates Numba registered for ``function``."""
    return [
        template
        for value, typ in templates.builtin_registry.globals
        if value is function and isinstance(typ, types.Function)
        for template in typ.templates
    ]


def compile_once(function):
    """Key what Numba compiles for ``function`` (registered by ``overload`` or
    ``register_jitable``) by argument types and inherited flags only. Returns it."""
    for template in _templates_of(function):
        if all(hasattr(template, name) for name in ("_get_impl", "_build_impl", "_impl_cache")):
            template._get_impl = _get_impl_once
    return function


def compiled_once(function=None, *, inline="never"):
    """``register_jitable(function)`` (also as ``@compiled_once(inline="always")``),
    compiled once per argument types and inherited flags, whatever else differs between
    its callers. Returns ``function``."""

    def register(function):
        register_jitable(inline=inline)(function)
        return compile_once(function)

    return register if function is None else register(function)
