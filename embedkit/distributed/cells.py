"""Kernels of one block-rotation cell: an epoch's windows drawn once, then walked per block.

Every cell ``(i, j)`` of an epoch needs the same subsample and the same reduced windows (they
come from each chunk's token stream, see :func:`embedkit.rng.engine_states`), but trains only
the windows whose centre lies in output block ``j``. Scanning the whole stream in every cell
would cost K passes over all tokens per worker and epoch. Instead each worker draws the
subsample and windows once per epoch (:func:`prepare_batch`, the same draws in the same order
as :func:`embedkit.engine.kernels.train_chunks`) and files every kept position under its
centre's block. A cell then visits only its own centres (:func:`train_cell_chunks`), with the
single-process window update, so a worker's scan costs one pass over the kept tokens per
epoch whatever K is.

With one block this is the single-process computation: the same windows, the same learning
rates and the same negative stream, hence the same floating-point result.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from embedkit.engine.intrinsics import prefetch_row
from embedkit.engine.kernels import (
    FASTMATH,
    STAT_WORDS,
    _eff_window,
    _flush_loss,
    _sequence_lr,
    _sg_window,
    _skip_negatives,
    _subsample,
    window_scratch,
)

__all__ = ["prepare_batch", "train_cell_chunks", "train_cell_serial"]

#: Largest window the prepared layout stores (reduced windows are kept as uint16).
MAX_WINDOW = 65535


@njit(nogil=True, cache=True)
def prepare_batch(ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob, block_of, n_blocks,
                  params, states):
    """Subsample a batch and draw its reduced windows, as the training kernel would.

    Parameters
    ----------
    ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob
        As for :func:`embedkit.engine.kernels.train_chunks`.
    block_of : int32 (n,)
        Block of every vocabulary id.
    n_blocks : int
    params : KernelParams
        Its window and learning-rate settings are used.
    states : uint64 (2 * n_chunks,)
        The chunks' engine states; only the token streams (even slots) are advanced.

    Returns
    -------
    kept : int32 (m,)
        Kept ids of every sequence, concatenated.
    sent_off : int64 (n_seq + 1,)
        Sequence ``s`` is ``kept[sent_off[s]:sent_off[s + 1]]``.
    sent_lr : float32 (n_seq,)
        Learning rate of every sequence.
    eff : uint16 (m,)
        Reduced window of every kept position.
    cpos : int32 (m,)
        Kept positions grouped by chunk, then by the centre's block, in stream order.
    cptr : int64 (n_chunks * n_blocks + 1,)
        Chunk ``c``'s centres in block ``b`` are ``cpos[cptr[c * n_blocks + b]:...+ 1]]``.
    """
    n_seq = offsets.shape[0] - 1
    n_chunks = chunk_seq.shape[0] - 1
    kept = np.empty(ids.shape[0], dtype=np.int32)
    sent_off = np.zeros(n_seq + 1, dtype=np.int64)
    sent_lr = np.empty(n_seq, dtype=np.float32)
    eff = np.empty(ids.shape[0], dtype=np.uint16)
    m = 0
    for c in range(n_chunks):
        tok = 2 * c
        s0 = chunk_seq[c]
        for s in range(s0, chunk_seq[c + 1]):
            start = offsets[s]
            n = _subsample(ids, start, offsets[s + 1], keep_prob, states, tok, kept[m:])
            sent_lr[s] = _sequence_lr(params, chunk_pos[c], start - offsets[s0], pos_scale)
            for i in range(n):
                eff[m + i] = _eff_window(params, states, tok)
            m += n
            sent_off[s + 1] = m
    # file the kept positions of every chunk under their centre's block (a counting sort)
    cptr = np.zeros(n_chunks * n_blocks + 1, dtype=np.int64)
    for c in range(n_chunks):
        for p in range(sent_off[chunk_seq[c]], sent_off[chunk_seq[c + 1]]):
            cptr[c * n_blocks + block_of[kept[p]] + 1] += 1
    for x in range(n_chunks * n_blocks):
        cptr[x + 1] += cptr[x]
    fill = cptr[:-1].copy()
    cpos = np.empty(m, dtype=np.int32)
    for c in range(n_chunks):
        for p in range(sent_off[chunk_seq[c]], sent_off[chunk_seq[c + 1]]):
            x = c * n_blocks + block_of[kept[p]]
            cpos[fill[x]] = p
            fill[x] += 1
    return kept[:m].copy(), sent_off, sent_lr, eff[:m].copy(), cpos, cptr


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _has_context(kept, i, lo, hi, in_lo, in_hi):
    """Does the window ``kept[lo:hi]`` of centre ``i`` hold a context of the input block?"""
    for j in range(lo, hi):
        if j != i and in_lo <= kept[j] < in_hi:
            return True
    return False


@njit(nogil=True, cache=True, fastmath=FASTMATH, _nrt=False)
def _cell_chunk(W, C, kept, sent_off, sent_lr, eff, cpos, p0, p1, s, params, tables, states,
                slot, acc, targets, mask, gs, gs2, gout, neu, anchor, ahead, lanes, ctx):
    """Train the windows of centres ``cpos[p0:p1]`` (one chunk's centres in the output block).

    A window without a context of the input block trains nothing; its shared negatives are
    skipped in the stream (the cells' tables are plain alias tables, one step per draw).
    """
    k = targets.shape[0] - 1
    for q in range(p0, p1):
        i = cpos[q]
        while sent_off[s + 1] <= i:
            s += 1
        e = np.int64(eff[i])
        lo = max(sent_off[s], i - e)
        hi = min(sent_off[s + 1], i + e + 1)
        if q + 1 < p1:
            prefetch_row(C, kept[cpos[q + 1]] - params.out_lo)
        if not _has_context(kept, i, lo, hi, params.in_lo, params.in_hi):
            if params.shared_negatives:
                _skip_negatives(states, slot, ahead, k)
            continue
        _sg_window(W, C, kept, i, lo, hi, sent_lr[s], params, tables, states, slot, targets,
                   mask, gs, gs2, gout, neu, anchor, ahead, lanes, ctx, acc)
    _flush_loss(params.compute_loss, acc, True)


@njit(nogil=True, cache=True, parallel=True)
def train_cell_chunks(W, C, kept, sent_off, sent_lr, eff, cpos, cptr, chunk_seq, block,
                      n_blocks, params, tables, states, stats):
    """Train output block ``block``'s windows of a prepared batch; chunks run in parallel.

    ``W``/``C`` hold the cell's input/output block rows (``params.in_lo``/``out_lo`` give their
    first ids) and ``tables`` sample the output block. ``states`` are the chunks' engine states
    (the negative streams, odd slots, are used). ``stats[c]`` gets chunk ``c``'s loss, pairs and
    its number of kept tokens (all blocks).
    """
    for c in prange(chunk_seq.shape[0] - 1):
        x = c * n_blocks + block
        _cell_chunk(W, C, kept, sent_off, sent_lr, eff, cpos, cptr[x], cptr[x + 1],
                    chunk_seq[c], params, tables, states, 2 * c + 1, stats[c],
                    *window_scratch(params.negative + 1, W.shape[1], params.window))
        stats[c, STAT_WORDS] = sent_off[chunk_seq[c + 1]] - sent_off[chunk_seq[c]]


@njit(nogil=True, cache=True)
def train_cell_serial(W, C, kept, sent_off, sent_lr, eff, cpos, cptr, chunk_seq, block,
                      n_blocks, params, tables, states, stats):
    """:func:`train_cell_chunks` on the calling thread alone, chunk after chunk.

    In-process block training (:mod:`embedkit.engine.blocks`) runs one cell per thread, so a
    cell's chunks run in order; ``stats`` gets no kept-word counts (the caller has them).
    """
    for c in range(chunk_seq.shape[0] - 1):
        x = c * n_blocks + block
        _cell_chunk(W, C, kept, sent_off, sent_lr, eff, cpos, cptr[x], cptr[x + 1],
                    chunk_seq[c], params, tables, states, 2 * c + 1, stats[c],
                    *window_scratch(params.negative + 1, W.shape[1], params.window))
