"""What is particular to the engines beyond loops, NumPy and Numba: JAX's float64 scope,
its native form, and the gradient JAX takes by itself; Dask's blocks and schedulers;
PyTorch's tensors, threads and autograd."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from support import assert_matches_reference, assert_within, implementing, reference_for, run

import kernels

JAX_BACKENDS = ("jax", "jax_autodiff", "jax_onepass")


@pytest.mark.parametrize("backend", JAX_BACKENDS)
def test_jax_computes_float64_without_changing_jax_defaults(backend):
    assert not jax.config.jax_enable_x64  # JAX's default, before ...
    a = np.array([1.0, 1e-10])
    (total,) = run(backend, "dot", (a, np.ones(2)))
    assert total == 1.0 + 1e-10  # float64: float32 would return 1.0
    assert not jax.config.jax_enable_x64  # ... and after
    assert jnp.ones(2).dtype == jnp.float32
    assert jnp.asarray(np.ones(2)).dtype == jnp.float32


@pytest.mark.parametrize("backend", JAX_BACKENDS)
def test_jax_native_form_is_a_device_array_of_the_same_dtype(backend):
    implementation = kernels.get(backend)
    for dtype in (np.float32, np.float64):
        w, b, X, y = implementation.prepare(
            "logistic_gradient", *kernels.make_inputs("logistic_gradient", {"m": 5, "n": 3}, dtype)
        )[:4]
        assert isinstance(X, jax.Array)
        assert X.dtype == dtype
        assert isinstance(b, float)  # weakly typed: takes the arrays' dtype
        results = implementation.timed("logistic_gradient")(
            *implementation.prepare("logistic_gradient", w, b, X, y)
        )
        assert all(isinstance(r, jax.Array) and r.dtype == dtype for r in results)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_autodiff_gradient_at_zero_weights_and_saturated_samples(dtype):
    """σ'(0) at w = 0 (where training starts), and samples far past the clip of the
    cross-entropy: the clip guards the value and leaves the gradient σ(z) - y."""
    X = np.array([[0.0], [1e4], [-1e4], [3.0]], dtype=dtype)
    y = np.array([1.0, 0.0, 1.0, 1.0], dtype=dtype)
    for w in (np.zeros(1, dtype), np.ones(1, dtype)):
        assert_matches_reference("logistic_gradient", (w, 0.0, X, y), JAX_BACKENDS)


def test_the_own_ops_a_variant_says_are_those_its_kernels_make_its_own():
    """``BackendSpec.varies`` lets a run find a variant's own ops without importing its
    engine; it must say what the kernels do, for every installed backend."""
    for name, spec in kernels.BACKENDS.items():
        if spec.installed:
            assert kernels.own_ops(name) == kernels.get(name).own_ops, name
    assert kernels.own_ops("jax_onepass") == ("logistic_gradient", "adaline_gd_epoch")


def test_a_variant_is_its_base_but_for_its_own_ops():
    """jax_onepass differs from jax in the two gradients that read X twice, and only
    there: the other ops are jax's kernels, timed once, under jax."""
    assert kernels.get("jax_onepass").own_ops == ("logistic_gradient", "adaline_gd_epoch")
    assert kernels.get("jax").own_ops == tuple(kernels.OPS)
    onepass, jax_backend = kernels.get("jax_onepass"), kernels.get("jax")
    assert onepass.kernel("dot") is jax_backend.kernel("dot")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jax_gradient_computes_the_exponential_once_per_sample(dtype):
    """σ and the softplus share e^-|z|: XLA merges the two only if they are spelled the
    same (``jax_engine.exp_minus_abs``); spelled differently, every block of the one
    pass computed it twice."""
    from kernels import jax_engine

    w, b, X, y = kernels.make_inputs("logistic_gradient", {"m": 64, "n": 3}, dtype)
    with jax.enable_x64(True):
        compiled = jax.jit(jax_engine.gradient_sums).lower(w, b, X, y).compile()
    assert compiled.as_text().count(" exponential(") == 1


@pytest.fixture
def tiny_row_blocks(monkeypatch):
    """Blocks of 48 bytes (two rows of three float64, four of float32): the one-pass
    loop runs over many blocks and a remainder. Compiled anew before and after."""
    from kernels import jax_onepass

    ops = (jax_onepass.logistic_gradient, jax_onepass.adaline_gd_epoch)
    for op in ops:
        op.compiled.clear_cache()
    monkeypatch.setattr(jax_onepass, "BLOCK_BYTES", 48)
    yield jax_onepass
    for op in ops:
        op.compiled.clear_cache()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op", ["logistic_gradient", "adaline_gd_epoch"])
def test_jax_one_pass_in_many_blocks_matches_the_reference(op, dtype, tiny_row_blocks):
    for sizes in ({"m": 1, "n": 3}, {"m": 8, "n": 3}, {"m": 9, "n": 3}, {"m": 57, "n": 6}):
        args = kernels.make_inputs(op, sizes, dtype, seed=sizes["m"])
        X = args[2]
        if sizes["m"] >= 8:
            assert tiny_row_blocks.rows_per_block(X) <= sizes["m"] // 2  # two blocks or more
        assert_matches_reference(op, args, ["jax_onepass"])


# --- Dask ---------------------------------------------------------------------------------

DASK_SHAPES = [{"m": 1, "n": 3, "h": 2}, {"m": 9, "n": 1, "h": 1}, {"m": 57, "n": 6, "h": 5}]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 16 bytes: every shape above is cut into several blocks of rows."""
    from kernels import dask_engine

    monkeypatch.setattr(dask_engine, "CHUNK_BYTES", 16)
    return dask_engine


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op", kernels.OPS)
def test_dask_in_many_blocks_matches_the_reference(op, dtype, small_blocks):
    for sizes in DASK_SHAPES:
        args = kernels.make_inputs(op, sizes, dtype, seed=sizes["m"])
        native = kernels.get("dask").prepare(op, *args)
        if sizes["m"] > 8 and OPS_WITH_SAMPLES[op]:
            assert max(a.numblocks[0] for a in native if hasattr(a, "numblocks")) > 1
        assert_matches_reference(op, args, ["dask"])


OPS_WITH_SAMPLES = {name: "m" in op.size_names for name, op in kernels.OPS.items()}


@pytest.mark.parametrize("op", kernels.OPS)
def test_dask_cuts_every_per_sample_array_at_the_same_rows(op, monkeypatch):
    """y and A are cut at X's rows when prepared, so no op rechunks them in the timed
    region; the weights every block multiplies are one block; and a problem smaller than
    a block is still cut into one block per core, unless its blocks would be smaller than
    MIN_SPLIT_BYTES."""
    import dask

    from kernels import dask_engine

    monkeypatch.setattr(dask_engine, "CHUNK_BYTES", 50 * 40 * 8)  # 50 rows of X
    spec = kernels.OPS[op]
    split = spec.size_names[0]
    row = 40 * 8
    cases = ((300, row, 6), (3, row, min(3, dask.system.CPU_COUNT)), (3, 4 * row, 1))
    for m, min_split, blocks in cases:
        monkeypatch.setattr(dask_engine, "MIN_SPLIT_BYTES", min_split)
        args = kernels.make_inputs(op, {"m": m, "n": 40, "h": 3}, "float64", seed=1)
        native = kernels.get("dask").prepare(op, *args)
        arrays = [(p, a) for p, a in zip(spec.params, native, strict=False) if p.is_array]
        cuts = {a.chunks[0] for p, a in arrays if p.axes[0] == split}
        assert len(cuts) == 1, cuts
        if "X" in spec.arg_names:  # 50 rows of X a block, or a core's share
            assert len(cuts.pop()) == blocks
        assert all(a.numblocks == (1,) * a.ndim for p, a in arrays if p.axes[0] != split)


def _never_computed(shape, dtype):
    """A Dask array whose computation fails: it proves that nothing computed it."""
    import dask
    import dask.array as da

    def fail():
        raise AssertionError("computed a lazy argument")

    return da.from_delayed(dask.delayed(fail)(), shape=shape, dtype=dtype)


def test_the_checks_read_dask_arrays_without_computing_them():
    from kernels.checks import check_arguments

    X, y = _never_computed((5, 3), np.float32), _never_computed((5,), np.float32)
    checked, dtype = check_arguments("logistic_gradient", (np.zeros(3, np.float32), 0.0, X, y), {})
    assert dtype == np.float32
    assert checked[2] is X
    lazy_y = _never_computed((4,), float)
    with pytest.raises(ValueError, match=r"y has shape \(4,\) but X has shape \(5, 3\)"):
        check_arguments("adaline_gd_epoch", (np.zeros(3), 0.0, X, lazy_y, 1.0), {})


@pytest.mark.parametrize("op", kernels.OPS)
def test_dask_takes_dask_arrays(op):
    import dask.array as da

    args = kernels.make_inputs(op, {"m": 30, "n": 4, "h": 3}, "float64", seed=2)
    lazy = tuple(da.from_array(a, chunks=7) if isinstance(a, np.ndarray) else a for a in args)
    ref, _ = reference_for(op, args)
    assert_within(op, "dask", run("dask", op, lazy), ref.values, ref.tolerances)


@pytest.mark.parametrize("op", ["adaline_sgd_epoch", "perceptron_epoch"])
def test_dask_walks_hand_its_numba_kernel_c_contiguous_blocks_only(op):
    """Fortran-ordered and strided inputs are right, and compile no specialization of
    the walk's Numba kernel beyond the C-contiguous one of each dtype."""
    from kernels import dask_engine, numba_jit

    kernel = {"adaline_sgd_epoch": dask_engine._sgd_steps}.get(op, numba_jit.perceptron_epoch)
    w, b, X, y, eta = kernels.make_inputs(op, {"m": 30, "n": 4}, "float64", seed=3)
    spaced = np.zeros(2 * len(w))
    spaced[::2] = w
    args = (spaced[::2], b, np.asfortranarray(X), y, eta)
    ref, _ = reference_for(op, args)
    assert_within(op, "dask", run("dask", op, args), ref.values, ref.tolerances)
    arrays = [t for signature in kernel.signatures for t in signature if hasattr(t, "layout")]
    assert {array.layout for array in arrays} == {"C"}, kernel.signatures


def test_dask_threads_and_a_distributed_cluster_agree(monkeypatch):
    """The same ops on Dask's threaded scheduler and on a dask.distributed cluster (its
    workers in this process, to start in a second) give results within the bound."""
    from kernels import dask_engine

    monkeypatch.setattr(dask_engine, "CHUNK_BYTES", 400)  # 40 x 5 float64: four blocks
    results = {}
    cases = {
        op: kernels.make_inputs(op, {"m": 40, "n": 5, "h": 4}, "float64", seed=11)
        for op in kernels.OPS
    }
    for name in ("threads", "local"):
        options = {"processes": False, "n_workers": 2, "threads_per_worker": 1}
        with dask_engine.scheduler(name, **(options if name == "local" else {})) as described:
            assert described["threads"] >= 1
            results[name] = {op: run("dask", op, args) for op, args in cases.items()}
    assert described["scheduler"] == "distributed-local"
    assert described["workers"] == 2
    for op, args in cases.items():
        ref, _ = reference_for(op, args)
        twice = tuple(2 * np.asarray(t) for t in ref.tolerances)
        assert_within(op, "threads vs local", results["threads"][op], results["local"][op], twice)


def test_dask_wait_runs_one_thread_in_the_caller_and_more_on_the_pool():
    """``wait`` hands the op's graph to the scheduler itself: on one thread every task runs
    in the calling thread, on two in Dask's pool; a tuple of lazy and plain values comes
    back in its order, each lazy one computed, with the results of ``dask.compute``."""
    import threading

    import dask
    import dask.array as da

    from bench.threads import pinned
    from kernels import dask_engine

    def where(block):
        ran_in.add(threading.get_ident())
        return block * 2

    X = da.from_array(np.arange(12.0), chunks=3).map_blocks(where, dtype=float)
    results = (X.sum(), "plain", X, 7)
    for threads, in_caller in ((1, True), (2, False)):
        ran_in = set()
        with pinned(threads, "dask"):
            total, plain, doubled, seven = dask_engine.wait(results)
        assert (ran_in == {threading.get_ident()}) is in_caller
        assert (total, plain, seven) == (132.0, "plain", 7)
        np.testing.assert_array_equal(doubled, np.arange(12.0) * 2)
    ran_in = set()
    assert dask_engine.wait(X.sum()) == dask.compute(X.sum())[0] == 132.0
    assert dask_engine.wait((1, "no lazy value")) == (1, "no lazy value")


def test_dask_wait_computes_only_the_tasks_a_result_needs():
    """A result that needs one of a graph's blocks: only that block is made (data larger
    than memory is never computed, and held, whole), as ``dask.compute`` would cull."""
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    from kernels import dask_engine

    made = []

    def block(k):
        made.append(k)
        return float(k)

    tasks = {("blocks", k): (block, k) for k in range(4)}
    graph = HighLevelGraph.from_collections("blocks", tasks, dependencies=())
    assert dask_engine.wait(Delayed(("blocks", 2), graph, layer="blocks")) == 2.0
    assert made == [2]


@pytest.mark.parametrize("op", ["logistic_gradient", "adaline_gd_epoch", "perceptron_epoch"])
def test_dask_makes_each_block_of_X_once_per_call(op):
    """Labels computed from X's blocks share the task that makes each block: data
    generated or read block by block is generated or read once per epoch, not twice."""
    import threading

    import dask.array as da

    made = []
    lock = threading.Lock()

    def features(block_id=None):
        with lock:
            made.append(block_id[0])
        return np.random.default_rng(block_id[0]).uniform(-1, 1, (10, 3))

    def labels(X):
        return np.where(X[:, 0] > 0, 1.0, 0.0 if op == "logistic_gradient" else -1.0)

    X = da.map_blocks(features, chunks=((10,) * 4, (3,)), dtype=float, meta=np.empty((0, 0)))
    y = X.map_blocks(labels, drop_axis=1, dtype=float, meta=np.empty((0,)))
    args = (np.zeros(3), 0.0, X, y) + (() if op == "logistic_gradient" else (0.1,))
    getattr(kernels.get("dask"), op)(*args)
    assert sorted(made) == [0, 1, 2, 3]


# --- PyTorch (an optional extra: these skip only where it cannot be imported) -------------

TORCH_BACKENDS = ("torch", "torch_autograd")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("backend", TORCH_BACKENDS)
def test_torch_native_form_is_a_tensor_of_the_same_dtype(backend, dtype):
    torch = pytest.importorskip("torch")
    implementation = kernels.get(backend)
    for op in ("adaline_gd_epoch", "logistic_gradient"):
        args = kernels.make_inputs(op, {"m": 5, "n": 3}, dtype)
        native = implementation.prepare(op, *args)
        _, b, X = native[:3]
        assert isinstance(X, torch.Tensor)
        assert X.numpy().dtype == dtype
        assert np.shares_memory(X.numpy(), args[2])  # the caller's array, not a copy
        assert type(b) is float  # as eta: a Python float, which takes the tensors' dtype
        results = implementation.timed(op)(*native)
        for result in results:  # float32 stays float32: scalars too, as 0-d tensors
            assert isinstance(result, torch.Tensor)
            assert result.dtype == X.dtype
            assert not result.requires_grad


@pytest.mark.parametrize("backend", TORCH_BACKENDS)
def test_torch_takes_read_only_and_reversed_arrays(backend):
    """A read-only array (PyTorch would warn: warnings are errors here) and one with a
    negative stride (which no tensor can view) are computed like any other."""
    pytest.importorskip("torch")
    w, b, X, y, eta = kernels.make_inputs("perceptron_epoch", {"m": 7, "n": 4}, seed=4)
    X_reversed, y_reversed = X[::-1, ::-1], y[::-1]
    w_reversed = w[::-1]
    X_frozen = X.copy()
    X_frozen.flags.writeable = False
    for args in ((w, b, X_frozen, y, eta), (w_reversed, b, X_reversed, y_reversed, eta)):
        assert_matches_reference("perceptron_epoch", args, [backend])


def test_torch_threads_are_pinned_per_case_and_restored():
    torch = pytest.importorskip("torch")
    from bench.threads import pinned

    kernels.get("torch")  # imports torch, as preparing a case does
    before = torch.get_num_threads()
    for threads in (1, 2):
        with pinned(threads):
            assert torch.get_num_threads() == threads
            assert_matches_reference("dot", (np.arange(5.0), np.ones(5)), ["torch"])
        assert torch.get_num_threads() == before


def test_torch_keeps_its_own_openmp_runtime_beside_numbas():
    """A benchmark run that selects a PyTorch case loads PyTorch's libgomp when its
    collection ends, before Numba's first parallel launch loads the system's
    (bench.threads.load_own_openmp): on the system's, PyTorch's loops waited 4 ms a call
    on two threads. Checked in a fresh process, where nothing loaded OpenMP before."""
    torch = pytest.importorskip("torch")
    script = (
        "from types import SimpleNamespace as of\n"
        "from threadpoolctl import threadpool_info\n"
        "from bench.conftest import pytest_collection_finish\n"
        "from bench.threads import launch_in_parallel\n"
        "case = of(callspec=of(params={'op': 'dot', 'backend': 'torch', 'threads': 2}))\n"
        "pytest_collection_finish(of(items=[case]))\n"
        "launch_in_parallel()\n"
        "print('\\n'.join(p['filepath'] for p in threadpool_info() if p['user_api'] == 'openmp'))"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    loaded = done.stdout.split()
    home = Path(torch.__file__).parent.resolve()
    assert any(home in Path(path).resolve().parents for path in loaded), loaded


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_autograd_gradient_at_zero_weights_and_saturated_samples(dtype):
    """As JAX's: σ'(0) at w = 0, where |z| and max(z, 0) have no derivative (autograd
    takes 0 for them: the branches are selected instead), and samples far past the
    cross-entropy's clip."""
    pytest.importorskip("torch")
    X = np.array([[0.0], [1e4], [-1e4], [3.0]], dtype=dtype)
    y = np.array([1.0, 0.0, 1.0, 1.0], dtype=dtype)
    for w in (np.zeros(1, dtype), np.ones(1, dtype)):
        assert_matches_reference("logistic_gradient", (w, 0.0, X, y), TORCH_BACKENDS)


def test_dask_tasks_get_one_blas_thread_each_while_its_scheduler_gets_the_cores():
    """Two Dask threads each calling a two-thread BLAS would run four threads on two
    cores: a benchmark case of the dask backend gives BLAS one thread per task."""
    import dask
    from threadpoolctl import threadpool_info

    from bench.threads import pinned

    def blas_threads():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    kernels.get("dask")  # imports dask, as preparing a case does
    with pinned(2, "dask"):
        assert blas_threads() == {1}
        assert dask.config.get("num_workers") == 2
    with pinned(2, "numpy"):
        assert blas_threads() == {2}


@pytest.mark.parametrize("op", ["logistic_forward", "adaline_gd_epoch", "mlp_gradient"])
def test_every_backend_returns_writable_arrays_of_the_callers_own(op):
    """`w -= eta * dw` on a result works on every backend: JAX's arrays, read through
    np.asarray, were read-only views of its own buffers."""
    args = kernels.make_inputs(op, {"m": 4, "n": 3, "h": 2}, "float64", seed=5)
    inputs = [value for value in args if isinstance(value, np.ndarray)]
    for backend in implementing(op):
        results = run(backend, op, args)
        arrays = [value for value in results if isinstance(value, np.ndarray)]
        assert arrays, op
        for array in arrays:
            assert array.flags.writeable, backend
            assert not any(np.shares_memory(array, given) for given in inputs), backend
            array -= 0.5 * array  # in place, as a training loop updates its weights
