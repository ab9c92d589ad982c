"""The registry: one description of every backend, and one ``Backend`` object per backend.

A backend is described once, by a ``BackendSpec`` (its name, its module, the native form
its kernels take, whether it uses threads, where its loops run, how a report labels and
colours it). Everything else — the tests, the benchmarks, the JIT probe, the result
files and so the report — iterates ``BACKENDS``; ``register_backend`` adds one.

A ``Backend``'s attributes are the ops (``kernels.get("numba").dot(a, b)``): every op of
``kernels.OPS``, or the few its spec names in ``ops`` (the BLAS ladder's steps implement
``mlp_gradient`` only); whatever iterates backends × ops asks ``spec.implements``. Each public
op does three things, and only the middle one differs between backends:

1. ``check_arguments`` (shared): validate, pick the computation dtype, convert;
2. ``native`` then the bare kernel: lists for the loops, C-contiguous arrays for
   Numba, any NumPy array for NumPy;
3. results back to the common form: NumPy arrays of the computation dtype, Python
   floats, and a Python int for the perceptron's error count.

Benchmarks time only the bare kernel on inputs from ``prepare`` (step 1 and the
conversion, done once, outside the timed region).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache

import numpy as np

from kernels.checks import check_arguments, check_fits_as_lists
from kernels.ops import OPS, Op
from kernels.reference import EVALUATORS


def to_list(value):
    """Arrays to Python lists (the loops' native form); scalars unchanged. Refuses an
    array whose lists would not fit in the memory available (``check_fits_as_lists``)."""
    if not isinstance(value, np.ndarray):
        return value
    check_fits_as_lists(value)
    return value.tolist()


def to_contiguous(value):
    """Arrays to C-contiguous arrays (what Numba's compiled loops expect)."""
    return np.ascontiguousarray(value) if isinstance(value, np.ndarray) else value


def unchanged(value):
    return value


def _engine(module: str, name: str) -> Callable:
    """A function of an engine's module, imported on its first call, so that importing
    the catalogue does not import the engine (JAX, Dask)."""

    def call(value):
        return getattr(importlib.import_module(module), name)(value)

    call.__name__ = call.__qualname__ = name
    return call


# A backend's part in the lesson, which the report reads from the result file: the
# slides' for-loop, the vectorized reference the others are compared with, a compiled
# loop (one thread or several), another array engine, or a variant of another backend.
ROLES = ("loop", "reference", "compiled", "compiled parallel", "engine", "variant")


@dataclass(frozen=True)
class BackendSpec:
    """What a backend is, said once.

    ``interprets`` says which ops run their loops in the Python interpreter: "all",
    "sequential" (only the per-sample rules) or "none". Those are the cases whose time
    grows past a benchmark's budget at the top of a ladder, so the benchmarks predict
    their time before running them. ``compiles`` marks backends that compile on the
    first call (their compile cost is measured on its own).
    """

    name: str
    module: str  # its module, or "module:name", a namespace in a module holding its ops
    how: str  # one line for the README and the report: how this backend computes
    label: str
    colour: str
    native: Callable = unchanged
    # Converts all of one call's checked arguments together, given the op, for an engine
    # whose arrays must match one another (Dask cuts y at X's rows); else ``native``
    # converts each on its own.
    native_together: Callable | None = None
    # Called on a kernel's results inside the timed region, for engines that return
    # before the work is done (asynchronous dispatch): waits for it, returns the results.
    wait: Callable = unchanged
    # Takes Dask arrays as they are (lazy); every other backend is given their values,
    # or a one-line refusal beyond kernels.checks.LAZY_COMPUTE_LIMIT.
    takes_lazy: bool = False
    multithreaded: bool = False
    interprets: str = "none"
    compiles: bool = False
    # Compiles anew for every new shape (XLA), not only for every dtype (Numba): the
    # generated tests draw a new shape per example, so they draw fewer for these.
    compiles_per_shape: bool = False
    # Its thread pool is sized when the process starts and cannot be pinned per case
    # (XLA's CPU client): benchmarked at all cores only, and recorded so.
    fixed_threads: bool = False
    # Subnormal results are flushed to zero (XLA's CPU code): each rounding near zero
    # may lose up to the smallest normal number, which its error bound then allows.
    flushes_subnormals: bool = False
    # Its own scheduler spreads the work over the threads (Dask's, one block per task):
    # each task's BLAS calls then get one thread, as Dask advises, or the threads axis'
    # threads times BLAS's would oversubscribe the cores.
    schedules_threads: bool = False
    # tracemalloc sees the arrays it allocates (NumPy's, Numba's), so the benchmarks can
    # record its memory per call; not an engine with an allocator of its own (PyTorch's).
    allocations_traced: bool = True
    # The libraries (import names) it needs beyond the suite's own dependencies, an
    # optional extra; without them it stays in the catalogue, listed as not installed.
    requires: tuple[str, ...] = ()
    install: str = ""  # how to install them: the error of kernels.get says it
    # What the report compares it as, one of ROLES: it finds backends by role, never by
    # name. A "variant" computes as the backend ``variant_of`` names, but for one change:
    # it takes that backend's other kernels as they are, and only the ops it computes its
    # own way (``Backend.own_ops``) are timed under its name; the others are timed once,
    # under the backend it varies.
    role: str = "engine"
    variant_of: str = ""
    # A variant's own ops, said here so that a run finds them without importing the
    # variant's engine (JAX, PyTorch: 2-3 s of every benchmark process that selects none
    # of its cases); a test checks them against its kernels. None: found from its kernels.
    varies: tuple[str, ...] | None = None
    # The ops it implements, if not every op of kernels.OPS: a report shows the others
    # as not implemented.
    ops: tuple[str, ...] | None = None
    # Timed by the lesson's benchmark run, or only by the full one (the BLAS ladder's
    # steps: a lesson on the roofline, not on the lesson's clock).
    in_lesson: bool = True
    # Its libraries bring an OpenMP runtime of their own (PyTorch's wheel, its libgomp),
    # which must be loaded before Numba's threading layer loads the system's: loaded
    # first, the system's would serve both (bench.threads.load_own_openmp).
    own_openmp: bool = False

    def __post_init__(self) -> None:
        if self.interprets not in ("all", "sequential", "none"):
            raise ValueError(f"backend {self.name!r}: interprets must be all, sequential or none")
        if self.role not in ROLES:
            raise ValueError(f"backend {self.name!r}: role must be one of {', '.join(ROLES)}")
        if (self.role == "variant") != bool(self.variant_of):
            raise ValueError(f"backend {self.name!r}: a variant, and only one, names variant_of")

    def implements(self, op: str) -> bool:
        """Whether this backend has a kernel of ``op``."""
        return self.ops is None or op in self.ops

    def interpreted(self, op: Op) -> bool:
        """Whether ``op``'s loops run in the interpreter on this backend."""
        return self.interprets == "all" or (self.interprets == "sequential" and op.sequential)

    @property
    def missing(self) -> tuple[str, ...]:
        """The libraries of ``requires`` that cannot be imported here."""
        return tuple(r for r in self.requires if importlib.util.find_spec(r) is None)

    @property
    def installed(self) -> bool:
        """Whether every library in ``requires`` can be imported here."""
        return not self.missing

    def record(self) -> dict:
        """The description a result file carries (everything but the conversion), and
        whether the backend was installed where the file was written."""
        code = ("native", "native_together", "wait", "takes_lazy")
        described = {k: v for k, v in asdict(self).items() if k not in code}
        if described["ops"] is not None:
            described["ops"] = list(described["ops"])
        return {**described, "installed": self.installed}


BACKENDS: dict[str, BackendSpec] = {}


def register_backend(spec: BackendSpec) -> BackendSpec:
    """Add a backend: its module must define every op of ``kernels.OPS`` (or of its
    ``ops``), or this raises
    ``NotImplementedError`` and nothing is added. A backend whose libraries are not
    installed is added as such, and checked by the first ``get`` once they are."""
    if spec.name in BACKENDS:
        raise ValueError(f"backend {spec.name!r} is already registered")
    if spec.installed:
        Backend(spec)  # import it and check it now, not at its first use
    BACKENDS[spec.name] = spec
    _build.cache_clear()
    return spec


def register_op(op: Op, evaluator: Callable) -> Op:
    """Add an op: its description, and its bounded reference (see ``kernels.reference``).

    Every backend module must then define a function of the op's name; the backends are
    rebuilt on their next ``get``.
    """
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is already registered")
    OPS[op.name] = op
    EVALUATORS[op.name] = evaluator
    _build.cache_clear()
    return op


def _dask_arguments(op: Op, values):
    """``kernels.dask_engine.to_dask_arguments``, imported on its first call."""
    return importlib.import_module("kernels.dask_engine").to_dask_arguments(op, values)


def _ladder_step(step: str, how: str, label: str, colour: str) -> BackendSpec:
    """A step of the BLAS ladder: compiled like numba, for mlp_gradient only, timed by
    the full run only."""
    return BackendSpec(
        f"numba_{step}",
        f"kernels.numba_ladder:{step}",
        how,
        label=label,
        colour=colour,
        native=to_contiguous,
        compiles=True,
        ops=("mlp_gradient",),
        in_lesson=False,
        role="variant",
        variant_of="numba",
        varies=("mlp_gradient",),
    )


# PyTorch is an optional extra; PyPI's default Linux wheel is a CUDA build of several GB.
TORCH_INSTALL = "pip install torch --index-url https://download.pytorch.org/whl/cpu (its CPU build)"

for _spec in (
    BackendSpec(
        "python",
        "kernels.python_loops",
        "for-loops over Python lists, one multiply-add at a time",
        label="Python loop",
        role="loop",
        colour="#d62728",
        native=to_list,
        interprets="all",
    ),
    BackendSpec(
        "numpy",
        "kernels.numpy_vectorized",
        "whole-array expressions (X @ w, X.T @ errors, ufuncs); a Python loop only over "
        "the samples of the per-sample rules",
        label="NumPy",
        role="reference",
        colour="#1f77b4",
        multithreaded=True,  # BLAS
        interprets="sequential",
    ),
    BackendSpec(
        "numba",
        "kernels.numba_jit",
        "the same loop functions as python, with one decorator: njit(cache=True); dot "
        "sums the vectors' four quarters side by side (four streams of memory)",
        label="Numba",
        role="compiled",
        colour="#2ca02c",
        native=to_contiguous,
        compiles=True,
    ),
    BackendSpec(
        "numba_parallel",
        "kernels.numba_parallel",
        "prange over samples, or over blocks of rows (of the vectors, for dot) each running "
        "the one-thread loop into its own partial sum; the per-sample rules reuse the "
        "one-thread kernels",
        label="Numba parallel",
        role="compiled parallel",
        colour="#9467bd",
        native=to_contiguous,
        multithreaded=True,
        compiles=True,
    ),
    BackendSpec(
        "jax",
        "kernels.jax_engine",
        "the NumPy expressions under jax.jit: XLA fuses them per shape; the per-sample "
        "rules are a lax.scan over rows inside the compiled function",
        label="JAX",
        colour="#ff7f0e",
        native=_engine("kernels.jax_engine", "to_device"),
        wait=_engine("kernels.jax_engine", "wait"),
        multithreaded=True,  # XLA's CPU thread pool (Eigen) for products and reductions
        compiles=True,
        compiles_per_shape=True,
        fixed_threads=True,
        flushes_subnormals=True,
    ),
    BackendSpec(
        "jax_autodiff",
        "kernels.jax_autodiff",
        "as jax, but the logistic gradient is jax.value_and_grad of the cost",
        label="JAX autodiff",
        role="variant",
        variant_of="jax",
        varies=("logistic_gradient", "mlp_gradient"),
        colour="#bcbd22",
        native=_engine("kernels.jax_engine", "to_device"),
        wait=_engine("kernels.jax_engine", "wait"),
        multithreaded=True,
        compiles=True,
        compiles_per_shape=True,
        fixed_threads=True,
        flushes_subnormals=True,
    ),
    BackendSpec(
        "jax_onepass",
        "kernels.jax_onepass",
        "as jax, but the logistic gradient and batch Adaline take X block by block of "
        "rows in a lax.fori_loop, both products of a block from the cache: one pass over X. "
        "XLA runs the loop on one thread and copies each block out of X first: from memory "
        "that copy is the one read of X; while X fits in the cache it costs more than the "
        "second read it saves",
        label="JAX one pass",
        colour="#7f7f7f",
        native=_engine("kernels.jax_engine", "to_device"),
        wait=_engine("kernels.jax_engine", "wait"),
        multithreaded=True,
        compiles=True,
        compiles_per_shape=True,
        fixed_threads=True,
        flushes_subnormals=True,
        role="variant",
        variant_of="jax",
        varies=("logistic_gradient", "adaline_gd_epoch"),
    ),
    BackendSpec(
        "dask",
        "kernels.dask_engine",
        "NumPy's expressions on each dask.array block of rows, partial sums added; the "
        "per-sample rules a chain of Numba tasks over the blocks; computed in the timed region",
        label="Dask",
        colour="#8c564b",
        native=_engine("kernels.dask_engine", "to_dask"),
        native_together=lambda op, values: _dask_arguments(op, values),
        wait=_engine("kernels.dask_engine", "wait"),
        takes_lazy=True,
        multithreaded=True,  # the scheduler's threads, one block each
        schedules_threads=True,
    ),
    BackendSpec(
        "torch",
        "kernels.torch_engine",
        "NumPy's expressions on PyTorch CPU tensors, op by op (eager mode); a Python loop "
        "only over the samples of the per-sample rules",
        label="PyTorch",
        colour="#e377c2",
        native=_engine("kernels.torch_engine", "to_tensor"),
        multithreaded=True,  # PyTorch's intra-op thread pool (torch.set_num_threads)
        interprets="sequential",
        allocations_traced=False,
        requires=("torch",),
        install=TORCH_INSTALL,
        own_openmp=True,
    ),
    BackendSpec(
        "torch_autograd",
        "kernels.torch_autograd",
        "as torch, but the logistic gradient is torch.autograd.grad of the cost",
        label="PyTorch autograd",
        role="variant",
        variant_of="torch",
        varies=("logistic_gradient", "mlp_gradient"),
        colour="#17becf",
        native=_engine("kernels.torch_engine", "to_tensor"),
        multithreaded=True,
        interprets="sequential",
        allocations_traced=False,
        requires=("torch",),
        install=TORCH_INSTALL,
        own_openmp=True,
    ),
    # How BLAS gets its speed: the numba loop's two products of mlp_gradient, one small
    # step at a time (kernels/numba_ladder.py), for the roofline of the full run.
    _ladder_step(
        "blocked",
        "the numba loop's two products in blocks sized for the L1 and L2 caches, four "
        "rows of X kept in L1 while a block of W1ᵀ walks them: removes most loads from L2",
        label="Numba blocked",
        colour="#98df8a",
    ),
    _ladder_step(
        "tiled",
        "the blocked loop with a register tile, four rows × two units per walk: removes "
        "loads, each number loaded now feeding two or four multiply-adds",
        label="Numba register tile",
        colour="#6b8e23",
    ),
    _ladder_step(
        "packed",
        "the register tile on each block of W1ᵀ copied into one contiguous buffer first: "
        "removes the scattered reads of a block spread over many rows of W1ᵀ",
        label="Numba packed",
        colour="#006400",
    ),
):
    BACKENDS[_spec.name] = _spec


def _finish(kind: str, value, dtype: np.dtype):
    if kind in ("vector", "matrix"):
        # Lists (from the loops) become arrays; arrays are returned as computed (another
        # engine's arrays and PyTorch's CPU tensors as NumPy arrays of their own dtype),
        # so a backend that changed the dtype is caught by the tests, not hidden here.
        # Every result is a writable array of the caller's own: an engine's array read
        # through np.asarray would be a read-only view of the engine's buffer (JAX).
        if isinstance(value, list):
            return np.array(value, dtype=dtype)
        if isinstance(value, np.ndarray) and value.flags.writeable and value.flags.owndata:
            return value
        # np.asarray, then a copy: np.array(tensor) asks PyTorch's __array__ for a copy
        # keyword it does not take (a DeprecationWarning from NumPy 2).
        return np.asarray(value).copy()
    if kind == "count":
        return int(value)
    # A value of the computation dtype, as a Python float: the loops carry float64
    # intermediates, so a float32 result is rounded here (and is inf beyond its range).
    # A 0-d array or tensor of an engine is read as its one value.
    return float(dtype.type(value))


class Backend:
    """One implementation of every op in ``kernels.OPS``, or of those its spec names."""

    def __init__(self, spec: BackendSpec):
        self.spec = spec
        self.name = spec.name
        module, _, namespace = spec.module.partition(":")
        self.module = importlib.import_module(module)
        if namespace:
            self.module = getattr(self.module, namespace)
        self.to_native = spec.native
        self.ops = [op for op in OPS if spec.implements(op)]
        unknown = sorted(set(spec.ops or ()) - set(OPS))
        if unknown:
            raise ValueError(f"backend {self.name!r}: unknown ops {unknown}")
        missing = [op for op in self.ops if not callable(getattr(self.module, op, None))]
        if missing:
            raise NotImplementedError(f"backend {self.name!r} lacks ops {missing}")
        for op in self.ops:
            setattr(self, op, self._public(op))

    def __repr__(self) -> str:
        return f"<kernels backend {self.name!r}>"

    @property
    def own_ops(self) -> tuple[str, ...]:
        """The ops this backend computes its own way: the ops it implements, but, for a
        variant of another backend (``BackendSpec.variant_of``), only those whose kernel
        is not that backend's."""
        ops = [op for op in OPS if self.spec.implements(op)]
        if not self.spec.variant_of:
            return tuple(ops)
        varied = get(self.spec.variant_of)
        return tuple(op for op in ops if self.kernel(op) is not varied.kernel(op))

    def __getattr__(self, name: str):
        if name in OPS:  # an op this backend does not implement
            implemented = ", ".join(self.ops)
            raise AttributeError(f"backend {self.name!r} implements only {implemented}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def kernel(self, op: str) -> Callable:
        """The bare kernel: native arguments in (see ``prepare``), native results out."""
        return getattr(self.module, op)

    def timed(self, op: str) -> Callable:
        """What a benchmark times: the bare kernel, and, for an engine that returns before
        its work is done, the wait for that work (``BackendSpec.wait``)."""
        kernel, wait = self.kernel(op), self.spec.wait
        if wait is unchanged:
            return kernel
        return lambda *args: wait(kernel(*args))

    def prepare(self, op: str, *args, **kwargs) -> tuple:
        """Check and convert arguments once, for calling ``kernel(op)`` repeatedly."""
        checked, _ = check_arguments(op, args, kwargs, keep_lazy=self.spec.takes_lazy)
        return tuple(self.native_arguments(op, checked))

    def native_arguments(self, op: str, checked) -> list:
        """The checked arguments of one call of ``op`` in this backend's native form."""
        if self.spec.native_together is not None:
            return list(self.spec.native_together(OPS[op], checked))
        return [self.to_native(value) for value in checked]

    def _public(self, op: str) -> Callable:
        spec = OPS[op]
        kernel = self.kernel(op)
        native_arguments = self.native_arguments
        returns = spec.returns

        wait = self.spec.wait
        keep_lazy = self.spec.takes_lazy

        def public(*args, **kwargs):
            checked, dtype = check_arguments(op, args, kwargs, keep_lazy=keep_lazy)
            # NaN and inf propagate silently in every backend, as they do in compiled
            # loops: NumPy would warn on reaching them in a product or on a float32 cast.
            # The native arguments stay referenced until the wait is over: a lazy result
            # may need them (Dask arrays persisted on a cluster are released with them).
            native = native_arguments(op, checked)
            with np.errstate(all="ignore"):
                result = wait(kernel(*native))
                del native
                if len(returns) == 1:
                    return _finish(returns[0], result, dtype)
                return tuple(_finish(k, v, dtype) for k, v in zip(returns, result, strict=True))

        public.__name__ = public.__qualname__ = op
        public.__doc__ = f"{spec.formula}\n\n({self.name} backend; see kernels.OPS[{op!r}])"
        public.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in spec.arg_names]
        )
        return public


@cache
def _build(name: str) -> Backend:
    return Backend(BACKENDS[name])


def with_role(role: str) -> str:
    """The first registered backend with ``role`` (one of ``ROLES``): the loop the others
    are compared with, the vectorized reference, ..."""
    found = next((name for name, spec in BACKENDS.items() if spec.role == role), None)
    if found is None:
        raise LookupError(f"no backend has the role {role!r}")
    return found


def installed_backends() -> list[str]:
    """The backends of the catalogue whose libraries are installed, in its order: the ones
    the tests run and the benchmarks time (the others are listed as not installed)."""
    return [name for name, spec in BACKENDS.items() if spec.installed]


def own_ops(backend: str) -> tuple[str, ...]:
    """``Backend.own_ops`` of ``backend``, without importing it where its spec says them
    (``BackendSpec.varies``; a backend that varies none computes all it implements)."""
    spec = BACKENDS[backend]
    ops = tuple(op for op in OPS if spec.implements(op))
    if not spec.variant_of:
        return ops
    if spec.varies is not None:
        return tuple(op for op in ops if op in spec.varies)
    return get(backend).own_ops


def get(backend: str) -> Backend:
    """The backend called ``backend``, one of ``kernels.BACKENDS``; an ``ImportError``
    saying how to install it if its libraries are not installed."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    spec = BACKENDS[backend]
    if spec.missing:
        missing = " and ".join(spec.missing)
        raise ImportError(f"{backend} backend: {missing} is not installed; {spec.install}")
    return _build(backend)
