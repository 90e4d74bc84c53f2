"""Block-rotation SGNS training on a Dask cluster.

The vocabulary is cut into K blocks (:mod:`embedkit.distributed.blocks`). The input vectors of
block i and the output vectors of block j live on workers as Dask futures. An epoch is K rounds:
in round s, task k trains cell ``(input block (k + s) mod K, output block k)`` with the
single-process window update on the windows whose centre is in its output block (it trains
only the pairs it owns). Output blocks stay where they are; input blocks move one worker per
round, directly between workers (a task's future arguments are fetched peer to peer, never
through the client). No two tasks of a round touch the same rows, so there is no averaging
and no race.

Every task is pure: it copies its input blocks, trains with one thread (by default) on streams
seeded from ``(seed, epoch, chunk)``, and returns new blocks. The result therefore depends only
on ``random_state`` and K (and the sharding, which defaults to a function of the data size), not
on which worker ran what, and a task lost with its worker is simply recomputed by Dask from its
inputs. With K = 1 and one shard it is the single-process computation, bit for bit.

Data. Any sentence may hold pairs of any cell, so every worker reads the whole epoch: the
shards are streamed as Dask tasks' inputs (:mod:`embedkit.distributed.sharding`), and a bounded
per-worker cache (``cache_bytes``) keeps encoded batches, so text is read and tokenized once per
worker and run, walks generated once per worker and epoch. The first cell of an epoch on a
worker then draws the subsample and the reduced windows of the whole epoch once and files every
kept token under its block (:mod:`embedkit.distributed.cells`, about 10 bytes per kept token,
cached within the same budget); each cell visits only the centres of its output block. A
worker therefore scans its stream once per epoch, not once per cell, and the cost of a cell
falls with K like its work. (When the prepared epoch does not fit the budget every cell
prepares its own slice of the stream instead.)

Randomness. Each chunk of the stream has two streams seeded from ``(seed, epoch, chunk)``: one
for the subsample and the reduced windows, one for the negatives. All cells therefore train
the same subsample with the same windows, so every pair of the epoch is trained exactly once,
as on one machine. A cell draws a centre's negatives from its output block's table on the
chunk's negative stream, once per centre whatever the input block, so a centre's window shares
one set of negatives across the K cells as it does on one machine (``shared_negatives``).

Ordering. One epoch trains every pair once, as one machine does. Within one rotation a row
meets the K blocks one after another rather than interleaved, so each epoch is cut into
``sub_epochs`` contiguous slices of the stream (default 4), each a full rotation of K rounds;
that restores single-process quality (see ``fit_distributed``).

Starting a cluster is the user's business::

    from dask.distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=4, threads_per_worker=1)   # one machine, 4 processes
    client = Client(cluster)
    # or a running cluster: client = Client("tcp://scheduler-host:8786")
    # (start it with `dask scheduler` and `dask worker tcp://scheduler-host:8786 --nthreads 1`)

    from embedkit import Word2Vec
    from embedkit.distributed import fit_distributed
    model = fit_distributed(Word2Vec(epochs=5, random_state=0), "corpus.txt", client=client)

All workers must be able to import embedkit and read the training files at the same path.
"""

from __future__ import annotations

import logging
import operator
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from embedkit.distributed.blocks import BlockPlan, plan_blocks
from embedkit.distributed.cells import MAX_WINDOW, prepare_batch, train_cell_chunks
from embedkit.distributed.sharding import (
    apply_facts,
    cache_drop,
    cache_get,
    cache_put,
    cached_batches,
    chunk_offset,
    count_shard,
    finish_vocab,
    merge_counts,
    plan_shards,
    shard_seed,
)
from embedkit.engine.kernels import (
    N_STATS,
    STAT_LOSS,
    STAT_NEG_SIGMOID,
    STAT_PAIRS,
    STAT_TERMS,
    STAT_WORDS,
    KernelParams,
)
from embedkit.engine.train import (
    EngineConfig,
    EpochStats,
    _check_batch,
    _chunk_bounds,
    _numba_threads,
    _prefetch,
    aligned_zeros,
    init_input_rows,
    padded_dim,
    resolve_threads,
    unpad_rows,
)
from embedkit.rng import check_random_state, engine_states
from embedkit.samplers.base import make_tables
from embedkit.vocab import Vocab

__all__ = ["fit_distributed", "RoundStats", "make_generator"]

logger = logging.getLogger("embedkit")

#: Default per-worker budget of the encoded-batch cache (bytes).
CACHE_BYTES = 512 * 2**20
# info vector returned by a cell: N_STATS kernel statistics, then these
_I_TRAIN, _I_GEN, _I_TASK, _I_RAW = N_STATS, N_STATS + 1, N_STATS + 2, N_STATS + 3
_N_INFO = N_STATS + 4


@dataclass
class RoundStats:
    """What one round (K cells in parallel) did, as reported to the progress bar/callback."""

    epoch: int
    round: int  # within the epoch: 0 .. sub_epochs * K - 1
    pairs: int
    loss: float
    seconds: float  # wall time of the round on the client
    train_seconds: float  # slowest cell's kernel time
    gen_seconds: float  # slowest cell's time reading/generating sequences
    other_seconds: float  # seconds - busiest worker's task time: moving blocks, scheduling

    @property
    def pairs_per_second(self) -> float:
        return self.pairs / self.seconds if self.seconds > 0 else float("nan")


# -- worker side -------------------------------------------------------------------------------
@dataclass
class _Context:
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


def _make_context(run, shards, vocab, noise, params, plan, seed, chunk_words, shard_start,
                  words_per_epoch, threads, cache_bytes) -> _Context:
    return _Context(run, list(shards), vocab, noise, params, plan, seed, chunk_words,
                    list(shard_start), words_per_epoch, threads, cache_bytes)


def _init_block(n: int, dim: int, seed: int, lo: int, hi: int, output: bool) -> np.ndarray:
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


def _stream(ctx: _Context, epoch: int, pos_lo: float = 0.0, pos_hi: float = np.inf):
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
        for batch in _prefetch(cached_batches((ctx.run, s), shard, ctx.vocab, epoch=epoch,
                                              seed=shard_seed(ctx.seed, s, n_shards),
                                              budget=ctx.cache_bytes)):
            _check_batch(batch, len(ctx.vocab))
            if batch.ids.size:
                batch_no += 1
                yield batch, s, chunk_index, ctx.shard_start[s] + raw, batch_no
                chunk_index += _chunk_bounds(batch.offsets, ctx.chunk_words).size - 1
            raw += batch.n_raw


def _prepare_batch(ctx: _Context, epoch: int, batch, chunk_index: int, at: int,
                   batch_no: int) -> _CellBatch:
    """Draw a batch's subsample and windows once for all cells (:func:`cells.prepare_batch`)."""
    bounds = _chunk_bounds(batch.offsets, ctx.chunk_words)
    pos_scale = batch.n_raw / batch.ids.size
    chunk_pos = (epoch * ctx.words_per_epoch + at
                 + batch.offsets[bounds[:-1]] * pos_scale).astype(np.float64)
    states = engine_states(ctx.seed, epoch, chunk_index, bounds.size - 1)
    prepared = prepare_batch(batch.ids, batch.offsets, bounds, chunk_pos, float(pos_scale),
                             ctx.keep_prob, ctx.block_of, ctx.plan.n_blocks, ctx.params,
                             states.copy())
    return _CellBatch(*prepared, bounds, states, at, batch.n_raw, batch_no)


#: (run, "cells", epoch) keys whose prepared epoch did not fit the worker's cache budget
_UNCACHEABLE: set = set()


def _epoch_cells(ctx: _Context, epoch: int, pos_lo: float, pos_hi: float):
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


def _train_cell(W_block: np.ndarray, C_block: np.ndarray, ctx: _Context, epoch: int,
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
    with _numba_threads(ctx.threads):
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
            train_cell_chunks(W, C, b.kept, b.sent_off, b.sent_lr, b.eff, b.cpos, b.cptr,
                              b.chunk_seq, out_block, plan.n_blocks, params, tables,
                              b.states.copy(), stats)
            totals += stats.sum(axis=0)
            raw_total += b.n_raw
            train_s += time.perf_counter() - t0
    info = np.zeros(_N_INFO, dtype=np.float64)
    info[:N_STATS] = totals
    info[_I_TRAIN], info[_I_GEN] = train_s, gen_s
    info[_I_TASK] = time.perf_counter() - t_task
    info[_I_RAW] = raw_total  # raw tokens of the batches this task trained
    return W, C, info


# -- client side -------------------------------------------------------------------------------
def _distributed():
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - exercised without the extra only
        raise ImportError(
            "distributed training needs Dask: pip install 'embedkit[distributed]' "
            "(or pip install 'dask[distributed]')"
        ) from exc
    return distributed


def make_generator(estimator, data):
    """The context generator ``estimator.fit(data)`` would train on.

    Every embedkit estimator provides ``_make_generator(data)``.
    """
    try:
        return estimator._make_generator(data)
    except (AttributeError, NotImplementedError):
        pass
    raise TypeError(
        f"{type(estimator).__name__} does not say how to build its context generator; "
        "give it a _make_generator(data) method"
    )


def _check_blocks(blocks: Any, n_workers: int) -> int:
    if blocks is None:
        return n_workers
    if not isinstance(blocks, (int, np.integer)) or isinstance(blocks, bool):
        raise TypeError(f"blocks must be an int >= 1 or None, got {type(blocks).__name__}")
    if blocks < 1:
        raise ValueError(f"blocks must be >= 1, got {blocks}")
    return int(blocks)


def _kernel_params(config: EngineConfig, words_per_epoch: int) -> KernelParams:
    return KernelParams(
        window=int(config.window), negative=int(config.negative), sg=bool(config.sg),
        shrink_window=bool(config.shrink_window),
        shared_negatives=bool(config.shared_negatives), cbow_mean=bool(config.cbow_mean),
        lr0=float(config.lr), min_lr=float(config.min_lr),
        total_words=float(words_per_epoch * config.epochs),
        compute_loss=bool(config.compute_loss),
    )


class _Prepared(NamedTuple):
    """Validated settings, counted vocabulary and the context future of a run."""

    config: EngineConfig
    seed: int
    vocab: Vocab
    generator: Any
    ctx: Any  # Future of _Context
    plan: BlockPlan
    workers: list[str]
    run: str
    vocab_seconds: float
    words_per_epoch: int


def _prepare(estimator, data, client, blocks, shards, cache_bytes, threads=None) -> _Prepared:
    """Validate, count the vocabulary on the cluster, plan blocks, ship the context."""
    distributed = _distributed()
    if not isinstance(client, distributed.Client):
        raise TypeError(
            f"client must be a dask.distributed.Client, got {type(client).__name__}; "
            "e.g. Client(LocalCluster()) or Client('tcp://scheduler:8786')"
        )
    if not (hasattr(estimator, "_engine_config") and hasattr(estimator, "_resolve_sampler")):
        raise TypeError(
            f"estimator must be an embedkit SGNS estimator (Word2Vec, Node2Vec, Kmer2Vec, ...), "
            f"got {type(estimator).__name__}"
        )
    from embedkit.models.base import _check_float, _check_int

    config = estimator._engine_config()
    if not config.sg:
        raise ValueError("distributed training supports skip-gram only (sg=True), not CBOW")
    if config.window > MAX_WINDOW:
        raise ValueError(f"distributed training supports window <= {MAX_WINDOW}, "
                         f"got {config.window}")
    if config.objective != "ns":
        raise ValueError(f"distributed training supports objective 'ns', not {config.objective!r}")
    sampler = estimator._resolve_sampler()
    if not hasattr(sampler, "weights") or getattr(sampler, "refresh_every", None) is not None:
        raise ValueError(
            f"distributed training needs a frequency-based sampler (unigram, uniform) whose "
            f"weights can be split into blocks, got {sampler!r}"
        )
    workers = sorted(client.nthreads())
    if not workers:
        raise RuntimeError("the Dask cluster has no workers")
    K = _check_blocks(blocks, len(workers))
    if cache_bytes is None or cache_bytes < 0:
        raise ValueError(f"cache_bytes must be >= 0, got {cache_bytes!r}")
    min_count = _check_int("min_count", estimator.min_count, 0)
    max_vocab = estimator.max_vocab_size
    if max_vocab is not None:
        max_vocab = _check_int("max_vocab_size", max_vocab, 1)
    subsample = _check_float("subsample", estimator.subsample, 0.0, 1.0)
    seed = check_random_state(estimator.random_state)
    threads = 1 if threads is None else resolve_threads(threads)

    generator = make_generator(estimator, data)
    shard_list = plan_shards(generator, shards)
    run = f"{uuid.uuid4().hex[:10]}"
    nw = len(workers)

    t0 = time.perf_counter()
    counted = [client.submit(count_shard, sh, key=f"embedkit-count-{run}-{s}",
                             workers=[workers[s % nw]], allow_other_workers=True)
               for s, sh in enumerate(shard_list)]
    shard_f = [client.submit(operator.itemgetter(0), c, key=f"embedkit-shard-{run}-{s}")
               for s, c in enumerate(counted)]
    parts = [client.submit(operator.itemgetter(1), c, key=f"embedkit-counts-{run}-{s}")
             for s, c in enumerate(counted)]
    level = 0
    while len(parts) > 1:  # pairwise reduction in shard order (keeps first-seen key order)
        nxt = [client.submit(merge_counts, parts[a], parts[a + 1],
                             key=f"embedkit-merge-{run}-{level}-{a}")
               for a in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts, level = nxt, level + 1
    vocab_f = client.submit(finish_vocab, parts[0], min_count, max_vocab, subsample,
                            key=f"embedkit-vocab-{run}")
    raw_f = client.submit(operator.attrgetter("n_raw_per_shard"), parts[0],
                          key=f"embedkit-raw-{run}")
    facts_f = client.submit(operator.attrgetter("facts"), parts[0], key=f"embedkit-facts-{run}")
    vocab, per_shard, facts = client.gather([vocab_f, raw_f, facts_f])
    # the statistics one machine's counting pass sets on the generator (e.g. Kmer2Vec's n_bases_)
    apply_facts(generator, facts)
    vocab_seconds = time.perf_counter() - t0
    if K > len(vocab):
        raise ValueError(f"blocks ({K}) must not exceed the vocabulary size ({len(vocab)})")
    per_shard = [int(x) for x in per_shard]
    shard_start = np.concatenate(([0], np.cumsum(per_shard)[:-1])).astype(np.int64).tolist()
    words_per_epoch = max(1, sum(per_shard))
    noise = np.asarray(sampler.weights(vocab), dtype=np.float64)
    plan = plan_blocks(vocab.counts, vocab.keep_prob, noise, K)
    params = _kernel_params(config, words_per_epoch)
    ctx = client.submit(_make_context, run, shard_f, vocab_f, noise, params, plan, seed,
                        config.chunk_words, shard_start, words_per_epoch, threads,
                        int(cache_bytes), key=f"embedkit-context-{run}")
    logger.info("distributed: %d %ss, %d blocks (sizes %s), %d shards, %d workers",
                len(vocab), getattr(estimator, "_unit", "word"), K, plan.sizes().tolist(),
                len(shard_list), nw)
    return _Prepared(config, seed, vocab, generator, ctx, plan, workers, run, vocab_seconds,
                     words_per_epoch)


def _finish(estimator, prep: _Prepared, W: np.ndarray, C: np.ndarray,
            history: list[EpochStats]):
    """Set the fitted attributes ``fit`` sets, through the estimator's own hooks."""
    if not np.all(np.isfinite(W[: min(len(W), 1000)])):
        raise FloatingPointError("training diverged (non-finite vectors); lower lr")
    dim = prep.config.dim  # drop the row padding the kernels trained with, in place
    W, C = unpad_rows(np.ascontiguousarray(W), dim), unpad_rows(np.ascontiguousarray(C), dim)
    estimator._set_fitted(prep.vocab, W, C, history, seed=prep.seed,
                          vocab_seconds=prep.vocab_seconds)
    # e.g. Node2Vec's graph_ / isolated_nodes_, or Kmer2Vec's n_bases_ (from the statistics
    # counted on the workers, summed over shards and set on the generator by _prepare)
    estimator._record_generator(prep.generator)
    return estimator


def _epoch_stats(epoch: int, infos: list[np.ndarray], seconds: float, compute_loss: bool,
                 extra: dict, n_cells_per_slice: int) -> EpochStats:
    tot = np.sum([i[:N_STATS] for i in infos], axis=0)
    pairs = int(tot[STAT_PAIRS])
    n_neg = tot[STAT_TERMS] - pairs
    return EpochStats(
        epoch=epoch,
        loss=float(tot[STAT_LOSS] / pairs) if pairs and compute_loss else float("nan"),
        raw_words=int(round(sum(i[_I_RAW] for i in infos) / n_cells_per_slice)),
        # each slice of the epoch is streamed by K * K cells, with (nearly) the same kept words
        trained_words=int(round(sum(i[STAT_WORDS] for i in infos) / n_cells_per_slice)),
        pairs=pairs, seconds=seconds,
        mean_neg_sigmoid=float(tot[STAT_NEG_SIGMOID] / n_neg) if n_neg > 0 else float("nan"),
        extra=extra,
    )


def fit_distributed(
    estimator,
    data,
    *,
    client,
    blocks: int | None = None,
    shards: int | None = None,
    sub_epochs: int | None = None,
    cache_bytes: int = CACHE_BYTES,
    callback: Callable[[RoundStats], None] | None = None,
):
    """Fit an SGNS estimator on a Dask cluster by block rotation.

    Sets the same fitted attributes as ``estimator.fit(data)`` (``embeddings_``, ``vocab_``,
    ``loss_history_``, ``epoch_stats_``, ...) and returns the estimator.

    Parameters
    ----------
    estimator : Word2Vec, Node2Vec, DeepWalk, Kmer2Vec or another SGNS estimator
        Its parameters are used as they are (skip-gram only; frequency-based samplers only).
        ``threads`` is the number of threads *per cell task* (default 1, which keeps the result
        reproducible; more threads race as on one machine).
    data : anything ``estimator.fit`` accepts
        Files must be readable at the same path on every worker.
    client : dask.distributed.Client
    blocks : int, optional
        Number of vocabulary blocks K (default: the number of workers). An epoch is K rounds
        of K cells; the result depends on K and ``random_state`` only. K = 1 reproduces
        single-process training with ``threads=1`` bit for bit.
    shards : int, optional
        Number of data shards for counting and streaming (default: about one per 64M raw
        tokens or bases, one per file of a :class:`~embedkit.distributed.TextFiles`; k-mer
        data is cut into contiguous record ranges). Changing it changes the random streams,
        hence the result.
    sub_epochs : int, optional
        Cut every epoch into this many contiguous slices of the stream, each a full rotation
        of K rounds, so that a row's updates against the different blocks interleave finely,
        as on one machine. Default: 4 (1 when K = 1). With one slice per epoch a row meets
        the blocks one after another for a whole epoch, which costs quality with few epochs
        (WordSim-353 0.27 instead of 0.32 at K = 2 and 2 epochs on the 7M-token corpus;
        4 slices give 0.31). More slices mean more rounds and block moves (each W block moves
        ``sub_epochs * K`` times per epoch), not more training. Part of the result's identity.
    cache_bytes : int, default 512 MiB
        Per-worker budget for caching encoded sequence batches (0 disables the cache: every
        cell then re-reads and re-encodes its data).
    callback : callable, optional
        Called with a :class:`RoundStats` after every round.

    Returns
    -------
    estimator

    Raises
    ------
    TypeError
        If ``client`` is not a ``dask.distributed.Client``.
    ValueError
        If ``blocks < 1`` or exceeds the vocabulary size, or for CBOW.

    Examples
    --------
    >>> from dask.distributed import Client, LocalCluster  # doctest: +SKIP
    >>> from embedkit import Word2Vec
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> sents = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 50
    >>> model = fit_distributed(Word2Vec(dim=8, min_count=1, random_state=0, progress=False),
    ...                         sents, client=client, blocks=2)  # doctest: +SKIP
    >>> model.embeddings_["cat"].shape  # doctest: +SKIP
    (8,)
    """
    if sub_epochs is not None and (not isinstance(sub_epochs, (int, np.integer))
                                   or isinstance(sub_epochs, bool) or sub_epochs < 1):
        raise ValueError(f"sub_epochs must be a positive int or None, got {sub_epochs!r}")
    prep = _prepare(estimator, data, client, blocks, shards, cache_bytes,
                    threads=getattr(estimator, "threads", None))
    config, plan, run, workers = prep.config, prep.plan, prep.run, prep.workers
    R = (1 if plan.n_blocks == 1 else 4) if sub_epochs is None else int(sub_epochs)
    wpe = prep.words_per_epoch
    slices = [(wpe * r / R if r else 0.0, wpe * (r + 1) / R if r < R - 1 else np.inf)
              for r in range(R)]
    K, nw = plan.n_blocks, len(workers)
    n, dim = len(prep.vocab), config.dim

    def where(k: int) -> dict:
        return {"workers": [workers[k % nw]], "allow_other_workers": True}

    W_f = [client.submit(_init_block, n, dim, prep.seed, *plan.block(i), False,
                         key=f"embedkit-W-{run}-init-{i}", **where(i)) for i in range(K)]
    C_f = [client.submit(_init_block, n, dim, prep.seed, *plan.block(j), True,
                         key=f"embedkit-C-{run}-init-{j}", **where(j)) for j in range(K)]
    info_f: list[list] = []
    for epoch in range(config.epochs):
        for r, (lo, hi) in enumerate(slices):
            for s in range(K):
                infos = []
                for k in range(K):
                    i, j = plan.cell(k, s)
                    tag = f"{run}-e{epoch}-x{r}-r{s}-k{k}"
                    cell = client.submit(_train_cell, W_f[i], C_f[j], prep.ctx, epoch, i, j,
                                         0, 1, lo, hi, key=f"embedkit-cell-{tag}", **where(k))
                    W_f[i] = client.submit(operator.itemgetter(0), cell,
                                           key=f"embedkit-W-{tag}", **where(k))
                    C_f[j] = client.submit(operator.itemgetter(1), cell,
                                           key=f"embedkit-C-{tag}", **where(k))
                    infos.append(client.submit(operator.itemgetter(2), cell,
                                               key=f"embedkit-info-{tag}", **where(k)))
                info_f.append(infos)

    bar = None
    if estimator.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.epochs * R * K, unit="round", desc=f"embedkit K={K}",
                   leave=False)
    history: list[EpochStats] = []
    try:
        t_round = t_epoch = time.perf_counter()
        epoch_infos: list[np.ndarray] = []
        rounds: list[RoundStats] = []
        for r, infos in enumerate(info_f):
            epoch, s = divmod(r, K * R)
            got = client.gather(infos)
            now = time.perf_counter()
            tot = np.sum([g[:N_STATS] for g in got], axis=0)
            pairs = int(tot[STAT_PAIRS])
            rs = RoundStats(
                epoch=epoch, round=s, pairs=pairs,
                loss=float(tot[STAT_LOSS] / pairs) if pairs and config.compute_loss
                else float("nan"),
                seconds=now - t_round,
                train_seconds=max(g[_I_TRAIN] for g in got),
                gen_seconds=max(g[_I_GEN] for g in got),
                other_seconds=max(0.0, now - t_round - _busiest(got, nw)),
            )
            t_round = now
            rounds.append(rs)
            epoch_infos.extend(got)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{rs.loss:.4f}",
                                pairs_s=f"{rs.pairs_per_second:.3g}",
                                train_s=f"{rs.train_seconds:.2f}",
                                read_s=f"{rs.gen_seconds:.2f}",
                                move_s=f"{rs.other_seconds:.2f}",
                                refresh=False)
            if callback is not None:
                callback(rs)
            if s == K * R - 1:
                mine = rounds[-K * R:]
                extra = {
                    "blocks": K,
                    "sub_epochs": R,
                    "train_seconds": sum(x.train_seconds for x in mine),
                    "gen_seconds": sum(x.gen_seconds for x in mine),
                    "other_seconds": sum(x.other_seconds for x in mine),
                    "rounds": mine,
                }
                st = _epoch_stats(epoch, epoch_infos, now - t_epoch, config.compute_loss, extra,
                                  K * K)
                if st.raw_words == 0:
                    raise ValueError("the context generator produced no tokens to train on")
                history.append(st)
                logger.info("epoch %d: loss %.4f, %d pairs, %.1fs (train %.1fs, other %.1fs)",
                            epoch + 1, st.loss, st.pairs, st.seconds, extra["train_seconds"],
                            extra["other_seconds"])
                t_epoch, epoch_infos = now, []
        W = np.concatenate(client.gather(W_f), axis=0)
        C = np.concatenate(client.gather(C_f), axis=0)
    finally:
        if bar is not None:
            bar.close()
        # dropping the futures releases every block on the cluster
        info_f.clear()
        W_f.clear()
        C_f.clear()
        client.run(_clear_cache, run)
    estimator.blocks_ = plan
    return _finish(estimator, prep, W, C, history)


def _busiest(infos: list[np.ndarray], n_workers: int) -> float:
    """Task seconds of the busiest worker in a round (cell k runs on worker k mod n)."""
    load = np.zeros(n_workers)
    for k, info in enumerate(infos):
        load[k % n_workers] += info[_I_TASK]
    return float(load.max())


def _clear_cache(run: str) -> None:
    from embedkit.distributed.sharding import clear_cache

    clear_cache(run)
    for key in [k for k in _UNCACHEABLE if k[0] == run]:
        _UNCACHEABLE.discard(key)
