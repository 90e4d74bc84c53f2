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
from embedkit.engine.kernels import STAT_WORDS, _flush_loss, _sg_window, _subsample
from embedkit.rng import next_u64

__all__ = ["prepare_batch", "train_cell_chunks"]

#: Largest window the prepared layout stores (reduced windows are kept as uint16).
MAX_WINDOW = 65535


@njit(nogil=True, cache=True)
def prepare_batch(ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob, block_of, n_blocks,
                  window, shrink_window, lr0, min_lr, total_words, states):
    """Subsample a batch and draw its reduced windows, as the training kernel would.

    Parameters
    ----------
    ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob
        As for :func:`embedkit.engine.kernels.train_chunks`.
    block_of : int32 (n,)
        Block of every vocabulary id.
    n_blocks : int
    window, shrink_window, lr0, min_lr, total_words
        The kernel parameters that shape windows and learning rates.
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
    lr_span = lr0 - min_lr
    m = 0
    for c in range(n_chunks):
        tok = 2 * c
        s0 = chunk_seq[c]
        for s in range(s0, chunk_seq[c + 1]):
            start = offsets[s]
            n = _subsample(ids, start, offsets[s + 1], keep_prob, states, tok, kept[m:])
            progress = (chunk_pos[c] + (start - offsets[s0]) * pos_scale) / total_words
            sent_lr[s] = np.float32(lr0 - lr_span * min(progress, 1.0))
            for i in range(n):
                if shrink_window:
                    b = np.int64(((next_u64(states, tok) >> np.uint64(32)) * np.uint64(window))
                                 >> np.uint64(32))
                    eff[m + i] = window - b
                else:
                    eff[m + i] = window
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


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _skip_negatives(states, slot, ahead, k):
    """Consume a skipped window's k shared negatives from the stream without drawing them.

    :func:`embedkit.engine.kernels._draw_negatives` draws one window ahead: ``ahead`` holds
    this window's negatives when ``ahead[0]`` is set (the stream is then past them), else the
    stream stands at them. Each draw takes one 64-bit step, so skipping is k steps at most and
    later windows get exactly the negatives they would have had.
    """
    if ahead[0] == 0:
        for _ in range(k):
            next_u64(states, slot)
    else:
        ahead[0] = 0


@njit(nogil=True, cache=True, fastmath=True, _nrt=False)
def _cell_chunk(W, C, kept, sent_off, sent_lr, eff, cpos, p0, p1, s, params, tables, states,
                slot, acc, targets, mask, gs, gs2, gout, neu, anchor, ahead):
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
                   mask, gs, gs2, gout, neu, anchor, ahead, acc)
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
    d = W.shape[1]
    k1 = params.negative + 1
    for c in prange(chunk_seq.shape[0] - 1):
        x = c * n_blocks + block
        _cell_chunk(W, C, kept, sent_off, sent_lr, eff, cpos, cptr[x], cptr[x + 1],
                    chunk_seq[c], params, tables, states, 2 * c + 1, stats[c],
                    np.empty(k1, dtype=np.int64), np.empty(k1, dtype=np.uint8),
                    np.empty(k1, dtype=np.float32), np.empty(k1, dtype=np.float32),
                    np.empty((k1, d), dtype=np.float32), np.empty((1, d), dtype=np.float32),
                    np.empty((1, d), dtype=np.float32), np.zeros(k1, dtype=np.int64))
        stats[c, STAT_WORDS] = sent_off[chunk_seq[c + 1]] - sent_off[chunk_seq[c]]
