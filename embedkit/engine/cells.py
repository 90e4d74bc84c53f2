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

from typing import NamedTuple

import numba
import numpy as np
from numba import njit

from embedkit.engine.intrinsics import prefetch_row
from embedkit.engine.loss import flush_loss
from embedkit.engine.negatives import skip_negatives
from embedkit.engine.params import FASTMATH, STAT_WORDS, ChunkRun, make_scratch
from embedkit.engine.stream import eff_window, sequence_lr, subsample, window_update
from embedkit.engine.threads import run_parallel

__all__ = ["MAX_WINDOW", "Prepared", "prepare_batch", "train_cell_chunks", "train_cell_serial"]


class Prepared(NamedTuple):
    """A batch's subsample and reduced windows, filed by chunk and centre block.

    See :func:`prepare_batch` for the fields.
    """

    kept: np.ndarray
    sent_off: np.ndarray
    sent_lr: np.ndarray
    eff: np.ndarray
    cpos: np.ndarray
    cptr: np.ndarray
    chunk_seq: np.ndarray


#: Largest window the prepared layout stores (reduced windows are kept as uint16).
MAX_WINDOW = 65535


@njit(nogil=True, cache=True, error_model="numpy")
def prepare_batch(batch, block_of, n_blocks, params, states):
    """Subsample a batch and draw its reduced windows, as the training kernel would.

    Parameters
    ----------
    batch : Batch
        As for :func:`embedkit.engine.stream.run_chunks`.
    block_of : int32 (n,)
        Block of every vocabulary id.
    n_blocks : int
    params : KernelParams
        Its window and learning-rate settings are used.
    states : uint64 (2 * n_chunks,)
        The chunks' engine states; only the token streams (even slots) are advanced.

    Returns
    -------
    Prepared
        ``kept`` int32 (m,): kept ids of every sequence, concatenated; ``sent_off`` int64
        (n_seq + 1,): sequence ``s`` is ``kept[sent_off[s]:sent_off[s + 1]]``; ``sent_lr``
        float32 (n_seq,): learning rate of every sequence; ``eff`` uint16 (m,): reduced window
        of every kept position; ``cpos`` int32 (m,): kept positions grouped by chunk, then by
        the centre's block, in stream order; ``cptr`` int64 (n_chunks * n_blocks + 1,): chunk
        ``c``'s centres in block ``b`` are ``cpos[cptr[c * n_blocks + b]:...+ 1]]``;
        ``chunk_seq``: the batch's chunks.
    """
    ids, offsets, chunk_seq = batch.ids, batch.offsets, batch.chunk_seq
    keep_prob, pos_scale, chunk_pos = batch.keep_prob, batch.pos_scale, batch.chunk_pos
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
            n = subsample(ids, start, offsets[s + 1], keep_prob, states, tok, kept[m:])
            sent_lr[s] = sequence_lr(params, chunk_pos[c], start - offsets[s0], pos_scale)
            for i in range(n):
                eff[m + i] = eff_window(params, states, tok)
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
    return Prepared(kept[:m].copy(), sent_off, sent_lr, eff[:m].copy(), cpos, cptr, chunk_seq)


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def _has_context(kept, i, lo, hi, in_lo, in_hi):
    """Does the window ``kept[lo:hi]`` of centre ``i`` hold a context of the input block?"""
    for j in range(lo, hi):
        if j != i and in_lo <= kept[j] < in_hi:
            return True
    return False


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, _nrt=False)
def _cell_chunk(mode, prep, c, block, n_blocks, run):
    """Train chunk ``c``'s windows whose centre lies in output block ``block``.

    A window without a context of the input block trains nothing; its shared negatives are
    skipped in the stream (the cells' tables are plain alias tables, one step per draw).
    """
    params = run.params
    kept, sent_off, eff = prep.kept, prep.sent_off, prep.eff
    x = c * n_blocks + block
    p1 = prep.cptr[x + 1]
    s = prep.chunk_seq[c]
    for q in range(prep.cptr[x], p1):
        i = prep.cpos[q]
        while sent_off[s + 1] <= i:
            s += 1
        e = np.int64(eff[i])
        lo = max(sent_off[s], i - e)
        hi = min(sent_off[s + 1], i + e + 1)
        if q + 1 < p1:
            prefetch_row(run.C, kept[prep.cpos[q + 1]] - params.out_lo)
        if not _has_context(kept, i, lo, hi, params.in_lo, params.in_hi):
            if params.shared_negatives:
                skip_negatives(run.states, run.slot, run.scratch.ahead, params.negative)
            continue
        window_update(mode, kept, i, lo, hi, prep.sent_lr[s], run)
    flush_loss(params.compute_loss, run.acc, True)


@njit(nogil=True, cache=True, error_model="numpy")
def _cell_run(W, C, params, tables, states, c, acc):
    return ChunkRun(W, C, params, tables, states, 2 * c + 1,
                    make_scratch(params.negative + 1, W.shape[1], params.window, 1, 0), acc,
                    np.zeros(0, dtype=np.float32))


@njit(nogil=True, cache=True, error_model="numpy")
def train_cell_serial(mode, weights, prep, block, n_blocks, params, tables, states, stats):
    """Train output block ``block``'s windows of a prepared batch, chunk after chunk.

    ``weights = (W, C)`` hold the cell's input/output block rows (``params.in_lo``/``out_lo``
    give their first ids) and ``tables`` sample the output block. ``states`` are the chunks'
    engine states (the negative streams, odd slots, are used). ``stats[c]`` gets chunk ``c``'s
    loss and pairs; kept-word counts are the caller's (``prep.sent_off``).
    """
    for c in range(prep.chunk_seq.shape[0] - 1):
        run = _cell_run(weights[0], weights[1], params, tables, states, c, stats[c])
        _cell_chunk(mode, prep, c, block, n_blocks, run)


def train_cell_chunks(mode, weights, prep: Prepared, block: int, n_blocks: int, params, tables,
                      states: np.ndarray, stats: np.ndarray) -> None:
    """:func:`train_cell_serial` with the chunks split among ``numba.get_num_threads()`` threads.

    ``stats[c, STAT_WORDS]`` also gets chunk ``c``'s number of kept tokens (all blocks).
    """
    n_chunks = prep.chunk_seq.shape[0] - 1
    cuts = np.linspace(0, n_chunks, min(numba.get_num_threads(), n_chunks) + 1).astype(np.int64)
    # a slice of chunks keeps its streams, stats rows and (absolute) centre lists
    jobs = [(mode, weights, prep._replace(chunk_seq=prep.chunk_seq[a:b + 1],
                                          cptr=prep.cptr[a * n_blocks:b * n_blocks + 1]),
             block, n_blocks, params, tables, states[2 * a:2 * b], stats[a:b])
            for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    run_parallel(train_cell_serial, jobs)
    stats[:, STAT_WORDS] = np.diff(prep.sent_off[prep.chunk_seq])
