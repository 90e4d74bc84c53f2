"""Client side of a distributed fit: validate, count the vocabulary on the cluster, plan the
blocks and ship the shared context; then turn the gathered blocks into the single-process result.

Used by :func:`~embedkit.distributed.fit_distributed` and
:func:`~embedkit.distributed.fit_averaging`. Everything here works on what
:func:`embedkit.engine.train` takes (a context generator, a sampler, an
:class:`~embedkit.engine.EngineConfig`, a seed): no estimator is involved.
"""

from __future__ import annotations

import logging
import operator
import time
import uuid
from typing import Any, NamedTuple

import numpy as np

from embedkit.capabilities import check_objective
from embedkit.distributed.sharding import (
    apply_facts,
    count_shard,
    finish_vocab,
    merge_counts,
    plan_shards,
)
from embedkit.distributed.tasks import I_RAW, make_context
from embedkit.engine.block_plan import BlockPlan, plan_blocks
from embedkit.engine.cells import MAX_WINDOW
from embedkit.engine.params import (
    N_STATS,
    STAT_LOSS,
    STAT_NEG_SIGMOID,
    STAT_PAIRS,
    STAT_TERMS,
    STAT_WORDS,
    KernelParams,
)
from embedkit.engine.train import EngineConfig, EpochStats, resolve_threads, unpad_rows
from embedkit.samplers.base import NegativeSampler
from embedkit.validation import check_float, check_int
from embedkit.vocab import Vocab

__all__ = ["CACHE_BYTES", "DistributedFit", "PreparedRun", "prepare_run", "finish_run",
           "epoch_stats", "dask_distributed"]

logger = logging.getLogger("embedkit")

#: Default per-worker budget of the encoded-batch cache (bytes).
CACHE_BYTES = 512 * 2**20


class DistributedFit(NamedTuple):
    """What a distributed fit returns: :func:`embedkit.engine.train`'s ``(W, C, history)``,
    then the vocabulary counted on the cluster and how the run was cut."""

    W: np.ndarray
    C: np.ndarray
    history: list[EpochStats]
    vocab: Vocab
    plan: BlockPlan | None  # the vocabulary blocks (block rotation)
    partitions: int | None  # the data partitions (parameter averaging)
    vocab_seconds: float


def dask_distributed():
    """The ``distributed`` package, or an ImportError that says how to install it."""
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - exercised without the extra only
        raise ImportError(
            "distributed training needs Dask: pip install 'embedkit[distributed]' "
            "(or pip install 'dask[distributed]')"
        ) from exc
    return distributed


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


class PreparedRun(NamedTuple):
    """Validated settings, counted vocabulary and the context future of a run."""

    config: EngineConfig
    seed: int
    vocab: Vocab
    ctx: Any  # Future of _Context
    plan: BlockPlan
    workers: list[str]
    run: str
    vocab_seconds: float
    words_per_epoch: int


def prepare_run(generator, sampler: NegativeSampler, config: EngineConfig, *, seed: int, client,
                min_count: int = 1, max_vocab_size: int | None = None, subsample: float = 1e-3,
                blocks: int | None = None, shards: int | None = None,
                cache_bytes: int = CACHE_BYTES, threads: int | None = None,
                unit: str = "word") -> PreparedRun:
    """Validate, count the vocabulary on the cluster, plan blocks, ship the context."""
    distributed = dask_distributed()
    if not isinstance(client, distributed.Client):
        raise TypeError(
            f"client must be a dask.distributed.Client, got {type(client).__name__}; "
            "e.g. Client(LocalCluster()) or Client('tcp://scheduler:8786')"
        )
    if not isinstance(config, EngineConfig):
        raise TypeError(f"config must be an EngineConfig, got {type(config).__name__}")
    if not config.sg:
        raise ValueError("distributed training supports skip-gram only (sg=True), not CBOW")
    if config.window > MAX_WINDOW:
        raise ValueError(f"distributed training supports window <= {MAX_WINDOW}, "
                         f"got {config.window}")
    check_objective(config.objective, sg=config.sg, distributed=True)
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
    min_count = check_int("min_count", min_count, 0)
    if max_vocab_size is not None:
        max_vocab_size = check_int("max_vocab_size", max_vocab_size, 1)
    subsample = check_float("subsample", subsample, 0.0, 1.0)
    seed = int(seed)
    threads = 1 if threads is None else resolve_threads(threads)

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
    vocab_f = client.submit(finish_vocab, parts[0], min_count, max_vocab_size, subsample,
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
    ctx = client.submit(make_context, run, shard_f, vocab_f, noise, params, plan, seed,
                        config.chunk_words, shard_start, words_per_epoch, threads,
                        int(cache_bytes), key=f"embedkit-context-{run}")
    logger.info("distributed: %d %ss, %d blocks (sizes %s), %d shards, %d workers",
                len(vocab), unit, K, plan.sizes().tolist(),
                len(shard_list), nw)
    return PreparedRun(config, seed, vocab, ctx, plan, workers, run, vocab_seconds,
                     words_per_epoch)


def finish_run(prep: PreparedRun, W: np.ndarray, C: np.ndarray, history: list[EpochStats],
               *, plan: BlockPlan | None = None, partitions: int | None = None
               ) -> DistributedFit:
    """Check the gathered matrices and drop the row padding the kernels trained with."""
    if not np.all(np.isfinite(W[: min(len(W), 1000)])):
        raise FloatingPointError("training diverged (non-finite vectors); lower lr")
    dim = prep.config.dim  # in place
    W, C = unpad_rows(np.ascontiguousarray(W), dim), unpad_rows(np.ascontiguousarray(C), dim)
    return DistributedFit(W, C, history, prep.vocab, plan, partitions, prep.vocab_seconds)


def epoch_stats(epoch: int, infos: list[np.ndarray], seconds: float, compute_loss: bool,
                 extra: dict, n_cells_per_slice: int) -> EpochStats:
    tot = np.sum([i[:N_STATS] for i in infos], axis=0)
    pairs = int(tot[STAT_PAIRS])
    n_neg = tot[STAT_TERMS] - pairs
    return EpochStats(
        epoch=epoch,
        loss=float(tot[STAT_LOSS] / pairs) if pairs and compute_loss else float("nan"),
        raw_words=int(round(sum(i[I_RAW] for i in infos) / n_cells_per_slice)),
        # each slice of the epoch is streamed by K * K cells, with (nearly) the same kept words
        trained_words=int(round(sum(i[STAT_WORDS] for i in infos) / n_cells_per_slice)),
        pairs=pairs, seconds=seconds,
        mean_neg_sigmoid=float(tot[STAT_NEG_SIGMOID] / n_neg) if n_neg > 0 else float("nan"),
        extra=extra,
    )
