"""exp, log, log1p and tanh that a compiler can vectorize, for the compiled loops.

Numba turns ``math.exp`` and friends into calls to the C library, one value at a time
(its LLVM has no vector math library here), so a loop around them cannot use SIMD
lanes, while NumPy's own ufuncs do. These versions are plain arithmetic — argument
reduction, a polynomial, and the few bit manipulations that split a float into exponent
and mantissa or build a power of two — written without branches (the special cases are
selects at the end) and without Python's zero-division check, so LLVM inlines them and
vectorizes the loop around them. They are ordinary ``register_jitable`` functions,
compiled once per dtype whatever calls them (``compiled_once``). Numba's own IR inliner
(``inline="always"``) gave the same machine code but re-typed their bodies into every
kernel, and took 3-6× longer to compile.

``python_loops`` calls ``exp``, ``log``, ``log1p`` and ``tanh`` helpers that run
``math.*`` in Python; ``numba_jit`` teaches Numba to compile them as these. Each
function is written once and instantiated for float64 and float32, the float32 version
computing in float32 (twice the lanes). The algorithms are the classic ones of fdlibm
(Sun's freely distributable libm, as in FreeBSD and musl): Cody and Waite's reduction
for exp, log(1 + f) = 2·atanh(f/(2 + f)) on a mantissa in [√½, √2) for log; log1p
corrects log(1 + x) by the rounding of 1 + x (``log1p_unit``, for the softplus's
arguments in [0, 1] only, needs no such correction); tanh is expm1(2|x|)/(expm1(2|x|) + 2).
Their measured accuracy (``tests/test_vector_math.py``) is what ``kernels/reference.py``
assumes for every backend's transcendentals.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
from numba import types
from numba.extending import intrinsic

from kernels.compile_once import compiled_once

_INT_OF = {types.float64: types.int64, types.float32: types.int32}
_FLOAT_OF = {v: k for k, v in _INT_OF.items()}


@intrinsic
def float_bits(typingctx, x):
    """The bits of a float as a signed integer of the same width."""
    if x not in _INT_OF:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(sig.return_type))

    return _INT_OF[x](x), codegen


@intrinsic
def bits_float(typingctx, i):
    """The float whose bits are the integer i (int64 → float64, int32 → float32)."""
    if i not in _FLOAT_OF:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(sig.return_type))

    return _FLOAT_OF[i](i), codegen


@intrinsic
def divide(typingctx, a, b):
    """a / b as IEEE division: no zero-divisor check (Numba's Python error model would
    add one, and its branch to raise an exception stops vectorization)."""
    if a not in _INT_OF or a != b:
        return None

    def codegen(context, builder, sig, args):
        return builder.fdiv(*args)

    return a(a, b), codegen


def _constants(dtype):
    """Every constant of the algorithms, in the dtype they compute in."""
    f = np.dtype(dtype).type
    i = np.int64 if f is np.float64 else np.int32
    double = f is np.float64
    precision = 52 if double else 23  # mantissa bits
    bias = 1023 if double else 127
    return SimpleNamespace(
        float=f,
        int=i,
        one=f(1.0),
        two=f(2.0),
        half=f(0.5),
        zero=f(0.0),
        inf=f(np.inf),
        nan=f(np.nan),
        precision=i(precision),
        bias=i(bias),
        mantissa_mask=i((1 << precision) - 1),
        one_bits=np.array(1.0, f).view(i),
        sqrt_half_bits=np.array(math.sqrt(0.5), f).view(i),
        sqrt2_minus_one=f(math.sqrt(2.0) - 1.0),
        smallest_normal=f(np.finfo(f).tiny),
        # exp: beyond these e^x is inf, or rounds to 0
        exp_high=f(710.0 if double else 89.0),
        exp_low=f(-746.0 if double else -104.0),
        log2e=f(1.4426950408889634),
        # round to an integer by adding and subtracting 1.5·2^precision
        shifter=f(1.5 * 2.0**precision),
        shifter_bits=np.array(1.5 * 2.0**precision, f).view(i),
        # ln 2 split (Cody & Waite): k·ln2_hi is exact for the k that occur
        exp_ln2_hi=f(6.93147180369123816490e-01 if double else 6.9314575195e-01),
        exp_ln2_lo=f(1.90821492927058770002e-10 if double else 1.4286067653e-06),
        # e^r = 1 + r + r²·Σ r^j/(j+2)!: Taylor to r^13 (r^7 in float32) on |r| <= ln2/2
        exp_coefficients=tuple(f(1.0 / math.factorial(j)) for j in range(2, 14 if double else 8)),
        log_ln2_hi=f(6.93147180369123816490e-01 if double else 6.9313812256e-01),
        log_ln2_lo=f(1.90821492927058770002e-10 if double else 9.0580006145e-06),
        # fdlibm's minimax coefficients of (log(1+f) - 2s)/s in s² (Lg1...Lg7; Lg1...Lg4)
        log_coefficients=tuple(
            f(c)
            for c in (
                (
                    6.666666666666735130e-01,
                    3.999999999940941908e-01,
                    2.857142874366239149e-01,
                    2.222219843214978396e-01,
                    1.818357216161805012e-01,
                    1.531383769920937332e-01,
                    1.479819860511658591e-01,
                )
                if double
                else (0.66666662693, 0.40000972152, 0.28498786688, 0.24279078841)
            )
        ),
        subnormal_scale=f(2.0 ** (54 if double else 25)),
        subnormal_shift=i(54 if double else 25),
        tanh_saturates=f(22.0 if double else 9.0),  # tanh(x) rounds to 1 beyond
    )


def _instantiate(dtype):
    c = _constants(dtype)
    F, INT = c.float, c.int
    e2, e3, e4, e5, e6, e7 = c.exp_coefficients[:6]
    e8_to_13 = c.exp_coefficients[6:] + (F(0.0),) * (6 - len(c.exp_coefficients[6:]))
    e8, e9, e10, e11, e12, e13 = e8_to_13
    if F is np.float64:
        lg1, lg2, lg3, lg4, lg5, lg6, lg7 = c.log_coefficients
    else:
        lg1, lg2, lg3, lg4 = c.log_coefficients
        lg5 = lg6 = lg7 = F(0.0)
    double = F is np.float64

    # the constants as plain names, which Numba freezes into the compiled code
    BIAS = c.bias
    EXP_HIGH = c.exp_high
    EXP_LN2_HI = c.exp_ln2_hi
    EXP_LN2_LO = c.exp_ln2_lo
    EXP_LOW = c.exp_low
    HALF = c.half
    INF = c.inf
    LOG2E = c.log2e
    LOG_LN2_HI = c.log_ln2_hi
    LOG_LN2_LO = c.log_ln2_lo
    MANTISSA_MASK = c.mantissa_mask
    NAN = c.nan
    ONE = c.one
    ONE_BITS = c.one_bits
    PRECISION = c.precision
    SHIFTER = c.shifter
    SHIFTER_BITS = c.shifter_bits
    SMALLEST_NORMAL = c.smallest_normal
    SQRT_HALF_BITS = c.sqrt_half_bits
    SQRT2_MINUS_ONE = c.sqrt2_minus_one
    SUBNORMAL_SCALE = c.subnormal_scale
    SUBNORMAL_SHIFT = c.subnormal_shift
    TANH_SATURATES = c.tanh_saturates
    TWO = c.two
    ZERO = c.zero

    @compiled_once
    def exp_reduced(x):
        """x = k·ln2 + r with |r| <= ln2/2; returns k, r (x clamped so 2^k stays finite)."""
        x = EXP_HIGH if x > EXP_HIGH else x  # NaN passes through both
        x = EXP_LOW if x < EXP_LOW else x
        shifted = x * LOG2E + SHIFTER
        k = float_bits(shifted) - SHIFTER_BITS
        kf = shifted - SHIFTER
        r = x - kf * EXP_LN2_HI
        r = r - kf * EXP_LN2_LO
        return k, r

    @compiled_once
    def exp_polynomial_tail(r):
        """(e^r - 1 - r)/r², by Estrin's scheme: independent pairs, so the multiply-adds
        overlap instead of waiting on one another as in Horner's."""
        r2 = r * r
        r4 = r2 * r2
        low = (e2 + e3 * r) + r2 * (e4 + e5 * r)
        if double:
            middle = (e6 + e7 * r) + r2 * (e8 + e9 * r)
            high = (e10 + e11 * r) + r2 * (e12 + e13 * r)
            return low + r4 * (middle + r4 * high)
        return low + r4 * (e6 + e7 * r)

    @compiled_once
    def power_of_two(k):
        return bits_float(INT((k + BIAS) << PRECISION))

    @compiled_once
    def exp(x):
        k, r = exp_reduced(x)
        p = ONE + (r + r * r * exp_polynomial_tail(r))
        # 2^k as two factors, each a normal float: the first product is exact, the
        # second rounds once, also into the subnormals, or overflows to inf.
        k1 = k >> 1
        return (p * power_of_two(k1)) * power_of_two(k - k1)

    @compiled_once
    def expm1(x):
        """e^x - 1, accurate near 0 as well; for x >= 0 only (what tanh needs)."""
        k, r = exp_reduced(x)
        p = r + r * r * exp_polynomial_tail(r)  # e^r - 1
        k1 = k >> 1
        scale = power_of_two(k1) * power_of_two(k - k1)
        # 2^k(e^r - 1) + (2^k - 1): exact scaling, one rounding each
        return scale * p + (scale - ONE)

    @compiled_once
    def log_reduced(f, k):
        """log(2^k·(1 + f)) for a small f: 2·atanh(s) with s = f/(2 + f), as fdlibm."""
        s = divide(f, TWO + f)
        z = s * s
        w = z * z
        if double:
            t1 = w * (lg2 + w * (lg4 + w * lg6))
            t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
        else:
            t1 = w * (lg2 + w * lg4)
            t2 = z * (lg1 + w * lg3)
        R = t2 + t1
        hfsq = HALF * f * f
        return s * (hfsq + R) + k * LOG_LN2_LO - hfsq + f + k * LOG_LN2_HI

    @compiled_once
    def log(x):
        subnormal = x < SMALLEST_NORMAL
        scaled = x * SUBNORMAL_SCALE if subnormal else x
        bits = float_bits(scaled) + (ONE_BITS - SQRT_HALF_BITS)
        k = (bits >> PRECISION) - BIAS - (SUBNORMAL_SHIFT if subnormal else 0)
        mantissa = bits_float(INT((bits & MANTISSA_MASK) + SQRT_HALF_BITS))
        f = mantissa - ONE  # the mantissa lies in [√½, √2)
        result = log_reduced(f, F(k))
        result = x if x == INF else result
        result = -INF if x == ZERO else result
        result = NAN if x < ZERO else result
        return x if x != x else result

    @compiled_once
    def log1p(x):
        u = ONE + x
        # log(u) is log(1 + x) for the rounded u; (x - (u - 1))/u corrects for the
        # rounding.
        correction = divide(x - (u - ONE), u)
        finite = (u > ZERO) & (u < INF)
        result = log(u) + (correction if finite else ZERO)
        return x if u == ONE else result  # log1p(x) rounds to x there, ±0 included

    @compiled_once
    def log1p_unit(e):
        """log(1 + e) for 0 <= e <= 1 only: the softplus's log1p(e^-|z|), at less cost.

        1 + e = 2^k·(1 + f) with k = 0, f = e up to √2 - 1 and k = 1, f = (e - 1)/2
        above, so f lies in [√½ - 1, √2 - 1) as in log: no rounded 1 + e to correct
        (log1p's extra division), no exponent to extract, no special case. e - 1 is exact
        from ½ up (Sterbenz's lemma); below, its one rounding adds at most 0.71 ulp.
        """
        high = e > SQRT2_MINUS_ONE
        return log_reduced(HALF * (e - ONE) if high else e, ONE if high else ZERO)

    @compiled_once
    def tanh(x):
        magnitude = abs(x)
        t = expm1(TWO * magnitude)
        result = divide(t, t + TWO)
        result = ONE if magnitude > TANH_SATURATES else result
        result = -result if float_bits(x) < 0 else result  # the sign of x, -0.0 too
        return x if x != x else result

    return SimpleNamespace(exp=exp, log=log, log1p=log1p, log1p_unit=log1p_unit, tanh=tanh)


FLOAT64 = _instantiate(np.float64)
FLOAT32 = _instantiate(np.float32)
