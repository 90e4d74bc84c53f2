"""Explicit, reproducible random streams.

Every unit of parallel work (a *chunk*) owns its own random stream, whose seed is derived
from ``(seed, epoch, chunk)`` by hashing, never from a thread id. The same seed therefore gives
the same draws whatever thread runs the chunk, and with one thread a whole run is bit-identical.

Inside Numba kernels the stream is a xorshift64* generator whose 64-bit state lives in a
one-element ``uint64`` array (or a slot of a larger array), passed in explicitly.

References: Vigna, "An experimental exploration of Marsaglia's xorshift generators" (2016);
Steele et al., "Fast splittable pseudorandom number generators" (splitmix64, 2014).
"""

from __future__ import annotations

import numbers

import numpy as np
from numba import njit

__all__ = [
    "check_random_state",
    "derive_seed",
    "chunk_states",
    "engine_states",
    "next_u64",
    "rand_float",
    "rand_below",
]

_MASK = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    """One splitmix64 step on a Python int (exact 64-bit arithmetic)."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def check_random_state(random_state: int | np.random.Generator | None) -> int:
    """Turn ``random_state`` into a 63-bit integer base seed.

    Parameters
    ----------
    random_state : int, numpy.random.Generator or None
        ``None`` draws a fresh seed from the operating system (results then differ run to run);
        an int is used as is; a Generator contributes one draw.

    Returns
    -------
    int
        A non-negative seed below 2**63.

    Examples
    --------
    >>> check_random_state(42)
    42
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        return int(random_state) & ((1 << 63) - 1)
    raise TypeError(
        "random_state must be None, a non-negative int or a numpy.random.Generator, "
        f"got {type(random_state).__name__}"
    )


def derive_seed(seed: int, *keys: int) -> int:
    """Derive a well-mixed, non-zero 64-bit stream seed from a base seed and integer keys.

    ``derive_seed(seed, epoch, chunk)`` is the seed of chunk ``chunk`` in epoch ``epoch``.
    Different key tuples give statistically independent streams.

    Examples
    --------
    >>> derive_seed(1, 0, 0) != derive_seed(1, 0, 1)
    True
    """
    h = _splitmix64(int(seed) & _MASK)
    for k in keys:
        h = _splitmix64(h ^ (int(k) & _MASK))
    return h or 0x9E3779B97F4A7C15  # xorshift state must never be zero


def chunk_states(seed: int, epoch: int, first_chunk: int, n_chunks: int, *extra: int) -> np.ndarray:
    """Per-chunk xorshift states for chunks ``first_chunk .. first_chunk + n_chunks - 1``.

    ``extra`` keys (for example a stream tag) are appended after ``(epoch, chunk)``.
    """
    return np.array(
        [derive_seed(seed, epoch, first_chunk + i, *extra) for i in range(n_chunks)],
        dtype=np.uint64,
    )


def engine_states(seed: int, epoch: int, first_chunk: int, n_chunks: int) -> np.ndarray:
    """States of the training kernels: two streams per chunk, ``[tokens_0, negatives_0, ...]``.

    Slot ``2c`` drives chunk ``c``'s token decisions (subsampling, reduced windows) and slot
    ``2c + 1`` its negatives. Keeping them apart means the kept tokens and windows depend only
    on ``(seed, epoch, chunk)`` — not on how many negatives were drawn — so every block cell of
    distributed training sees exactly the same subsample.
    """
    return np.array(
        [derive_seed(seed, epoch, first_chunk + i, stream)
         for i in range(n_chunks) for stream in (0, 1)],
        dtype=np.uint64,
    )


@njit(nogil=True, cache=True, inline="always")
def next_u64(state, slot):
    """Advance the xorshift64* stream stored in ``state[slot]``; return 64 random bits."""
    x = state[slot]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[slot] = x
    return x * np.uint64(0x2545F4914F6CDD1D)


@njit(nogil=True, cache=True, inline="always")
def rand_float(state, slot):
    """A uniform float64 in [0, 1) from the top 53 bits of the stream."""
    return np.float64(next_u64(state, slot) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(nogil=True, cache=True, inline="always")
def rand_below(state, slot, n):
    """A uniform integer in ``[0, n)`` (Lemire's multiply-shift on 32 high bits; n < 2**32)."""
    r = next_u64(state, slot) >> np.uint64(32)
    return np.int64((r * np.uint64(n)) >> np.uint64(32))
