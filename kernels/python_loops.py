"""Backend ``python``: the mathematics as plain for-loops, one multiply-add at a time.

These are the slow versions on the slides. They run on Python lists (``X`` is a list of
rows) and use no NumPy. The very same functions, with one decorator, are the ``numba``
backend (``kernels/numba_jit.py``): read them side by side with their vectorized twins
in ``kernels/numpy_vectorized.py``.

Small helpers let one source serve both: ``zeros``, ``zeros_matrix`` and ``copy`` make lists here,
while Numba is taught to make NumPy arrays of the input's dtype in their place; ``exp``,
``log``, ``log1p`` and ``tanh`` are ``math``'s here, and compile to versions LLVM can
vectorize (``kernels/vector_math.py``).
"""

from __future__ import annotations

import math

# --- helpers (Numba compiles its own versions of these; see numba_jit.py) --------------


def zeros(n, like):
    """A new vector of n zeros (in Numba: an array of ``like``'s dtype)."""
    return [0.0] * n


def zeros_matrix(rows, cols, like):
    """A new rows × cols matrix of zeros, a list of rows (in Numba: a 2-D array)."""
    return [[0.0] * cols for _ in range(rows)]


def copy(vector):
    """A copy of a vector, so that an op never modifies its inputs."""
    return list(vector)


def in_dtype_of(value, array):
    """``value`` as a number of ``array``'s dtype. In Python every float is a double; in
    Numba a float32 array's loops then stay float32, twice the SIMD lanes of float64."""
    return value


def exp(x):
    """e^x (in Numba: a polynomial the compiler can vectorize, as log, log1p and tanh)."""
    return math.exp(x)


def log(x):
    return math.log(x)


def log1p(x):
    """log(1 + x), accurate for small x."""
    return math.log1p(x)


def log1p_unit(e):
    """log(1 + e) for 0 <= e <= 1, as the softplus needs it (in Numba: a shorter log1p
    that knows its argument's range)."""
    return math.log1p(e)


def tanh(x):
    return math.tanh(x)


def sigmoid(z):
    """σ(z) = 1 / (1 + e^-z), written so that exp never overflows: with e = e^-|z| <= 1,
    σ(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0. One exp and no branch
    around it, so a compiled loop over samples computes several at once."""
    e = exp(-abs(z))
    return (1.0 if z >= 0.0 else e) / (1.0 + e)


def cross_entropy(a, target, eps):
    """-(y log a + (1 - y) log(1 - a)) for one sample, with a clipped to [eps, 1 - eps]."""
    a = min(max(a, eps), 1.0 - eps)
    return -(target * log(a) + (1.0 - target) * log1p(-a))


def sigmoid_and_cross_entropy(z, target):
    """σ(z) and its cross-entropy, straight from the net input z: exact for any finite z.

    log σ(z) = -log(1 + e^-z) and log(1 - σ(z)) = -log(1 + e^z): with e = e^-|z| both
    are -softplus(-|z|) = -log1p(e), less max(-z, 0) or max(z, 0). One exp and one log1p
    instead of the exp, log and log1p of ``sigmoid`` then ``cross_entropy``, and no
    logarithm of a rounded probability, so nothing needs clipping: a confidently wrong
    sample (z = 1e4, y = 0) costs its full 1e4, not the -log ε = 36.7 of a clipped
    probability.
    """
    e = exp(-abs(z))
    softplus = log1p_unit(e)  # e in [0, 1]
    a = (1.0 if z >= 0.0 else e) / (1.0 + e)
    log_a = -softplus - max(-z, 0.0)
    log_1m_a = -softplus - max(z, 0.0)
    return a, -(target * log_a + (1.0 - target) * log_1m_a)


def net_input(w, b, x):
    """z = w·x + b for one sample: the slides' net_input."""
    z = in_dtype_of(b, w)
    for j in range(len(w)):
        z += w[j] * x[j]
    return z


# --- a block of samples at a time ----------------------------------------------------------
#
# The batch ops do the same to every sample: net input, activation, error, share of the
# gradient. Done sample by sample, as on the slides, each sample's exp and log sit
# between two walks along its row, one value at a time. The loops below walk X a block
# of BLOCK_ROWS samples at a time instead, in three short loops: the block's net
# inputs, then each sample's activation, cost and error: the same arithmetic on
# consecutive samples with no branch, which the compiler runs on 4 to 16 samples at
# once (by the vector width and the dtype), exp and log included; then the block's
# share of the gradient. A block's rows are
# still in the cache (L1 or L2) when the third loop reads them again, so X is read from
# memory once. Rows are taken four at a time (``four_net_inputs``,
# ``add_four_weighted_rows``): each weight (or gradient entry) loaded once feeds four
# multiply-adds, and the four sums do not wait for one another, the first step of what
# a tuned BLAS does. Read again from the cache, the four are neighbours
# (``net_inputs``, ``add_weighted_rows``). Read from memory, they are one row from each
# of X's four quarters (``*_of_quarters``): four long runs of addresses, which the
# processor's prefetchers recognise and fetch ahead of the loop all at once. (Four
# neighbouring rows are four runs of n numbers each, too short for the prefetcher: one
# thread's fused gradient at 200 000 × 100 float64 took 1.4× as long that way; one row
# after another, ``net_inputs_in_order``, is one run.) The mathematics is the slides';
# only the order in which the samples are visited changes.

BLOCK_ROWS = 32


def net_inputs_in_order(w, b, X, start, stop, Z):
    """Z[r] = w·X[start + r] + b, row after row: a block's first reading from memory."""
    for i in range(start, stop):
        Z[i - start] = net_input(w, b, X[i])


def four_net_inputs(w, b, x0, x1, x2, x3):
    """w·x + b for four samples in one walk along w: each weight loaded feeds four
    multiply-adds, and the four sums do not wait for one another."""
    z0 = z1 = z2 = z3 = in_dtype_of(b, w)
    for j in range(len(w)):
        z0 += w[j] * x0[j]
        z1 += w[j] * x1[j]
        z2 += w[j] * x2[j]
        z3 += w[j] * x3[j]
    return z0, z1, z2, z3


def net_inputs(w, b, X, start, stop, Z):
    """Z[r] = w·X[start + r] + b for the samples start..stop-1: a block's net inputs."""
    fours = start + (stop - start) // 4 * 4
    for i in range(start, fours, 4):
        r = i - start
        Z[r], Z[r + 1], Z[r + 2], Z[r + 3] = four_net_inputs(
            w, b, X[i], X[i + 1], X[i + 2], X[i + 3]
        )
    for i in range(fours, stop):  # the last few, one at a time
        Z[i - start] = net_input(w, b, X[i])


def add_four_weighted_rows(v, e0, e1, e2, e3, x0, x1, x2, x3):
    """v += e0·x0 + e1·x1 + e2·x2 + e3·x3: four samples' shares in one walk along v,
    one load and one store of each v[j] for four multiply-adds."""
    for j in range(len(v)):
        v[j] += e0 * x0[j] + e1 * x1[j] + e2 * x2[j] + e3 * x3[j]


def add_weighted_rows(E, X, start, stop, v):
    """v += Σᵣ E[r]·X[start + r]: a block's share of a gradient Xᵀe."""
    fours = start + (stop - start) // 4 * 4
    for i in range(start, fours, 4):  # four samples per walk along v
        r = i - start
        add_four_weighted_rows(
            v, E[r], E[r + 1], E[r + 2], E[r + 3], X[i], X[i + 1], X[i + 2], X[i + 3]
        )
    for i in range(fours, stop):
        e, x = E[i - start], X[i]
        for j in range(len(v)):
            v[j] += e * x[j]


def net_inputs_of_quarters(w, b, X, quarter, start, stop, Z):
    """Z[k][r] = w·X[k·quarter + start + r] + b for k = 0..3: row start + r of each of the
    four quarters of X, side by side.

    Four quarters are four streams of memory, which the prefetchers fetch at once, as in
    ``dot_in_quarters``."""
    for i in range(start, stop):
        r = i - start
        Z[0][r], Z[1][r], Z[2][r], Z[3][r] = four_net_inputs(
            w, b, X[i], X[quarter + i], X[2 * quarter + i], X[3 * quarter + i]
        )


def add_weighted_rows_of_quarters(E, X, quarter, start, stop, v):
    """v += Σₖ Σᵣ E[k][r]·X[k·quarter + start + r]: row start + r of each of the four
    quarters of X side by side (four streams, as ``net_inputs_of_quarters``)."""
    for i in range(start, stop):
        r = i - start
        add_four_weighted_rows(
            v, E[0][r], E[1][r], E[2][r], E[3][r],
            X[i], X[quarter + i], X[2 * quarter + i], X[3 * quarter + i],
        )  # fmt: skip


def errors_of(A, y, start, stop, E):
    """E[r] = A[start + r] - y[start + r] for samples start..stop-1; returns their sum."""
    error_sum = 0.0
    for i in range(start, stop):
        E[i - start] = A[i] - y[i]
        error_sum += E[i - start]
    return error_sum


def logistic_errors(E, y, start, stop):
    """Turns the net input E[i - start] of each sample i = start..stop-1 into its error
    σ(zᵢ) - yᵢ; returns the samples' summed cross-entropy and Σ errors."""
    cost = 0.0
    error_sum = 0.0
    for i in range(start, stop):
        a, loss = sigmoid_and_cross_entropy(E[i - start], y[i])
        cost += loss
        E[i - start] = a - y[i]  # the error of sample i
        error_sum += E[i - start]
    return cost, error_sum


# --- the ops ---------------------------------------------------------------------------


def dot(a, b):
    """a · b = Σᵢ aᵢbᵢ"""
    total = in_dtype_of(0.0, a)
    for i in range(len(a)):
        total += a[i] * b[i]
    return total


def dot_in_quarters(a, b):
    """a · b = Σᵢ aᵢbᵢ, the same sum with the four quarters of the vectors walked side
    by side: the ``dot`` the compiled backends run.

    Compiled, ``dot``'s loop reads memory as one stream per vector, and once the vectors
    no longer fit in L2 the core waits on that stream. Four quarters are four streams,
    which the hardware prefetchers fetch at once: 1.0-1.06× ``dot`` in L3 and 1.2-1.35×
    beyond it on the 2-core machine, and level with or ahead of BLAS's ``np.dot`` where
    ``dot`` was 0.82-0.96× of it. In Python the extra index arithmetic costs more than it
    saves (about 13%), so the ``python`` backend runs ``dot``, the slides' sum."""
    quarter = len(a) // 4
    s0 = s1 = s2 = s3 = in_dtype_of(0.0, a)
    for i in range(quarter):
        s0 += a[i] * b[i]
        s1 += a[quarter + i] * b[quarter + i]
        s2 += a[2 * quarter + i] * b[2 * quarter + i]
        s3 += a[3 * quarter + i] * b[3 * quarter + i]
    for i in range(4 * quarter, len(a)):  # the 0-3 elements left over
        s0 += a[i] * b[i]
    return (s0 + s1) + (s2 + s3)


def logistic_forward_rows(w, b, X, A):
    """A[i] = σ(w·X[i] + b) for every row of X: the net inputs, then σ of each."""
    m = len(X)
    net_inputs_in_order(w, b, X, 0, m, A)  # A holds the net inputs z ...
    for i in range(m):
        A[i] = sigmoid(A[i])  # ... and then σ(z)


def logistic_forward(w, b, X):
    """A = σ(Xw + b): one net input and one activation per sample."""
    A = zeros(len(X), w)
    logistic_forward_rows(w, b, X, A)
    return A


def logistic_cost(A, y, eps):
    """J = -(1/m) Σᵢ [yᵢ log Aᵢ + (1 - yᵢ) log(1 - Aᵢ)]"""
    total = 0.0
    for i in range(len(A)):
        total += cross_entropy(A[i], y[i], eps)
    return total / len(A)


def logistic_backward_sums(X, A, y, dw):
    """Adds Σᵢ (Aᵢ - yᵢ)·xᵢ into dw, a block of rows from each of X's four quarters at
    a time (as ``logistic_gradient_sums``); returns Σᵢ (Aᵢ - yᵢ)."""
    m = len(X)
    quarter = m // 4
    E = zeros_matrix(4, BLOCK_ROWS, dw)  # per quarter, the block's errors
    error_sum = 0.0
    for start in range(0, quarter, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, quarter)
        for k in range(4):
            error_sum += errors_of(A, y, k * quarter + start, k * quarter + stop, E[k])
        add_weighted_rows_of_quarters(E, X, quarter, start, stop, dw)
    error_sum += errors_of(A, y, 4 * quarter, m, E[0])  # the 0-3 rows left over
    add_weighted_rows(E[0], X, 4 * quarter, m, dw)
    return error_sum


def logistic_backward(X, A, y):
    """dw = Xᵀ(A - y)/m, db = mean(A - y)"""
    m, n = len(X), len(X[0])
    dw = zeros(n, A)
    error_sum = logistic_backward_sums(X, A, y, dw)
    for j in range(n):
        dw[j] /= m
    return dw, error_sum / m


def logistic_gradient_sums(w, b, X, y, dw):
    """One walk over X, a block of rows from each quarter at a time: forward pass, cost
    and gradient.

    Adds Σᵢ (aᵢ - yᵢ)·xᵢ into dw; returns the summed cross-entropy and Σᵢ (aᵢ - yᵢ).
    The walk takes a block of rows from each of X's four quarters at once
    (``net_inputs_of_quarters``): compiled, 1.15-1.3× as fast as one block after
    another once X is out of cache (200 000 × 100 on the 2-core machine).
    """
    m = len(X)
    quarter = m // 4
    E = zeros_matrix(4, BLOCK_ROWS, w)  # per quarter, the block's net inputs, then errors
    cost = 0.0
    error_sum = 0.0
    for start in range(0, quarter, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, quarter)
        net_inputs_of_quarters(w, b, X, quarter, start, stop, E)
        for k in range(4):
            first, last = k * quarter + start, k * quarter + stop  # the block's rows in X
            block_cost, block_error_sum = logistic_errors(E[k], y, first, last)
            cost += block_cost
            error_sum += block_error_sum
            add_weighted_rows(E[k], X, first, last, dw)
    net_inputs_in_order(w, b, X, 4 * quarter, m, E[0])  # the 0-3 rows left over
    block_cost, block_error_sum = logistic_errors(E[0], y, 4 * quarter, m)
    add_weighted_rows(E[0], X, 4 * quarter, m, dw)
    return cost + block_cost, error_sum + block_error_sum


def logistic_gradient(w, b, X, y):
    """Forward pass, cost and backward pass fused into one walk over X.

    Each sample's activation is used at once for its cost and its share of the
    gradient, so X is read once (the NumPy version reads it twice). The cost comes from
    the net input, exactly, not from clipped probabilities as in ``logistic_cost``.
    """
    m, n = len(X), len(w)
    dw = zeros(n, w)
    cost, error_sum = logistic_gradient_sums(w, b, X, y, dw)
    for j in range(n):
        dw[j] /= m
    return cost / m, dw, error_sum / m


def adaline_gd_sums(w, b, X, y, gradient):
    """Adds Xᵀ·errors into gradient, with errors = y - (Xw + b) from the current
    weights; returns Σ errors and Σ errors²."""
    m = len(X)
    E = zeros(BLOCK_ROWS, w)  # the block's net inputs, then its errors
    error_sum = 0.0
    squared_sum = 0.0
    for start in range(0, m, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, m)
        net_inputs_in_order(w, b, X, start, stop, E)
        for i in range(start, stop):
            error = y[i] - E[i - start]
            E[i - start] = error
            error_sum += error
            squared_sum += error * error
        add_weighted_rows(E, X, start, stop, gradient)
    return error_sum, squared_sum


def adaline_gd_epoch(w, b, X, y, eta):
    """One batch step of the delta rule: errors from the current weights, then one update.

    errors = y - (Xw + b);  w += η Xᵀ·errors;  b += η Σ errors;  cost = Σ errors² / 2
    """
    n = len(w)
    gradient = zeros(n, w)  # Xᵀ·errors, accumulated row by row in the same pass
    error_sum, squared_sum = adaline_gd_sums(w, b, X, y, gradient)
    w = copy(w)
    for j in range(n):
        w[j] += eta * gradient[j]
    return w, b + eta * error_sum, squared_sum / 2.0


def adaline_sgd_steps(w, b, X, y, eta):
    """The delta rule sample by sample, in row order, on a copy of w; returns (w, b)."""
    m, n = len(X), len(w)
    w = copy(w)
    for i in range(m):
        x = X[i]
        z = net_input(w, b, x)
        error = y[i] - z
        for j in range(n):
            w[j] += eta * error * x[j]
        b += eta * error
    return w, b


def adaline_sgd_epoch(w, b, X, y, eta):
    """The delta rule sample by sample, in row order; the cost uses the final weights."""
    m = len(X)
    w, b = adaline_sgd_steps(w, b, X, y, eta)
    cost = 0.0
    for i in range(m):
        x = X[i]
        z = net_input(w, b, x)
        error = y[i] - z
        cost += error * error
    return w, b, cost / 2.0


def perceptron_epoch(w, b, X, y, eta):
    """Rosenblatt's rule sample by sample, in row order; counts the samples that moved w.

    As on the slides, every sample applies its update, zero when the prediction was
    right: no data-dependent branch around the update for the processor to mispredict.
    """
    m, n = len(X), len(w)
    w = copy(w)
    errors = 0
    for i in range(m):
        x = X[i]
        z = net_input(w, b, x)
        prediction = 1.0 if z >= 0.0 else -1.0
        update = eta * (y[i] - prediction)
        for j in range(n):
            w[j] += update * x[j]
        b += update
        errors += int(update != 0.0)
    return w, b, errors


# --- the shallow network: one hidden layer of tanh units, one sigmoid output -------------
#
# Each hidden unit k is a neuron like logistic regression's: its net inputs are
# ``net_inputs`` over its weights, the column k of W1 (made a row of W1ᵀ, so the loop runs
# along contiguous memory and vectorizes), and its share of dW1 is the backward pass of
# logistic regression, ``add_weighted_rows`` of its errors dz1ᵢₖ. The rows are walked in
# blocks of BLOCK_ROWS samples, hidden unit by hidden unit within a block: a unit's n
# weights stay in the fastest cache while the block's rows use them, instead of all n·h
# weights being fetched again for every sample. That and the four samples per walk are
# the first steps of what a tuned BLAS does; the README says what else it does.


def transposed(M, like):
    """Mᵀ as a new matrix (in Numba: an array of ``like``'s dtype)."""
    rows, cols = len(M), len(M[0])
    T = zeros_matrix(cols, rows, like)
    for i in range(rows):
        for j in range(cols):
            T[j][i] = M[i][j]
    return T


def hidden_layer(W1T, b1, X, start, stop, H, Z):
    """H[r][k] = tanh(X[start + r] · W1T[k] + b1[k]) for the rows start..stop-1 of X."""
    for k in range(len(b1)):
        net_inputs(W1T[k], b1[k], X, start, stop, Z)  # hidden unit k's net inputs
        for r in range(stop - start):
            H[r][k] = tanh(Z[r])


def mlp_forward_rows(W1T, b1, W2, b2, X, A):
    """A[i] = σ(tanh(X[i] W1 + b1) · W2 + b2) for every row of X, a block at a time."""
    m = len(X)
    H = zeros_matrix(BLOCK_ROWS, len(b1), W2)  # the block's hidden activations
    Z = zeros(BLOCK_ROWS, W2)  # one unit's net inputs
    for start in range(0, m, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, m)
        hidden_layer(W1T, b1, X, start, stop, H, Z)
        for i in range(start, stop):
            A[i] = sigmoid(net_input(W2, b2, H[i - start]))


def mlp_forward(W1, b1, W2, b2, X):
    """H = tanh(X W1 + b1);  A = σ(H W2 + b2)"""
    A = zeros(len(X), W2)
    mlp_forward_rows(transposed(W1, W2), b1, W2, b2, X, A)
    return A


def output_layer_errors(b2, W2, y, start, stop, H, D, db1, dW2):
    """The output unit and the hidden units' errors of the rows start..stop-1, from their
    hidden activations H: D[r] = dz1 of row start + r; adds Σ dz2ᵢ·hᵢ into dW2 and Σ dz1ᵢ
    into db1; returns the block's summed cross-entropy and Σ dz2ᵢ."""
    cost = 0.0
    error_sum = 0.0
    for i in range(start, stop):
        hidden = H[i - start]
        delta = D[i - start]
        a, loss = sigmoid_and_cross_entropy(net_input(W2, b2, hidden), y[i])
        cost += loss
        error = in_dtype_of(a - y[i], dW2)  # dz2 of this sample
        error_sum += error
        for k in range(len(W2)):
            dW2[k] += error * hidden[k]
            delta[k] = error * W2[k] * (1.0 - hidden[k] * hidden[k])  # tanh' = 1 - tanh²
            db1[k] += delta[k]
    return cost, error_sum


def mlp_gradient_sums(W1T, b1, W2, b2, X, y, dW1T, db1, dW2):
    """One walk over X, a block of rows at a time: forward pass, cost and backpropagation.

    Adds Σᵢ dz1ᵢₖ·xᵢ into row k of dW1T, Σᵢ dz1ᵢ into db1 and Σᵢ dz2ᵢ·hᵢ into dW2;
    returns the summed cross-entropy and Σᵢ dz2ᵢ.
    """
    m, h = len(X), len(b1)
    H = zeros_matrix(BLOCK_ROWS, h, W2)  # the block's hidden activations ...
    D = zeros_matrix(BLOCK_ROWS, h, W2)  # ... and their errors dz1
    Z = zeros(BLOCK_ROWS, W2)  # one unit's net inputs, or its errors
    cost = 0.0
    error_sum = 0.0
    for start in range(0, m, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, m)
        hidden_layer(W1T, b1, X, start, stop, H, Z)
        block_cost, block_error_sum = output_layer_errors(b2, W2, y, start, stop, H, D, db1, dW2)
        cost += block_cost
        error_sum += block_error_sum
        for k in range(h):  # each hidden unit's backward pass, as logistic regression's
            for r in range(stop - start):
                Z[r] = D[r][k]
            add_weighted_rows(Z, X, start, stop, dW1T[k])
    return cost, error_sum


def mlp_gradient(W1, b1, W2, b2, X, y):
    """Forward pass, exact cost and backpropagation, fused into one walk over X."""
    m, n, h = len(X), len(W1), len(b1)
    dW1T = zeros_matrix(h, n, W2)
    db1 = zeros(h, W2)
    dW2 = zeros(h, W2)
    cost, error_sum = mlp_gradient_sums(transposed(W1, W2), b1, W2, b2, X, y, dW1T, db1, dW2)
    return mlp_gradient_means(m, cost, dW1T, db1, dW2, error_sum)


def mlp_gradient_means(m, cost, dW1T, db1, dW2, error_sum):
    """The sums over the m samples made means: (cost, dW1, db1, dW2, db2)."""
    for k in range(len(db1)):
        gradient = dW1T[k]
        for j in range(len(gradient)):
            gradient[j] /= m
        db1[k] /= m
        dW2[k] /= m
    return cost / m, transposed(dW1T, dW2), db1, dW2, error_sum / m
