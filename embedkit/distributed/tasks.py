"""Worker side of Dask block rotation: the pure cell task and what it reads.

A cell task (:func:`train_cell`) copies its two blocks, streams the epoch's batches from the
worker's bounded cache (:mod:`embedkit.distributed.sharding`), draws every batch's subsample and
windows once per epoch and worker (:func:`embedkit.engine.cells.prepare_batch`), trains
the pairs it owns and returns new blocks plus an info vector (:data:`N_STATS` kernel statistics,
then ``I_TRAIN``, ``I_GEN``, ``I_TASK``, ``I_RAW``). See :mod:`embedkit.distributed.train` for
the algorithm and its guarantees.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from embedkit.distributed.compile_once import compile_turn
from embedkit.distributed.sharding import (
    cache_drop,
    cache_get,
    cache_put,
    cached_batches,
    chunk_offset,
    clear_cache,
    shard_seed,
)
from embedkit.engine.block_plan import BlockPlan
from embedkit.engine.cells import Prepared, prepare_batch, train_cell_chunks, train_cell_serial
from embedkit.engine.objectives import kernel_mode
from embedkit.engine.params import N_STATS, Batch, KernelParams
from embedkit.engine.train import (
    aligned_zeros,
    check_batch,
    chunk_bounds,
    init_input_rows,
    numba_threads,
    padded_dim,
    prefetch_batches,
)
from embedkit.rng import engine_states
from embedkit.samplers.base import make_tables
from embedkit.vocab import Vocab

__all__ = ["CellContext", "make_context", "init_block", "train_cell", "clear_run",
           "I_TRAIN", "I_GEN", "I_TASK", "I_RAW", "N_INFO"]

# info vector returned by a cell: N_STATS kernel statistics, then these
I_TRAIN, I_GEN, I_TASK, I_RAW = N_STATS, N_STATS + 1, N_STATS + 2, N_STATS + 3
N_INFO = N_STATS + 4


@dataclass
class CellContext:
    """Everything a cell task needs besides its two blocks (one copy per worker)."""

    run: str
    shards: list
    vocab: Vocab
    noise: np.ndarray
    params: KernelParams
    plan: BlockPlan
    seed: int
    chunk_words: int
    shard_start: list[int]
    words_per_epoch: int
    threads: int
    cache_bytes: int
    tables: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keep_prob = np.ascontiguousarray(self.vocab.keep_prob, dtype=np.float32)
        self.block_of = np.repeat(np.arange(self.plan.n_blocks, dtype=np.int32),
                                  self.plan.sizes())
        self.shard_end = self.shard_start[1:] + [self.words_per_epoch]

    def tables_of(self, block: int):
        t = self.tables.get(block)
        if t is None:
            lo, hi = self.plan.block(block)
            t = self.tables[block] = make_tables(self.noise[lo:hi])
        return t


def make_context(run, shards, vocab, noise, params, plan, seed, chunk_words, shard_start,
                  words_per_epoch, threads, cache_bytes) -> CellContext:
    return CellContext(run, list(shards), vocab, noise, params, plan, seed, chunk_words,
                    list(shard_start), words_per_epoch, threads, cache_bytes)


def init_block(n: int, dim: int, seed: int, lo: int, hi: int, output: bool) -> np.ndarray:
    """Rows ``lo:hi`` of ``init_weights(n, dim, seed, padded=True)`` without building all n.

    Rows are padded like single-process training, so the kernels run the same arithmetic and
    K = 1 stays bit-identical to one process.
    """
    if output:
        return aligned_zeros(hi - lo, padded_dim(dim))
    return init_input_rows(dim, seed, lo, hi, padded=True)


class _CellBatch(NamedTuple):
    """One batch of an epoch, subsampled, windowed and filed by centre block (cells.py)."""

    kept: np.ndarray
    sent_off: np.ndarray
    sent_lr: np.ndarray
    eff: np.ndarray
    cpos: np.ndarray
    cptr: np.ndarray
    chunk_seq: np.ndarray
    states: np.ndarray  # the chunks' engine states before any draw (copied by every cell)
    at: int  # raw position of the batch in the epoch
    n_raw: int
    batch_no: int  # among the epoch's non-empty batches

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self[:8])


def _stream(ctx: CellContext, epoch: int, pos_lo: float = 0.0, pos_hi: float = np.inf):
    """``(batch, shard, first chunk index, raw position, batch number)`` of an epoch, in order.

    Batches before ``pos_lo`` are skipped cheaply when their shard's size is exact; reading
    stops at the first shard starting at ``pos_hi``. Reading runs in a background thread.
    """
    n_shards = len(ctx.shards)
    batch_no = -1
    for s, shard in enumerate(ctx.shards):
        if ctx.shard_start[s] >= pos_hi:
            return
        if shard.epoch_invariant and ctx.shard_end[s] <= pos_lo:
            continue  # (batch numbers then miss this shard's: parts never use slices)
        chunk_index = chunk_offset(s)
        raw = 0
        for batch in prefetch_batches(cached_batches((ctx.run, s), shard, ctx.vocab, epoch=epoch,
                                              seed=shard_seed(ctx.seed, s, n_shards),
                                              budget=ctx.cache_bytes)):
            check_batch(batch, len(ctx.vocab))
            if batch.ids.size:
                batch_no += 1
                yield batch, s, chunk_index, ctx.shard_start[s] + raw, batch_no
                chunk_index += chunk_bounds(batch.offsets, ctx.chunk_words).size - 1
            raw += batch.n_raw


def _prepare_batch(ctx: CellContext, epoch: int, batch, chunk_index: int, at: int,
                   batch_no: int) -> _CellBatch:
    """Draw a batch's subsample and windows once for all cells (:func:`prepare_batch`)."""
    bounds = chunk_bounds(batch.offsets, ctx.chunk_words)
    pos_scale = batch.n_raw / batch.ids.size
    chunk_pos = (epoch * ctx.words_per_epoch + at
                 + batch.offsets[bounds[:-1]] * pos_scale).astype(np.float64)
    states = engine_states(ctx.seed, epoch, chunk_index, bounds.size - 1)
    prepared = prepare_batch(
        Batch(batch.ids, batch.offsets, bounds, chunk_pos, float(pos_scale), ctx.keep_prob),
        ctx.block_of, ctx.plan.n_blocks, ctx.params, states.copy())
    return _CellBatch(*prepared, states, at, batch.n_raw, batch_no)


#: (run, "cells", epoch) keys whose prepared epoch did not fit the worker's cache budget
_UNCACHEABLE: set = set()


def _epoch_cells(ctx: CellContext, epoch: int, pos_lo: float, pos_hi: float):
    """The prepared batches of ``[pos_lo, pos_hi)``: from the worker's cache, else built.

    The first cell of an epoch on a worker prepares the whole epoch and caches it when it fits
    ``cache_bytes``; later cells reuse it. Otherwise every cell prepares its own batches.
    """
    key = (ctx.run, "cells", epoch)
    hit = cache_get(key)
    if hit is None and key not in _UNCACHEABLE:
        built: list[_CellBatch] | None = []
        size = 0
        for batch, _, chunk_index, at, no in _stream(ctx, epoch):
            item = _prepare_batch(ctx, epoch, batch, chunk_index, at, no)
            size += item.nbytes
            if size > ctx.cache_bytes:
                built = None
                _UNCACHEABLE.add(key)
                break
            built.append(item)
        if built is not None:
            # an epoch's cells are needed until the next epoch starts
            for old in range(epoch):
                cache_drop((ctx.run, "cells", old))
            cache_put(key, built, ctx.cache_bytes)
            hit = built
    if hit is not None:
        yield from (b for b in hit if pos_lo <= b.at < pos_hi)
        return
    for batch, _, chunk_index, at, no in _stream(ctx, epoch, pos_lo, pos_hi):
        if pos_lo <= at < pos_hi:
            yield _prepare_batch(ctx, epoch, batch, chunk_index, at, no)


def train_cell(W_block: np.ndarray, C_block: np.ndarray, ctx: CellContext, epoch: int,
                in_block: int, out_block: int, part: int = 0, n_parts: int = 1,
                pos_lo: float = 0.0, pos_hi: float = np.inf
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train cell (in_block, out_block) over one epoch's stream; returns new blocks + info.

    Only batches starting at raw position ``pos_lo <= p < pos_hi`` of the epoch are trained (a
    sub-epoch slice); ``part``/``n_parts`` keep only every ``n_parts``-th batch (the averaging
    baseline's partitions). Chunk streams and lr positions stay those of the whole stream.
    """
    if n_parts > 1 and (pos_lo > 0 or pos_hi < np.inf):
        raise ValueError("a cell takes either a slice of the epoch or a part, not both")
    t_task = time.perf_counter()
    W = np.array(W_block, dtype=np.float32, order="C", copy=True)
    C = np.array(C_block, dtype=np.float32, order="C", copy=True)
    plan = ctx.plan
    params = ctx.params
    if plan.n_blocks > 1:
        in_lo, in_hi = plan.block(in_block)
        out_lo, out_hi = plan.block(out_block)
        params = params._replace(in_lo=in_lo, in_hi=in_hi, out_lo=out_lo, out_hi=out_hi,
                                 neg_scale=float(plan.neg_scale[out_block]))
    tables = ctx.tables_of(out_block)
    totals = np.zeros(N_STATS, dtype=np.float64)
    train_s = gen_s = 0.0
    raw_total = 0
    with numba_threads(ctx.threads):
        cells = _epoch_cells(ctx, epoch, pos_lo, pos_hi)
        while True:
            t0 = time.perf_counter()
            b = next(cells, None)
            gen_s += time.perf_counter() - t0
            if b is None:
                break
            if b.batch_no % n_parts != part:
                continue
            t0 = time.perf_counter()
            stats = np.zeros((b.chunk_seq.size - 1, N_STATS), dtype=np.float64)
            args = (kernel_mode(params, tables), (W, C), Prepared(*b[:7]), out_block,
                    plan.n_blocks, params, tables, b.states.copy(), stats)
            with compile_turn(train_cell_serial, args):  # one first-run compile per machine
                train_cell_chunks(*args)
            totals += stats.sum(axis=0)
            raw_total += b.n_raw
            train_s += time.perf_counter() - t0
    info = np.zeros(N_INFO, dtype=np.float64)
    info[:N_STATS] = totals
    info[I_TRAIN], info[I_GEN] = train_s, gen_s
    info[I_TASK] = time.perf_counter() - t_task
    info[I_RAW] = raw_total  # raw tokens of the batches this task trained
    return W, C, info


def clear_run(run: str) -> None:
    """Drop a run's cached streams and prepared epochs on this worker."""
    clear_cache(run)
    for key in [k for k in _UNCACHEABLE if k[0] == run]:
        _UNCACHEABLE.discard(key)
