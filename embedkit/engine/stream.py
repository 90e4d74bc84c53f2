"""The sequence stream every objective shares: subsampling, learning rate, windows, chunk loop.

A batch is a CSR set of id sequences cut into *chunks* of whole sequences. Chunks run in
parallel (threads train disjoint slices of them, with lock-free "Hogwild" updates as in
word2vec.c); each owns two xorshift
streams seeded from ``(seed, epoch, chunk)`` (tokens in slot ``2c``, negatives in ``2c + 1``)
so results never depend on which thread ran it. Per sequence the loop drops ids < 0 and
subsamples (keeps id w with probability ``keep_prob[w]``), then slides the window over the kept
tokens: for each centre it draws a reduced window ``b ~ U{1..window}`` (unless
``shrink_window`` is off) and hands the window to the mode's window update.

:func:`run_chunks` is the one entry point of every objective. Its first argument, a
:class:`~embedkit.engine.modes.Mode`, picks the window update (:data:`WINDOWS`) and the way
negatives are drawn at compile time, so only the code of the modes a program uses compiles.
Adding an objective is a window function and one line in :data:`WINDOWS` (plus its
:class:`~embedkit.engine.objectives.Objective` record).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import overload

from embedkit.engine.intrinsics import prefetch_row
from embedkit.engine.locked import Locked, locked_window
from embedkit.engine.loss import flush_loss
from embedkit.engine.modes import (
    Cbow,
    Nce,
    SgPairs,
    SgPairs6,
    SgShared,
    SgShared6,
    Softmax,
    SubwordsCbow,
    SubwordsSg,
    SubwordsSgShared,
)
from embedkit.engine.pairs import sg_pairs6_window
from embedkit.engine.params import FASTMATH, KERNEL_OPTIONS, STAT_WORDS, ChunkRun, make_scratch
from embedkit.engine.sgns import cbow_window, sg6_window, sg_pairs_window, sg_shared_window
from embedkit.engine.softmax import nce_window, softmax_window
from embedkit.engine.subword_windows import (
    subword_cbow_window,
    subword_sg_shared_window,
    subword_sg_window,
)
from embedkit.rng import next_u64, rand_float

__all__ = ["WINDOWS", "eff_window", "sequence_lr", "subsample", "window_update", "train_chunk",
           "run_chunks", "split_chunks"]

#: Window marker -> window update ``(negatives, buf, i, lo, hi, lr, run)``.
WINDOWS = {
    SgShared6: sg6_window,
    SgShared: sg_shared_window,
    SgPairs: sg_pairs_window,
    SgPairs6: sg_pairs6_window,
    Cbow: cbow_window,
    Softmax: softmax_window,
    Nce: nce_window,
    Locked: locked_window,
    SubwordsSg: subword_sg_window,  # these take the marker first (its CSR row table)
    SubwordsSgShared: subword_sg_shared_window,
    SubwordsCbow: subword_cbow_window,
}


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def eff_window(params, states, slot):
    """This centre's window: ``window - b``, ``b`` uniform in ``[0, window)`` when shrinking."""
    if params.shrink_window:
        b = np.int64(((next_u64(states, slot) >> np.uint64(32)) * np.uint64(params.window))
                     >> np.uint64(32))
        return params.window - b
    return params.window


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def sequence_lr(params, chunk_pos, offset, pos_scale):
    """Learning rate of a sequence starting ``offset`` ids into a chunk at ``chunk_pos``.

    Linear decay by the raw-token position of the sequence start (word2vec.c also updates it
    per sentence).
    """
    progress = (chunk_pos + offset * pos_scale) / params.total_words
    return np.float32(params.lr0 - (params.lr0 - params.min_lr) * min(progress, 1.0))


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def subsample(ids, start, stop, keep_prob, state, slot, buf):
    """Copy the kept in-vocabulary ids of ``ids[start:stop]`` into ``buf``; return their count."""
    n = 0
    for i in range(start, stop):
        w = ids[i]
        if w < 0:
            continue
        p = keep_prob[w]
        if p < 1.0 and rand_float(state, slot) >= p:
            continue
        buf[n] = w
        n += 1
    return n


def window_update(mode, buf, i, lo, hi, lr, run):
    """Train centre ``buf[i]`` against its window ``buf[lo:hi]`` (jitted code only).

    Resolved at compile time to ``WINDOWS[type(mode.window)]``, called with
    ``mode.negatives``.
    """
    raise NotImplementedError("window_update runs inside jitted kernels only")


@overload(window_update, jit_options=KERNEL_OPTIONS)
def _window_update_impl(mode, buf, i, lo, hi, lr, run):
    fn = WINDOWS[mode.types[0].instance_class]
    if getattr(mode.types[0].instance_class, "table_window", False):
        def table_impl(mode, buf, i, lo, hi, lr, run):
            fn(mode.window, mode.negatives, buf, i, lo, hi, lr, run)

        return table_impl

    def impl(mode, buf, i, lo, hi, lr, run):
        fn(mode.negatives, buf, i, lo, hi, lr, run)

    return impl


def scores_size(mode, n_vocab):
    """Length of the full-softmax score buffer a mode needs (jitted code only)."""
    raise NotImplementedError("scores_size runs inside jitted kernels only")


@overload(scores_size)
def _scores_size_impl(mode, n_vocab):
    if mode.types[0].instance_class is Softmax:
        return lambda mode, n_vocab: n_vocab
    return lambda mode, n_vocab: 0


@njit(nogil=True, cache=True, error_model="numpy", forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _prefetch_next(run, buf, i, n):
    """Prefetch the next centre's output row and the input row entering the window."""
    if i + 1 < n:
        nxt = buf[i + 1] - run.params.out_lo
        if 0 <= nxt < run.C.shape[0]:
            prefetch_row(run.C, nxt)
        if i + 1 + run.params.window < n:
            nxt = buf[i + 1 + run.params.window] - run.params.in_lo
            if 0 <= nxt < run.W.shape[0]:
                prefetch_row(run.W, nxt)


def train_chunk(mode, batch, c, run):
    """Train chunk ``c`` of ``batch``: its sequences, centre after centre, in stream order.

    Jitted code only: resolved at compile time to the chunk loop of ``mode``'s window update.
    """
    raise NotImplementedError("train_chunk runs inside jitted kernels only")


def _chunk_loop(fn, table_window):
    """The chunk loop calling window update ``fn`` directly.

    The loop is the overload's implementation itself, rather than a loop calling the
    :func:`window_update` wrapper: one function level less between the loop and the window
    update, which a first run would otherwise compile and re-optimise (~1 CPU-s).
    """
    if table_window:
        @njit(inline="always")
        def update(mode, buf, i, lo, hi, lr, run):
            fn(mode.window, mode.negatives, buf, i, lo, hi, lr, run)
    else:
        @njit(inline="always")
        def update(mode, buf, i, lo, hi, lr, run):
            fn(mode.negatives, buf, i, lo, hi, lr, run)

    def impl(mode, batch, c, run):
        params = run.params
        buf = run.scratch.buf
        tok = run.slot - 1  # this chunk's token stream; run.slot is its negative stream
        s0 = batch.chunk_seq[c]
        for s in range(s0, batch.chunk_seq[c + 1]):
            start = batch.offsets[s]
            n = subsample(batch.ids, start, batch.offsets[s + 1], batch.keep_prob, run.states,
                          tok, buf)
            run.acc[STAT_WORDS] += n
            lr = sequence_lr(params, batch.chunk_pos[c], start - batch.offsets[s0],
                             batch.pos_scale)
            for i in range(n):
                eff = eff_window(params, run.states, tok)
                _prefetch_next(run, buf, i, n)
                update(mode, buf, i, max(0, i - eff), min(n, i + eff + 1), lr, run)
        flush_loss(params.compute_loss, run.acc, True)

    return impl


@overload(train_chunk, jit_options={"nogil": True, "_nrt": False, "error_model": "numpy",
                                    "fastmath": FASTMATH})
def _train_chunk_impl(mode, batch, c, run):
    marker = mode.types[0].instance_class
    return _chunk_loop(WINDOWS[marker], getattr(marker, "table_window", False))


@njit(nogil=True, cache=True, error_model="numpy")
def _longest(offsets, s0, s1):
    longest = 0
    for s in range(s0, s1):
        longest = max(longest, offsets[s + 1] - offsets[s])
    return longest


@njit(nogil=True, cache=True, error_model="numpy")
def run_chunks(mode, weights, batch, params, tables, noise, states, stats):
    """Train every chunk of a batch, in order, on the calling thread (the GIL is released).

    Threads train disjoint slices of a batch's chunks at once (:func:`split_chunks`).

    Parameters
    ----------
    mode : Mode
        What to compile and run (see :mod:`embedkit.engine.modes`).
    weights : (W, C)
        Input and output vectors, float32 (n, d), updated in place.
    batch : Batch
    params : KernelParams
    tables : SamplerTables
    noise : float32 (n,) or (0,)
        NCE's ``log(k P_n(x))`` (:func:`embedkit.engine.softmax.noise_log_kq`); empty otherwise.
    states : uint64 (2 * n_chunks,)
        Two xorshift states per chunk (tokens, negatives; see :func:`embedkit.rng.engine_states`),
        advanced in place.
    stats : float64 (n_chunks, N_STATS)
        Per-chunk loss, loss terms, pairs, kept words and summed sigmoid of negatives.
    """
    W = weights[0]
    C = weights[1]
    n_scores = scores_size(mode, C.shape[0])
    for c in range(batch.chunk_seq.shape[0] - 1):
        # The window updates run without Numba's reference counting (_nrt=False), which would
        # otherwise make every call touch the shared weights' reference counts from all threads.
        maxlen = _longest(batch.offsets, batch.chunk_seq[c], batch.chunk_seq[c + 1])
        scratch = make_scratch(params.negative + 1, W.shape[1], params.window, maxlen, n_scores)
        run = ChunkRun(W, C, params, tables, states, 2 * c + 1, scratch, stats[c], noise)
        train_chunk(mode, batch, c, run)


def split_chunks(batch, states: np.ndarray, stats: np.ndarray, parts: int) -> list[tuple]:
    """Cut a batch's chunks into ``parts`` contiguous slices: ``(batch, states, stats)`` each.

    A slice keeps its chunks' streams, statistics rows and learning-rate positions, so training
    the slices in any order, on any threads, trains every chunk exactly as one call would.
    """
    n_chunks = batch.chunk_seq.shape[0] - 1
    cuts = np.linspace(0, n_chunks, min(parts, n_chunks) + 1).astype(np.int64)
    out = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        part = batch._replace(chunk_seq=batch.chunk_seq[a:b + 1], chunk_pos=batch.chunk_pos[a:b])
        out.append((part, states[2 * a:2 * b], stats[a:b]))
    return out
